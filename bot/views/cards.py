"""Cards: chat messages that show an object's state and are edited when it changes
(core.cards remembers them; the jobs worker edits them on cards.refresh).

`render(card, now)` is what a remembered card shows now, with the same views that sent
it; None means "leave that message as it is". `card_of(event)` says which card a delivered
notice is. Both read the database: call them off the event loop or from a worker thread."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.views import notify
from bot.views.common import clip, esc, fit
from bot.views.quals import appeal_card
from bot.views.review import queue_summary, submission_card
from core.models import Assignment, AssignmentStatus as S, ChatCard, Hit, OutboxEvent, User
from core.review.appeals import appeal_context
from core.review.queries import pending_by_hit

Rendered = tuple[str, InlineKeyboardMarkup | None]

FILES_HINT = "\n\n📎 Files: open /review to see them."  # a card sent as a notice cannot carry the files


@dataclass(frozen=True)
class CardSpec:
    """Which object a message shows, and as what (the arguments of cards.remember)."""

    object_kind: str
    object_id: int
    card_kind: str
    ref: int | None = None


def card_of(event: OutboxEvent) -> CardSpec | None:
    """The card a delivered notice is, if it shows state that can change."""
    p = event.payload or {}
    if not p.get("assignment_id"):
        return None
    assignment_id = int(p["assignment_id"])
    if event.kind == "submission.received":
        return CardSpec("assignment", assignment_id, "submission_notice")
    if event.kind == "appeal.received" and p.get("appeal_id"):
        return CardSpec("assignment", assignment_id, "appeal", int(p["appeal_id"]))
    if event.kind in ("assignment.approved", "assignment.rejected"):
        return CardSpec("assignment", assignment_id, "notice", event.id)  # its stars and Appeal
    return None


def _submission(card: ChatCard, now: datetime, *, queue: bool = False, notice: bool = False) -> Rendered:
    text, markup, files = submission_card(card.object_id, now=now, queue=queue)
    return (fit(text + FILES_HINT) if notice and files else text), markup


def _queue(card: ChatCard, now: datetime) -> Rendered:
    total, hits = pending_by_hit(requester_id=card.object_id)
    user = User.get_or_none(User.id == card.object_id)
    return queue_summary(total, hits, ((user.prefs or {}) if user else {}).get("review_mode", "immediate"), now)


def expired_text(hit_title: str) -> str:
    return (f"⌛ Time ran out on “{esc(clip(hit_title, 80))}”: this assignment expired and was released for other workers. "
            "Your answers were not sent. Find more work with /browse.")


def _question(card: ChatCard, now: datetime) -> Rendered | None:
    """A question (or the summary) while answering: once the assignment expired, its buttons go.
    Submitted or returned, the worker's own press already turned it into the outcome."""
    a = Assignment.get_or_none(Assignment.id == card.object_id)
    if a is None or a.status != S.EXPIRED:
        return None
    hit = Hit.get_or_none(Hit.id == a.hit_id)
    return expired_text(hit.title if hit else f"HIT #{a.hit_id}"), None


def _appeal(card: ChatCard, now: datetime) -> Rendered:
    row, assignment, hit, worker = appeal_context(requester_id=None, appeal_id=int(card.ref))
    return appeal_card(row, hit.title, worker.display_name, assignment.feedback)


def _notice(card: ChatCard, now: datetime) -> Rendered | None:
    """A decision notice rendered again: what it offers (stars, Appeal) follows the state."""
    event = OutboxEvent.get_or_none(OutboxEvent.id == card.ref)
    rendered = notify.render(event) if event is not None else None
    return (rendered.text, rendered.reply_markup) if rendered is not None else None


RENDERERS = {
    "submission": lambda card, now: _submission(card, now),
    "submission_queue": lambda card, now: _submission(card, now, queue=True),
    "submission_notice": lambda card, now: _submission(card, now, notice=True),
    "queue": _queue,
    "question": _question,
    "appeal": _appeal,
    "notice": _notice,
}


def render(card: ChatCard, now: datetime) -> Rendered | None:
    fn = RENDERERS.get(card.card_kind)
    return fn(card, now) if fn is not None else None


