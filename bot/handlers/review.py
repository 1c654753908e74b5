"""Reviewing work: the card's Approve / Reject (reason) / Bonus (amount, reason) / Block,
the /review queue, 'Approve all' with a confirmation, reversing rejections, review mode.

Every press is re-checked in core (owner, status); a forged, stale or repeated press
gets a notice and changes nothing. What the bot waits for (a reason, an amount) is kept
in the database (bot.input)."""
from __future__ import annotations

import asyncio

from telegram import Bot, InputFile, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, Notice, answer_now, call, now, on_button, on_message
from bot.views import auto_decisions as auto_views, review as views, web_answers
from core import cards
from core.config import get_settings
from core.errors import StaleAction, ValidationFailed
from core.hits.manage import owned_hit
from core.models import AssignmentStatus as S
from core.money import fee_for, parse_amount
from core.review import commands as review, quality, queries as review_queries
from core.users import commands as users


async def send_card(bot: Bot, chat_id: int, assignment_id: int, context: Context, *, queue: bool = False) -> Message:
    """Send a submission card and its file answers (forwarded by file id)."""
    sub = await call(review_queries.submission, assignment_id=assignment_id)
    text, markup, files = views.render_card(sub, now=now(context), queue=queue)
    message = await bot.send_message(chat_id, text, reply_markup=markup, parse_mode="HTML")
    await call(cards.remember, object_kind="assignment", object_id=assignment_id, chat_id=chat_id,
               message_id=message.message_id, card_kind="submission_queue" if queue else "submission",
               now=now(context))
    senders = {"photo": bot.send_photo, "document": bot.send_document, "voice": bot.send_voice}
    for f in files:
        await senders[f.kind](chat_id, f.file_id, caption=f.caption)
    return message


async def refresh_card(bot: Bot, chat_id: int, message_id: int, assignment_id: int, context: Context) -> None:
    """Show the decision on the card (buttons that no longer apply disappear)."""
    sub = await call(review_queries.submission, assignment_id=assignment_id)
    text, markup, _ = views.render_card(sub, now=now(context))
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup,
                                    parse_mode="HTML")
    except BadRequest as exc:  # unchanged, or too old to edit: the decision stands either way
        if "not modified" not in str(exc).lower():
            sent = await bot.send_message(chat_id, text, reply_markup=markup, parse_mode="HTML")
            await call(cards.remember, object_kind="assignment", object_id=assignment_id, chat_id=chat_id,
                       message_id=sent.message_id, card_kind="submission", now=now(context))


async def _owned(context: Context, me: int, assignment_id: int) -> review_queries.Submission:
    return await call(review_queries.submission, assignment_id=assignment_id, requester_id=me)


