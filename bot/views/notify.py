"""Notifications: an outbox event rendered as the chat message its recipient gets.

`render(event, ctx)` takes the event and what core read for it at delivery
(core.notices.notice_context: rated yet, appeal open, time zone, the submission card...);
`None` means nothing to send. It never reads the database (bot.notices puts the two
together). Every kind core emits has a renderer here (tests/unit/views/test_notify.py
checks that against the source)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n
from bot.views import auto_decisions, digest, followup, messages, payout, qual_requests, revisions, topup
from bot.views.common import (
    MAX_TEXT,
    button,
    clip,
    countdown,
    duration,
    esc,
    esc_clip,
    fit,
    keyboard,
    local_time,
    money,
)
from bot.views.notice_parts import (
    FILES_HINT,
    REASON,
    Rendered,
    _p,
    _title,
    balance_row,
    browse_row,
    mywork_row,
)
from bot.views.quals import appeal_card
from bot.views.review import render_card
from bot.views.work import auto_approval_text
from core.errors import HitbotError

if TYPE_CHECKING:
    from core.models import OutboxEvent
    from core.notices import NoticeContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    chat_id: int
    text: str  # HTML, under 4096 characters
    reply_markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a file_id relayed with the text as its caption (a message's photo)
    document: str | None = None


def render(event: OutboxEvent, ctx: NoticeContext) -> Notice | None:
    renderer = RENDERERS.get(event.kind)
    if renderer is None:
        log.warning("no notification text for event kind %r (event %s)", event.kind, event.id)
        return None
    chat_id = event.user_id
    if chat_id is None:
        return None
    try:
        out = renderer(event, ctx)
    except (HitbotError, KeyError, TypeError, ValueError):
        # What it was about is gone or the payload is malformed: nothing
        # sensible to send, and retrying would not help.
        log.warning("could not render event %s (%s)", event.id, event.kind, exc_info=True)
        return None
    if out is None:
        return None
    text, markup = out
    files = messages.attachment(event) if event.kind == "message.received" else {}
    return Notice(chat_id=int(chat_id), text=fit(text), reply_markup=markup, **files)


# Helpers -----------------------------------------------------------------------------------

def _amount(p: dict) -> str:
    return money(int(p.get("amount_cents") or 0))


def _reason(text: object, limit: int = 1000) -> str:
    """What someone wrote, escaped in at most `limit` characters (an entity is never cut)."""
    return esc_clip(str(text or "").strip() or "—", limit)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # how Telegram counts a message's length


def _escaped_within(text: str, budget: int) -> str:
    """The longest start of `text` whose escaped form takes at most `budget` UTF-16 units: a message
    full of "<" or emoji still fits, and no entity is cut."""
    if _units(esc(text)) <= budget:
        return esc(text)
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _units(esc(text[:mid])) + 1 <= budget:
            lo = mid
        else:
            hi = mid - 1
    return esc(text[:lo]) + "…"


def rating_buttons(assignment_id: int) -> list:
    return [button("★" * n, callbacks.make("rt", "s", assignment_id, n)) for n in range(1, 6)]


def _rating_row(assignment_id: object, rated: bool) -> list:
    """Stars to rate the requester, unless this work was already rated."""
    return [] if assignment_id is None or rated else rating_buttons(int(assignment_id))


def without_rating(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The notice's keyboard once the stars are given: Appeal, Balance... stay."""
    rows = markup.inline_keyboard if markup else ()
    keep = [[b for b in row if not str(b.callback_data or "").startswith("rt:")] for row in rows]
    return keyboard(keep) if any(keep) else None


def without_appeal(markup: InlineKeyboardMarkup | None) -> list[list[dict]]:
    """A notice's buttons once its Appeal was used, as plain rows (kept with the typed-input
    wait until the appeal is sent)."""
    rows = markup.inline_keyboard if markup else ()
    return [[b.to_dict() for b in row if not str(b.callback_data or "").startswith("q:apl:")] for row in rows]


def keyboard_of(rows: list, *, rated: bool = False) -> InlineKeyboardMarkup | None:
    """Buttons kept by `without_appeal`; the stars go too if the work was rated meanwhile."""
    kept = [[InlineKeyboardButton.de_json(b, None) for b in row
             if not (rated and str(b.get("callback_data") or "").startswith("rt:"))] for row in rows]
    return keyboard(kept) if any(kept) else None


def rated_text(stars: int) -> str:
    return _("Thanks! You rated this requester {stars}. It helps other workers choose.",
             stars="★" * stars + "☆" * (5 - stars))


RATE_THEM = N_("How was this requester? Rate them:")


