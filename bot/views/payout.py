"""/payout: where a worker's money goes (masked destinations, the default, the hold) and
auto-withdraw; the hold notice with its confirm button."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, clip, duration, esc, fit, keyboard, money
from core.config import get_settings
from core.payments import rules
from core.payments.destinations import Destination, PayoutOverview
from core.payments.tax import TaxInfo

METHOD_NAMES = {"paypal": "PayPal", "sepa": "SEPA bank transfer (IBAN)", "ach": "ACH bank transfer (US)",
                "giftcard": "Gift card"}
EXAMPLES = {"paypal": "/payout add paypal name@example.com",
            "sepa": "/payout add sepa DE89 3704 0044 0532 0130 00",
            "ach": "/payout add ach 011000015 123456789  (routing, account)",
            "giftcard": "/payout add giftcard " + "|".join(rules.GIFTCARD_KINDS)}
USAGE_AUTO = "Auto-withdraw: /payout auto 10 (withdraw whenever your balance reaches $10.00) · /payout auto off"
TOO_MANY_WORDS = "That is too many words; see /payout for examples."


def _method_line(method: str) -> str:
    s = get_settings()
    fee = rules.fee_cents(s, method)
    fee_text = f", fee {money(fee)}" if fee else ", no fee"
    return (f"• {METHOD_NAMES[method]}: from {money(rules.minimum_cents(s, method))}{fee_text}\n"
            f"  <code>{esc(EXAMPLES[method])}</code>")


def _destination_line(d: Destination) -> str:
    star = "⭐ " if d.is_default else "• "
    return f"{star}{esc(d.masked)}" + (" (default)" if d.is_default else "")


def overview_text(dests: list[Destination], *, hold_until: datetime | None, now: datetime,
                  auto_cents: int | None, methods: tuple[str, ...]) -> str:
    lines = ["🏦 <b>Where your money goes</b>"]
    if not methods:
        lines.append("Payouts are sent by this hitbot's payment service; there is nothing to set up.")
    elif dests:
        lines += [_destination_line(d) for d in dests]
    else:
        lines.append("No payout destination yet: add one to withdraw.")
    if hold_until is not None:
        wait = duration((hold_until - now).total_seconds())
        lines += ["", (f"⏸ Payouts are on hold for {wait} more because a destination was added. "
                       "Confirm it below if it was you.")]
    lines += ["", f"🔁 Auto-withdraw: at {money(auto_cents)}" if auto_cents else "🔁 Auto-withdraw: off"]
    if methods:
        lines += ["", ("<b>Add a destination</b> (it becomes your default; the message with the details is "
                       "deleted from this chat):")]
        lines += [_method_line(m) for m in methods]
    lines += ["", esc(USAGE_AUTO)]
    return fit("\n".join(lines))


def overview_buttons(dests: list[Destination], *, now: datetime) -> InlineKeyboardMarkup:
    rows = []
    for d in dests:
        row = []
        if d.hold_until > now:
            row.append(button(f"✅ It was me: {d.masked}", callbacks.make("po", "ok", d.id)))
        if not d.is_default:
            row.append(button(f"⭐ Default: {d.masked}", callbacks.make("po", "def", d.id)))
        row.append(button(f"🗑 Remove {d.masked}", callbacks.make("po", "rm", d.id)))
        rows.append(row)
    return keyboard(rows)


def overview(o: PayoutOverview, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    text = overview_text(o.destinations, hold_until=o.hold_until, now=now, auto_cents=o.auto_cents,
                         methods=o.methods)
    if o.tax_threshold_cents or o.tax:
        text = fit(text + "\n\n" + tax_line(o.tax, o.tax_threshold_cents))
    return text, overview_buttons(o.destinations, now=now)


TAX_USAGE = "/payout tax COUNTRY TAX_ID, e.g. /payout tax DE 36574261809"


def tax_line(info: TaxInfo | None, threshold_cents: int) -> str:
    if info is not None:
        return f"🧾 Tax details: {esc(info.country)} {esc(info.masked)} (change: <code>{esc(TAX_USAGE)}</code>)"
    return (f"🧾 Payouts past {money(threshold_cents)} a year need your tax details, given once: "
            f"<code>{esc(TAX_USAGE)}</code>")


def tax_saved(info: TaxInfo) -> str:
    return (f"🧾 Tax details saved: {esc(info.country)} {esc(info.masked)}. They are stored encrypted and never "
            "shown to requesters.")


def tax_needed(event, ctx: object = None) -> tuple[str, InlineKeyboardMarkup]:
    """tax.details_needed, from its payload alone: the year's payouts near the threshold."""
    p = event.payload or {}
    return ((f"🧾 You have been paid {money(int(p['paid_cents']))} this year. Payouts past "
            f"{money(int(p['threshold_cents']))} a year need your tax details (country of tax residence and tax "
            f"id), given once: <code>{esc(TAX_USAGE)}</code>. The message is deleted from the chat and the "
            "details are stored encrypted."),
            keyboard([[button("🏦 Payout settings", callbacks.make("po", "menu"))]]))


def added(d: Destination) -> str:
    """The chat's reply; the security notice with the confirm button comes through the outbox."""
    return f"✅ Saved <b>{esc(d.masked)}</b>; it is your default payout destination now."


def hold_notice(*, destination_id: int, masked: str, hold_until: datetime, now: datetime,
                ) -> tuple[str, InlineKeyboardMarkup]:
    """Sent through the outbox, so every device of the account shows it: whoever holds the
    account learns of the change and only the owner's confirm lifts the hold."""
    wait = duration((hold_until - now).total_seconds())
    held = f"For your safety new payouts are on hold for {wait}." if hold_until > now else ""
    text = (f"🔐 Payout destination added: <b>{esc(masked)}</b> (your default now). {held}\n"
            "If this wasn't you, don't confirm: remove it in /payout and tell us with /help. "
            "If it was you, confirm to lift the hold now.")
    return text, keyboard([[button("✅ Yes, it was me", callbacks.make("po", "ok", destination_id))],
                           [button("🏦 Payout settings", callbacks.make("po", "menu"))]])


def destination_added(event, ctx: object = None) -> tuple[str, InlineKeyboardMarkup]:
    """The payout.destination_added notice, from its payload alone (needs nothing read at delivery)."""
    p = event.payload or {}
    return hold_notice(destination_id=int(p["destination_id"]), masked=clip(str(p["masked"]), 64),
                       hold_until=datetime.fromisoformat(str(p["hold_until"])), now=event.created_at)


def confirmed(d: Destination) -> str:
    return f"✅ Thanks: {esc(d.masked)} is confirmed and payouts can go now. /withdraw"


def made_default(d: Destination) -> str:
    return f"⭐ {esc(d.masked)} is your default payout destination now."


def removed(d: Destination) -> str:
    return f"🗑 Removed {esc(d.masked)}. Payouts already on their way there still arrive."


def auto_set(threshold_cents: int | None) -> str:
    if not threshold_cents:
        return "🔁 Auto-withdraw is off."
    return (f"🔁 Auto-withdraw is on: whenever your available balance reaches {money(threshold_cents)}, "
            "all of it is paid out to your default destination.")
