"""/myhits: progress, spend and time left per HIT or batch; extend, add assignments,
expire now (unused escrow refunded), and download the results as CSV and JSON."""
from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, Notice, call, now, on_button, on_message, reply_or_edit
from bot.views import myhits as views, results as results_views
from core import effective_pay
from core.config import get_settings
from core.errors import StaleAction, ValidationFailed
from core.hits import export, manage, queries as hit_queries

DAY_S = 86_400


async def _list(update: Update, context: Context, page: int, *, edit: bool) -> None:
    mine = await call(effective_pay.my_hits, requester_id=update.effective_user.id, page=page)
    text, markup = views.hits_list(mine, page, now(context))
    await reply_or_edit(update.effective_message, text, markup, edit=edit)


@on_message
async def my_hits(update: Update, context: Context) -> None:
    await _list(update, context, 0, edit=False)


@on_button
async def page(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    if not 0 <= cb.arg(0) <= 1000:
        raise StaleAction()
    await _list(update, context, cb.arg(0), edit=True)
    return None


async def _show_hit(update: Update, context: Context, hit_id: int) -> None:
    card = await call(effective_pay.hit_card, requester_id=update.effective_user.id, hit_id=hit_id)
    text, markup = views.hit_card(card.item, now(context), card.pay, card.floor_cents)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def hit_card(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await _show_hit(update, context, cb.arg(0))
    return None


async def _show_batch(update: Update, context: Context, batch_id: int) -> None:
    card = await call(effective_pay.batch_card, requester_id=update.effective_user.id, batch_id=batch_id)
    text, markup = views.batch_card(card.item, now(context), card.pay, card.floor_cents)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def batch_card(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await _show_batch(update, context, cb.arg(0))
    return None


@on_button
async def extend(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    hit_id, days = cb.args
    if days not in (1, 7):
        raise StaleAction()
    hit = await call(manage.extend_hit, requester_id=update.effective_user.id, hit_id=hit_id, extra_s=days * DAY_S,
                     now=now(context))
    await _show_hit(update, context, hit.id)
    return views.extended(days)


@on_button
async def add(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    hit_id, count, max_before = cb.args
    # The key holds the size the requester saw: a double tap adds once, a press on the updated card adds again.
    await call(manage.add_assignments, requester_id=update.effective_user.id, hit_id=hit_id, count=count,
               now=now(context), key=f"{hit_id}:{max_before}+{count}")
    await _show_hit(update, context, hit_id)
    return views.added(count)


@on_button
async def add_other(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    hit_id, max_before = cb.args
    item = await call(hit_queries.hit_item, requester_id=me, hit_id=hit_id)
    most = get_settings().max_assignments - item.hit.max_assignments
    if most < 1:
        raise StaleAction(views.MOST_ASSIGNMENTS)
    await waiting.expect(me, "addasg", hit_id=hit_id, max_before=max_before, card=update.effective_message.message_id)
    text, markup = views.ask_count(item.hit, most)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_message
async def add_count(update: Update, context: Context) -> None:
    """A typed number of assignments: nothing moves until the requester confirms its cost."""
    me, msg = update.effective_user.id, update.effective_message
    wait = await call(waiting.waiting_for, user_id=me)
    hit_id = int(wait["hit_id"])
    item = await call(hit_queries.hit_item, requester_id=me, hit_id=hit_id)
    most = get_settings().max_assignments - item.hit.max_assignments
    text = (msg.text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 1 <= int(text) <= most:
        raise ValidationFailed(views.COUNT_BOUNDS, most=most)  # the question stands
    await waiting.done(me)
    text, markup = views.confirm_add(item.hit, int(text), int(wait["max_before"]))
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def add_cancel(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    wait = await call(waiting.waiting_for, user_id=me)
    if wait and wait.get("kind") == "addasg" and int(wait.get("hit_id", 0)) == cb.arg(0):
        await waiting.done(me)
    await update.effective_message.edit_text(views.add_cancelled())
    return None


@on_button
async def expire(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, hit_id = update.effective_user.id, cb.arg(0)
    item = await call(hit_queries.hit_item, requester_id=me, hit_id=hit_id)
    if cb.verb == "exp":
        text, markup = views.expire_confirm(item.progress.available * item.hit.unit_cost_cents, "expy", hit_id, "mh")
        await update.effective_message.edit_text(text, reply_markup=markup)
        return None
    refund = await call(manage.close_hit, requester_id=me, hit_id=hit_id, now=now(context))
    await _show_hit(update, context, hit_id)
    return views.ended(refund)


@on_button
async def expire_batch(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, batch_id = update.effective_user.id, cb.arg(0)
    if cb.verb == "expb":
        await call(hit_queries.batch_item, requester_id=me, batch_id=batch_id)  # the owner only
        text, markup = views.expire_confirm(None, "expby", batch_id, "mb")
        await update.effective_message.edit_text(text, reply_markup=markup)
        return None
    ended, refund = await call(hit_queries.close_batch, requester_id=me, batch_id=batch_id, now=now(context))
    await _show_batch(update, context, batch_id)
    return views.batch_ended(ended, refund)


@on_button
async def results(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    target = {"hit_id": cb.arg(0)} if cb.verb == "res" else {"batch_id": cb.arg(0)}
    rows = await call(export.results, requester_id=me, **target)
    if not rows:
        return Notice(views.nothing_to_download())
    name = views.results_name(cb.verb, cb.arg(0))
    await msg.reply_document(InputFile(await call(export.to_csv, rows=rows), filename=f"{name}.csv"),
                             caption=views.csv_caption(len(rows)))
    await msg.reply_document(InputFile(await call(export.to_json, rows=rows), filename=f"{name}.json"),
                             caption=views.json_caption())
    files = await call(export.file_answers, rows=rows)
    if files:  # photos, voice notes, documents: offer them as files, in a ZIP
        text, markup = results_views.zip_offer(len(files), sum(f.size or 0 for f in files),
                                               "zip" if cb.verb == "res" else "zipb", cb.arg(0))
        await msg.reply_text(text, reply_markup=markup)
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("myhits", my_hits))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting("addasg"), add_count))
    for verb, fn, nargs in (("mp", page, 1), ("mh", hit_card, 1), ("mb", batch_card, 1), ("ext", extend, 2),
                            ("add", add, 3), ("addn", add_other, 2), ("addx", add_cancel, 1), ("exp", expire, 1), ("expy", expire, 1),
                            ("expb", expire_batch, 1), ("expby", expire_batch, 1), ("res", results, 1),
                            ("resb", results, 1)):
        app.add_handler(CallbackQueryHandler(fn, pattern=callbacks.pattern("r", verb, nargs)))
