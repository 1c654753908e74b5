"""/apikey: list the requester's MTurk API keys, make one (its secret shown once), revoke one.

A new key's idempotency key is the message its button sits on: a double tap makes one key."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import apikey as views
from core.config import get_settings
from core.mturk import apikeys


@on_message
async def apikey(update: Update, context: Context) -> None:
    keys = await call(apikeys.list_keys, user_id=update.effective_user.id)
    text, markup = views.key_list(keys, get_settings().api_url)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def new_key(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    msg = update.effective_message
    key = await call(apikeys.create_key, user_id=update.effective_user.id, now=now(context),
                     request_key=f"chat:{msg.chat_id}:{msg.message_id}")
    text, markup = views.new_key(key, get_settings().api_url)
    await context.bot.send_message(msg.chat_id, text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def ask_revoke(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    key = await call(apikeys.owned_key, user_id=update.effective_user.id, key_id=cb.arg(0))
    text, markup = views.confirm_revoke(key)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def revoke(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    key = await call(apikeys.revoke_key, user_id=update.effective_user.id, key_id=cb.arg(0), now=now(context))
    await update.effective_message.edit_text(views.revoked(key), parse_mode="HTML")
    return None


@on_button
async def keep(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await update.effective_message.edit_text(views.kept())
    return None


@on_button
async def delete(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await update.effective_message.delete()
    return views.deleted()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("apikey", apikey))
    app.add_handler(CallbackQueryHandler(new_key, pattern=callbacks.pattern("ak", "new", 0)))
    app.add_handler(CallbackQueryHandler(ask_revoke, pattern=callbacks.pattern("ak", "rev", 1)))
    app.add_handler(CallbackQueryHandler(revoke, pattern=callbacks.pattern("ak", "rvy", 1)))
    app.add_handler(CallbackQueryHandler(keep, pattern=callbacks.pattern("ak", "rvn", 0)))
    app.add_handler(CallbackQueryHandler(delete, pattern=callbacks.pattern("ak", "del", 0)))
