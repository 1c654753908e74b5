"""Cards: chat messages that show an object's state and are edited when it changes
(core.cards remembers them; the jobs worker edits them on cards.refresh).

`render(card, content, now)` is what a remembered card shows now, with the same views that
sent it, from what core read for it (core.notices.card_content); None means "leave that
message as it is". `card_of(event)` says which card a delivered notice is. Neither reads
the database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot.i18n import _
from bot.views import notify
from bot.views.common import clip, esc, fit
from bot.views.notice_parts import FILES_HINT
from bot.views.followup import group_progress
from bot.views.quals import appeal_card
from bot.views.review import queue_summary, render_card

if TYPE_CHECKING:
    from core.models import ChatCard, OutboxEvent
    from core.notices import CardContent

Rendered = tuple[str, InlineKeyboardMarkup | None]

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


def _submission(c: CardContent, now: datetime, *, queue: bool = False, notice: bool = False) -> Rendered:
    text, markup, files = render_card(c.submission, now=now, queue=queue)
    return (fit(text + "\n\n" + _(FILES_HINT)) if notice and files else text), markup


def _queue(c: CardContent, now: datetime) -> Rendered:
    total, hits = c.pending
    return queue_summary(total, hits, c.review_mode, now)


def expired_text(hit_title: str) -> str:
    return _("⌛ Time ran out on “{title}”: this assignment expired and was released for other workers. "
             "Your answers were not sent. Find more work with /browse.", title=esc(clip(hit_title, 80)))


def submitted_on_page_text(hit_title: str) -> str:
    return _("📤 Submitted “{title}” from its page. The requester reviews it; "
             "follow it in /mywork, find more work with /browse.", title=esc(clip(hit_title, 80)))


def _question(c: CardContent, now: datetime) -> Rendered | None:
    """A question (or the summary) while answering: once the assignment expired, its buttons go.
    Submitted or returned in chat, the worker's own press already turned it into the outcome; a web
    task submitted from its page turns into it here."""
    if c.submitted_title is not None:
        return submitted_on_page_text(c.submitted_title), None
    return (expired_text(c.expired_title), None) if c.expired_title is not None else None


def _appeal(c: CardContent, now: datetime) -> Rendered:
    return appeal_card(c.appeal.appeal, c.appeal.hit_title, c.appeal.worker_name, c.appeal.feedback)


def _notice(c: CardContent, now: datetime) -> Rendered | None:
    """A decision notice rendered again: what it offers (stars, Appeal) follows the state."""
    rendered = notify.render(*c.notice) if c.notice is not None else None
    return (rendered.text, rendered.reply_markup) if rendered is not None else None


RENDERERS = {
    "submission": lambda c, now: _submission(c, now),
    "submission_queue": lambda c, now: _submission(c, now, queue=True),
    "submission_notice": lambda c, now: _submission(c, now, notice=True),
    "queue": _queue,
    "question": _question,
    "appeal": _appeal,
    "notice": _notice,
    "group": lambda c, now: group_progress(c.group),  # a group message's "Sent 120/450"
}


def render(card: ChatCard, content: CardContent, now: datetime) -> Rendered | None:
    fn = RENDERERS.get(card.card_kind)
    return fn(content, now) if fn is not None else None


