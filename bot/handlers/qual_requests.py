"""Qualification requests: 🙋 on a preview (an optional message, or none), and the requester's
Grant / another value / Refuse (with an optional reason) on the notice. Core re-checks every press."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import qual_requests as views
from core.errors import NotAllowed, ValidationFailed
from core.quals import requests

log = logging.getLogger(__name__)
KIND = "qualreq"


async def _expect(me: int, **data: object) -> None:
    """Wait for the typed text; what was waiting before (an assignment being answered) comes back after."""
    before = await call(waiting.waiting_for, user_id=me)
    if before and before.get("kind") == KIND:
        before = before.get("before")
    await waiting.expect(me, KIND, before=before, **data)


async def _done(me: int, wait: dict | None) -> None:
    if (wait or {}).get("kind") != KIND:  # a button pressed after the prompt ended: leave what waits now
        return
    before = wait.get("before")
    if isinstance(before, dict) and before.get("kind"):
        await waiting.expect(me, **before)
    else:
        await waiting.done(me)


def _of(wait: dict | None, **ids: int) -> dict | None:
    """The prompt that waits, if it is this button's (the same request, or HIT and qualification)."""
    if not wait or wait.get("kind") != KIND or any(wait.get(k) != v for k, v in ids.items()):
        return None
    return wait


@on_button
async def ask(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, (hit_id, qtype_id) = update.effective_user.id, cb.args
    asked = await call(requests.begin, worker_id=me, hit_id=hit_id, qtype_id=qtype_id, now=now(context))
    if asked.request is None:
        await _expect(me, step="message", hit_id=hit_id, qtype_id=qtype_id)
        text, markup = views.ask_prompt(asked)
    else:  # a type that grants requests at once
        text, markup = views.asked_text(asked)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def ask_without_message(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, (hit_id, qtype_id) = update.effective_user.id, cb.args
    asked = await call(requests.ask, worker_id=me, hit_id=hit_id, qtype_id=qtype_id, message="", now=now(context))
    await _done(me, _of(await call(waiting.waiting_for, user_id=me), hit_id=hit_id, qtype_id=qtype_id))
    text, markup = views.asked_text(asked)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def grant(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    request_id, value = cb.args
    done = await call(requests.decide, requester_id=update.effective_user.id, request_id=request_id, grant=True,
                      value=value, now=now(context))
    await update.effective_message.edit_text(views.decided_card(done), parse_mode="HTML")
    return None


@on_button
async def refuse_without_reason(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    wait = _of(await call(waiting.waiting_for, user_id=me), request_id=cb.arg(0))  # where the notice is
    done = await call(requests.decide, requester_id=me, request_id=cb.arg(0), grant=False, now=now(context))
    await _done(me, wait)
    await update.effective_message.edit_text(views.decided_card(done), parse_mode="HTML")
    await _close_card(context, me, wait, done)
    return None


@on_button
async def prompt_decision(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """🔢 Grant another value / ❌ Refuse: re-checked now, not after the typing."""
    me, msg = update.effective_user.id, update.effective_message
    await call(requests.check_decide, requester_id=me, request_id=cb.arg(0))
    step = "value" if cb.verb == "gv" else "reason"
    await _expect(me, step=step, request_id=cb.arg(0), message_id=msg.message_id)
    text, markup = views.value_prompt() if step == "value" else views.reason_prompt(cb.arg(0))
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


async def _close_card(context: Context, chat_id: int, wait: dict | None, done: requests.Decided) -> None:
    """The notice that offered Grant / Refuse shows the decision once it is made."""
    if not wait or not wait.get("message_id"):
        return
    try:
        await context.bot.edit_message_text(views.decided_card(done), chat_id=chat_id,
                                            message_id=int(wait["message_id"]), parse_mode="HTML")
    except BadRequest as exc:  # deleted, too old, not modified: nothing more to do
        log.info("could not update the request card: %s", exc)


@on_message
async def typed(update: Update, context: Context) -> None:
    me = update.effective_user.id
    wait = await waiting.wait_of(update.effective_message) or {}
    try:
        await _typed(update, context, me, wait)
    except NotAllowed:  # decided or gone meanwhile: this prompt is over (a bad value keeps it open)
        await _done(me, wait)
        raise


async def _typed(update: Update, context: Context, me: int, wait: dict) -> None:
    text = (update.effective_message.text or "").strip()
    step = wait.get("step")
    if step == "message":
        asked = await call(requests.ask, worker_id=me, hit_id=int(wait["hit_id"]), qtype_id=int(wait["qtype_id"]),
                           message=text, now=now(context))
        await _done(me, wait)
        out, markup = views.asked_text(asked)
        await update.effective_message.reply_text(out, reply_markup=markup, parse_mode="HTML")
        return
    if step == "value" and not (text.isascii() and text.isdigit() and len(text) <= 7):
        raise ValidationFailed(views.not_a_value())
    done = await call(requests.decide, requester_id=me, request_id=int(wait["request_id"]), grant=step == "value",
                      value=int(text) if step == "value" else None, reason="" if step == "value" else text,
                      now=now(context))
    await _done(me, wait)
    await update.effective_message.reply_text(views.decided_card(done), parse_mode="HTML")
    await _close_card(context, me, wait, done)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(ask, pattern=callbacks.pattern("qr", "ask", 2)))
    app.add_handler(CallbackQueryHandler(ask_without_message, pattern=callbacks.pattern("qr", "nm", 2)))
    app.add_handler(CallbackQueryHandler(grant, pattern=callbacks.pattern("qr", "g", 2)))
    app.add_handler(CallbackQueryHandler(prompt_decision, pattern=callbacks.pattern("qr", "gv", 1)))
    app.add_handler(CallbackQueryHandler(prompt_decision, pattern=callbacks.pattern("qr", "rf", 1)))
    app.add_handler(CallbackQueryHandler(refuse_without_reason, pattern=callbacks.pattern("qr", "rn", 1)))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting(KIND), typed))
