"""Publishing a batch from its two Telegram files with a progress bar in one chat message:
for the Publish button (small batches, in the bot) and for the jobs worker's batch actor
(big ones, requested through the outbox). Running it twice publishes once: the key is the
chat message."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from datetime import datetime

from telegram import Bot
from telegram.error import TelegramError

from bot import input as waiting
from bot.runtime import call, error_text
from bot.views import newhit as views
from core.errors import InsufficientFunds
from core.hits import publishing
from core.hits.spec_files import BatchPlan, plan_batch
from core.models import Batch
from core.webtasks import templates

log = logging.getLogger(__name__)


class _Progress:
    """Edits one message as a batch is written: at most ~10 edits, in order, never blocking
    the database work (it runs in a thread; the edits run on the event loop)."""

    def __init__(self, bot: Bot, chat_id: int, message_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.bot, self.chat_id, self.message_id, self.loop = bot, chat_id, message_id, loop
        self.shown = -1
        self.bucket = -1
        self.lock = asyncio.Lock()
        self.futures: list[Future] = []

    def __call__(self, done: int, total: int) -> None:  # from the publishing thread
        bucket = 10 * done // max(total, 1)
        if bucket != self.bucket:
            self.bucket = bucket
            self.futures.append(asyncio.run_coroutine_threadsafe(self.show(done, total), self.loop))

    async def show(self, done: int, total: int) -> None:
        async with self.lock:
            if done <= self.shown:
                return
            self.shown = done
            try:
                await self.bot.edit_message_text(views.batch_progress(done, total), chat_id=self.chat_id,
                                                 message_id=self.message_id)
            except TelegramError as exc:  # progress is a nicety; publishing goes on
                log.info("batch progress edit failed: %s", exc)

    async def drain(self) -> None:
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self.futures), return_exceptions=True)


async def publish_batch_with_progress(bot: Bot, *, chat_id: int, message_id: int, requester_id: int, title: str,
                                      template: dict, rows: list[dict[str, str]], now: datetime, key: str,
                                      pages: templates.TemplatePlan | None = None) -> Batch:
    """Publish a batch (core.hits.publishing.publish_batch; with `pages`, the web tasks of an HTML
    template, core.webtasks.templates.publish), showing a progress bar by editing message
    `message_id`. Safe to call again with the same key (one batch only). The jobs worker can call
    this for big batches with its own Bot."""
    progress = _Progress(bot, chat_id, message_id, asyncio.get_running_loop())
    await progress.show(0, len(rows))
    try:
        if pages is not None:
            batch = await call(templates.publish, requester_id=requester_id, title=title, checked=pages, now=now,
                               key=key, progress=progress)
        else:
            batch = await call(publishing.publish_batch, requester_id=requester_id, title=title, template=template,
                               rows=rows, now=now, key=key, progress=progress)
    finally:
        await progress.drain()
    return batch


async def download(bot: Bot, file_id: str) -> bytes:
    return bytes(await (await bot.get_file(file_id)).download_as_bytearray())


async def plan_files(bot: Bot, state: dict) -> tuple[dict, list[dict[str, str]], BatchPlan,
                                                     templates.TemplatePlan | None]:
    """The batch the files in `state` make, checked: (spec, rows, plan, the web pages of an HTML
    template or None). ValidationFailed / BatchInvalid as core raises them."""
    spec_raw, csv_raw = await download(bot, state["spec"]), await download(bot, state["csv"])
    if state.get("template"):
        pages = await call(templates.plan, spec_raw=spec_raw, spec_name=state["spec_name"],
                           template_raw=await download(bot, state["template"]), csv_raw=csv_raw)
        return pages.spec, pages.rows, pages.plan, pages
    spec, rows, plan = await call(plan_batch, spec_raw=spec_raw, spec_name=state["spec_name"], csv_raw=csv_raw)
    return spec, rows, plan, None


async def publish_from_files(bot: Bot, *, requester_id: int, chat_id: int, message_id: int, state: dict,
                             now: datetime) -> str:
    """Download the batch's files again, publish it with a progress bar in message
    `message_id`, and say how it went there. Used by the Publish button and by the jobs
    worker for big batches; running it twice publishes once (the key is the message)."""
    try:
        template, rows, plan, pages = await plan_files(bot, state)
        title = str(template.get("title") or state["spec_name"])[:128]
        result = await publish_batch_with_progress(
            bot, chat_id=chat_id, message_id=message_id, requester_id=requester_id, title=title,
            template=template, rows=rows, now=now, key=f"{requester_id}:{message_id}", pages=pages)
    except InsufficientFunds as exc:
        await waiting.expect(requester_id, **state)  # top up, then press Publish again
        await bot.edit_message_text(views.short_of_funds(error_text(exc)), chat_id=chat_id, message_id=message_id,
                                    reply_markup=views.batch_buttons(int(state.get("below_floor") or 0)))
        return views.not_enough_toast()
    await bot.edit_message_text(views.batch_done(result.id, len(rows), plan.total_cents), chat_id=chat_id,
                                message_id=message_id, parse_mode="HTML")
    return views.published_toast()
