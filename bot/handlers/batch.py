"""/batch: a spec file with ${column} placeholders plus a CSV -> one HIT per row, all or nothing.

Between messages the bot keeps only the two files' Telegram ids (in the database, via
bot.input), downloading them again when needed, so a restart loses nothing."""
from __future__ import annotations

import asyncio
import csv
import io
import logging
from concurrent.futures import Future
from datetime import datetime

from telegram import Bot, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import newhit as views
from core.config import get_settings
from core.errors import BatchInvalid, InsufficientFunds, StaleAction, ValidationFailed
from core.hits import publishing
from core.hits.spec_files import MAX_CSV_BYTES, MAX_SPEC_BYTES, load_spec_document, plan_batch
from core.models import Batch
from core.payments import accounts

log = logging.getLogger(__name__)
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
# bot_data key of the function that queues a big batch for the jobs worker (set by jobs.batches.install).
BACKGROUND = "background_batch"


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
                                      template: dict, rows: list[dict[str, str]], now: datetime, key: str) -> Batch:
    """Publish a batch (core.hits.publishing.publish_batch), showing a progress bar by
    editing message `message_id`. Safe to call again with the same key (one batch only).
    The jobs worker can call this for big batches with its own Bot."""
    progress = _Progress(bot, chat_id, message_id, asyncio.get_running_loop())
    await progress.show(0, len(rows))
    try:
        batch = await call(publishing.publish_batch, requester_id=requester_id, title=title, template=template,
                           rows=rows, now=now, key=key, progress=progress)
    finally:
        await progress.drain()
    return batch


async def _download(bot: Bot, file_id: str) -> bytes:
    return bytes(await (await bot.get_file(file_id)).download_as_bytearray())


@on_message
async def batch(update: Update, context: Context) -> None:
    await waiting.expect(update.effective_user.id, "batch")
    await update.effective_message.reply_text(views.BATCH_START, parse_mode="HTML")


@on_message
async def file_in(update: Update, context: Context) -> None:
    """The spec file or the CSV, in either order; with both, validate every row and show the cost."""
    me, msg = update.effective_user.id, update.effective_message
    doc = msg.document
    name = (doc.file_name or "").lower()
    state = dict(await call(waiting.waiting_for, user_id=me) or {"kind": "batch"})
    if name.endswith(SPEC_SUFFIXES):
        if doc.file_size and doc.file_size > MAX_SPEC_BYTES:
            raise ValidationFailed(f"A spec file can be at most {MAX_SPEC_BYTES // 1024} KB.")
        await call(load_spec_document, raw=await _download(context.bot, doc.file_id), filename=name)
        state.update(spec=doc.file_id, spec_name=name)
    elif name.endswith((".csv", ".txt")) or doc.mime_type in ("text/csv", "text/plain"):
        if doc.file_size and doc.file_size > MAX_CSV_BYTES:
            raise ValidationFailed(f"A batch CSV can be at most {MAX_CSV_BYTES // (1024 * 1024)} MB. "
                                   "Split it into several batches.")
        state.update(csv=doc.file_id)
    else:
        raise ValidationFailed("Send the spec as a .yaml or .json file and the rows as a .csv file.")
    state.pop("kind", None)
    await waiting.expect(me, "batch", **state)
    if not (state.get("spec") and state.get("csv")):
        await msg.reply_text(views.batch_need(bool(state.get("spec"))))
        return
    spec_raw, csv_raw = await _download(context.bot, state["spec"]), await _download(context.bot, state["csv"])
    try:
        _, rows, plan = await call(plan_batch, spec_raw=spec_raw, spec_name=state["spec_name"], csv_raw=csv_raw)
    except BatchInvalid as exc:
        await waiting.expect(me, "batch", spec=state["spec"], spec_name=state["spec_name"])  # keep the spec
        await msg.reply_text(views.batch_bad_rows(exc.message, len(exc.problems)), parse_mode="HTML")
        if len(exc.problems) > 20:
            await msg.reply_document(InputFile(_problems_csv(exc.problems), filename="bad-rows.csv"))
        return
    except ValidationFailed:
        await waiting.expect(me, "batch", spec=state["spec"], spec_name=state["spec_name"])
        raise
    state["rows_n"] = len(rows)  # decides inline or background publishing
    await waiting.expect(me, "batch", **state)
    balance = await call(accounts.balances, user_id=me)
    text, markup = views.batch_summary(len(rows), plan, balance.available_cents)
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


def _problems_csv(problems: list[tuple[int, str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["row", "problem"])
    writer.writerows(problems)
    return out.getvalue().encode()


@on_button
async def publish(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    state = await call(waiting.waiting_for, user_id=me)
    if not state or state.get("kind") != "batch" or not (state.get("spec") and state.get("csv")):
        raise StaleAction()
    await waiting.done(me)  # a second tap finds nothing to publish
    job = dict(requester_id=me, chat_id=msg.chat_id, message_id=msg.message_id, state=state, now=now(context))
    background = context.application.bot_data.get(BACKGROUND)
    if background is not None and int(state.get("rows_n") or 0) > get_settings().batch_background_rows:
        try:
            await call(background, **job)
        except Exception as exc:  # no queue right now: publish here, just slower
            log.warning("background batch unavailable, publishing inline: %s", type(exc).__name__)
        else:
            await msg.edit_text(views.batch_progress(0, 1) + "\n" + views.BATCH_BACKGROUND)
            return "Publishing in the background."
    return await publish_from_files(context.bot, **job)


async def publish_from_files(bot: Bot, *, requester_id: int, chat_id: int, message_id: int, state: dict,
                             now: datetime) -> str:
    """Download the batch's two files again, publish it with a progress bar in message
    `message_id`, and say how it went there. Used by the Publish button and by the jobs
    worker for big batches; running it twice publishes once (the key is the message)."""
    try:
        template, rows, plan = await call(plan_batch, spec_raw=await _download(bot, state["spec"]),
                                          spec_name=state["spec_name"], csv_raw=await _download(bot, state["csv"]))
        title = str(template.get("title") or state["spec_name"])[:128]
        result = await publish_batch_with_progress(
            bot, chat_id=chat_id, message_id=message_id, requester_id=requester_id, title=title,
            template=template, rows=rows, now=now, key=f"{requester_id}:{message_id}")
    except InsufficientFunds as exc:
        await waiting.expect(requester_id, **state)  # top up, then press Publish again
        await bot.edit_message_text("💳 " + exc.message, chat_id=chat_id, message_id=message_id,
                                    reply_markup=views.batch_buttons())
        return "Not enough balance yet."
    await bot.edit_message_text(views.batch_done(result.id, len(rows), plan.total_cents), chat_id=chat_id,
                                message_id=message_id, parse_mode="HTML")
    return "Published!"


@on_button
async def cancel(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    state = await call(waiting.waiting_for, user_id=me)
    if state and state.get("kind") == "batch":
        await waiting.done(me)
    await update.effective_message.edit_text("Cancelled. Nothing was published.")
    return "Cancelled."


def register(app: Application) -> None:
    app.add_handler(CommandHandler("batch", batch))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^/batch\b"), file_in))
    app.add_handler(MessageHandler(filters.Document.ALL & waiting.awaiting("batch"), file_in))
    app.add_handler(CallbackQueryHandler(publish, pattern=callbacks.pattern("r", "bp", 0)))
    app.add_handler(CallbackQueryHandler(cancel, pattern=callbacks.pattern("r", "bx", 0)))
