"""Cards kept true: a cards.refresh outbox event edits every message that shows the object
(core.cards) with its current state (bot.views.cards), through the same limits,
lease and retries as notifications (jobs.delivery): one request per chat per second, ~30/s
in all, a busy chat puts the event back on the queue instead of holding the thread.

Telegram's "message is not modified" is success; a message that is gone or can no longer be
edited is forgotten. Each card records the last event applied, so a retry or a second copy of
the queue message skips what is done and a burst of changes costs at most one edit per card
per event."""
from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timezone

from peewee import DoesNotExist
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import i18n
from bot.flood import retry_after_s
from bot.views import cards as views
from core import cards, notices, outbox
from core.config import Settings, get_settings
from core.errors import HitbotError
from core.models import ChatCard, OutboxEvent, User
from jobs import broker as jobs_broker, delivery
from jobs.actors import actor

log = logging.getLogger(__name__)

# What Telegram answers when the message cannot be edited any more: stop trying.
GONE = ("message to edit not found", "message can't be edited", "message_id_invalid", "chat not found")

Rendered = views.Rendered


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def remember_notice(event: OutboxEvent, *, chat_id: int, message_id: int) -> None:
    """After a notice went out: remember it if it shows state that can change."""
    spec = views.card_of(event)
    if spec is not None:
        cards.remember(object_kind=spec.object_kind, object_id=spec.object_id, chat_id=chat_id,
                       message_id=message_id, card_kind=spec.card_kind, ref=spec.ref, now=utcnow())


def plan(event: OutboxEvent) -> list[tuple[ChatCard, Rendered | None]]:
    """The cards this event has still to bring up to date, each with what it shows now
    (None: leave that message alone), in the language of the chat's owner (a private chat's id is its user's)."""
    p = event.payload or {}
    out = []
    readers: dict[int, str] = {}
    for card in cards.cards_of(object_kind=str(p.get("object")), object_id=int(p.get("id") or 0)):
        if card.shown_event is not None and card.shown_event >= event.id:
            continue
        if card.chat_id not in readers:
            readers[card.chat_id] = i18n.locale_of(User.get_or_none(User.id == card.chat_id))
        try:
            with i18n.use(readers[card.chat_id]):  # whoever changed the object, the card reads as its reader's
                rendered = views.render(card, notices.card_content(card), event.created_at)
        except (HitbotError, DoesNotExist, KeyError, TypeError, ValueError):  # what it showed is gone
            log.warning("card %s (%s) cannot be rendered; forgetting it", card.id, card.card_kind, exc_info=True)
            cards.forget(card_id=card.id)
            continue
        out.append((card, rendered))
    return out


async def edit(bot: Bot, card: ChatCard, rendered: Rendered | None) -> str:
    """Edit one card: 'edited', 'unchanged' (Telegram: not modified), 'gone', 'blocked' or 'skipped'."""
    if rendered is None:
        return "skipped"
    text, markup = rendered
    try:
        await bot.edit_message_text(text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=markup,
                                    parse_mode="HTML", link_preview_options=None)
    except Forbidden:
        return "blocked"
    except BadRequest as exc:
        message = exc.message.lower()
        if "not modified" in message:
            return "unchanged"
        if any(g in message for g in GONE):
            return "gone"
        raise
    return "edited"


def settle(card: ChatCard, outcome: str, event_id: int) -> None:
    """Record what the edit did: shown (edited, unchanged, skipped) or forgotten (gone, blocked)."""
    if outcome in ("gone", "blocked"):
        cards.forget(card_id=card.id)
    else:
        cards.mark_shown(card_id=card.id, event_id=event_id)


def refresh_event(event_id: int, *, jobs=None, settings: Settings | None = None) -> str:
    """Bring every card of one cards.refresh event up to date. Returns what happened."""
    jobs = jobs or jobs_broker.current()
    settings = settings or get_settings()
    event = outbox.get(event_id)
    if event is None or event.done_at is not None:
        return "done already"
    if not delivery._claim(event_id, utcnow()):
        again_ms = delivery.look_again_ms(event_id)
        if again_ms is None:
            return "done already"
        _later(event_id, again_ms)
        return "being refreshed"
    limits = delivery.Limits(jobs)
    for card, rendered in plan(event):
        if rendered is None:
            settle(card, "skipped", event_id)
            continue
        try:
            busy_ms = limits.chat_free_in(card.chat_id)  # the chat had a message less than a second ago
            wait_ms = limits.take(card.chat_id) if busy_ms <= 0 else None
            if wait_ms is None:
                delivery._unclaim(event_id, None, sent=False)
                _later(event_id, max(busy_ms, limits.chat_free_in(card.chat_id), 500) + random.randint(10, 400))
                return "later"
        except Exception:  # Redis went away: free the row now rather than when the lease runs out
            delivery._unclaim(event_id, None, sent=False)
            raise
        loop, bot = delivery._bot(settings)
        if wait_ms > 0:  # our slot; nothing slow between it and the request
            time.sleep(wait_ms / 1000)
        try:
            outcome = loop.run_until_complete(edit(bot, card, rendered))
        except RetryAfter as exc:
            wait_ms = int(retry_after_s(exc) * 1000) + 50
            limits.hold_chat(card.chat_id, wait_ms)
            delivery._unclaim(event_id, f"429: retry after {wait_ms} ms")
            _later(event_id, wait_ms + random.randint(0, 200))
            return "retry after"
        except BadRequest as exc:  # this card's edit is refused for good: leave it as it is
            log.warning("card edit refused", extra={"card_id": card.id, "error": exc.message})
            outcome = "refused"
        except (NetworkError, TelegramError) as exc:
            if event.attempts + 1 >= delivery.MAX_ATTEMPTS:
                delivery._finish(event_id, utcnow(), f"gave up: {exc}")
                return "gave up"
            delivery._unclaim(event_id, f"network: {exc}")
            raise  # Dramatiq's Retries tries again with backoff; the cards done so far are skipped then
        settle(card, outcome, event_id)
    delivery._finish(event_id, utcnow())
    return "refreshed"


def _later(event_id: int, delay_ms: float) -> None:
    refresh_cards.send_with_options(args=(event_id,), delay=max(1, int(delay_ms)))


@actor(queue_name=delivery.QUEUE, max_retries=delivery.MAX_ATTEMPTS, min_backoff=1_000, max_backoff=60_000,
       time_limit=120_000)
def refresh_cards(event_id: int) -> None:
    refresh_event(event_id)


ACTORS = [refresh_cards]
