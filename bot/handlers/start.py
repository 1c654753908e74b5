"""/start (registration, deep links), /help, /cancel, and the replies to whatever no feature
was waiting for (an unknown command, a stray message)."""
from __future__ import annotations

import re

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot import callbacks, input as waiting
from bot.handlers import language
from bot.handlers.browse import send_preview
from bot.runtime import Context, call, now, on_button, on_button_showing, on_message
from bot.views import dashboard as home_views, start as views
from bot.views.chart import EARNINGS_7, earnings_png, submissions_png
from core import dashboard
from core.config import get_settings
from core.errors import HitbotError
from core.hits import drafts
from core.users import commands as users
from core.work import queries as work_queries


async def ensure_registered(update: Update, context: Context) -> None:
    """Every update keeps the user row fresh (once per process per user); the row it reads tells
    the language the person chose, which wins over Telegram's from then on."""
    tg = update.effective_user
    if tg is None or tg.is_bot or context.user_data.get("registered"):
        return
    user = await call(users.register, user_id=tg.id, first_name=tg.first_name or "", username=tg.username,
                      language_code=tg.language_code, now=now(context))
    context.user_data["registered"] = True
    language.remember(context, tg.language_code, users.chosen_language(user), user.timezone)


HIT_LINK = re.compile(r"^hit_(\d{1,18})$")


@on_message
async def start(update: Update, context: Context) -> None:
    link = HIT_LINK.match(context.args[0]) if context.args else None
    if link:  # t.me/<bot>?start=hit_<id>: straight to that HIT's preview
        await send_preview(update.effective_message, context, update.effective_user.id, int(link.group(1)))
        return
    await show_home(update, context)


async def show_home(update: Update, context: Context) -> None:
    """The home screen (a new user: the welcome): the week's charts when there is something to draw,
    then the figures with their buttons, last so they sit at the bottom of the chat."""
    chat_id, first_name = update.effective_chat.id, update.effective_user.first_name
    d = await call(dashboard.overview, user_id=update.effective_user.id, now=now(context),
                   week_starts=home_views.week_starts())
    if d.is_new:
        await context.bot.send_message(chat_id, views.welcome(first_name), reply_markup=views.main_menu(home=False))
        return
    earned, received = home_views.worker_chart(d), home_views.requester_chart(d)
    if earned:
        png = await call(earnings_png, days=earned, title=EARNINGS_7)
        await context.bot.send_photo(chat_id, InputFile(png, filename="earnings.png"),
                                     caption=home_views.chart_caption())
    if received:
        png = await call(submissions_png, days=received)
        await context.bot.send_photo(chat_id, InputFile(png, filename="submissions.png"),
                                     caption=home_views.submissions_caption())
    text, markup = home_views.home(d, first_name, now(context))
    await context.bot.send_message(chat_id, text, reply_markup=markup, parse_mode="HTML")


home = on_button_showing(show_home)


@on_message
async def help_(update: Update, context: Context) -> None:
    admin = update.effective_user.id in get_settings().admins
    await update.effective_message.reply_text(views.help_text(admin=admin), parse_mode="HTML")


async def _title_of(me: int, wait: dict) -> str:
    try:
        state = await call(work_queries.work_state, worker_id=me, assignment_id=int(wait.get("assignment_id", 0)))
    except HitbotError:
        return ""
    return state.hit.title


async def _cancel(context: Context, me: int, *, keep: frozenset[str] = frozenset()) -> str:
    """End the pending prompt; what to tell the person."""
    wait = await call(waiting.disarm, user_id=me, keep=keep)
    if not wait:
        return views.cancelled(None)
    kind, title = wait.get("kind", ""), ""
    if kind == "newhit" and wait.get("draft_id"):
        try:
            await call(drafts.cancel, user_id=me, draft_id=int(wait["draft_id"]), now=now(context))
        except HitbotError:  # published or gone meanwhile: nothing left to cancel
            pass
    elif kind == "answer":
        title = await _title_of(me, wait)
    return views.cancelled(kind, title)


@on_message
async def cancel(update: Update, context: Context) -> None:
    """/cancel, wherever the person is: ends the pending prompt and says which."""
    text = await _cancel(context, update.effective_user.id)
    await update.effective_message.reply_text(text, parse_mode="HTML")


@on_button
async def cancel_button(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """A prompt's Cancel: the same as /cancel, except that it never stops an assignment's answers."""
    text = await _cancel(context, update.effective_user.id, keep=waiting.KEPT_BY_COMMANDS)
    nothing = text == views.cancelled(None)
    await update.effective_message.edit_text(views.cancelled("") if nothing else text, parse_mode="HTML")
    return None


@on_message
async def unknown_command(update: Update, context: Context) -> None:
    msg = update.effective_message
    command = (msg.text or msg.caption or "/").split(maxsplit=1)[0][1:].split("@", 1)[0]
    admin = update.effective_user.id in get_settings().admins
    await update.effective_message.reply_text(views.unknown_command(command) + "\n\n" + views.help_text(admin=admin),
                                              parse_mode="HTML")


@on_message
async def nothing_waiting(update: Update, context: Context) -> None:
    """A message no feature asked for: say so, and what the person can do instead."""
    doc = update.effective_message.document
    if doc is not None and (doc.file_name or "").lower().endswith((".yaml", ".yml", ".json", ".csv")):
        await update.effective_message.reply_text(views.spec_file_hint())
        return
    await update.effective_message.reply_text(views.not_waiting(), reply_markup=views.main_menu())


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, ensure_registered), group=-1)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_))
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(CallbackQueryHandler(cancel_button, pattern=callbacks.pattern("m", "cx", 0)))
    app.add_handler(CallbackQueryHandler(home, pattern=callbacks.pattern("m", "home", 0)))


def register_fallbacks(app: Application) -> None:
    """After every feature's handlers: what none of them claimed gets a short helpful reply."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & (filters.COMMAND | filters.CaptionRegex(r"^/")), unknown_command))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL & ~filters.SUCCESSFUL_PAYMENT,
                                   nothing_waiting))
