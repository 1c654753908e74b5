"""/topup (a Telegram Payments invoice, by card or in Stars), the admin's /credit and /refund."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, esc, keyboard, money
from core.payments.accounts import Balances
from core.payments.topups import RefundQuote

PRESET_UNITS = (5, 10, 25, 50, 100)  # in whole currency units
NOT_CONFIGURED = ("Payments aren't set up on this bot yet. An admin can add funds to your balance "
                  "(/credit); ask them and give your user id: {user_id}.")
INVOICE_TITLE = "hitbot balance top-up"


def topup_menu(balances: Balances, precision_factor: int, low: int, high: int, *, card: bool = True,
               stars_rate_cents: int | None = None) -> tuple[str, InlineKeyboardMarkup]:
    ways = []
    if card:
        ways.append(f"type e.g. <code>/topup 12.50</code> ({money(low)} to {money(high)})")
    if stars_rate_cents:
        ways.append(f"pay in Telegram Stars (1 ⭐ = {money(stars_rate_cents)}), e.g. <code>/topup stars 250</code>")
    text = (f"💰 Your balance: {money(balances.available_cents)} available, {money(balances.escrow_cents)} "
            f"in escrow.\nHow much do you want to add? Choose below, or {' or '.join(ways)}.\n"
            "Money you top up pays for HITs; it can't be withdrawn (an admin can refund what is unspent).")
    rows = []
    if card:
        buttons = [button(money(units * precision_factor), callbacks.make("r", "tu", units * precision_factor))
                   for units in PRESET_UNITS]
        rows += [buttons[:3], buttons[3:]]
    if stars_rate_cents:
        rows.append([button(f"⭐ {n} = {money(n * stars_rate_cents)}", callbacks.make("r", "ts", n))
                     for n in PRESET_STARS])
    return text, keyboard(rows)


PRESET_STARS = (50, 250, 1000)
STARS_NUMBER = "Give a whole number of Stars, e.g. /topup stars 250."


def usage(*, card: bool, stars: bool) -> str:
    ways = (["/topup 12.50"] if card else []) + (["/topup stars 250"] if stars else [])
    return "Use " + " or ".join(ways) + ", or /topup to choose."


def price_label(stars: bool) -> str:
    return "Balance top-up (Stars)" if stars else "Balance top-up"


def invoice_description(cents: int, stars: int | None = None) -> str:
    if stars is not None:
        return (f"{stars:,} ⭐ add {money(cents)} to your hitbot balance, for rewards and fees of the HITs you post "
                "(not withdrawable).")
    return f"Adds {money(cents)} to your hitbot balance, for rewards and fees of the HITs you post."


def credited(cents: int, balance_cents: int, *, stars: int | None = None, charge_id: str = "") -> str:
    paid = f" for {stars:,} ⭐" if stars is not None else ""
    ref = f"\nPayment reference: {charge_id}" if charge_id else ""
    return f"✅ Payment received: {money(cents)} added{paid}. Your balance is now {money(balance_cents)}.{ref}"


def unmatched(charge_id: str) -> str:
    return f"We received a payment we couldn't match; an admin will sort it out. Reference: {charge_id}"


REFUND_USAGE = "Use: /refund <payment reference>, as shown to the payer (e.g. /refund sbx_0f3a...)."
REFUND_CANCELLED = "✖️ Cancelled; nothing was refunded."


def _paid(q: RefundQuote) -> str:
    return f"{q.paid_amount:,} ⭐" if q.paid_currency == "XTR" else money(q.amount_cents)


def refund_confirm(q: RefundQuote) -> tuple[str, InlineKeyboardMarkup]:
    how = "Telegram gives the Stars back" if q.source == "stars" else (
        "recorded here; return the card payment through your payment provider")
    text = (f"↩️ Refund <b>{_paid(q)}</b> ({money(q.amount_cents)} of balance) to {esc(q.user_name)} "
            f"(id {q.user_id}), top-up #{q.topup_id} of {q.created_at:%d %b %Y}?\n"
            f"{money(q.amount_cents)} leaves their balance ({money(q.prepaid_cents)} of it is unspent top-ups); "
            f"{how}.\nNothing moves until you confirm.")
    return text, keyboard([[button(f"✅ Refund {money(q.amount_cents)}", callbacks.make("ad", "rf", q.topup_id)),
                            button("✖️ Cancel", callbacks.make("ad", "rfx"))]])


def refund_done(q: RefundQuote) -> str:
    how = "the Stars are back with them" if q.source == "stars" else "return the payment through your provider"
    return f"↩️ Refunded {_paid(q)} to {esc(q.user_name)} (id {q.user_id}); {how}."


def refund_refused(q: RefundQuote, reason: str) -> str:
    return (f"⚠️ Telegram did not refund the Stars ({esc(reason)}); nothing moved, {money(q.amount_cents)} is "
            f"still in {esc(q.user_name)}'s balance.")


def refund_unconfirmed(q: RefundQuote) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"⏳ Telegram did not answer the refund of {_paid(q)} to {esc(q.user_name)}; it may have gone through. "
            f"{money(q.amount_cents)} stays held from their balance until Telegram confirms: press Try again "
            "(a refund already made is recognised, never paid twice).")
    return text, keyboard([[button("🔁 Try again", callbacks.make("ad", "rf", q.topup_id))]])


def refunded_notice(event, ctx: object = None) -> tuple[str, InlineKeyboardMarkup]:
    """topup.refunded, from its payload alone."""
    p = event.payload or {}
    paid = f"{int(p['paid_amount']):,} ⭐" if p.get("paid_currency") == "XTR" else money(int(p["amount_cents"]))
    back = "your Telegram Stars" if p.get("paid_currency") == "XTR" else "your original payment"
    return (f"↩️ Your top-up of {paid} was refunded to {back}; {money(int(p['amount_cents']))} left your balance.",
            keyboard([[button("💰 Balance", callbacks.make("m", "balance"))]]))


ALREADY = "This payment was already added to your balance."
CREDIT_USAGE = "Use: /credit <user id> <amount> <reason>, e.g. /credit 123456 10.00 refund for HIT 42"


CREDIT_REASON_TOO_LONG = "The reason can have at most {most} characters."
CREDIT_CANCELLED = "✖️ Cancelled; nothing was credited."
CREDIT_ALREADY = "That credit was already made."


def credit_confirm(name: str, user_id: int, cents: int, reason: str) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"💳 Credit <b>{money(cents)}</b> to {esc(name)} (id {user_id})?\nReason: {esc(reason)}\n"
            "Nothing moves until you confirm.")
    return text, keyboard([[button(f"✅ Credit {money(cents)}", callbacks.make("ad", "cr", user_id, cents)),
                            button("✖️ Cancel", callbacks.make("ad", "crx"))]])


def credit_done(name: str, user_id: int, cents: int, balance_cents: int) -> str:
    return f"Credited {money(cents)} to {esc(name)} (id {user_id}). Their balance: {money(balance_cents)}."
