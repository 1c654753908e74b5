"""/topup (a Telegram Payments invoice, by card or in Stars), the admin's /credit and /refund."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n, date_time, number
from bot.views.common import button, esc, keyboard, money
from core.payments.accounts import Balances
from core.payments.topups import RefundQuote

PRESET_UNITS = (5, 10, 25, 50, 100)  # in whole currency units
PRESET_STARS = (50, 250, 1000)
# Telegram's invoice limits: a title of 1-32 characters, a description of 1-255.
INVOICE_TITLE_MAX, INVOICE_DESCRIPTION_MAX = 32, 255


def not_configured(user_id: int) -> str:
    return _("Payments aren't set up on this bot yet. An admin can add funds to your balance "
             "(/credit); ask them and give your user id: {user_id}.", user_id=user_id)


def invoice_title() -> str:
    # TRANSLATORS: the title of Telegram's payment form, at most 32 characters.
    return _("hitbot balance top-up")


def _ways(low: int, high: int, card: bool, stars_rate_cents: int | None) -> str:
    if card and stars_rate_cents:
        return _("How much do you want to add? Choose below, or type e.g. <code>/topup 12.50</code> ({low} to "
                 "{high}) or pay in Telegram Stars (1 ⭐ = {rate}), e.g. <code>/topup stars 250</code>.",
                 low=money(low), high=money(high), rate=money(stars_rate_cents))
    if stars_rate_cents:
        return _("How much do you want to add? Choose below, or pay in Telegram Stars (1 ⭐ = {rate}), "
                 "e.g. <code>/topup stars 250</code>.", rate=money(stars_rate_cents))
    return _("How much do you want to add? Choose below, or type e.g. <code>/topup 12.50</code> ({low} to {high}).",
             low=money(low), high=money(high))


def topup_menu(balances: Balances, precision_factor: int, low: int, high: int, *, card: bool = True,
               stars_rate_cents: int | None = None) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join([
        _("💰 Your balance: {available} available, {escrow} in escrow.", available=money(balances.available_cents),
          escrow=money(balances.escrow_cents)),
        _ways(low, high, card, stars_rate_cents),
        _("Money you top up pays for HITs; it can't be withdrawn (an admin can refund what is unspent)."),
    ])
    rows = []
    if card:
        buttons = [button(money(units * precision_factor), callbacks.make("r", "tu", units * precision_factor))
                   for units in PRESET_UNITS]
        rows += [buttons[:3], buttons[3:]]
    if stars_rate_cents:
        rows.append([button(f"⭐ {number(n)} = {money(n * stars_rate_cents)}", callbacks.make("r", "ts", n))
                     for n in PRESET_STARS])
    return text, keyboard(rows)


def stars_number() -> str:
    return _("Give a whole number of Stars, e.g. /topup stars 250.")


def usage(*, card: bool, stars: bool) -> str:
    if card and stars:
        return _("Use /topup 12.50 or /topup stars 250, or /topup to choose.")
    if card:
        return _("Use /topup 12.50, or /topup to choose.")
    return _("Use /topup stars 250, or /topup to choose.")


def price_label(stars: bool) -> str:
    return _("Balance top-up (Stars)") if stars else _("Balance top-up")


def invoice_description(cents: int, stars: int | None = None) -> str:
    """The payment form's description: at most 255 characters (Telegram's limit)."""
    if stars is not None:
        return _n("{n} ⭐ adds {amount} to your hitbot balance, for rewards and fees of the HITs you post "
                  "(not withdrawable).",
                  "{n} ⭐ add {amount} to your hitbot balance, for rewards and fees of the HITs you post "
                  "(not withdrawable).", stars, amount=money(cents))
    return _("Adds {amount} to your hitbot balance, for rewards and fees of the HITs you post.", amount=money(cents))


def credited(cents: int, balance_cents: int, *, stars: int | None = None, charge_id: str = "") -> str:
    if stars is not None:
        text = _n("✅ Payment received: {amount} added for {n} ⭐. Your balance is now {balance}.",
                  "✅ Payment received: {amount} added for {n} ⭐. Your balance is now {balance}.", stars,
                  amount=money(cents), balance=money(balance_cents))
    else:
        text = _("✅ Payment received: {amount} added. Your balance is now {balance}.", amount=money(cents),
                 balance=money(balance_cents))
    if charge_id:
        text += "\n" + _("Payment reference: {reference}", reference=charge_id)
    return text


def unmatched(charge_id: str) -> str:
    return _("We received a payment we couldn't match; an admin will sort it out. Reference: {reference}",
             reference=charge_id)


def already() -> str:
    return _("This payment was already added to your balance.")


def admins_only() -> str:
    return _("Only admins can do that.")


def refund_usage() -> str:
    return _("Use: /refund <payment reference>, as shown to the payer (e.g. /refund sbx_0f3a...).")


def refund_cancelled() -> str:
    return _("✖️ Cancelled; nothing was refunded.")


def refunded_toast() -> str:
    return _("Refunded.")


def _stars(n: int) -> str:
    return f"{number(n)} ⭐"


def _paid(q: RefundQuote) -> str:
    return _stars(q.paid_amount) if q.paid_currency == "XTR" else money(q.amount_cents)


def refund_confirm(q: RefundQuote) -> tuple[str, InlineKeyboardMarkup]:
    values = {"paid": _paid(q), "amount": money(q.amount_cents), "name": esc(q.user_name), "user_id": q.user_id,
                  "topup_id": q.topup_id, "date": date_time(q.created_at, format="medium"),
                  "unspent": money(q.prepaid_cents)}
    if q.source == "stars":
        text = _("↩️ Refund <b>{paid}</b> ({amount} of balance) to {name} (id {user_id}), top-up #{topup_id} of "
                 "{date}?\n{amount} leaves their balance ({unspent} of it is unspent top-ups); Telegram gives the "
                 "Stars back.\nNothing moves until you confirm.", **values)
    else:
        text = _("↩️ Refund <b>{paid}</b> ({amount} of balance) to {name} (id {user_id}), top-up #{topup_id} of "
                 "{date}?\n{amount} leaves their balance ({unspent} of it is unspent top-ups); recorded here; "
                 "return the card payment through your payment provider.\nNothing moves until you confirm.",
                 **values)
    return text, keyboard([[button(_("✅ Refund {amount}", amount=money(q.amount_cents)),
                                   callbacks.make("ad", "rf", q.topup_id)),
                            button(_("✖️ Cancel"), callbacks.make("ad", "rfx"))]])


def refund_done(q: RefundQuote) -> str:
    if q.source == "stars":
        return _("↩️ Refunded {paid} to {name} (id {user_id}); the Stars are back with them.", paid=_paid(q),
                 name=esc(q.user_name), user_id=q.user_id)
    return _("↩️ Refunded {paid} to {name} (id {user_id}); return the payment through your provider.",
             paid=_paid(q), name=esc(q.user_name), user_id=q.user_id)


def refund_refused(q: RefundQuote, reason: str) -> str:
    return _("⚠️ Telegram did not refund the Stars ({reason}); nothing moved, {amount} is still in {name}'s balance.",
             reason=esc(reason), amount=money(q.amount_cents), name=esc(q.user_name))


def refund_unconfirmed(q: RefundQuote) -> tuple[str, InlineKeyboardMarkup]:
    text = _("⏳ Telegram did not answer the refund of {paid} to {name}; it may have gone through. {amount} stays "
             "held from their balance until Telegram confirms: press Try again (a refund already made is "
             "recognised, never paid twice).", paid=_paid(q), name=esc(q.user_name), amount=money(q.amount_cents))
    return text, keyboard([[button(_("🔁 Try again"), callbacks.make("ad", "rf", q.topup_id))]])


def refunded_notice(event, ctx: object = None) -> tuple[str, InlineKeyboardMarkup]:
    """topup.refunded, from its payload alone."""
    p = event.payload or {}
    amount = money(int(p["amount_cents"]))
    if p.get("paid_currency") == "XTR":
        text = _("↩️ Your top-up of {paid} was refunded to your Telegram Stars; {amount} left your balance.",
                 paid=_stars(int(p["paid_amount"])), amount=amount)
    else:
        text = _("↩️ Your top-up of {paid} was refunded to your original payment; {amount} left your balance.",
                 paid=amount, amount=amount)
    return text, keyboard([[button(_("💰 Balance"), callbacks.make("m", "balance"))]])


# /credit (admins): bot/handlers/admin.py
CREDIT_USAGE = N_("Use: /credit <user id> <amount> <reason>, e.g. /credit 123456 10.00 refund for HIT 42")
CREDIT_REASON_TOO_LONG = N_("The reason can have at most {most} characters.")
CREDIT_CANCELLED = N_("✖️ Cancelled; nothing was credited.")
CREDIT_ALREADY = N_("That credit was already made.")


def credit_usage() -> str:
    return _(CREDIT_USAGE)


def credit_reason_too_long(most: int) -> str:
    return _(CREDIT_REASON_TOO_LONG, most=most)


def credit_cancelled() -> str:
    return _(CREDIT_CANCELLED)


def credit_already() -> str:
    return _(CREDIT_ALREADY)


def credit_confirm(name: str, user_id: int, cents: int, reason: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("💳 Credit <b>{amount}</b> to {name} (id {user_id})?\nReason: {reason}\nNothing moves until you confirm.",
             amount=money(cents), name=esc(name), user_id=user_id, reason=esc(reason))
    return text, keyboard([[button(_("✅ Credit {amount}", amount=money(cents)), callbacks.make("ad", "cr", user_id, cents)),
                            button(_("✖️ Cancel"), callbacks.make("ad", "crx"))]])


def credit_done(name: str, user_id: int, cents: int, balance_cents: int) -> str:
    return _("Credited {amount} to {name} (id {user_id}). Their balance: {balance}.", amount=money(cents),
             name=esc(name), user_id=user_id, balance=money(balance_cents))
