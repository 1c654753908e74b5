"""Notification delivery: one outbox event -> one chat message through the Bot API.

Limits are shared by every worker process as send slots (jobs/slots.py; Redis): each
message reserves the bot's next slot and its chat's, scheduled from the previous ones, and
waits for it, so about one message per chat per second and 29.4 per second in all.
A message that may not go yet is put back on the queue with a delay rather than
holding a worker thread. A send is guarded by a lease on the outbox row and marked
done with a conditional update, so a duplicate queue message never sends twice.

Notices to one person go out in outbox order ("Payout #1 requested" before "Payout #1
sent"), however the queue reorders them (delays, 429s, retries, several worker processes):
the database decides, not the queue. A notice waits while an earlier notice to the same
user is not done (it goes back on the queue, `ORDER_RECHECK_S` later), and whoever finishes
a notice sends the next pending one for that user a message straight away, so the wait is
normally one send. Two bounds keep a notice that can never be sent (a poisoned queue
message) from silencing a chat: only an earlier notice created less than `ORDER_HORIZON`
before counts, and a notice waits at most `ORDER_WAIT_MAX_S` in all."""
from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.flood import retry_after_s
from bot.transport import LeanReplies
from core import outbox
from core.config import Settings, get_settings
from core.models import OutboxEvent, User
from peewee import JOIN
from core.users.commands import mark_unreachable
from jobs import broker as jobs_broker
from jobs.actors import actor
from jobs.metrics import NOTIFICATIONS
from jobs.slots import reserve_pair, slots_for

log = logging.getLogger(__name__)

QUEUE = "notify"
CHAT_INTERVAL_MS = 1_100  # Telegram: about one message per second per chat (a margin for send jitter)
GLOBAL_INTERVAL_MS = 34  # slots 34 ms apart: 29.4 messages/s, 98 % of Telegram's 30/s (2 % for send jitter)
GLOBAL_WAIT_S = 5.0  # the bot's next free slot is further off than this: requeue instead of holding the thread
LEASE_S = 40  # longer than one send can take (timeouts below); a sender that died frees the row after this
MAX_ATTEMPTS = 12  # network failures before giving up on one notification
ORDER_HORIZON = timedelta(minutes=15)  # an earlier notice to the same user holds a later one if this close
ORDER_RECHECK_S = 30.0  # a waiting notice looks again after this (the earlier one's finisher wakes it sooner)
ORDER_WAIT_MAX_S = 15 * 60.0  # longer than the retries of the earlier notice take (~8 min); then go anyway


@dataclass
class Limits:
    """Telegram's limits as send slots shared by every worker process (jobs/slots.py): the bot's
    next slot comes one GLOBAL_INTERVAL_MS after the previous one, a chat's one CHAT_INTERVAL_MS."""

    jobs: object

    def __post_init__(self) -> None:
        self.slots = slots_for(self.jobs)
        self.all_key = self.jobs.key("tg:all")

    def _chat(self, chat_id: int) -> str:
        return self.jobs.key(f"tg:chat:{chat_id}")

    def chat_free_in(self, chat_id: int) -> float:
        """Milliseconds until the chat may have its next message (0: now)."""
        return self.slots.free_in(self._chat(chat_id))

    def take(self, chat_id: int, *, max_wait_s: float = GLOBAL_WAIT_S) -> float | None:
        """Reserve the bot's next slot and the chat's at that same moment: milliseconds to wait
        before sending. None: nothing usable (the bot's slots are booked beyond max_wait_s, or
        the chat is not free by the bot's next slot); come back later (`reserve`)."""
        ok, ms = self.reserve(chat_id, max_wait_s=max_wait_s)
        return ms if ok else None

    def reserve(self, chat_id: int, *, max_wait_s: float = GLOBAL_WAIT_S) -> tuple[bool, float]:
        """(True, ms to wait before sending) with both slots reserved, in one step; or (False, ms
        until it is worth asking again) with nothing reserved, so a busy chat costs the bot no slot."""
        return reserve_pair(self.slots, self.all_key, GLOBAL_INTERVAL_MS, self._chat(chat_id), CHAT_INTERVAL_MS,
                            max_wait_ms=max_wait_s * 1000)

    def hold_chat(self, chat_id: int, ms: float) -> None:
        """No message to the chat for ms from now (a 429 told us to wait)."""
        self.slots.hold(self._chat(chat_id), ms)


# One Bot and event loop per worker thread: PTB's Bot is async, Dramatiq's threads are not.
_local = threading.local()


