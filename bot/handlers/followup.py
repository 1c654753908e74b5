"""➕ Offer follow-up work (a submission card, a conversation) and 📣 Message workers (a HIT's or a
batch's card in /myhits, `/qual message NAME`). One core call per update; every press re-checked in
core (core.hits.followup, core.messages.groups); the typed reward or text is awaited in the database."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, call, error_text, now, on_button, on_message
from bot.views import followup as views
from bot.views.start import cancel_markup
from core.errors import HitbotError
from core.hits import followup
from core.messages import groups
from core.quals.commands import my_types

OFFER, GROUP = "followup", "groupmsg"


def _clear(prefs: dict) -> dict:
    return {waiting.KEY: None}


@on_button
async def offer_start(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    where = {"assignment_id": cb.arg(0)} if cb.verb == "a" else {"thread_id": cb.arg(0)}
    view = await call(followup.start, requester_id=me, now=now(context), **where,
                      prefs=lambda prefs, offer_id: {waiting.KEY: waiting.wait(OFFER, id=offer_id)})
    text, markup = views.offer_screen(view)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def offer_template(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    view = await call(followup.choose_template, requester_id=update.effective_user.id, offer_id=cb.arg(0),
                      hit_id=cb.arg(1))
    text, markup = views.offer_screen(view)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_message
async def offer_text(update: Update, context: Context) -> None:
    """The reward (and WorkerIds): a confirmation with ✅ Publish; typing again replaces it."""
    me, msg = update.effective_user.id, update.effective_message
    wait = await waiting.wait_of(msg) or {}
    view = await call(followup.give, requester_id=me, offer_id=int(wait.get("id") or 0), text=msg.text or "")
    text, markup = views.confirm_screen(view)
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def offer_publish(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    view = await call(followup.publish, requester_id=update.effective_user.id, offer_id=cb.arg(0),
                      now=now(context), prefs=_clear)
    await update.effective_message.edit_text(views.published(view), parse_mode="HTML")
    return None


# Group messages -------------------------------------------------------------------------------

_TARGETS = {"h": "hit", "b": "batch", "q": "qual"}


async def _ask_group(update: Update, context: Context, target: str, target_id: int | None = None,
                     name: str | None = None) -> None:
    """One core call: who would get it (by id, or a qualification by name), the wait for the text stored with it."""
    def prefs(_prefs: dict, seen) -> dict:
        return {waiting.KEY: waiting.wait(GROUP, target=seen.target, id=seen.target_id)}

    me = update.effective_user.id
    if name is None:
        seen = await call(groups.audience, requester_id=me, target=target, target_id=target_id, now=now(context),
                          prefs=prefs)
    else:
        seen = await call(groups.holders_audience, requester_id=me, name=name, now=now(context), prefs=prefs)
    await update.effective_message.reply_text(views.group_prompt(seen), reply_markup=cancel_markup(),
                                              parse_mode="HTML")


@on_button
async def group_start(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await _ask_group(update, context, _TARGETS[cb.verb], cb.arg(0))
    return None


@on_message
async def qual_message(update: Update, context: Context) -> None:
    """/qual message NAME: everyone holding one of the requester's qualifications."""
    name = (update.effective_message.text or "").split(maxsplit=2)[2:]
    if not name:  # which one: a button per qualification someone holds
        text, markup = views.qual_pick(await call(my_types, owner_id=update.effective_user.id))
        await update.effective_message.reply_text(text, reply_markup=markup)
        return
    await _ask_group(update, context, "qual", name=name[0])


@on_message
async def group_text(update: Update, context: Context) -> None:
    """The text: a progress message first (the card the jobs worker edits), then one core call."""
    me, msg = update.effective_user.id, update.effective_message
    wait = await waiting.wait_of(msg) or {}
    status = await msg.reply_text(views.group_starting())
    try:
        p = await call(groups.send, requester_id=me, target=str(wait.get("target")), target_id=int(wait.get("id") or 0),
                       text=msg.text or "", now=now(context), chat_id=status.chat_id, message_id=status.message_id,
                       prefs=_clear)
    except HitbotError as exc:  # too long, a cap: said in the progress message; the prompt stands
        await status.edit_text(error_text(exc))
        return
    text, markup = views.group_progress(p)
    await status.edit_text(text, reply_markup=markup, parse_mode="HTML")


def register(app: Application) -> None:
    for verb in ("a", "t"):
        app.add_handler(CallbackQueryHandler(offer_start, pattern=callbacks.pattern("fu", verb, 1)))
    app.add_handler(CallbackQueryHandler(offer_template, pattern=callbacks.pattern("fu", "tp", 2)))
    app.add_handler(CallbackQueryHandler(offer_publish, pattern=callbacks.pattern("fu", "ok", 1)))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting(OFFER), offer_text))
    for verb in _TARGETS:
        app.add_handler(CallbackQueryHandler(group_start, pattern=callbacks.pattern("gm", verb, 1)))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting(GROUP), group_text))
    # Registered before /qual's handler (bot.handlers.MODULES): `/qual message NAME` is this feature's.
    app.add_handler(MessageHandler(filters.Regex(r"^/qual(@\w+)?\s+message(\s|$)"), qual_message))