@on_button
async def approve(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    before = await call(review.approve, requester_id=me, assignment_id=cb.arg(0), now=now(context))
    await answer_now(update, views.approved_toast())  # before the card's edit, which the rate limiter paces
    await refresh_card(context.bot, msg.chat_id, msg.message_id, before.id, context)
    return None


@on_button
async def reject(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    sub = await _owned(context, me, cb.arg(0))
    if sub.assignment.status != S.SUBMITTED:
        raise StaleAction(views.already_decided(sub.assignment.status))
    await waiting.expect(me, "reject", assignment_id=sub.assignment.id, card=msg.message_id)
    await msg.reply_text(views.ask_reason(sub.assignment.id), reply_markup=views.cancel_input(sub.assignment.id))
    return None


@on_message
async def reject_reason(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    wait = await call(waiting.waiting_for, user_id=me)
    try:  # a reason too long: ValidationFailed is replied and the same question stands
        decided = await call(review.reject, requester_id=me, assignment_id=int(wait["assignment_id"]),
                             feedback=msg.text or "", now=now(context))
    except StaleAction:
        await waiting.done(me)  # decided meanwhile (another device, the auto-approve sweep)
        raise
    await waiting.done(me)
    await refresh_card(context.bot, msg.chat_id, int(wait["card"]), decided.id, context)
    await msg.reply_text(views.rejected_reply())


@on_button
async def bonus(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    sub = await _owned(context, me, cb.arg(0))
    if sub.assignment.status not in (S.SUBMITTED, S.APPROVED, S.REJECTED):
        raise StaleAction(views.bonus_not_submitted())
    prompt = await msg.reply_text(views.ask_bonus_amount(sub.assignment.id, get_settings().fee_percent),
                                  reply_markup=views.cancel_input(sub.assignment.id))
    await waiting.expect(me, "bonus", assignment_id=sub.assignment.id, card=msg.message_id, nonce=prompt.message_id)
    return None


@on_message
async def bonus_input(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    wait = dict(await call(waiting.waiting_for, user_id=me) or {})
    settings = get_settings()
    if "amount_cents" not in wait:
        cents = parse_amount(msg.text or "", settings.currency, field="bonus")
        if cents > settings.max_reward_cents:
            raise ValidationFailed(views.bonus_too_big(settings.max_reward_cents))
        wait.pop("kind", None)
        await waiting.expect(me, "bonus", **wait, amount_cents=cents)
        await msg.reply_text(views.ask_bonus_reason(cents),
                             reply_markup=views.cancel_input(int(wait["assignment_id"])))
        return
    # The reason typed: nothing is paid until the requester confirms the total with its fee.
    reason = (msg.text or "").strip()
    if not reason or len(reason) > review.MAX_REASON:
        raise ValidationFailed(views.bonus_reason_bounds(review.MAX_REASON))
    wait.pop("kind", None)
    await waiting.expect(me, "bonus", **{**wait, "reason": reason})
    cents = int(wait["amount_cents"])
    text, markup = views.confirm_bonus(int(wait["assignment_id"]), cents, fee_for(cents, settings.fee_percent),
                                       reason)
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def bonus_confirm(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    wait = await call(waiting.waiting_for, user_id=me) or {}
    assignment_id = cb.arg(0)
    if wait.get("kind") != "bonus" or int(wait.get("assignment_id", 0)) != assignment_id or not wait.get("reason"):
        raise StaleAction()  # cancelled, already sent, or another bonus is being written
    try:
        paid = await call(review.bonus, requester_id=me, assignment_id=assignment_id,
                          amount_cents=int(wait["amount_cents"]), reason=wait["reason"], now=now(context),
                          key=f"{assignment_id}:{wait['nonce']}")
    except StaleAction:
        await waiting.done(me)
        raise
    await waiting.done(me)
    await refresh_card(context.bot, msg.chat_id, int(wait["card"]), assignment_id, context)
    text, toast = views.bonus_sent(paid.amount_cents, paid.fee_cents)
    await msg.edit_text(text)
    return toast


@on_button
async def cancel_input(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await waiting.done_if(update.effective_user.id, "reject", "bonus", assignment_id=cb.arg(0))
    await update.effective_message.edit_text(views.input_cancelled())
    return None


@on_button
async def boxes(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """🖼 Boxes: the bounding-box answers drawn as pictures (drawn here; the task's image is never fetched)."""
    me, msg = update.effective_user.id, update.effective_message
    sub = await _owned(context, me, cb.arg(0))
    drawn = await asyncio.to_thread(web_answers.pictures, sub.assignment.id, sub.items)
    if not drawn:
        raise StaleAction()
    await answer_now(update)
    for png, caption in drawn:
        await context.bot.send_photo(msg.chat_id, InputFile(png, filename="boxes.png"), caption=caption,
                                     parse_mode="HTML")
    return None


@on_button
async def block(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    sub = await _owned(context, update.effective_user.id, cb.arg(0))
    if sub.worker_blocked:
        raise StaleAction(views.already_blocked())
    await update.effective_message.edit_reply_markup(views.block_confirm(sub))
    return views.block_question()


@on_button
async def block_answer(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    sub = await _owned(context, me, cb.arg(0))
    toast = None
    if cb.verb == "blky":
        done = await call(review.block_worker, requester_id=me, worker_id=sub.worker.id, reason="", now=now(context))
        toast = views.blocked_toast(done)
    await refresh_card(context.bot, msg.chat_id, msg.message_id, sub.assignment.id, context)
    return toast


@on_message
async def review_queue(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    total, hits = await call(review_queries.pending_by_hit, requester_id=me)
    user = await call(users.get_user, user_id=me)
    text, markup = views.queue_summary(total, hits, (user.prefs or {}).get("review_mode", "immediate"), now(context))
    summary = await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")
    await call(cards.remember, object_kind="review_queue", object_id=me, chat_id=msg.chat_id,
               message_id=summary.message_id, card_kind="queue", now=now(context))
    first = await call(review_queries.next_pending, requester_id=me)
    if first is not None:
        await send_card(context.bot, msg.chat_id, first.id, context, queue=True)


@on_button
async def next_card(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    await _owned(context, me, cb.arg(0))
    following = await call(review_queries.next_pending, requester_id=me, after_id=cb.arg(0))
    if following is None:
        return Notice(views.last_one())
    await send_card(context.bot, msg.chat_id, following.id, context, queue=True)
    return None


@on_button
async def approve_all(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    hit_id, last_id = cb.args
    hit = await call(owned_hit, requester_id=me, hit_id=hit_id)
    if cb.verb == "apan":
        await msg.edit_text(views.approve_all_cancelled())
        return None
    if cb.verb == "apa":
        _, pending = await call(review_queries.pending_by_hit, requester_id=me, limit=1000)
        count = next((p.count for p in pending if p.hit.id == hit.id), 0)
        if count == 0:
            raise StaleAction(views.nothing_waiting_on_hit())
        text, markup = views.approve_all_confirm(hit.title, hit.id, count, last_id, hit.reward_cents)
        await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")
        return None
    done, paid = await call(review_queries.approve_all, requester_id=me, hit_id=hit.id, up_to_id=last_id,
                            now=now(context))
    await msg.edit_text(views.approve_all_done(done, paid, hit.title), parse_mode="HTML")
    return views.approve_all_toast(done)


@on_button
async def review_mode(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    if cb.arg(0) not in (0, 1):
        raise StaleAction()
    mode = "digest" if cb.arg(0) == 1 else "immediate"
    await call(users.set_pref, user_id=me, key="review_mode", value=mode)
    total, hits = await call(review_queries.pending_by_hit, requester_id=me)
    text, markup = views.queue_summary(total, hits, mode, now(context))
    await msg.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return views.review_mode_toast(mode)


@on_button
async def rejections(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    rows = await call(review_queries.recent_rejections, requester_id=me, now=now(context), limit=5)
    if not rows:
        return Notice(views.no_rejections())
    for a in rows:
        await send_card(context.bot, msg.chat_id, a.id, context)
    return None


@on_button
async def undo_rejection(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """↩️ Undo on the notice of an automatic rejection: approve and pay it."""
    undone = await call(quality.undo_rejection, requester_id=update.effective_user.id, assignment_id=cb.arg(0),
                        now=now(context))
    await update.effective_message.edit_text(auto_views.undone_rejection(undone), parse_mode="HTML")
    return auto_views.undone_rejection_toast()


@on_button
async def undo_block(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """↩️ Undo on the notice of an automatic block: unblock the worker."""
    undone = await call(quality.undo_block, requester_id=update.effective_user.id, block_id=cb.arg(0),
                        now=now(context))
    text, toast = auto_views.undone_block(undone)
    await update.effective_message.edit_text(text, parse_mode="HTML")
    return toast


def register(app: Application) -> None:
    app.add_handler(CommandHandler("review", review_queue))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting("reject"), reject_reason))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting("bonus"), bonus_input))
    for verb, fn, nargs in (("apv", approve, 1), ("rej", reject, 1), ("bon", bonus, 1), ("blk", block, 1), ("box", boxes, 1),
                            ("blky", block_answer, 1), ("blkn", block_answer, 1), ("rix", cancel_input, 1),
                            ("bny", bonus_confirm, 1), ("nxt", next_card, 1), ("apa", approve_all, 2), ("apay", approve_all, 2),
                            ("apan", approve_all, 2), ("rm", review_mode, 1), ("rrj", rejections, 0),
                            ("und", undo_rejection, 1), ("ubk", undo_block, 1)):
        app.add_handler(CallbackQueryHandler(fn, pattern=callbacks.pattern("r", verb, nargs)))
