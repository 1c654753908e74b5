"""What every handler shares: calling core off the event loop, the clock, and turning
core errors into friendly replies (and stale or forged buttons into a notice)."""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot import callbacks, i18n
from bot.views import quals as quals_views
from bot.views.common import no_longer_valid, went_wrong
from core.db import release
from core.errors import HitbotError, NotAllowed
from core.quals.rules import Check
from core.texts import Amount, Joined, Text, fill, is_layout

log = logging.getLogger(__name__)
T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


def utcnow() -> datetime:
    return datetime.now(UTC)


def now(context: Context) -> datetime:
    """The application's clock (tests freeze it through bot_data['clock'])."""
    return context.bot_data.get("clock", utcnow)()


# Where core calls run: on a worker thread (True) or inline in the event loop (False).
# BENCHMARKS.md's bot section has the measurements behind the choice.
CORE_ON_THREAD = {"on": True}


def core_on_thread(on: bool) -> None:
    CORE_ON_THREAD["on"] = on


# bench/load_bench.py --profile: where each button press spends its time before its answer
# (HITBOT_PROFILE_UPDATES=1 in the bot's process; one log line a press, read back by the bench).
PROFILE = os.environ.get("HITBOT_PROFILE_UPDATES") == "1"
_profile: ContextVar[dict[str, float] | None] = ContextVar("update_profile", default=None)
profile_log = logging.getLogger("hitbot.profile")


def profile_mark(name: str, since: float | None = None) -> None:
    """Record a moment (or, with `since`, add the time since then to `name`) for this update."""
    got = _profile.get()
    if got is not None:
        t = time.perf_counter()
        got[name] = got.get(name, 0.0) + (t - since) if since is not None else t


def profile_start() -> None:
    if PROFILE:
        _profile.set({"arrived": time.perf_counter()})


class _TimedLock:
    """core.db's SQLite writer lock, timing the wait of the update whose core call takes it."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        t = time.perf_counter()
        self._lock.acquire()
        profile_mark("writer_lock", t)

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


if PROFILE:
    import core.db as _core_db

    _core_db._sqlite_writer = _TimedLock(threading.Lock())


# Core calls' threads. asyncio's default executor has min(32, CPUs + 4): 6 on 2 CPUs, and 50 chats
# pressing at once queued for them (load bench --profile: up to 100 ms). Below the PostgreSQL pool's
# 20 connections (core.db.init_db), which each thread holds while it runs.
CORE_THREADS = 16
_CORE_THREADS = ThreadPoolExecutor(max_workers=CORE_THREADS, thread_name_prefix="core")


async def call(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a (blocking, database) core service without stalling other chats."""
    if not CORE_ON_THREAD["on"]:
        return fn(**kwargs)
    submitted = time.perf_counter()

    def run() -> T:
        profile_mark("pool_wait", submitted)
        started = time.perf_counter()
        try:
            return fn(**kwargs)
        finally:
            profile_mark("core", started)
            release()

    try:
        context = contextvars.copy_context()  # as asyncio.to_thread: the update's context goes along
        return await asyncio.get_running_loop().run_in_executor(_CORE_THREADS, context.run, run)
    finally:
        profile_mark("call", submitted)


def render(text: Text | Check | str) -> str:
    """A core Text in the reader's language: its key from the catalog, its values formatted for the
    locale (money, moments, nested reasons). A key the catalog lacks shows its English, filled as
    core fills it, so a text typed elsewhere (already translated) shows as it is."""
    if isinstance(text, Check):  # a failed qualification requirement, worded by the quals view
        return quals_views.requirement(text)
    if not isinstance(text, Text):
        return str(text)
    values = {k: _value(v) for k, v in text.params.items()}
    locale = i18n.current()
    if locale == i18n.DEFAULT or is_layout(text.key) or (text.key and text.key in _catalog(locale)):
        shown = i18n._(text.key, **values) if not is_layout(text.key) else fill(text.key, values)
    else:
        shown = str(text)
    return shown[:1].upper() + shown[1:] if text.capital else shown


def _catalog(locale: str) -> dict:
    return getattr(i18n.translations(locale), "_catalog", {})


def _value(value: object) -> object:
    if isinstance(value, Amount):
        return i18n.money(value.cents, value.currency)
    if isinstance(value, datetime):  # in the reader's zone, which the update's user row gave
        tz = i18n.current_tz()
        return i18n.moment(value, tz) + (" UTC" if tz in (None, "UTC") else "")
    if isinstance(value, Joined):
        return value.sep.join(render(item) for item in value.items)
    if isinstance(value, Text):
        return render(value)
    return value


def error_text(exc: HitbotError) -> str:
    """What a person reads for a refusal from core, in their language (exc.message stays English)."""
    if isinstance(exc, NotAllowed) and exc.message == NotAllowed.default:
        return no_longer_valid()
    return render(exc.text)


CallbackHandlerFn = Callable[[Update, Context, callbacks.Callback], Awaitable[str | None]]

# A pressed button is answered within HITBOT_ANSWER_WITHIN_MS of its arrival (the update processor
# times it): with its toast when the handler has it by then, else empty, which stops the button's
# spinner (what the press did then shows in the chat, a refusal as a reply). In a burst (50 people
# pressing at once) core calls queue on the database's writer lock and a press may wait behind its
# chat's earlier update: the spinner turned for a second and more (bench/load_bench.py).
_presses: dict[str, Press] = {}  # by callback query id, while its update is handled
_late_answers: set[asyncio.Task] = set()  # early answers in flight (the loop keeps only weak references)