def _bot(settings: Settings) -> tuple[asyncio.AbstractEventLoop, Bot]:
    key = (settings.telegram_api_url, settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None)
    if getattr(_local, "key", None) != key:
        if not key[1]:
            raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
        loop = asyncio.new_event_loop()
        root = settings.telegram_api_url.rstrip("/")
        bot = Bot(key[1], base_url=f"{root}/bot", base_file_url=f"{root}/file/bot",
                  # replies without the keyboard sent: only a sent message's id is read back
                  request=LeanReplies(HTTPXRequest(connection_pool_size=4, read_timeout=15, write_timeout=5,
                                                   connect_timeout=5, pool_timeout=5)))
        loop.run_until_complete(bot.initialize())
        _local.key, _local.loop, _local.bot = key, loop, bot
    return _local.loop, _local.bot


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _finish(event_id: int, now: datetime, error: str | None = None, *, user_id: int | None = None,
            sent: bool = False, woken: bool = False, group: bool = True) -> bool:
    """Mark done once: True only for the call that actually did it. Then wake the user's next notice
    (unless `woken`: it was told before the send) and move a group message's progress (`group`)."""
    done = outbox.finish(event_id, now=now, error=error)
    if done and user_id is not None and not woken:
        _wake_next(user_id, event_id, delay_ms=CHAT_INTERVAL_MS if sent else 1)
    if done and group:
        _group_progress(event_id, now)
    return done


def _is_group_copy(event: OutboxEvent) -> bool:
    """Only a group message's copies carry its group (core.messages.groups): no lookup for the rest."""
    return (event.payload or {}).get("group_id") is not None


def _group_progress(event_id: int, now: datetime) -> None:
    """A group message's copy finished: its sender's progress card may move (core.messages.groups)."""
    from core.messages import groups

    try:
        groups.delivered(event_id=event_id, now=now)
    except Exception:  # the notice is out; only the progress card lags (its next step catches up)
        log.warning("could not update the group progress of event %s", event_id, exc_info=True)


def _load(event_id: int) -> OutboxEvent | None:
    """The event with its recipient (`.recipient`, None when there is none) in one query."""
    return (OutboxEvent.select(OutboxEvent, User)
            .join(User, JOIN.LEFT_OUTER, on=(User.id == OutboxEvent.user_id), attr="recipient")
            .where(OutboxEvent.id == event_id).first())


def _earlier_pending(event: OutboxEvent) -> OutboxEvent | None:
    """An earlier notice to the same user, not done yet, that this one must wait for."""
    return outbox.earlier_pending(event, horizon=ORDER_HORIZON)


def _wake_next(user_id: int, after_id: int, *, delay_ms: int) -> None:
    """The user's next pending notice may go now: send it a message (a duplicate is harmless)."""
    following = outbox.next_pending(user_id=user_id, after_id=after_id)
    if following is not None:
        _later(following, delay_ms)


def _wake_early(user_id: int, event_id: int, *, delay_ms: float) -> None:
    """Tell the user's next notice to come one chat interval after this one's slot, before the
    send: that takes a query and a queue message off the path from one send to the next. If this
    send then fails, the next notice finds this one pending and waits again (its finisher or
    retry wakes it). A failure here only costs the early wake."""
    try:
        _wake_next(user_id, event_id, delay_ms=int(delay_ms))
    except Exception:
        log.warning("could not wake the notice after event %s early", event_id, exc_info=True)


def _being_sent(earlier: OutboxEvent) -> bool:
    """The earlier notice was claimed moments ago (its sender waits for a slot or for the reply)."""
    if earlier.lease_until is None:
        return False
    claimed_s_ago = LEASE_S - (earlier.lease_until - utcnow()).total_seconds()
    return 0 <= claimed_s_ago < GLOBAL_WAIT_S + 5


def _claim(event_id: int, now: datetime) -> bool:
    return outbox.claim(event_id, now=now, lease_s=LEASE_S)


def look_again_ms(event_id: int) -> float | None:
    """After a failed claim: None when the row is done already; else when to look again, as
    another worker holds it: once its lease runs out (that worker may have died mid-send)."""
    row = outbox.get(event_id)
    if row is None or row.done_at is not None:
        return None
    lease_ms = (row.lease_until - utcnow()).total_seconds() * 1000 if row.lease_until else 0
    return max(lease_ms, 0) + random.randint(100, 1_000)


def _unclaim(event_id: int, error: str | None, *, sent: bool = True) -> None:
    """Give the row back; `sent=False` when no request was made (it was not an attempt)."""
    outbox.release(event_id, error=error, attempted=sent)


def _later(event_id: int, delay_ms: int) -> None:
    deliver.send_with_options(args=(event_id,), delay=max(1, int(delay_ms)))


