"""/balance and /withdraw: what a worker earned and can take out; what a requester holds and spent."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, duration, esc, fit, keyboard, local_time, money
from core.models import PayoutStatus as P
from core.payments.accounts import Balances, WithdrawalQuote
from core.payments.destinations import Destination
from core.review.reputation import WorkerStats

if TYPE_CHECKING:
    from core.models import Payout
    from core.payments.queries import BalanceOverview

_PAYOUT_STATE = {
    P.REQUESTED: "⏳ requested, waiting to be sent",
    P.PROCESSING: "🔄 being sent",
    P.PAID: "✅ sent",
    P.FAILED: "⚠️ failed; the money is back in your balance",
}


def balance_text(b: Balances, stats: WorkerStats, *, is_requester: bool, min_payout_cents: int) -> str:
    rate = f"{stats.approval_rate_pct}%" if stats.approval_rate_pct is not None else "no decisions yet"
    lines = [
        "💰 <b>Your balance</b>",
        f"Available: <b>{money(b.available_cents)}</b>",
        f"Pending review: {money(b.pending_review_cents)}",
    ]
    if b.payout_pending_cents:
        lines.append(f"On its way to you: {money(b.payout_pending_cents)}")
    lines += [
        f"Paid out: {money(b.paid_out_cents)}",
        f"Lifetime earnings: {money(b.earned_cents)}",
        f"Approval rate: {rate} · {stats.approved_n} approved, {stats.rejected_n} rejected, "
        f"{stats.submitted_n} submitted",
    ]
    if is_requester:
        lines += ["", "📋 <b>As a requester</b>",
                  f"In escrow for open work: {money(b.escrow_cents)}",
                  f"Available to post: {money(b.available_cents)}",
                  f"Spent: {money(b.spent_cents)} (of which fees {money(b.fees_cents)})"]
    if b.prepaid_cents:
        lines.append(f"Of it, topped up: {money(b.prepaid_cents)} (for HITs and bonuses; not withdrawn, an admin "
                     "can refund it)")
    if b.withdrawable_cents >= min_payout_cents:
        lines += ["", "Send /withdraw to get your available money paid out."]
    else:
        lines += ["", f"Payouts start at {money(min_payout_cents)}."]
    return fit("\n".join(lines))


def balance_buttons(b: Balances, min_payout_cents: int, *, payout_methods: bool = False) -> InlineKeyboardMarkup:
    row = [button("🧾 Recent movements", callbacks.make("bal", "st"))]
    if b.withdrawable_cents >= min_payout_cents:
        row.insert(0, button(f"💸 Withdraw {money(b.withdrawable_cents)}", callbacks.make("wd", "ask")))
    methods_row = [button("🏦 Payout methods", callbacks.make("po", "menu"))] if payout_methods else []
    return keyboard([row, methods_row])


_KINDS = {"approve": "✅ approved work", "bonus": "🎁 bonus", "withdraw": "💸 payout", "refund": "↩️ refund",
          "topup": "💰 top-up", "publish": "📋 HIT posted", "payout": "💸 payout"}


def statement_text(lines: list, tz_name: str | None) -> str:
    """The latest movements of the available balance, newest first."""
    if not lines:
        return "🧾 No movements yet."
    out = ["🧾 <b>Recent movements</b>"]
    for line in lines:
        sign = "+" if line.amount_cents > 0 else "−"
        what = _KINDS.get(line.kind, esc(line.kind))
        memo = f" · {esc(line.memo[:60])}" if line.memo else ""
        out.append(f"{line.created_at:%d %b} {local_time(line.created_at, tz_name)} "
                   f"<b>{sign}{money(abs(line.amount_cents))}</b> {what}{memo}")
    return fit("\n".join(out))


def chart_caption(total_cents: int) -> str:
    return f"📈 Your earnings over the last 30 days: {money(total_cents)}"


NO_RECENT_EARNINGS = "📈 No earnings in the last 30 days yet; your chart appears once work is approved."


def payout_line(p: Payout, now: datetime) -> str:
    state = _PAYOUT_STATE.get(p.status, esc(p.status))
    if p.status == P.FAILED and p.failure_reason:
        state += f" ({esc(p.failure_reason[:100])})"
    return f"• Payout #{p.id}: {money(p.amount_cents)}, {duration((now - p.created_at).total_seconds())} ago: {state}"


def payouts_block(payouts: list[Payout], now: datetime) -> str:
    if not payouts:
        return ""
    return "\n\n<b>Your payouts</b>\n" + "\n".join(payout_line(p, now) for p in payouts)


def too_small(available_cents: int, min_payout_cents: int) -> str:
    return (f"💸 The minimum payout is {money(min_payout_cents)}; you have {money(available_cents)} available. "
            f"Another {money(min_payout_cents - available_cents)} and you can withdraw.")


def confirm_withdraw(available_cents: int) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"💸 Withdraw <b>{money(available_cents)}</b> (your whole available balance)? "
            "It is usually sent within minutes; you get a message when it is.")
    return text, keyboard([[button("✅ Confirm", callbacks.make("wd", "ok", available_cents)),
                            button("✖️ Cancel", callbacks.make("wd", "no"))]])


def confirm_withdraw_to(quote: WithdrawalQuote, others: list[Destination]) -> tuple[str, InlineKeyboardMarkup]:
    """With payout methods: the destination, the method's fee and what arrives, before Confirm;
    the worker's other destinations as buttons."""
    d = quote.destination
    fee = (f"Fee: {money(quote.fee_cents)}, so <b>{money(quote.net_cents)}</b> is sent."
           if quote.fee_cents else "No fee: all of it is sent.")
    text = (f"💸 Withdraw <b>{money(quote.available_cents)}</b> (your whole available balance) to "
            f"<b>{esc(d.masked)}</b>?\n{fee}\nIt is usually sent within minutes; you get a message when it is.")
    rows = [[button("✅ Confirm", callbacks.make("wd", "ok", quote.available_cents, d.id)),
             button("✖️ Cancel", callbacks.make("wd", "no"))]]
    rows += [[button(f"➡️ To {o.masked} instead", callbacks.make("wd", "to", o.id))] for o in others if o.id != d.id]
    return text, keyboard(rows)


def withdraw_requested(p: Payout) -> str:
    to = f" to {p.destination_masked}" if p.destination_masked else ""
    fee = f" (after the {money(p.fee_cents)} fee)" if p.fee_cents else ""
    return (f"✅ Payout #{p.id} of {money(p.amount_cents)}{fee}{to} requested. "
            "We'll tell you when it is sent; /withdraw shows its state.")


CANCELLED = "Cancelled; nothing was withdrawn."


def overview(o: BalanceOverview, *, min_payout_cents: int,
             payout_methods: bool = False) -> tuple[str, InlineKeyboardMarkup | None]:
    """Text and buttons for /balance (core.payments.queries.balance_overview)."""
    b = o.balances
    is_requester = bool(b.escrow_cents or b.spent_cents)
    return (balance_text(b, o.worker, is_requester=is_requester, min_payout_cents=min_payout_cents),
            balance_buttons(b, min_payout_cents, payout_methods=payout_methods))
