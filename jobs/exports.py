"""Big results ZIPs are built by the jobs worker, not in the bot's update handler.

The "ZIP with the files" button of an export with more than bot.results_zip.ZIP_INLINE_FILES
file answers records an `export.requested` outbox event (core.hits.export.request_zip), which
the relay routes to `build_results_zip`; the worker downloads the files from Telegram one at a
time, sends the ZIP part(s) to the requester's chat and edits the button's message as the
progress bar, exactly as the inline path does (bot.results_zip.build_and_send).
Safe to run twice: the export only reads; a redelivered message sends the same ZIP again."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from telegram.error import TelegramError

from bot import results_zip
from core import outbox
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
def build_results_zip(event_id: int) -> None:
    """The export.requested event `event_id`: build the ZIP and send it to the requester's chat."""
    job = outbox.request_of(event_id)
    if job is None:
        return  # handled already (the relay may send a row twice)
    try:
        outcome = asyncio.run(_run(get_settings(), job))
    except HitbotError as exc:  # e.g. no longer theirs: nothing to retry
        outbox.finish(event_id, now=datetime.now(timezone.utc), error=type(exc).__name__)
        log.info("results ZIP for message %s refused: %s", job["message_id"], type(exc).__name__)
        return
    except TelegramError as exc:  # Telegram down while sending a part: try again later
        log.warning("results ZIP for message %s: Telegram error, will retry: %s", job["message_id"], exc)
        raise
    outbox.finish(event_id, now=datetime.now(timezone.utc))
    log.info("results ZIP for message %s: %s", job["message_id"], outcome)


ACTORS = [build_results_zip]
