"""Big batches are published by the jobs worker, not in the bot's update handler.

The Publish button of a batch with more than HITBOT_BATCH_BACKGROUND_ROWS rows records a
`batch.requested` outbox event (core.hits.publishing.request_batch); the relay routes it to
`publish_large_batch`, which downloads the two files again, publishes the batch (one
transaction, all or nothing) and edits the chat message as a progress bar, then shows the
result there, exactly as the inline path does (bot.batch_publish.publish_from_files).
A second run (redelivery after a crash) publishes nothing more: the idempotency key is the
chat message's id."""
from __future__ import annotations

import logging
from datetime import datetime

from telegram import Bot
from telegram.error import BadRequest

from bot import batch_publish, i18n
from bot.runtime import call, error_text
from bot.views import newhit as views
from core.config import Settings
from core.errors import HitbotError, StaleAction
from core.hits.publishing import published_batch
from core.users import commands as users
from jobs.actors import actor
from jobs.chat_requests import make_bot, run_request

log = logging.getLogger(__name__)

QUEUE = "batches"


async def run_large_batch(bot: Bot, *, requester_id: int, chat_id: int, message_id: int, state: dict,
                          now: datetime) -> str:
    """Publish one queued batch and report in its message, in the requester's language (this runs outside
    their update); returns what happened."""
    user = await call(users.find_user, user_id=requester_id)
    with i18n.use(i18n.locale_of(user)):
        return await _run_large_batch(bot, requester_id=requester_id, chat_id=chat_id, message_id=message_id,
                                      state=state, now=now)


async def _run_large_batch(bot: Bot, *, requester_id: int, chat_id: int, message_id: int, state: dict,
                           now: datetime) -> str:
    key = f"{requester_id}:{message_id}"  # the key bot.batch_publish publishes with
    if await _show_if_published(bot, chat_id, message_id, key):
        return "already published"  # a redelivered message: the first run did it
    try:
        return await batch_publish.publish_from_files(bot, requester_id=requester_id, chat_id=chat_id,
                                                      message_id=message_id, state=state, now=now)
    except StaleAction:  # two runs at once: the other one won
        await _show_if_published(bot, chat_id, message_id, key)
        return "already published"
    except HitbotError as exc:  # e.g. the requester was banned meanwhile: tell them, don't retry
        await _say(bot, chat_id, message_id, "❌ " + error_text(exc))
        return "refused"
    except BadRequest as exc:  # Telegram no longer has the files: retrying will not bring them back
        log.info("batch for message %s: files gone: %s", message_id, exc)
        await _say(bot, chat_id, message_id, views.batch_files_gone())
        return "files gone"


async def _show_if_published(bot: Bot, chat_id: int, message_id: int, key: str) -> bool:
    found = await call(published_batch, key=key)
    if found is None:
        return False
    batch, escrow_cents = found
    await _say(bot, chat_id, message_id, views.batch_done(batch.id, batch.rows_n, escrow_cents), html=True)
    return True


async def _say(bot: Bot, chat_id: int, message_id: int, text: str, *, html: bool = False) -> None:
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, parse_mode="HTML" if html else None)
    except BadRequest as exc:
        log.info("could not edit the batch message: %s", exc)


async def _run(settings: Settings, job: dict) -> str:
    async with make_bot(settings) as bot:
        return await run_large_batch(bot, **job)


@actor(queue_name=QUEUE, max_retries=5, min_backoff=5_000, max_backoff=120_000, time_limit=30 * 60_000)
def publish_large_batch(event_id: int) -> None:
    """The batch.requested event `event_id`: publish it and report in its chat message. A refusal
    (HitbotError) is reported there by run_large_batch itself; a TelegramError (the files could not
    be downloaded) is tried again later."""
    run_request(event_id, _run, what="batch", log=log)


ACTORS = [publish_large_batch]
