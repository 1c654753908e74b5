"""Updates of different chats handled at once, each chat's own in the order they came (PTB's
documented extension point, BaseUpdateProcessor). PTB's default handles one update at a time, so
every press waited for the previous update's sends, which the rate limiter paces at Telegram's
30 messages/s; now a chat waits only for its own earlier updates."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates in flight at once (each a task; Telegram hands out at most 100 per getUpdates). A chat's
# later updates wait inside their slot, so this is larger than the chats expected at once.
MAX_CONCURRENT = 256


def chat_key(update: object) -> object | None:
    """What orders an update: its chat, else its user (inline queries), else nothing."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class PerChatOrder(BaseUpdateProcessor):
    """Runs each update as soon as its chat's previous update is done. PTB enters
    do_process_update in the order updates arrive (one task each, created in order), so the
    chain of one chat is that order."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._last: dict[object, asyncio.Future[None]] = {}  # each chat's latest update, until done

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        previous = self._last.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = done
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)  # cancelling this update leaves the chain intact
            started = True
            await coroutine
        finally:
            if not started and hasattr(coroutine, "close"):
                coroutine.close()  # cancelled while waiting: never awaited, so never run
            done.set_result(None)
            if self._last.get(key) is done:
                del self._last[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
