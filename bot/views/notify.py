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
from bot.views import auto_decisions, digest, messages, payout, topup
from bot.views.common import (
    button,
    clip,
    countdown,
    duration,
    esc,
    fit,
    keyboard,
    local_time,
    money,
)
from bot.views.notice_parts import BALANCE, BROWSE, MYWORK, Rendered, _p, _title
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
    return Notice(chat_id=int(chat_id), text=fit(text), reply_markup=markup)


# Helpers -----------------------------------------------------------------------------------

def _amount(p: dict) -> str:
    return money(int(p.get("amount_cents") or 0))


def _reason(text: object, limit: int = 1000) -> str:
    return esc(clip(str(text or "").strip() or "—", limit))


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
    return f"Thanks! You rated this requester {'★' * stars}{'☆' * (5 - stars)}. It helps other workers choose."




# Worker ------------------------------------------------------------------------------------

def _submitted(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    when = auto_approval_text(p.get("auto_approve_s", ctx.auto_approve_s))
    return f"📨 Submitted: {_title(p, ctx)}. The requester will review it.{when}", keyboard([MYWORK])


def _approved(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    how = " (approved automatically)" if p.get("auto") else " (the earlier rejection was reversed)" if p.get("reversed") else ""
    lines = [f"✅ Your work on {_title(p, ctx)} was approved{how}: <b>+{_amount(p)}</b>."]
    feedback = p.get("feedback", ctx.feedback)
    if feedback:
        lines.append(f"Feedback: {_reason(feedback)}")
    rows = [_rating_row(p.get("assignment_id"), ctx.rated)]
    if rows[0]:
        lines.append("How was this requester? Rate them:")
    return "\n".join(lines), keyboard(rows + [BALANCE])


def _rejected(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    how = " automatically by the requester's quality rule" if p.get("auto") else ""
    aid = p.get("assignment_id")
    can_appeal = aid is not None and ctx.can_appeal
    lines = [f"❌ Your work on {_title(p, ctx)} was rejected{how}.", f"Reason: {_reason(p.get('feedback'))}"]
    if can_appeal:
        lines.append("You think that's wrong? You can appeal; the requester can still approve it.")
    elif aid is not None and ctx.appealed:
        lines.append(APPEALED)
    rating = _rating_row(aid, ctx.rated)
    if rating:
        lines.append("How was this requester? Rate them:")
    return "\n".join(lines), rejection_markup(assignment_id=aid, can_appeal=can_appeal, rated=ctx.rated)


APPEALED = "✉️ You appealed; the requester's answer will come here."


def rejection_markup(*, assignment_id: object, can_appeal: bool, rated: bool) -> InlineKeyboardMarkup:
    """The rejection notice's buttons: stars until rated, Appeal until appealed."""
    if assignment_id is None:
        return keyboard([])
    appeal = [button("✉️ Appeal", callbacks.make("q", "apl", int(assignment_id)))] if can_appeal else []
    return keyboard([_rating_row(assignment_id, rated), appeal])


def _reminder(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    try:
        deadline = datetime.fromisoformat(str(p.get("deadline")))
    except ValueError:
        deadline = None
    when = (f" by {local_time(deadline, ctx.timezone, now=e.created_at)} ({countdown(deadline, e.created_at)})"
            if deadline else "")
    go = [button("▶️ Continue", callbacks.make("w", "go", int(p["assignment_id"])))] if p.get("assignment_id") else []
    return (f"⏰ Don't forget {_title(p, ctx)}: submit it{when}, or it expires and the slot goes to "
            "someone else.", keyboard([go + MYWORK]))


def _expired(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (f"⌛ Time ran out on {_title(p, ctx)}; the assignment was released. No harm done: find "
            "another HIT.", keyboard([BROWSE]))


def _bonus(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (f"🎁 Bonus <b>+{_amount(p)}</b> for your work on {_title(p, ctx)}.\n"
            f"From the requester: {_reason(p.get('reason'), 500)}", keyboard([BALANCE]))


def _requester_message(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    """NotifyWorkers (MTurk API): a requester the worker worked for writes; fits one message."""
    p = _p(e)
    return (f"✉️ <b>{esc(clip(str(p.get('subject') or ''), 200))}</b>\n"
            f"From {esc(clip(str(p.get('requester_name') or 'a requester'), 60))}, a requester you worked for:\n\n"
            f"{esc(clip(str(p.get('text') or ''), 3600))}", keyboard([BROWSE]))


def _credited(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    if p.get("reason") == "top-up":
        return None  # the payer was told in the chat where they paid ("✅ Payment received ..."): once is enough
    return f"💰 <b>+{_amount(p)}</b> added to your balance ({_reason(p.get('reason'), 300)}).", keyboard([BALANCE])


def _low(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    left = _p(e).get("available_cents")
    amount = f": <b>{money(int(left))}</b> left" if isinstance(left, int) else ""
    return (f"⚠️ Your balance is low{amount}. Top up with /topup to keep posting HITs and paying bonuses.",
            keyboard([BALANCE]))


def _payout_requested(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (f"💸 Payout #{p.get('payout_id')} of {_amount(p)} requested; we'll tell you when it is sent.", None)


def _payout_paid(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return f"✅ Payout #{p.get('payout_id')} sent: <b>{_amount(p)}</b> is on its way to you.", keyboard([BALANCE])


def _payout_failed(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    return (f"⚠️ Payout #{p.get('payout_id')} of {_amount(p)} could not be sent: {_reason(p.get('reason'), 300)}.\n"
            "The money is back in your available balance; try /withdraw again later.", keyboard([BALANCE]))


def _qual_granted(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    value = f" (score {esc(p['value'])})" if p.get("value") is not None else ""
    return (f"🎓 You now hold the qualification <b>{esc(clip(str(p.get('name', '')), 80))}</b>{value}. "
            "More HITs may be open to you.", keyboard([BROWSE]))


def _qual_revoked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    reason = f"\nReason: {esc(clip(str(p['reason']), 1000))}" if p.get("reason") else ""  # from the MTurk API
    return f"🎓 The qualification <b>{esc(clip(str(p.get('name', '')), 80))}</b> was taken away from you.{reason}", None


def _appeal_decided(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    title = _title(p, ctx)
    if p.get("approved"):
        return f"✅ Your appeal on {title} was accepted: the work is approved and paid.", keyboard([BALANCE])
    return f"❌ Your appeal on {title} was turned down; the rejection stands.", None


MISSED_ROOM = 3300  # characters of missed notices one summary carries (Telegram's limit is 4096)


def _missed(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    """What a user missed while they had blocked the bot, told once they are back: each notice as
    it reads now, oldest first, in one message."""
    p = _p(e)
    ids = [int(i) for i in p.get("event_ids") or []]
    shown = [n for n in (render(row, row_ctx) for row, row_ctx in ctx.missed) if n is not None]
    if not shown:
        return None
    if len(shown) == 1 and int(p.get("count") or 1) <= 1:
        return f"📬 While you had blocked the bot, we couldn't tell you:\n\n{shown[0].text}", shown[0].reply_markup
    parts, room = [], MISSED_ROOM
    for n in reversed(shown):  # the latest first when not all fit
        if len(n.text) + 2 > room:
            break
        parts.insert(0, n.text)
        room -= len(n.text) + 2
    more = int(p.get("count") or len(ids)) - len(parts) - (len(ids) - len(shown))
    text = "📬 While you had blocked the bot, we couldn't tell you:\n\n" + "\n\n".join(parts)
    if more > 0:
        text += f"\n\n…and {more} earlier notice{'s' if more != 1 else ''}: see /mywork and /balance."
    return text, keyboard([MYWORK + BALANCE])


def _alert(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    hit_id = int(p.get("hit_id") or 0)
    hourly = f" · ≈{money(int(p['hourly_cents']))}/hour" if p.get("hourly_cents") else ""
    text = (f"🔔 New HIT for your alert: <b>{esc(clip(str(p.get('title') or f'HIT #{hit_id}'), 100))}</b>\n"
            f"{money(int(p.get('reward_cents') or 0))} · {duration(int(p.get('duration_s') or 0))} allowed{hourly}\n"
            "Mute or change alerts with /alerts.")
    return text, keyboard([alert_buttons(hit_id, p.get("alert_id"))])


def alert_buttons(hit_id: int, alert_id: object = None) -> list:
    row = [button("👀 Preview", callbacks.make("b", "v", hit_id, 0))]
    if alert_id:
        row.append(button("🔕 Mute this alert", callbacks.make("al", "mt", int(alert_id), hit_id)))
    return row


# Requester ---------------------------------------------------------------------------------

def _received(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    if ctx.review_mode == "digest":
        return None  # they chose the periodic review digest over a message per submission
    if ctx.submission is None:
        return None  # the work is gone
    text, markup, attachments = render_card(ctx.submission, now=e.created_at)
    if attachments:
        text += "\n\n📎 Files: open /review to see them."
    return text, markup


def _appeal_received(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    if ctx.appeal is None:
        return None  # the appeal is gone
    c = ctx.appeal
    text, markup = appeal_card(c.appeal, c.hit_title, c.worker_name, c.feedback)
    return "✉️ A worker appealed your rejection.\n" + text, markup


def _completed(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    hit_id = _p(e).get("hit_id")
    return (f"🏁 All assignments of {_title(_p(e), ctx)} are done and approved.",
            keyboard([[button("📥 Download results", callbacks.make("r", "res", int(hit_id)))]]) if hit_id else None)


def _hit_expired(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    how = "was ended early" if p.get("early") else "expired"
    refund = int(p.get("refund_cents") or 0)
    back = f"; {money(refund)} of unused escrow is back in your balance" if refund else ""
    return f"⌛ {_title(p, ctx)} {how}{back}.", None


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
    "appeal.decided": _appeal_decided,
    "notices.missed": _missed,
    "alert.hit": _alert,
    "submission.received": _received,
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
