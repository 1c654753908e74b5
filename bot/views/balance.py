"""/balance and /withdraw: what a worker earned and can take out; what a requester holds and spent."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from babel.numbers import format_percent
from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, current, date_time, number
from bot.views.common import button, duration, esc, fit, keyboard, local_time, money
from core.models import PayoutStatus as P
from core.payments.accounts import Balances, WithdrawalQuote
from core.payments.destinations import Destination
from core.review.reputation import WorkerStats

if TYPE_CHECKING:
    from core.models import Payout
    from core.payments.queries import BalanceOverview

_PAYOUT_STATE = {
    P.REQUESTED: N_("⏳ requested, waiting to be sent"),
    P.PROCESSING: N_("🔄 being sent"),
    P.PAID: N_("✅ sent"),
    P.FAILED: N_("⚠️ failed; the money is back in your balance"),
}


def _rate(stats: WorkerStats) -> str:
    if stats.approval_rate_pct is None:
        return _("no decisions yet")
    return format_percent(stats.approval_rate_pct / 100, locale=current())


def balance_text(b: Balances, stats: WorkerStats, *, is_requester: bool, min_payout_cents: int) -> str:
    lines = [
        _("💰 <b>Your balance</b>"),
        _("Available: <b>{amount}</b>", amount=money(b.available_cents)),
        _("Pending review: {amount}", amount=money(b.pending_review_cents)),
    ]
    if b.payout_pending_cents:
        lines.append(_("On its way to you: {amount}", amount=money(b.payout_pending_cents)))
    lines += [
        _("Paid out: {amount}", amount=money(b.paid_out_cents)),
        _("Lifetime earnings: {amount}", amount=money(b.earned_cents)),
        _("Approval rate: {rate} · {approved} approved, {rejected} rejected, {submitted} submitted",
          rate=_rate(stats), approved=number(stats.approved_n), rejected=number(stats.rejected_n),
          submitted=number(stats.submitted_n)),
    ]
    if is_requester:
        lines += ["", _("📋 <b>As a requester</b>"),
                  _("In escrow for open work: {amount}", amount=money(b.escrow_cents)),
                  _("Available to post: {amount}", amount=money(b.available_cents)),
                  _("Spent: {amount} (of which fees {fees})", amount=money(b.spent_cents), fees=money(b.fees_cents))]
    if b.prepaid_cents:
        lines.append(_("Of it, topped up: {amount} (for HITs and bonuses; not withdrawn, an admin can refund it)",
                       amount=money(b.prepaid_cents)))
    if b.withdrawable_cents >= min_payout_cents:
        lines += ["", _("Send /withdraw to get your available money paid out.")]
    else:
        lines += ["", _("Payouts start at {amount}.", amount=money(min_payout_cents))]
    return fit("\n".join(lines))


def balance_buttons(b: Balances, min_payout_cents: int, *, payout_methods: bool = False) -> InlineKeyboardMarkup:
    row = [button(_("🧾 Recent movements"), callbacks.make("bal", "st"))]
    if b.withdrawable_cents >= min_payout_cents:
        row.insert(0, button(_("💸 Withdraw {amount}", amount=money(b.withdrawable_cents)), callbacks.make("wd", "ask")))
    methods_row = [button(_("🏦 Payout methods"), callbacks.make("po", "menu"))] if payout_methods else []
    return keyboard([row, methods_row])


_KINDS = {"approve": N_("✅ approved work"), "bonus": N_("🎁 bonus"), "withdraw": N_("💸 payout"),
          "refund": N_("↩️ refund"), "topup": N_("💰 top-up"), "publish": N_("📋 HIT posted"), "payout": N_("💸 payout")}


def statement_text(lines: list, tz_name: str | None) -> str:
    """The latest movements of the available balance, newest first."""
    if not lines:
        return _("🧾 No movements yet.")
    out = [_("🧾 <b>Recent movements</b>")]
    for line in lines:
        sign = "+" if line.amount_cents > 0 else "−"
        what = _(_KINDS[line.kind]) if line.kind in _KINDS else esc(line.kind)
        memo = f" · {esc(line.memo[:60])}" if line.memo else ""
        day = date_time(line.created_at, tz_name, format="dd MMM")
        out.append(f"{day} {local_time(line.created_at, tz_name)} <b>{sign}{money(abs(line.amount_cents))}</b> "
                   f"{what}{memo}")
    return fit("\n".join(out))


def chart_caption(total_cents: int) -> str:
    return _("📈 Your earnings over the last 30 days: {amount}", amount=money(total_cents))


def no_recent_earnings() -> str:
    return _("📈 No earnings in the last 30 days yet; your chart appears once work is approved.")


def payout_line(p: Payout, now: datetime) -> str:
    state = _(_PAYOUT_STATE[p.status]) if p.status in _PAYOUT_STATE else esc(p.status)
    if p.status == P.FAILED and p.failure_reason:
        state += f" ({esc(p.failure_reason[:100])})"
    return _("• Payout #{id}: {amount}, {duration} ago: {state}", id=p.id, amount=money(p.amount_cents),
             duration=duration((now - p.created_at).total_seconds()), state=state)


def payouts_block(payouts: list[Payout], now: datetime) -> str:
    if not payouts:
        return ""
    return "\n\n" + _("<b>Your payouts</b>") + "\n" + "\n".join(payout_line(p, now) for p in payouts)


def too_small(available_cents: int, min_payout_cents: int) -> str:
    return _("💸 The minimum payout is {minimum}; you have {available} available. Another {missing} and you can "
             "withdraw.", minimum=money(min_payout_cents), available=money(available_cents),
             missing=money(min_payout_cents - available_cents))


def confirm_withdraw(available_cents: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _("💸 Withdraw <b>{amount}</b> (your whole available balance)? It is usually sent within minutes; you get "
             "a message when it is.", amount=money(available_cents))
    return text, keyboard([[button(_("✅ Confirm"), callbacks.make("wd", "ok", available_cents)),
                            button(_("✖️ Cancel"), callbacks.make("wd", "no"))]])


def confirm_withdraw_to(quote: WithdrawalQuote, others: list[Destination]) -> tuple[str, InlineKeyboardMarkup]:
    """With payout methods: the destination, the method's fee and what arrives, before Confirm;
    the worker's other destinations as buttons."""
    d = quote.destination
    fee = (_("Fee: {fee}, so <b>{net}</b> is sent.", fee=money(quote.fee_cents), net=money(quote.net_cents))
           if quote.fee_cents else _("No fee: all of it is sent."))
    text = "\n".join([
        _("💸 Withdraw <b>{amount}</b> (your whole available balance) to <b>{destination}</b>?",
          amount=money(quote.available_cents), destination=esc(d.masked)),
        fee,
        _("It is usually sent within minutes; you get a message when it is."),
    ])
    rows = [[button(_("✅ Confirm"), callbacks.make("wd", "ok", quote.available_cents, d.id)),
             button(_("✖️ Cancel"), callbacks.make("wd", "no"))]]
    rows += [[button(_("➡️ To {destination} instead", destination=o.masked), callbacks.make("wd", "to", o.id))]
             for o in others if o.id != d.id]
    return text, keyboard(rows)


