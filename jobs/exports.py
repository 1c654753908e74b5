"""Big results ZIPs are built by the jobs worker, not in the bot's update handler.

The "ZIP with the files" button of an export with more than bot.results_zip.ZIP_INLINE_FILES
file answers records an `export.requested` outbox event (core.hits.export.request_zip), which
the relay routes to `build_results_zip`; the worker downloads the files from Telegram one at a
time, sends the ZIP part(s) to the requester's chat and edits the button's message as the
progress bar, exactly as the inline path does (bot.results_zip.build_and_send).
Safe to run twice: the export only reads; a redelivered message sends the same ZIP again."""
from __future__ import annotations

import logging

from bot import results_zip
from core.config import Settings
from core.errors import HitbotError
from jobs.actors import actor
from jobs.chat_requests import make_bot, run_request

log = logging.getLogger(__name__)

QUEUE = "exports"


async def _run(settings: Settings, job: dict) -> str:
    async with make_bot(settings) as bot:
        return await results_zip.build_and_send(bot, **job)


@actor(queue_name=QUEUE, max_retries=2, min_backoff=10_000, max_backoff=120_000, time_limit=60 * 60_000)
def build_results_zip(event_id: int) -> None:
    """The export.requested event `event_id`: build the ZIP and send it to the requester's chat.
    A HitbotError (e.g. no longer theirs) ends it; a TelegramError (Telegram down while sending a
    part) is tried again later."""
    run_request(event_id, _run, what="results ZIP", log=log, refused=HitbotError)


ACTORS = [build_results_zip]
