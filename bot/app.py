"""Builds the python-telegram-bot Application: transport, rate limiter, handlers."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot import handlers
from bot.flood import retry_after_s
from bot.processor import PerChatOrder
from bot.runtime import on_error, utcnow
from bot.transport import AiohttpRequest, LeanReplies
from core.config import Settings
from core.errors import ConfigError


class PacedSends(AIORateLimiter):
    """Telegram's limits on sends only. A callback answer is no message (Telegram does not count
    it): it skips the limiter, and above all its pause after a 429, which PTB's limiter applies to
    every request; under load a press waited over a second there for its answer (bench/load_bench.py
    --profile)."""

    ANSWER_RETRIES = 2
    ANSWER_WAIT_MAX_S = 5.0  # past this the button's spinner has long stopped: better no answer than a late one

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None) -> Any:
        if endpoint != "answerCallbackQuery":
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        for attempt in range(self.ANSWER_RETRIES + 1):  # a 429 is honoured for this answer alone
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_s(exc)
                if attempt == self.ANSWER_RETRIES or wait > self.ANSWER_WAIT_MAX_S:
                    raise
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")


def build_application(settings: Settings, *, request: BaseRequest | None = None,
                      updates_request: BaseRequest | None = None, rate_limit: bool = True,
                      clock: Callable[[], datetime] = utcnow) -> Application:
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (the sandbox sets one for you).")
    root = settings.telegram_api_url.rstrip("/")
    builder = (ApplicationBuilder().token(token).base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
               .post_init(handlers.post_init)
               # chats at once, each chat's updates in order; a press answered in time
               .concurrent_updates(PerChatOrder(answer_within_s=settings.answer_within_ms / 1000)))
    if request is None:  # aiohttp, not PTB's httpx: constant time per request under load (bot.transport)
        request, updates_request = AiohttpRequest(), AiohttpRequest(1)
    # Replies without the keyboard hitbot sent (bot.transport.LeanReplies); updates keep theirs.
    builder = builder.request(LeanReplies(request)).get_updates_request(updates_request or request)
    if rate_limit:
        # Telegram's limits (30 msg/s overall, about 1 msg/s per chat), retrying 429s it is told to.
        builder = builder.rate_limiter(PacedSends(max_retries=3))
    app = builder.build()
    app.bot_data["clock"] = clock
    app.bot_data["settings"] = settings
    handlers.register_all(app)
    app.add_error_handler(on_error)
    return app
