"""/start (registration, deep links) and /help."""
from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CommandHandler, TypeHandler

from bot.handlers.browse import send_preview
from bot.runtime import Context, call, now, on_message
from bot.views import start as views
from core.services import users


async def ensure_registered(update: Update, context: Context) -> None:
    """Every update keeps the user row fresh (once per process per user)."""
    tg = update.effective_user
    if tg is None or tg.is_bot or context.user_data.get("registered"):
        return
    await call(users.register, user_id=tg.id, first_name=tg.first_name or "", username=tg.username,
               language_code=tg.language_code, now=now(context))
    context.user_data["registered"] = True


HIT_LINK = re.compile(r"^hit_(\d{1,18})$")


@on_message
async def start(update: Update, context: Context) -> None:
    link = HIT_LINK.match(context.args[0]) if context.args else None
    if link:  # t.me/<bot>?start=hit_<id>: straight to that HIT's preview
        await send_preview(update.effective_message, context, update.effective_user.id, int(link.group(1)))
        return
    await update.effective_message.reply_text(views.welcome(update.effective_user.first_name),
                                              reply_markup=views.main_menu())


@on_message
async def help_(update: Update, context: Context) -> None:
    await update.effective_message.reply_text(views.help_text(), parse_mode="HTML")


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, ensure_registered), group=-1)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_))
