"""/privacy (what hitbot keeps, Export my data, Delete my account) and /forget <user id> for admins.
Core re-checks everything: escrow before a deletion, admin rights for /forget."""
from __future__ import annotations

import json

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import admin as admin_views, privacy as views
from core.config import get_settings
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.users import privacy


@on_message
async def show(update: Update, context: Context) -> None:
    text, markup = views.overview(await call(privacy.summary, user_id=update.effective_user.id))
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def export(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    data = await call(privacy.export, user_id=me, now=now(context))
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await context.bot.send_document(update.effective_chat.id, InputFile(body, filename=f"hitbot-data-{me}.json"),
                                    caption=views.export_caption())
    return None


@on_button
async def ask_delete(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    s = await call(privacy.summary, user_id=update.effective_user.id)
    if s.must_wait:
        await update.effective_message.reply_text(views.must_wait(s))
        return None
    text, markup = views.confirm_delete(s)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def delete(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    if cb.verb in ("delx", "fgx"):
        await update.effective_message.edit_text(views.delete_cancelled())
        return None
    done = await call(privacy.delete_account, user_id=update.effective_user.id, now=now(context))
    await update.effective_message.edit_text(views.deleted(done))
    return None


@on_message
async def forget(update: Update, context: Context) -> None:
    if update.effective_user.id not in get_settings().admins:
        raise NotAllowed(admin_views.only_admins())
    parts = (update.effective_message.text or "").split()[1:]
    if len(parts) != 1 or not (parts[0].isascii() and parts[0].isdigit()) or len(parts[0]) > 16:
        raise ValidationFailed(views.forget_usage())
    try:
        s = await call(privacy.summary, user_id=int(parts[0]))
    except NotFound:
        raise NotFound(admin_views.no_such_user(parts[0])) from None
    if s.must_wait:
        await update.effective_message.reply_text(views.must_wait(s, theirs=True))
        return
    text, markup = views.confirm_forget(s)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def forget_confirm(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    done = await call(privacy.forget, admin_id=update.effective_user.id, user_id=cb.arg(0), now=now(context))
    await update.effective_message.edit_text(views.forgotten(done))
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("privacy", show))
    app.add_handler(CommandHandler("forget", forget))
    app.add_handler(CallbackQueryHandler(export, pattern=callbacks.pattern("pv", "exp", 0)))
    app.add_handler(CallbackQueryHandler(ask_delete, pattern=callbacks.pattern("pv", "del", 0)))
    app.add_handler(CallbackQueryHandler(delete, pattern=callbacks.pattern("pv", "dely", 0)))
    app.add_handler(CallbackQueryHandler(delete, pattern=callbacks.pattern("pv", "delx", 0)))
    app.add_handler(CallbackQueryHandler(delete, pattern=callbacks.pattern("pv", "fgx", 0)))
    app.add_handler(CallbackQueryHandler(forget_confirm, pattern=callbacks.pattern("pv", "fg", 1)))
