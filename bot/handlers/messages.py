"""Messages between a worker and a requester: ✉️ Ask the requester (preview, assignment), ✉️ Message
(review card), Reply (text, a photo or a document), /messages, a thread's Mute / Report / Block,
a worker's /blocks (bot.handlers.quals hands non-admins here) and an admin's /reports.
Every press is re-checked in core before anything is typed."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import messages as views
from bot.views.start import cancel_markup
from core.config import get_settings
from core.messages import commands as msgs, queries, safety
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


def _file_of(message) -> dict | None:
    """A photo (its largest size) or a document, as core checks and relays it: by file_id only."""
    if message.photo:
        p = message.photo[-1]
        return {"kind": "p", "file_id": p.file_id, "size": p.file_size}
    if message.document:
        d = message.document
        return {"kind": "d", "file_id": d.file_id, "size": d.file_size, "mime": d.mime_type, "name": d.file_name}
    return None


@on_message
async def message_text(update: Update, context: Context) -> None:
    msg = update.effective_message
    me, file = update.effective_user.id, _file_of(msg)
    text = (msg.caption if file else msg.text) or ""
    wait = await waiting.wait_of(msg) or {}
    to, target = wait.get("to"), int(wait.get("id") or 0)
    if to == "hit":
        await call(msgs.ask, worker_id=me, hit_id=target, text=text, file=file, now=now(context))
    elif to == "assignment":
        await call(msgs.message_worker, requester_id=me, assignment_id=target, text=text, file=file, now=now(context))
    else:
        await call(msgs.reply, user_id=me, thread_id=target, text=text, file=file, now=now(context))
    await waiting.done(me)
    await msg.reply_text(views.sent())


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


_ACTIONS = {"mu": "mute", "um": "unmute", "bk": "block", "ubk": "unblock"}


@on_button
async def thread_action(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """🔕 Mute / 🔔 Unmute / ⛔ Block / ✅ Unblock: the thread's message shows the new state."""
    me, action = update.effective_user.id, _ACTIONS[cb.verb]
    changed, view = await call(safety.act, user_id=me, thread_id=cb.arg(0), action=action, now=now(context))
    text, markup = views.thread(view, await _tz(me))
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return views.action_toast(action, changed)


@on_button
async def report_start(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    await call(safety.check_report, user_id=me, thread_id=cb.arg(0))
    await waiting.expect(me, "msreport", id=cb.arg(0))
    text, markup = views.report_prompt(cb.arg(0))
    await update.effective_message.reply_text(text, reply_markup=markup)
    return None


@on_button
async def report_now(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """🚩 Report without a reason, from the prompt."""
    me = update.effective_user.id
    await call(safety.report, user_id=me, thread_id=cb.arg(0), reason=None, now=now(context))
    await waiting.done(me)
    await update.effective_message.edit_text(views.reported())
    return None


@on_message
async def report_text(update: Update, context: Context) -> None:
    me = update.effective_user.id
    wait = await waiting.wait_of(update.effective_message) or {}
    await call(safety.report, user_id=me, thread_id=int(wait.get("id") or 0),
               reason=update.effective_message.text or "", now=now(context))
    await waiting.done(me)
    await update.effective_message.reply_text(views.reported())


async def blocks_of_worker(update: Update, context: Context) -> None:
    """/blocks for a worker: the requesters they blocked, each with Unblock (admins see the counts)."""
    me = update.effective_user.id
    text, markup = views.blocks_list(await call(safety.blocks_of, worker_id=me), await _tz(me))
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def unblock_from_list(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    changed = await call(safety.unblock_requester, worker_id=me, block_id=cb.arg(0))
    await update.effective_message.edit_reply_markup(views.without_unblock(update.effective_message.reply_markup,
                                                                            cb.arg(0)))
    return views.unblocked(changed)


@on_message
async def reports_command(update: Update, context: Context) -> None:
    me = update.effective_user.id
    page = await call(safety.open_reports, admin_ids=get_settings().admins, admin_id=me, now=now(context))
    text, markup = views.reports_page(page, await _tz(me))
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def reports_button(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """◀️ / ▶️ pages, ✅ Resolve (then the same page again)."""
    me, admins, toast = update.effective_user.id, get_settings().admins, None
    if cb.verb == "rs":
        resolved, page = await call(safety.resolve_report, admin_ids=admins, admin_id=me, report_id=cb.arg(0),
                                    page=cb.arg(1), now=now(context))
        toast = views.resolved_toast(resolved)
    else:
        page = await call(safety.open_reports, admin_ids=admins, admin_id=me, page=cb.arg(0), now=now(context))
    text, markup = views.reports_page(page, await _tz(me))
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return toast


def register(app: Application) -> None:
    app.add_handler(CommandHandler("messages", messages_command))
    for verb in _PROMPTS:
        app.add_handler(CallbackQueryHandler(prompt_start, pattern=callbacks.pattern("ms", verb, 1)))
    app.add_handler(CallbackQueryHandler(open_thread, pattern=callbacks.pattern("ms", "op", 1)))
    app.add_handler(MessageHandler((filters.TEXT | filters.PHOTO | filters.Document.ALL) & waiting.awaiting("message"),
                                   message_text))
    app.add_handler(CommandHandler("reports", reports_command))
    for verb in _ACTIONS:
        app.add_handler(CallbackQueryHandler(thread_action, pattern=callbacks.pattern("ms", verb, 1)))
    app.add_handler(CallbackQueryHandler(report_start, pattern=callbacks.pattern("ms", "rep", 1)))
    app.add_handler(CallbackQueryHandler(report_now, pattern=callbacks.pattern("ms", "rp0", 1)))
    app.add_handler(CallbackQueryHandler(unblock_from_list, pattern=callbacks.pattern("ms", "ubb", 1)))
    app.add_handler(CallbackQueryHandler(reports_button, pattern=callbacks.pattern("ms", "rs", 2)))
    app.add_handler(CallbackQueryHandler(reports_button, pattern=callbacks.pattern("ms", "rpg", 1)))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting("msreport"), report_text))
