"""Big results ZIPs are built by the jobs worker, not in the bot's update handler.

The "ZIP with the files" button of an export with more than bot.results_zip.ZIP_INLINE_FILES
file answers queues `build_results_zip`; the worker downloads the files from Telegram one at a
time, sends the ZIP part(s) to the requester's chat and edits the button's message as the
progress bar, exactly as the inline path does (bot.results_zip.build_and_send).
Safe to run twice: the export only reads; a redelivered message sends the same ZIP again."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram.error import TelegramError

from bot import results_zip
from core.config import Settings, get_settings
from core.errors import HitbotError
from jobs.actors import actor
from jobs.batches import make_bot

log = logging.getLogger(__name__)

QUEUE = "exports"


async def _run(settings: Settings, job: dict) -> str:
    async with make_bot(settings) as bot:
        return await results_zip.build_and_send(bot, **job)


@actor(queue_name=QUEUE, max_retries=2, min_backoff=10_000, max_backoff=120_000, time_limit=60 * 60_000)
def build_results_zip(requester_id: int, chat_id: int, message_id: int, hit_id: int | None, batch_id: int | None,
                      now: str) -> None:
    job = dict(requester_id=requester_id, chat_id=chat_id, message_id=message_id, hit_id=hit_id,
               batch_id=batch_id, now=datetime.fromisoformat(now))
    try:
        outcome = asyncio.run(_run(get_settings(), job))
    except HitbotError as exc:  # e.g. no longer theirs: nothing to retry
        log.info("results ZIP for message %s refused: %s", message_id, type(exc).__name__)
        return
    except TelegramError as exc:  # Telegram down while sending a part: try again later
        log.warning("results ZIP for message %s: Telegram error, will retry: %s", message_id, exc)
        raise
    log.info("results ZIP for message %s: %s", message_id, outcome)


def enqueue(*, requester_id: int, chat_id: int, message_id: int, now: datetime, hit_id: int | None = None,
            batch_id: int | None = None) -> None:
    """What the bot calls (through bot_data) to hand a big ZIP to the worker."""
    build_results_zip.send(requester_id, chat_id, message_id, hit_id, batch_id, now.isoformat())


def install(application) -> None:
    """Let this bot application send big results ZIPs to the worker (call once a broker is set up)."""
    application.bot_data[results_zip.BACKGROUND] = enqueue


ACTORS = [build_results_zip]
