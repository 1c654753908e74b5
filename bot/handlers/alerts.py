"""/alerts: subscribe to new HITs with a saved filter; list, mute, unmute, delete.

The matching itself runs in core (core.alerts.commands.match_new_hits, called by the clock);
the pushes are outbox events that the jobs worker delivers."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import alerts as views
from bot.views.common import keyboard
from bot.views.notify import alert_buttons
from core.alerts import commands as alerts
from core.config import get_settings
from core.work.browse import Filters


async def _render(user_id: int) -> tuple[str, object]:
    subs = await call(alerts.list_alerts, user_id=user_id)
    return views.alerts_list(subs, get_settings().alerts_per_hour)


@on_message
async def show(update: Update, context: Context) -> None:
    text, markup = await _render(update.effective_user.id)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def new(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    await waiting.expect(me, "alert")
    await update.effective_message.reply_text(views.ask_filter(), reply_markup=views.cancel_markup(), parse_mode="HTML")
    return None


@on_message
async def filter_input(update: Update, context: Context) -> None:
    """The typed filter; a bad one gets the reason and the question stands."""
    me, msg = update.effective_user.id, update.effective_message
    wanted = alerts.parse_filter(msg.text or "")
    await call(alerts.subscribe, user_id=me, filters=wanted, now=now(context))
    await waiting.done(me)
    await msg.reply_text(views.saved(wanted), parse_mode="HTML")


@on_button
async def for_skills(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """🔔 Alert me for my skills (on /alerts and the For you page): an alert for the profile's words."""
    sub = await call(alerts.subscribe_interests, user_id=update.effective_user.id, now=now(context))
    await update.effective_message.reply_text(views.saved(Filters.from_dict(sub.filters)), parse_mode="HTML")
    return None


@on_button
async def cancel(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await waiting.done_if(update.effective_user.id, "alert")
    await update.effective_message.edit_text(views.cancelled())
    return None


@on_button
async def change(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    if cb.verb == "del":
        await call(alerts.delete, user_id=me, alert_id=cb.arg(0))
        toast = views.deleted_toast()
    else:
        muted = cb.verb == "mute"
        await call(alerts.set_muted, user_id=me, alert_id=cb.arg(0), muted=muted)
        toast = views.muted_toast() if muted else views.unmuted_toast()
    text, markup = await _render(me)
    await msg.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return toast


@on_button
async def mute_from_notice(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """'Mute this alert' under a pushed HIT: the notice stays, its mute button goes."""
    alert_id, hit_id = cb.args
    await call(alerts.set_muted, user_id=update.effective_user.id, alert_id=alert_id, muted=True)
    await update.effective_message.edit_reply_markup(keyboard([alert_buttons(hit_id)]))
    return views.muted_from_notice_toast()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("alerts", show))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting("alert"), filter_input))
    app.add_handler(CallbackQueryHandler(new, pattern=callbacks.pattern("al", "new", 0)))
    app.add_handler(CallbackQueryHandler(cancel, pattern=callbacks.pattern("al", "x", 0)))
    app.add_handler(CallbackQueryHandler(for_skills, pattern=callbacks.pattern("al", "sk", 0)))
    app.add_handler(CallbackQueryHandler(mute_from_notice, pattern=callbacks.pattern("al", "mt", 2)))
    for verb in ("mute", "unm", "del"):
        app.add_handler(CallbackQueryHandler(change, pattern=callbacks.pattern("al", verb, 1)))