# Worker ------------------------------------------------------------------------------------

def _submitted(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    if p.get("shown"):
        return None  # submitted in the chat, whose message already says so (issue #17: messages per HIT)
    when = auto_approval_text(p.get("auto_approve_s", ctx.auto_approve_s))
    return _("📨 Submitted: {title}. The requester will review it.", title=_title(p, ctx)) + when, \
        keyboard([mywork_row()])


def _approved(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    values = {"title": _title(p, ctx), "amount": _amount(p)}
    if p.get("auto"):
        head = _("✅ Your work on {title} was approved (approved automatically): <b>+{amount}</b>.", **values)
    elif p.get("reversed"):
        head = _("✅ Your work on {title} was approved (the earlier rejection was reversed): <b>+{amount}</b>.",
                 **values)
    else:
        head = _("✅ Your work on {title} was approved: <b>+{amount}</b>.", **values)
    lines = [head]
    feedback = p.get("feedback", ctx.feedback)
    if feedback:
        lines.append(_("Feedback: {feedback}", feedback=_reason(feedback)))
    rows = [_rating_row(p.get("assignment_id"), ctx.rated)]
    if rows[0]:
        lines.append(_(RATE_THEM))
    return "\n".join(lines), keyboard(rows + [balance_row()])


def _rejected(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    aid = p.get("assignment_id")
    can_appeal = aid is not None and ctx.can_appeal
    head = (_("❌ Your work on {title} was rejected automatically by the requester's quality rule.",
              title=_title(p, ctx)) if p.get("auto") else
            _("❌ Your work on {title} was rejected.", title=_title(p, ctx)))
    lines = [head, _(REASON, reason=_reason(p.get("feedback")))]
    if can_appeal:
        lines.append(_("You think that's wrong? You can appeal; the requester can still approve it."))
    elif aid is not None and ctx.appealed:
        lines.append(_(APPEALED))
    rating = _rating_row(aid, ctx.rated)
    if rating:
        lines.append(_(RATE_THEM))
    return "\n".join(lines), rejection_markup(assignment_id=aid, can_appeal=can_appeal, rated=ctx.rated)


APPEALED = N_("✉️ You appealed; the requester's answer will come here.")


def rejection_markup(*, assignment_id: object, can_appeal: bool, rated: bool) -> InlineKeyboardMarkup:
    """The rejection notice's buttons: stars until rated, Appeal until appealed."""
    if assignment_id is None:
        return keyboard([])
    appeal = [button(_("✉️ Appeal"), callbacks.make("q", "apl", int(assignment_id)))] if can_appeal else []
    return keyboard([_rating_row(assignment_id, rated), appeal])


def _reminder(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    try:
        deadline = datetime.fromisoformat(str(p.get("deadline")))
    except ValueError:
        deadline = None
    go = ([button(_("▶️ Continue"), callbacks.make("w", "go", int(p["assignment_id"])))]
          if p.get("assignment_id") else [])
    if deadline:
        text = _("⏰ Don't forget {title}: submit it by {time} ({left}), or it expires and the slot goes to "
                 "someone else.", title=_title(p, ctx), time=local_time(deadline, ctx.timezone, now=e.created_at),
                 left=countdown(deadline, e.created_at))
    else:
        text = _("⏰ Don't forget {title}: submit it, or it expires and the slot goes to someone else.",
                 title=_title(p, ctx))
    return text, keyboard([go + mywork_row()])


def _expired(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    return (_("⌛ Time ran out on {title}; the assignment was released. No harm done: find another HIT.",
              title=_title(_p(e), ctx)), keyboard([browse_row()]))


def _bonus(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (_("🎁 Bonus <b>+{amount}</b> for your work on {title}.", amount=_amount(p), title=_title(p, ctx)) + "\n"
            + _("From the requester: {reason}", reason=_reason(p.get("reason"), 500)), keyboard([balance_row()]))


def _requester_message(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    """NotifyWorkers (MTurk API): a requester the worker worked for writes; fits one message."""
    p = _p(e)
    name = esc(clip(str(p.get("requester_name") or ""), 60)) or _("a requester")
    top = (f"✉️ <b>{esc_clip(str(p.get('subject') or ''), 200)}</b>\n"
           + _("From {name}, a requester you worked for:", name=name) + "\n\n")
    return top + _escaped_within(str(p.get("text") or ""), MAX_TEXT - _units(top)), keyboard([browse_row()])


def _credited(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    if p.get("reason") == "top-up":
        return None  # the payer was told in the chat where they paid ("✅ Payment received ..."): once is enough
    return (_("💰 <b>+{amount}</b> added to your balance ({reason}).", amount=_amount(p),
              reason=_reason(p.get("reason"), 300)), keyboard([balance_row()]))


def _low(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    left = _p(e).get("available_cents")
    if isinstance(left, int):
        text = _("⚠️ Your balance is low: <b>{amount}</b> left. Top up with /topup to keep posting HITs and "
                 "paying bonuses.", amount=money(left))
    else:
        text = _("⚠️ Your balance is low. Top up with /topup to keep posting HITs and paying bonuses.")
    return text, keyboard([balance_row()])


def _payout_requested(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (_("💸 Payout #{id} of {amount} requested; we'll tell you when it is sent.", id=p.get("payout_id"),
              amount=_amount(p)), None)


def _payout_paid(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (_("✅ Payout #{id} sent: <b>{amount}</b> is on its way to you.", id=p.get("payout_id"),
              amount=_amount(p)), keyboard([balance_row()]))


def _payout_failed(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (_("⚠️ Payout #{id} of {amount} could not be sent: {reason}.\nThe money is back in your available "
              "balance; try /withdraw again later.", id=p.get("payout_id"), amount=_amount(p),
              reason=_reason(p.get("reason"), 300)), keyboard([balance_row()]))


def _qual_granted(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    name = esc(clip(str(p.get("name", "")), 80))
    if p.get("value") is not None:
        text = _("🎓 You now hold the qualification <b>{name}</b> (score {score}). More HITs may be open to you.",
                 name=name, score=esc(p["value"]))
    else:
        text = _("🎓 You now hold the qualification <b>{name}</b>. More HITs may be open to you.", name=name)
    return text, keyboard([browse_row()])


def _qual_revoked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    text = _("🎓 The qualification <b>{name}</b> was taken away from you.", name=esc(clip(str(p.get("name", "")), 80)))
    if p.get("reason"):  # from the MTurk API
        text += "\n" + _(REASON, reason=_reason(p["reason"]))
    return text, None


def _appeal_decided(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    title = _title(p, ctx)
    if p.get("approved"):
        return (_("✅ Your appeal on {title} was accepted: the work is approved and paid.", title=title),
                keyboard([balance_row()]))
    return _("❌ Your appeal on {title} was turned down; the rejection stands.", title=title), None


MISSED_ROOM = 3300  # characters of missed notices one summary carries (Telegram's limit is 4096)
MISSED = N_("📬 While you had blocked the bot, we couldn't tell you:")


def _missed(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    """What a user missed while they had blocked the bot, told once they are back: each notice as
    it reads now, oldest first, in one message."""
    p = _p(e)
    ids = [int(i) for i in p.get("event_ids") or []]
    shown = [n for n in (render(row, row_ctx) for row, row_ctx in ctx.missed) if n is not None]
    if not shown:
        return None
    if len(shown) == 1 and int(p.get("count") or 1) <= 1:
        return _(MISSED) + "\n\n" + shown[0].text, shown[0].reply_markup
    parts, room = [], MISSED_ROOM
    for n in reversed(shown):  # the latest first when not all fit
        if len(n.text) + 2 > room:
            break
        parts.insert(0, n.text)
        room -= len(n.text) + 2
    more = int(p.get("count") or len(ids)) - len(parts) - (len(ids) - len(shown))
    text = _(MISSED) + "\n\n" + "\n\n".join(parts)
    if more > 0:
        text += "\n\n" + _n("…and {n} earlier notice: see /mywork and /balance.",
                            "…and {n} earlier notices: see /mywork and /balance.", more)
    return text, keyboard([mywork_row() + balance_row()])


def _alert(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    hit_id = int(p.get("hit_id") or 0)
    title = esc(clip(str(p.get("title") or _("HIT #{id}", id=hit_id)), 100))
    facts = [money(int(p.get("reward_cents") or 0)), _("{duration} allowed", duration=duration(int(p.get("duration_s") or 0)))]
    if p.get("hourly_cents"):
        facts.append(_("≈{amount}/hour", amount=money(int(p["hourly_cents"]))))
    available = int(p.get("available") or 0)
    head = (_("🔔 New HIT for your alert: <b>{title}</b>", title=title) if available <= 1 else  # one line per group
            _n("🔔 New for your alert: <b>{title}</b>, {n} HIT available",
               "🔔 New for your alert: <b>{title}</b>, {n} HITs available", available, title=title, n=available))
    text = "\n".join([head, " · ".join(facts), _("Mute or change alerts with /alerts.")])
    return text, keyboard([alert_buttons(hit_id, p.get("alert_id"))])


def alert_buttons(hit_id: int, alert_id: object = None) -> list:
    row = [button(_("👀 Preview"), callbacks.make("b", "v", hit_id, 0))]
    if alert_id:
        row.append(button(_("🔕 Mute this alert"), callbacks.make("al", "mt", int(alert_id), hit_id)))
    return row


# Requester ---------------------------------------------------------------------------------

def _received(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    if ctx.review_mode == "digest":
        return None  # they chose the periodic review digest over a message per submission
    if ctx.submission is None:
        return None  # the work is gone
    text, markup, attachments = render_card(ctx.submission, now=e.created_at)
    if attachments:
        text += "\n\n" + _(FILES_HINT)
    return text, markup


def _appeal_received(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    if ctx.appeal is None:
        return None  # the appeal is gone
    c = ctx.appeal
    text, markup = appeal_card(c.appeal, c.hit_title, c.worker_name, c.feedback)
    return _("✉️ A worker appealed your rejection.") + "\n" + text, markup


def _completed(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    hit_id = _p(e).get("hit_id")
    return (_("🏁 All assignments of {title} are done and approved.", title=_title(_p(e), ctx)),
            keyboard([[button(_("📥 Download results"), callbacks.make("r", "res", int(hit_id)))]]) if hit_id else None)


def _hit_expired(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    refund = int(p.get("refund_cents") or 0)
    values = {"title": _title(p, ctx), "amount": money(refund)}
    if p.get("early"):
        text = (_("⌛ {title} was ended early; {amount} of unused escrow is back in your balance.", **values)
                if refund else _("⌛ {title} was ended early.", **values))
    else:
        text = (_("⌛ {title} expired; {amount} of unused escrow is back in your balance.", **values)
                if refund else _("⌛ {title} expired.", **values))
    return text, None


def _published(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    # Addressed to nobody: the requester saw "Published" in the chat that did it (/newhit,
    # /batch, also for background batches), and workers hear through their alerts (alert.hit).
    return None


def event_only(fn: Callable[[OutboxEvent], Rendered]) -> Callable[[OutboxEvent, NoticeContext], Rendered]:
    """A renderer that needs nothing but its event's payload, in the table's shape."""
    return lambda event, ctx: fn(event)


def _no_message(event: OutboxEvent, ctx: NoticeContext) -> Rendered:
    """cards.refresh edits the cards that show an object (jobs.cards); it sends no message."""
    return None


# The one table: event kind -> the renderer of its notification.
RENDERERS: dict[str, Callable[[OutboxEvent, NoticeContext], Rendered]] = {
    "submission.confirmed": _submitted,
    "assignment.approved": _approved,
    "assignment.rejected": _rejected,
    "assignment.reminder": _reminder,
    "assignment.expired": _expired,
    "bonus.paid": _bonus,
    "requester.message": _requester_message,
    "message.received": messages.received,
    "followup.offered": event_only(followup.offered_notice),  # a private HIT for this worker, with Preview
    "balance.credited": _credited,
    "balance.low": _low,
    "payout.requested": _payout_requested,
    "payout.paid": _payout_paid,
    "payout.failed": _payout_failed,
    "payout.destination_added": event_only(payout.destination_added),  # the hold notice with its confirm button
    "tax.details_needed": event_only(payout.tax_needed),  # the year's payouts near HITBOT_TAX_THRESHOLD_CENTS
    "topup.refunded": event_only(topup.refunded_notice),  # an admin's /refund of a top-up
    "qualification.granted": _qual_granted,
    "qualification.revoked": _qual_revoked,
    "qualification.requested": event_only(qual_requests.requested_notice),  # Grant / Refuse for the requester
    "qualification.request_decided": event_only(qual_requests.decided_notice),
    "appeal.decided": _appeal_decided,
    "notices.missed": _missed,
    "alert.hit": _alert,
    "submission.received": _received,
    "revision.requested": revisions.requested_notice,  # the note, the deadline and ✏️ Revise
    "revision.lapsed": revisions.lapsed_notice,
    "appeal.received": _appeal_received,
    "hit.completed": _completed,
    "hit.expired": _hit_expired,
    "hits.published": _published,
    "quality.rejected": auto_decisions._auto_rejected,
    "quality.blocked": auto_decisions._auto_blocked,
    "worker.blocked": auto_decisions._worker_blocked,
    "worker.unblocked": auto_decisions._worker_unblocked,
    "review.digest": digest.review_digest,
    "cards.refresh": _no_message,
    "batch.requested": _no_message,  # routed to the batch actor, which reports in its own message
    "export.requested": _no_message,  # routed to the export actor, likewise
    "mturk.event": _no_message,  # an MTurk API notification, POSTed by jobs.mturk_events; no chat message
}
