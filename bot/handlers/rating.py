"""Rating the requester 1-5 after a decision (the buttons come with the approval or
rejection notice). Core allows one rating per assignment; a second press changes nothing."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callbacks
from bot.runtime import Context, call, now, on_button
from bot.views import rating as views
from bot.views.notify import rated_text, without_rating
from core.review import commands as review


@on_button
async def rate(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    assignment_id, stars = cb.args
    await call(review.rate_requester, worker_id=update.effective_user.id, assignment_id=assignment_id,
               stars=stars, now=now(context))
    msg = update.effective_message
    await msg.edit_reply_markup(without_rating(msg.reply_markup))
    await msg.reply_text(rated_text(stars))
    return views.thanks_toast()


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(rate, pattern=callbacks.pattern("rt", "s", 2)))