def deliver_event(event_id: int, *, jobs=None, settings: Settings | None = None,
                  waiting_since: float | None = None) -> str:
    """Send one outbox event's notification. Returns what happened (for tests and logs).
    `waiting_since` (epoch seconds) is when this notice started waiting for an earlier one."""
    from bot import i18n
    from bot.notices import render

    jobs = jobs or jobs_broker.current()
    settings = settings or get_settings()
    event = _load(event_id)
    if event is None or event.done_at is not None:
        return "done already"
    user = event.recipient
    if user is not None and user.unreachable:
        _finish(event_id, utcnow(), "unreachable: the user blocked the bot", user_id=event.user_id)
        return "unreachable"
    with i18n.use(i18n.locale_of(user)):  # the recipient's language, whoever caused the event
        notice = render(event)
    if notice is None:
        _finish(event_id, utcnow(), user_id=event.user_id)
        return "nothing to send"
    earlier = _earlier_pending(event) if event.user_id is not None else None
    if earlier is not None:
        since = waiting_since if waiting_since is not None else time.time()
        if time.time() - since < ORDER_WAIT_MAX_S:
            if _being_sent(earlier):  # it goes out within seconds: look again one chat interval on
                delay_ms = CHAT_INTERVAL_MS + random.randint(0, 300)
            else:  # its finisher wakes this one; the recheck is for a finisher that never comes
                delay_ms = int(ORDER_RECHECK_S * 1000) + random.randint(0, 1_000)
            deliver.send_with_options(args=(event_id, since), delay=delay_ms)
            return "waiting for an earlier notice"
        log.warning("notice %s waited %.0f s for an earlier one to the same user; sending it anyway",
                    event_id, time.time() - since)

    limits = Limits(jobs)
    loop, bot = _bot(settings)  # before the slot: a thread's first call connects, which must not delay its send
    if not _claim(event_id, utcnow()):
        again_ms = look_again_ms(event_id)
        if again_ms is None:
            return "done already"
        _later(event_id, again_ms)
        return "being sent"
    try:
        # One step for the bot's slot and the chat's: a chat that had a message less than a
        # second ago gets nothing reserved, and this notice comes back after it.
        reserved, wait_ms = limits.reserve(notice.chat_id)
        if not reserved:
            _unclaim(event_id, None, sent=False)
            _later(event_id, max(wait_ms, 1) + random.randint(10, 400))
            return "later"
    except Exception:  # Redis went away: free the row now rather than when the lease runs out
        _unclaim(event_id, None, sent=False)
        raise
    group = _is_group_copy(event)
    if event.user_id is not None:  # while this thread waits for its slot anyway, not after the send
        _wake_early(event.user_id, event_id, delay_ms=wait_ms + CHAT_INTERVAL_MS + 100)
    # Wait for our slot; from there nothing slow happens before the request leaves, so the
    # gaps Telegram sees are the slots' gaps.
    if wait_ms > 0:
        time.sleep(wait_ms / 1000)
    try:
        if notice.photo or notice.document:  # relayed by file_id: the sender stays unknown
            send = (bot.send_photo(notice.chat_id, notice.photo, caption=notice.text, parse_mode="HTML",
                                   reply_markup=notice.reply_markup) if notice.photo else
                    bot.send_document(notice.chat_id, notice.document, caption=notice.text, parse_mode="HTML",
                                      reply_markup=notice.reply_markup))
        else:
            send = bot.send_message(notice.chat_id, notice.text, parse_mode="HTML", reply_markup=notice.reply_markup,
                                    link_preview_options=None)
        sent = loop.run_until_complete(send)
    except RetryAfter as exc:
        wait_ms = int(retry_after_s(exc) * 1000) + 50
        limits.hold_chat(notice.chat_id, wait_ms)
        NOTIFICATIONS.labels("429").inc()
        _unclaim(event_id, f"429: retry after {wait_ms} ms")
        _later(event_id, wait_ms + random.randint(0, 200))
        log.info("flood limit", extra={"event_id": event_id, "retry_after_ms": wait_ms})
        return "retry after"
    except Forbidden as exc:
        mark_unreachable(user_id=notice.chat_id)
        _finish(event_id, utcnow(), f"forbidden: {exc.message}", user_id=event.user_id, group=group)
        NOTIFICATIONS.labels("forbidden").inc()
        return "unreachable"
    except BadRequest as exc:  # the message itself is wrong: retrying would not help
        _finish(event_id, utcnow(), f"bad request: {exc.message}", user_id=event.user_id, group=group)
        NOTIFICATIONS.labels("failed").inc()
        log.warning("notification refused", extra={"event_id": event_id, "kind": event.kind, "error": exc.message})
        return "refused"
    except (NetworkError, TelegramError) as exc:
        NOTIFICATIONS.labels("error").inc()
        if event.attempts + 1 >= MAX_ATTEMPTS:
            _finish(event_id, utcnow(), f"gave up: {exc}", user_id=event.user_id, group=group)
            return "gave up"
        _unclaim(event_id, f"network: {exc}")
        raise  # Dramatiq's Retries tries again with backoff
    _finish(event_id, utcnow(), user_id=event.user_id, sent=True, woken=True, group=group)
    NOTIFICATIONS.labels("sent").inc()
    _remember_card(event, notice.chat_id, sent.message_id)
    return "sent"


def _remember_card(event: OutboxEvent, chat_id: int, message_id: int) -> None:
    """A notice that shows state (a submission card, an appeal...) is edited when it changes."""
    from jobs.cards import remember_notice

    try:
        remember_notice(event, chat_id=chat_id, message_id=message_id)
    except Exception:  # the notice is out; it only will not follow later changes
        log.warning("could not remember the card of event %s", event.id, exc_info=True)


@actor(queue_name=QUEUE, max_retries=MAX_ATTEMPTS, min_backoff=1_000, max_backoff=60_000, time_limit=120_000)
def deliver(event_id: int, waiting_since: float | None = None) -> None:
    deliver_event(event_id, waiting_since=waiting_since)
