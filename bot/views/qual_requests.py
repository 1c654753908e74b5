"""Qualification requests (core.quals.requests): the preview's 🙋 button, the worker's prompt, the
requester's notice with Grant / Refuse, and the worker's answer. Pure: everything shown comes from
the event or the core result handed in. The requester sees the worker only as their alias."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import _, _n, date_time
from bot.views.common import button, clip, esc, keyboard
from bot.views.notice_parts import Rendered

if TYPE_CHECKING:
    from core.models import OutboxEvent
    from core.quals.requests import Asked, Decided, Offer, TypeSettings

MAX_NAME_SHOWN = 80


def _name(name: object) -> str:
    return esc(clip(str(name), MAX_NAME_SHOWN))


def _cancel() -> list:
    return [button(_("✖️ Cancel"), callbacks.make("m", "cx"))]


# The preview ------------------------------------------------------------------------------------

def offer_lines(offers: list[Offer], tz: str | None = None) -> list[str]:
    lines = []
    for o in offers:
        if o.state == "waiting":
            lines.append(_("🙋 You asked for “{name}”; the requester has not answered yet.", name=_name(o.name)))
        elif o.state == "later" and o.ready_at is not None:
            lines.append(_("🙋 You can ask for “{name}” again from {when}.", name=_name(o.name),
                           when=date_time(o.ready_at, tz)))
    return lines


def offer_rows(hit_id: int, offers: list[Offer]) -> list[list]:
    """One button per qualification the worker may ask for now; with several, each names its own."""
    asks = [o for o in offers if o.state == "ask"]
    if len(asks) == 1:
        return [[button(_("🙋 Request this qualification"), callbacks.make("qr", "ask", hit_id, asks[0].qtype_id))]]
    return [[button(_("🙋 Request “{name}”", name=clip(o.name, 40)), callbacks.make("qr", "ask", hit_id, o.qtype_id))]
            for o in asks]


# The worker ------------------------------------------------------------------------------------

def ask_prompt(asked: Asked) -> tuple[str, InlineKeyboardMarkup]:
    text = _("🙋 Asking for “{name}”. Write a short message for the requester (up to 500 characters), or send "
             "the request without one. They will not see your Telegram name or username.", name=_name(asked.qtype.name))
    return text, keyboard([[button(_("📨 Send without a message"), callbacks.make("qr", "nm", asked.hit_id,
                                                                                 asked.qtype.id))], _cancel()])


def asked_text(asked: Asked) -> tuple[str, InlineKeyboardMarkup | None]:
    if asked.granted:
        return (_("🎓 “{name}” is granted: you can take the HIT now.", name=_name(asked.qtype.name)),
                keyboard([[button(_("👀 Preview the HIT"), callbacks.make("b", "v", asked.hit_id, 0))]]))
    return _("🙋 Your request for “{name}” was sent. You'll hear back here.", name=_name(asked.qtype.name)), None


def decided_notice(event: OutboxEvent) -> Rendered:
    p = event.payload or {}
    name = _name(p.get("name", ""))
    if p.get("granted"):
        text = _("🎓 Your request was granted: you now hold “{name}” (value {value}).", name=name, value=p.get("value"))
        hit_id = p.get("hit_id")
        markup = keyboard([[button(_("👀 Preview the HIT"), callbacks.make("b", "v", int(hit_id), 0))]]) if hit_id else None
        return text, markup
    text = _("Your request for “{name}” was refused.", name=name)
    if p.get("reason"):
        text += "\n" + _("Reason: {reason}", reason=esc(clip(str(p["reason"]), 1000)))
    return text, None


# The requester ---------------------------------------------------------------------------------

def _history(p: dict) -> str:
    approved, rejected = int(p.get("approved") or 0), int(p.get("rejected") or 0)
    line = _n("{n} approved", "{n} approved", approved) + " · " + _n("{n} rejected", "{n} rejected", rejected)
    if p.get("accuracy") is not None:
        line += " · " + _("control answers {pct}% right", pct=p["accuracy"])
    return _("With you so far: {history}", history=line)


def _card_text(p: dict) -> str:
    lines = [_("🙋 <b>{worker}</b> asks for your qualification “{name}”", worker=esc(clip(str(p.get("worker", "")), 40)),
               name=_name(p.get("name", "")))]
    if p.get("title"):
        lines.append(_("From the HIT “{title}”", title=esc(clip(str(p["title"]), 100))))
    lines.append(_history(p))
    if p.get("message"):
        lines.append(_("Their message: {message}", message=esc(clip(str(p["message"]), 500))))
    return "\n".join(lines)


def requested_notice(event: OutboxEvent) -> Rendered:
    return request_card(event.payload or {})


def request_card(p: dict) -> Rendered:
    """A request with Grant / another value / Refuse (the notice, and each one /qual requests lists)."""
    if not isinstance(p.get("request_id"), int):  # nothing to decide on: the card alone
        return _card_text(p), None
    rid, value = p["request_id"], int(p.get("value") or 1)
    grant = (_("✅ Grant (value {value})", value=value) if p.get("integer") else _("✅ Grant"))
    rows = [[button(grant, callbacks.make("qr", "g", rid, value))]]
    if p.get("integer"):
        rows.append([button(_("🔢 Grant another value"), callbacks.make("qr", "gv", rid))])
    rows.append([button(_("❌ Refuse"), callbacks.make("qr", "rf", rid))])
    return _card_text(p), keyboard(rows)


def decided_card(d: Decided) -> str:
    r = d.request
    if r.status == "granted":
        return _("✅ You granted “{name}” = {value} to {worker}; they were told.", name=_name(d.name), value=r.value,
                 worker=esc(d.worker))
    return _("❌ You refused {worker} “{name}”; they were told.", name=_name(d.name), worker=esc(d.worker))


def value_prompt() -> tuple[str, InlineKeyboardMarkup]:
    return _("Send the value to grant: a whole number from 0 to 1000000."), keyboard([_cancel()])


def reason_prompt(request_id: int) -> tuple[str, InlineKeyboardMarkup]:
    return (_("Why do you refuse? Write a reason for the worker (up to 1000 characters), or refuse without one."),
            keyboard([[button(_("Refuse without a reason"), callbacks.make("qr", "rn", request_id))], _cancel()]))


def not_a_value() -> str:
    return _("Send a whole number from 0 to 1000000.")


def waiting_header(total: int, shown: int) -> str:
    if not total:
        return _("🙋 No qualification requests wait for you.")
    head = _n("🙋 {n} qualification request waits for you.", "🙋 {n} qualification requests wait for you.", total)
    if shown < total:
        head += " " + _n("The oldest {n} is below.", "The oldest {n} are below.", shown)
    return head


# /qual auto and /qual retry ---------------------------------------------------------------------

def type_settings(s: TypeSettings) -> str:
    if s.qtype.auto_grant_value is None:
        auto = _("Requests for “{name}” wait for you: you grant or refuse each.", name=_name(s.qtype.name))
    else:
        auto = _("Requests for “{name}” are granted at once with the value {value}.", name=_name(s.qtype.name),
                 value=s.qtype.auto_grant_value)
    hours = s.retry_delay_s // 3600
    retry = (_n("A worker can ask again {n} hour after a request.", "A worker can ask again {n} hours after a request.",
                hours) if s.retry_delay_s % 3600 == 0 and hours else
             _n("A worker can ask again {n} second after a request.",
                "A worker can ask again {n} seconds after a request.", s.retry_delay_s))
    return auto + "\n" + retry


def settings_usage() -> str:
    return _("Use: /qual auto <name> on [value] · /qual auto <name> off · /qual retry <name> <delay, e.g. 12h>")
