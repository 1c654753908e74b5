"""/payout: where a worker's money goes (masked destinations, the default, the hold) and
auto-withdraw; the hold notice with its confirm button."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _
from bot.views.common import button, clip, duration, esc, fit, keyboard, money
from core.config import get_settings
from core.payments import rules
from core.payments.destinations import Destination, PayoutOverview
from core.payments.tax import TaxInfo

METHOD_NAMES = {"paypal": "PayPal", "sepa": N_("SEPA bank transfer (IBAN)"), "ach": N_("ACH bank transfer (US)"),
                "giftcard": N_("Gift card")}
# What follows `/payout add <method>` in each example: account identifiers, the same in every language.
EXAMPLE_ARGS = {"paypal": "name@example.com", "sepa": "DE89 3704 0044 0532 0130 00", "ach": "011000015 123456789",
                "giftcard": "|".join(rules.GIFTCARD_KINDS)}
# TRANSLATORS: keep "/payout tax" and the example; COUNTRY and TAX_ID are what the person types there.
TAX_USAGE = N_("/payout tax COUNTRY TAX_ID, e.g. /payout tax DE 36574261809")


def too_many_words() -> str:
    return _("That is too many words; see /payout for examples.")


def method_name(method: str) -> str:
    return _(METHOD_NAMES[method]) if method in METHOD_NAMES else esc(method)


def _example(method: str) -> str:
    """The command to type (its words are the handler's syntax, never translated)."""
    command = " ".join(("/payout", "add", method, EXAMPLE_ARGS.get(method, "")))
    if method == "ach":
        # TRANSLATORS: an example command, then what its two numbers are (a routing number, an account number).
        return _("{command}  (routing, account)", command=command)
    return command


def _usage_auto() -> str:
    ten = money(10 * 10 ** get_settings().currency_precision)
    return _("Auto-withdraw: /payout auto 10 (withdraw whenever your balance reaches {amount}) · /payout auto off",
             amount=ten)


def _method_line(method: str) -> str:
    s = get_settings()
    fee = rules.fee_cents(s, method)
    minimum = money(rules.minimum_cents(s, method))
    line = (_("• {method}: from {minimum}, fee {fee}", method=method_name(method), minimum=minimum, fee=money(fee))
            if fee else _("• {method}: from {minimum}, no fee", method=method_name(method), minimum=minimum))
    return f"{line}\n  <code>{esc(_example(method))}</code>"


def _destination_line(d: Destination) -> str:
    return _("⭐ {destination} (default)", destination=esc(d.masked)) if d.is_default else f"• {esc(d.masked)}"


def overview_text(dests: list[Destination], *, hold_until: datetime | None, now: datetime,
                  auto_cents: int | None, methods: tuple[str, ...]) -> str:
    lines = [_("🏦 <b>Where your money goes</b>")]
    if not methods:
        lines.append(_("Payouts are sent by this hitbot's payment service; there is nothing to set up."))
    elif dests:
        lines += [_destination_line(d) for d in dests]
    else:
        lines.append(_("No payout destination yet: add one to withdraw."))
    if hold_until is not None:
        wait = duration((hold_until - now).total_seconds())
        lines += ["", _("⏸ Payouts are on hold for {duration} more because a destination was added. "
                        "Confirm it below if it was you.", duration=wait)]
    lines += ["", _("🔁 Auto-withdraw: at {amount}", amount=money(auto_cents)) if auto_cents
              else _("🔁 Auto-withdraw: off")]
    if methods:
        lines += ["", _("<b>Add a destination</b> (it becomes your default; the message with the details is "
                        "deleted from this chat):")]
        lines += [_method_line(m) for m in methods]
    lines += ["", esc(_usage_auto())]
    return fit("\n".join(lines))


def overview_buttons(dests: list[Destination], *, now: datetime) -> InlineKeyboardMarkup:
    rows = []
    for d in dests:
        row = []
        if d.hold_until > now:
            row.append(button(_("✅ It was me: {destination}", destination=d.masked), callbacks.make("po", "ok", d.id)))
        if not d.is_default:
            row.append(button(_("⭐ Default: {destination}", destination=d.masked), callbacks.make("po", "def", d.id)))
        row.append(button(_("🗑 Remove {destination}", destination=d.masked), callbacks.make("po", "rm", d.id)))
        rows.append(row)
    return keyboard(rows)


def overview(o: PayoutOverview, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    text = overview_text(o.destinations, hold_until=o.hold_until, now=now, auto_cents=o.auto_cents,
                         methods=o.methods)
    if o.tax_threshold_cents or o.tax:
        text = fit(text + "\n\n" + tax_line(o.tax, o.tax_threshold_cents))
    return text, overview_buttons(o.destinations, now=now)


def tax_usage() -> str:
    return _(TAX_USAGE)


def tax_line(info: TaxInfo | None, threshold_cents: int) -> str:
    usage = esc(tax_usage())
    if info is not None:
        return _("🧾 Tax details: {country} {tax_id} (change: <code>{usage}</code>)", country=esc(info.country),
                 tax_id=esc(info.masked), usage=usage)
    return _("🧾 Payouts past {amount} a year need your tax details, given once: <code>{usage}</code>",
             amount=money(threshold_cents), usage=usage)


def tax_saved(info: TaxInfo) -> str:
    return _("🧾 Tax details saved: {country} {tax_id}. They are stored encrypted and never shown to requesters.",
             country=esc(info.country), tax_id=esc(info.masked))


def tax_needed(event, ctx: object = None) -> tuple[str, InlineKeyboardMarkup]:
    """tax.details_needed, from its payload alone: the year's payouts near the threshold."""
    p = event.payload or {}
    return (_("🧾 You have been paid {paid} this year. Payouts past {threshold} a year need your tax details "
              "(country of tax residence and tax id), given once: <code>{usage}</code>. The message is deleted "
              "from the chat and the details are stored encrypted.", paid=money(int(p["paid_cents"])),
              threshold=money(int(p["threshold_cents"])), usage=esc(tax_usage())),
            keyboard([[button(_("🏦 Payout settings"), callbacks.make("po", "menu"))]]))


def added(d: Destination) -> str:
    """The chat's reply; the security notice with the confirm button comes through the outbox."""
    return _("✅ Saved <b>{destination}</b>; it is your default payout destination now.", destination=esc(d.masked))


def hold_notice(*, destination_id: int, masked: str, hold_until: datetime, now: datetime,
                ) -> tuple[str, InlineKeyboardMarkup]:
    """Sent through the outbox, so every device of the account shows it: whoever holds the
    account learns of the change and only the owner's confirm lifts the hold."""
    first = _("🔐 Payout destination added: <b>{destination}</b> (your default now).", destination=esc(masked))
    if hold_until > now:
        wait = duration((hold_until - now).total_seconds())
        first += " " + _("For your safety new payouts are on hold for {duration}.", duration=wait)
    text = first + "\n" + _("If this wasn't you, don't confirm: remove it in /payout and tell us with /help. "
                            "If it was you, confirm to lift the hold now.")
    return text, keyboard([[button(_("✅ Yes, it was me"), callbacks.make("po", "ok", destination_id))],
                           [button(_("🏦 Payout settings"), callbacks.make("po", "menu"))]])


def destination_added(event, ctx: object = None) -> tuple[str, InlineKeyboardMarkup]:
    """The payout.destination_added notice, from its payload alone (needs nothing read at delivery)."""
    p = event.payload or {}
    return hold_notice(destination_id=int(p["destination_id"]), masked=clip(str(p["masked"]), 64),
                       hold_until=datetime.fromisoformat(str(p["hold_until"])), now=event.created_at)


def confirmed(d: Destination) -> str:
    return _("✅ Thanks: {destination} is confirmed and payouts can go now. /withdraw", destination=esc(d.masked))


def made_default(d: Destination) -> str:
    return _("⭐ {destination} is your default payout destination now.", destination=esc(d.masked))


def removed(d: Destination) -> str:
    return _("🗑 Removed {destination}. Payouts already on their way there still arrive.", destination=esc(d.masked))


def auto_set(threshold_cents: int | None) -> str:
    if not threshold_cents:
        return _("🔁 Auto-withdraw is off.")
    return _("🔁 Auto-withdraw is on: whenever your available balance reaches {amount}, all of it is paid out to "
             "your default destination.", amount=money(threshold_cents))