class Press:
    """A pressed button's one answer: the handler's, or an empty one once its time is up."""

    __slots__ = ("query", "answered", "_timer")

    def __init__(self, query: Any) -> None:
        self.query = query
        self.answered = False
        self._timer: asyncio.TimerHandle | None = None

    def answer_within(self, seconds: float) -> None:
        self._timer = asyncio.get_running_loop().call_later(seconds, self._in_time)

    def _in_time(self) -> None:
        if not self.answered:  # taken now: the handler's own answer may come before the task runs
            self.answered = True
            self._timer = None
            task = asyncio.ensure_future(_send_answer(self.query, None, False))
            _late_answers.add(task)
            task.add_done_callback(_late_answers.discard)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def presses_in_progress() -> int:
    return len(_presses)


def answer_waiting_presses() -> None:
    """A burst began: every press still waiting out its bound is answered now, empty (its toast would
    come late anyway, behind the burst's core calls; what it did shows in the chat)."""
    for press in list(_presses.values()):
        if press._timer is not None:
            press.stop()
            press._in_time()


@contextlib.contextmanager
def pressed(query: Any, *, within: float | None = None) -> Iterator[Press]:
    """The press being handled (the update processor's, which answers `within` seconds of its
    arrival; else one for this block alone)."""
    press = _presses.get(query.id)
    if press is not None:
        yield press
        return
    press = _presses[query.id] = Press(query)
    if within is not None:
        press.answer_within(within)
    try:
        yield press
    finally:
        press.stop()
        _presses.pop(query.id, None)


async def answer_now(update: Update, text: str | None = None) -> None:
    """Answer the pressed button before the handler's sends (which the rate limiter paces; the
    answer is not rate-limited): the person sees the toast at once. Once per press."""
    query = update.callback_query
    if query is not None and query.id in _presses:
        await _answer(query, text)


def on_button(fn: CallbackHandlerFn) -> Callable[[Update, Context], Awaitable[None]]:
    """Wrap a button handler: parse the payload, always answer the callback query once,
    and turn core refusals into a notice (nothing changed)."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context) -> None:
        query = update.callback_query
        cb = callbacks.parse(query.data)
        with pressed(query):
            if cb is None:
                await _answer(query, no_longer_valid(), alert=True)
                return
            try:
                toast = await fn(update, context, cb)
            except HitbotError as exc:
                await _answer(query, error_text(exc), alert=True)
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    await _answer(query, None)
                    return
                raise
            await _answer(query, toast)
        got = _profile.get()
        if got is not None and "answered" in got:
            t0 = got.pop("arrived")
            profile_log.warning("profile %s %s", fn.__name__,
                                " ".join(f"{k}={(v - t0 if k in ('started', 'answer_sent', 'answered') else v) * 1000:.1f}"
                                         for k, v in got.items()))

    return wrapper


def on_button_showing(show: Callable[[Update, Context], Awaitable[None]]) -> Callable[[Update, Context], Awaitable[None]]:
    """A button that shows what a command shows (a menu entry, Withdraw under /balance): `show`
    as a button handler, without a toast."""

    async def showing(update: Update, context: Context, cb: callbacks.Callback) -> None:
        await show(update, context)

    showing.__name__ = showing.__qualname__ = show.__name__  # what a press's profile line is labelled
    return on_button(showing)


class Notice(str):
    """A toast that is all a press does (nothing else in the chat changes): said in the chat if the
    press was answered already, as an alert's text is."""


async def _answer(query: Any, text: str | None, alert: bool = False) -> None:
    """The press's one answer. Once it went (in time, empty), a toast is dropped and an alert's or a
    Notice's text (a refusal, a stale button, "nothing to download") is said in the chat instead."""
    press = _presses.get(query.id)
    if press is not None:
        if press.answered:
            if text and (alert or isinstance(text, Notice)) and isinstance(query.message, Message):
                await query.message.reply_text(text)
            return
        press.answered = True
        press.stop()
    await _send_answer(query, text, alert)


async def _send_answer(query: Any, text: str | None, alert: bool) -> None:
    profile_mark("answer_sent")
    try:
        await query.answer(text=text[:200] if text else None, show_alert=alert)
    except (BadRequest, RetryAfter) as exc:  # too old, or Telegram asks for a long wait: the change stands
        log.info("callback answer failed: %s", exc)
    except TelegramError as exc:  # the network: the press's change stands, its spinner times out
        log.warning("callback answer failed: %s", exc)
    profile_mark("answered")


def on_message(fn: Callable[[Update, Context], Awaitable[None]]) -> Callable[[Update, Context], Awaitable[None]]:
    """Wrap a command or message handler: core refusals become a short reply."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context) -> None:
        try:
            await fn(update, context)
        except HitbotError as exc:
            if update.effective_message is not None:
                await update.effective_message.reply_text(error_text(exc))

    return wrapper


async def on_error(update: object, context: Context) -> None:
    """Last resort: log the trace, tell the person something went wrong, never crash."""
    err = context.error
    if isinstance(err, Forbidden):
        log.info("user blocked the bot: %s", err)
        return
    log.error("unhandled error while handling an update", exc_info=err)
    if isinstance(update, Update):
        try:
            if update.callback_query is not None:
                await _answer(update.callback_query, went_wrong(), alert=True)
            elif update.effective_chat is not None:
                await context.bot.send_message(update.effective_chat.id,
                                               went_wrong())
        except Exception:  # the error path must not raise again
            log.exception("could not tell the user about an error")


async def unknown_button(update: Update, context: Context) -> None:
    """Any button no feature claims: an old keyboard or a forged payload."""
    await _answer(update.callback_query, no_longer_valid(), alert=True)


async def reply_or_edit(message: Any, text: str, markup: Any = None, *, edit: bool) -> None:
    """Edit the message a button sits on (paging, toggles), or answer with a new one."""
    if edit:
        await message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    else:
        await message.reply_text(text, reply_markup=markup, parse_mode="HTML")
