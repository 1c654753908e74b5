"""Updates of different chats handled at once, each chat's own in the order they came (PTB's
documented extension point, BaseUpdateProcessor). PTB's default handles one update at a time, so
every press waited for the previous update's sends, which the rate limiter paces at Telegram's
30 messages/s; now a chat waits only for its own earlier updates."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.runtime import answer_waiting_presses, pressed, presses_in_progress, profile_mark, profile_start

# Updates running at once. PTB's own semaphore wraps do_process_update, so a chat's later updates
# would hold a slot while they wait for its earlier ones (one busy chat could take them all): PTB's
# is set out of reach and this one is taken only once an update's turn in its chat has come.
MAX_CONCURRENT = 256
# A chat's updates waiting for their turn; beyond this one more is dropped (a flood, not a person).
MAX_QUEUED_PER_CHAT = 50
ANSWER_WITHIN_S = 0.25  # HITBOT_ANSWER_WITHIN_MS's default
# Presses being handled at once from which on a burst is on: the next press is answered on arrival and so
# are those still waiting out their bound. In a burst (50 people pressing within a second) a toast would
# come after the bound anyway, behind the others' core calls on the database's writer lock, and its
# answer would leave with the bot loop at its busiest.
BUSY_PRESSES = 8
_UNBOUNDED = 1 << 30

log = logging.getLogger(__name__)


def chat_key(update: object) -> object | None:
    """What orders an update: its chat, else its user (a pre-checkout query, a press on an inline
    message), whose private chat has the same id, so a person's updates keep one order."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class PerChatOrder(BaseUpdateProcessor):
    """Runs each update as soon as its chat's previous update is done. PTB enters
    do_process_update in the order updates arrive (one task each, created in order), so the
    chain of one chat is that order."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT,
                 max_queued_per_chat: int = MAX_QUEUED_PER_CHAT, answer_within_s: float = ANSWER_WITHIN_S,
                 busy_presses: int = BUSY_PRESSES) -> None:
        self._limit = _UNBOUNDED  # PTB's __init__ sizes its semaphore from the property
        super().__init__(_UNBOUNDED)
        self._limit = max_concurrent_updates
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._max_queued = max_queued_per_chat
        self._answer_within_s = answer_within_s
        self._busy_presses = busy_presses
        self._last: dict[object, asyncio.Future[None]] = {}  # each chat's latest update, until done
        self._queued: dict[object, int] = {}

    @property
    def max_concurrent_updates(self) -> int:
        return self._limit

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        profile_start()
        query = update.callback_query if isinstance(update, Update) else None
        # A press is answered in time (bot.runtime.pressed), also while it waits for its turn; at once in a burst.
        within = self._answer_within_s
        if query is not None and presses_in_progress() >= self._busy_presses:
            within = 0.0
            answer_waiting_presses()
        with pressed(query, within=within) if query is not None else contextlib.nullcontext():
            await self._in_turn(update, coroutine)

    async def _in_turn(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        if self._queued.get(key, 0) >= self._max_queued:
            log.warning("dropped an update: %d already waiting in one chat", self._max_queued)
            _close(coroutine)
            return
        previous = self._last.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = done
        done.add_done_callback(lambda _: self._last.get(key) is done and self._last.pop(key))
        self._queued[key] = self._queued.get(key, 0) + 1
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)  # cancelling this update leaves the chain intact
            self._dequeue(key)
            started = True
            async with self._running:
                profile_mark("started")
                await coroutine
        finally:
            if not started:
                self._dequeue(key)
                _close(coroutine)  # cancelled while waiting: never awaited, so never run
            if previous is not None and not previous.done():
                # Cancelled before its turn: the next update still waits for the earlier ones.
                previous.add_done_callback(lambda _: done.done() or done.set_result(None))
            elif not done.done():
                done.set_result(None)

    def _dequeue(self, key: object) -> None:
        left = self._queued.get(key, 1) - 1
        if left > 0:
            self._queued[key] = left
        else:
            self._queued.pop(key, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _close(coroutine: Awaitable[Any]) -> None:
    if hasattr(coroutine, "close"):
        coroutine.close()