def withdraw_requested(p: Payout) -> str:
    """Plain text (the message is edited without HTML)."""
    values = {"id": p.id, "amount": money(p.amount_cents), "fee": money(p.fee_cents), "destination": p.destination_masked}
    if p.fee_cents and p.destination_masked:
        first = _("✅ Payout #{id} of {amount} (after the {fee} fee) to {destination} requested.", **values)
    elif p.fee_cents:
        first = _("✅ Payout #{id} of {amount} (after the {fee} fee) requested.", **values)
    elif p.destination_masked:
        first = _("✅ Payout #{id} of {amount} to {destination} requested.", **values)
    else:
        first = _("✅ Payout #{id} of {amount} requested.", **values)
    return first + " " + _("We'll tell you when it is sent; /withdraw shows its state.")


def payout_requested_toast() -> str:
    return _("Payout requested.")


def cancelled() -> str:
    return _("Cancelled; nothing was withdrawn.")


def overview(o: BalanceOverview, *, min_payout_cents: int,
             payout_methods: bool = False) -> tuple[str, InlineKeyboardMarkup | None]:
    """Text and buttons for /balance (core.payments.queries.balance_overview)."""
    b = o.balances
    is_requester = bool(b.escrow_cents or b.spent_cents)
    return (balance_text(b, o.worker, is_requester=is_requester, min_payout_cents=min_payout_cents),
            balance_buttons(b, min_payout_cents, payout_methods=payout_methods))
