"""Messages between a worker and a requester: ✉️ Ask the requester (preview, assignment), ✉️ Message
(review card), Reply, and /messages. Every press is re-checked in core before anything is typed."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import messages as views
from bot.views.start import cancel_markup
from core.messages import commands as msgs, queries
from core.users.commands import find_user


async def _tz(user_id: int) -> str | None:
    user = await call(find_user, user_id=user_id)
    return user.timezone if user else None


# Each button that opens a prompt: core's check of the press (its keyword for the presser and for
# the button's id), what the typed text will answer, and the prompt.
_PROMPTS = {
    "ask": (msgs.check_ask, "worker_id", "hit_id", "hit", views.ask_prompt),
    "wr": (msgs.check_message_worker, "requester_id", "assignment_id", "assignment", views.write_prompt),
    "rp": (msgs.check_reply, "user_id", "thread_id", "thread", views.reply_prompt),
}


@on_button
async def prompt_start(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    check, who, ref, to, prompt = _PROMPTS[cb.verb]
    me = update.effective_user.id
    await call(check, **{who: me, ref: cb.arg(0)})
    await waiting.expect(me, "message", to=to, id=cb.arg(0))
    await update.effective_message.reply_text(prompt(), reply_markup=cancel_markup())
    return None


@on_message
async def message_text(update: Update, context: Context) -> None:
    me, text = update.effective_user.id, update.effective_message.text or ""
    wait = await waiting.wait_of(update.effective_message) or {}
    to, target = wait.get("to"), int(wait.get("id") or 0)
    if to == "hit":
        await call(msgs.ask, worker_id=me, hit_id=target, text=text, now=now(context))
    elif to == "assignment":
        await call(msgs.message_worker, requester_id=me, assignment_id=target, text=text, now=now(context))
    else:
        await call(msgs.reply, user_id=me, thread_id=target, text=text, now=now(context))
    await waiting.done(me)
    await update.effective_message.reply_text(views.sent())


@on_message
async def messages_command(update: Update, context: Context) -> None:
    me = update.effective_user.id
    text, markup = views.thread_list(await call(queries.threads, user_id=me), await _tz(me))
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def open_thread(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    view = await call(msgs.open_thread, user_id=me, thread_id=cb.arg(0), now=now(context))
    text, markup = views.thread(view, await _tz(me))
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("messages", messages_command))
    for verb in _PROMPTS:
        app.add_handler(CallbackQueryHandler(prompt_start, pattern=callbacks.pattern("ms", verb, 1)))
    app.add_handler(CallbackQueryHandler(open_thread, pattern=callbacks.pattern("ms", "op", 1)))
    app.add_handler(MessageHandler(filters.TEXT & waiting.awaiting("message"), message_text))
