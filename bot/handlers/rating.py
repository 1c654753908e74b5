"""Ratings both ways (issue 18). A worker rates the requester 1-5 after a decision (the buttons come
with the approval or rejection notice), then optionally the pay, fairness, communication and review
speed, one tap each, in the one thanks message edited in place. A requester rates the worker on the
submission card (changeable for 7 days); the card is redrawn with the worker's new average.
Core re-checks every press: a forged or stale one changes nothing."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callbacks
from bot.runtime import Context, call, now, on_button
from bot.views import rating as views, ratings as ratings_views, review as review_views
from bot.views.notify import without_rating
from core.review import commands as review, ratings
from core.review.ratings import DimensionStep


@on_button
async def rate(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    assignment_id, stars = cb.args
    await call(review.rate_requester, worker_id=update.effective_user.id, assignment_id=assignment_id,
               stars=stars, now=now(context))
    msg = update.effective_message
    await msg.edit_reply_markup(without_rating(msg.reply_markup))
    text, markup = ratings_views.dimension_step(DimensionStep(assignment_id, stars, {}, 0))
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return views.thanks_toast()


@on_button
async def dimension(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    assignment_id, index, value = cb.args
    step = await call(ratings.rate_dimension, worker_id=update.effective_user.id, assignment_id=assignment_id,
                      dimension=index, value=value, now=now(context))
    text, markup = ratings_views.dimension_step(step)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return views.thanks_toast() if value else None


@on_button
async def rate_worker(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    assignment_id, stars = cb.args
    rated = await call(ratings.rate_worker, requester_id=update.effective_user.id, assignment_id=assignment_id,
                       stars=stars, now=now(context))
    text, markup, _files = review_views.render_card(rated.submission, now=now(context))
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return ratings_views.rated_worker_toast(stars)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(rate, pattern=callbacks.pattern("rt", "s", 2)))
    app.add_handler(CallbackQueryHandler(dimension, pattern=callbacks.pattern("rt", "d", 3)))
    app.add_handler(CallbackQueryHandler(rate_worker, pattern=callbacks.pattern("rw", "s", 2)))
