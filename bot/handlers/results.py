"""The results ZIP button under "Download results": small ZIPs are built here, big ones by
the jobs worker when one is installed (bot.results_zip explains the choice)."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callbacks, i18n, results_zip
from bot.runtime import Context, Notice, call, now, on_button
from bot.views import results as views
from core.hits import export

log = logging.getLogger(__name__)


@on_button
async def zip_results(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    target = {"hit_id": cb.arg(0)} if cb.verb == "zip" else {"batch_id": cb.arg(0)}
    rows = await call(export.results, requester_id=me, **target)  # the owner only
    files = await call(export.file_answers, rows=rows)
    if not files:
        return Notice(views.zip_nothing())
    job = dict(requester_id=me, chat_id=msg.chat_id, message_id=msg.message_id, now=now(context), **target)
    if len(files) > results_zip.ZIP_INLINE_FILES:  # through the outbox to the jobs worker's export actor
        await call(export.request_zip, **job)
        await msg.edit_text(views.zip_progress(0, len(files), background=True))
        return None
    await results_zip.build_and_send(context.bot, rows=rows, files=files, locale=i18n.current(), **job)
    return None


def register(app: Application) -> None:
    for verb in ("zip", "zipb"):
        app.add_handler(CallbackQueryHandler(zip_results, pattern=callbacks.pattern("r", verb, 1)))
