"""The reader's language: set for every update before any handler speaks, chosen with /language
(stored on the user; it then wins over what the Telegram app says), and the command menu that follows it."""
from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, TypeHandler

from bot import callbacks, i18n
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import language as views, start as start_views
from core.config import get_settings
from core.errors import NotAllowed
from core.users import commands as users

log = logging.getLogger(__name__)
# How long this process trusts the choice it read (another bot replica may have stored a new one).
RECHECK_S = 600.0


def remember(context: Context, telegram_code: str | None, chosen: str | None, tz_name: str | None = None) -> None:
    """The choice (and the time zone) read from the user's row: speak it from this update on."""
    context.user_data["language"] = (chosen, now(context).timestamp(), tz_name)
    i18n.activate(chosen or telegram_code, tz_name)


def remember_timezone(context: Context, tz_name: str) -> None:
    """A zone the person just set: their times follow it from this update on."""
    cached = context.user_data.get("language")
    if cached is not None:
        context.user_data["language"] = (cached[0], cached[1], tz_name)
    i18n.activate(i18n.current(), tz_name)


async def set_locale(update: Update, context: Context) -> None:
    """First for every update (group -4): the locale its replies are written in."""
    tg = update.effective_user
    if tg is None or tg.is_bot or context.user_data is None:
        i18n.activate(i18n.DEFAULT)  # an update from no one: nothing of the last person's may linger
        return
    cached = context.user_data.get("language")
    if cached is not None and now(context).timestamp() - cached[1] > RECHECK_S:
        user = await call(users.find_user, user_id=tg.id)
        remember(context, tg.language_code, users.chosen_language(user) if user else None,
                 user.timezone if user else None)
        return
    # Not read yet in this process: Telegram's code until ensure_registered reads the row (group -1).
    i18n.activate((cached[0] if cached else None) or tg.language_code, cached[2] if cached else None)


def locale_of(*, user_id: int) -> str:
    """Someone's language read from their row (their choice, else their Telegram app's)."""
    return i18n.locale_of(users.find_user(user_id))


def menu(locale: str, *, admin: bool = False) -> list[BotCommand]:
    with i18n.use(locale):
        return [BotCommand(c, d) for c, d in start_views.menu_commands(admin=admin)]


async def set_chat_menu(bot, chat_id: int, locale: str, *, admin: bool = False) -> None:
    """A menu of this chat's own (an explicit choice, an admin's commands): it beats the per-language ones."""
    try:
        await bot.set_my_commands(menu(locale, admin=admin), scope=BotCommandScopeChat(chat_id))
    except TelegramError:  # a chat Telegram does not know yet: the per-language menu still shows
        log.info("setMyCommands for chat %s failed", chat_id)


async def _switch(update: Update, context: Context, code: str) -> None:
    me = update.effective_user
    await call(users.set_language, user_id=me.id, language=code)
    cached = context.user_data.get("language")
    remember(context, me.language_code, code, cached[2] if cached else None)
    await set_chat_menu(context.bot, me.id, code, admin=me.id in get_settings().admins)


@on_message
async def language(update: Update, context: Context) -> None:
    asked = " ".join(context.args) if context.args else None
    code = views.match(asked) if asked else None
    if code is not None:
        await _switch(update, context, code)
        await update.effective_message.reply_text(views.chosen(code))
        return
    here = i18n.current()
    await update.effective_message.reply_text(views.choose(asked=asked), reply_markup=views.buttons(here))


@on_button
async def pick(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    code = views.code_at(cb.arg(0))
    if code is None:  # forged, or a language since removed
        raise NotAllowed()
    await _switch(update, context, code)
    await update.effective_message.edit_text(views.chosen(code))
    return None


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, set_locale), group=-4)
    app.add_handler(CommandHandler("language", language))
    app.add_handler(CallbackQueryHandler(pick, pattern=callbacks.pattern("lg", "set", 1)))
