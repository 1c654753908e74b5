"""A request for the chat that is too long for an update handler (a big batch to publish, a big
results ZIP to send), run by the jobs worker from its outbox row with a Bot of its own."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Bot
from telegram.error import TelegramError

from core import outbox
from core.config import Settings, get_settings


def make_bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    root = settings.telegram_api_url.rstrip("/")
    return Bot(settings.telegram_bot_token.get_secret_value(), base_url=f"{root}/bot",
               base_file_url=f"{root}/file/bot")


def run_request(event_id: int, run: Callable[[Settings, dict], Awaitable[str]], *, what: str, log: logging.Logger,
                refused: type[Exception] | tuple[type[Exception], ...] = ()) -> None:
    """Run the request outbox event `event_id` holds (`run(settings, job)` says what happened), then
    mark the row done. A TelegramError is raised, so the broker tries again later (Telegram down);
    a `refused` error ends the row with its name, as trying again would not change the answer."""
    job = outbox.request_of(event_id)
    if job is None:
        return  # handled already (the relay may send a row twice)
    try:
        outcome = asyncio.run(run(get_settings(), job))
    except refused as exc:
        outbox.finish(event_id, now=datetime.now(UTC), error=type(exc).__name__)
        log.info("%s for message %s refused: %s", what, job["message_id"], type(exc).__name__)
        return
    except TelegramError as exc:
        log.warning("%s for message %s: Telegram error, will retry: %s", what, job["message_id"], exc)
        raise
    outbox.finish(event_id, now=datetime.now(UTC))
    log.info("%s for message %s: %s", what, job["message_id"], outcome)
