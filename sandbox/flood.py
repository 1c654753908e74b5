"""Telegram's flood limits, as token buckets: about 30 messages/s per bot and 1 message/s per
chat (with a short burst); an exhausted bucket answers 429 with retry_after."""
from __future__ import annotations

import time
from collections.abc import Callable

from sandbox.markup import ApiError


class FloodControl:
    """Token buckets: about 30 messages/s per bot and 1 message/s per chat (with a short
    burst, as Telegram allows); an exhausted bucket answers 429 with retry_after."""

    def __init__(self, enabled: bool = True, per_bot: float = 30.0, per_chat: float = 1.0,
                 chat_burst: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.per_bot = per_bot
        self.per_chat = per_chat
        self.chat_burst = chat_burst
        self.clock = clock  # tests freeze it
        self._bot = (float(per_bot), clock())
        self._chats: dict[int, tuple[float, float]] = {}

    def reset(self, clock: Callable[[], float] | None = None) -> None:
        """Full buckets again (and, for tests, a clock of their own)."""
        if clock is not None:
            self.clock = clock
        self._bot = (float(self.per_bot), self.clock())
        self._chats.clear()

    def _take(self, bucket: tuple[float, float], rate: float, cap: float) -> tuple[tuple[float, float], float]:
        tokens, last = bucket
        now = self.clock()
        tokens = min(cap, tokens + (now - last) * rate)
        if tokens >= 1:
            return (tokens - 1, now), 0.0
        return (tokens, now), (1 - tokens) / rate

    def check(self, chat_id: int) -> None:
        if not self.enabled:
            return
        bot, wait_bot = self._take(self._bot, self.per_bot, self.per_bot)
        chat_bucket = self._chats.get(chat_id, (float(self.chat_burst), self.clock()))
        chat, wait_chat = self._take(chat_bucket, self.per_chat, self.chat_burst)
        wait = max(wait_bot, wait_chat)
        if wait > 0:
            retry = max(1, int(wait + 0.999))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._bot, self._chats[chat_id] = bot, chat
