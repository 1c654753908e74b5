"""/browse: open HITs a page at a time in one message that is edited as the worker pages,
filters and sorts (the filter is remembered in the database), and a HIT's preview."""
from __future__ import annotations

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting, materials
from bot.i18n import _
from bot.runtime import Context, call, now, on_button, on_button_showing, on_message, reply_or_edit
from bot.views import browse as views
from core import dashboard
from core.errors import HitbotError, StaleAction
from core.work import browse
from core.work.browse import Filters


async def _render_list(message: Message, context: Context, me: int, number: int, *, edit: bool,
                       command: bool = False) -> None:
    page = await call(browse.browse_page, worker_id=me, number=number, now=now(context),
                      prefs_for=waiting.ending if command else None)
    text, markup = views.hit_list(page)
    await reply_or_edit(message, text, markup, edit=edit)


async def _first_page(update: Update, context: Context) -> None:
    await _render_list(update.effective_message, context, update.effective_user.id, 0, edit=False)


@on_message
async def browse_command(update: Update, context: Context) -> None:
    """/browse ends a pending prompt in the same core call that reads the page (bot.input.ENDS_OWN_PROMPT);
    when that call is refused, on its own."""
    try:
        await _render_list(update.effective_message, context, update.effective_user.id, 0, edit=False, command=True)
    except HitbotError:
        await call(waiting.disarm, user_id=update.effective_user.id)
        raise


menu_browse = on_button_showing(_first_page)


@on_button
async def page(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await _render_list(update.effective_message, context, update.effective_user.id, cb.arg(0), edit=True)
    return None


@on_button
async def recent(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """🕘 Recent groups: the groups worked on in the last 7 days that still have HITs for this worker."""
    groups = await call(dashboard.recent_groups, user_id=update.effective_user.id, now=now(context),
                        limit=browse.PAGE_SIZE)
    text, markup = views.recent_groups(groups)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return None


async def _set(update: Update, context: Context, **changes: object) -> Filters:
    me = update.effective_user.id
    current = await call(browse.current_filters, worker_id=me)
    return await call(browse.set_filters, worker_id=me, filters=Filters(**{**current.as_dict(), **changes}))


@on_button
async def sort(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    if not 0 <= cb.arg(0) < len(views.SORT_ORDER):
        raise StaleAction()
    chosen = views.SORT_ORDER[cb.arg(0)]
    await _set(update, context, sort=chosen)
    await _render_list(update.effective_message, context, update.effective_user.id, 0, edit=True)
    return _("Sorted by {sort}.", sort=views.sort_label(chosen))


async def _show_menu(update: Update, f: Filters) -> None:
    text, markup = views.filter_menu(f)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def filter_menu(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    wait = await call(waiting.waiting_for, user_id=me)
    if wait and wait.get("kind") == "browse_kw":  # Cancel on the keyword question
        await _restore(me, wait)
    await _show_menu(update, await call(browse.current_filters, worker_id=me))
    return None


_STEPS = {"mr": ("min_reward_cents", views.REWARD_STEPS), "mt": ("max_duration_s", views.DURATION_STEPS),
          "mh": ("min_hourly_cents", views.HOURLY_STEPS), "qo": ("qualified_only", (0, 1))}


@on_button
async def set_filter(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    name, steps = _STEPS[cb.verb]
    if cb.arg(0) not in steps:  # only the values our buttons offer
        raise StaleAction()
    value = bool(cb.arg(0)) if name == "qualified_only" else cb.arg(0)
    await _show_menu(update, await _set(update, context, **{name: value}))
    return None


@on_button
async def reset(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    await call(browse.set_filters, worker_id=me, filters=Filters())
    await _render_list(update.effective_message, context, me, 0, edit=True)
    return _("Filters cleared.")


async def _restore(me: int, wait: dict) -> None:
    """End the keyword wait; an assignment being answered before takes the next message again."""
    before = wait.get("before")
    if isinstance(before, dict) and before.get("kind"):
        await waiting.expect(me, **before)
    else:
        await waiting.done(me)


@on_button
async def ask_keyword(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    before = await call(waiting.waiting_for, user_id=me)
    if before and before.get("kind") == "browse_kw":
        before = before.get("before")
    await waiting.expect(me, "browse_kw", list=msg.message_id, before=before)
    text, markup = views.keyword_prompt()
    await msg.edit_text(text, reply_markup=markup)
    return None


@on_button
async def clear_keyword(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await _show_menu(update, await _set(update, context, keyword=""))
    return None


@on_message
async def keyword_typed(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    wait = await call(waiting.waiting_for, user_id=me) or {}
    await _set(update, context, keyword=msg.text or "")  # too long: the error is replied, the wait stands
    await _restore(me, wait)
    page = await call(browse.browse_page, worker_id=me, number=0, now=now(context))
    text, markup = views.hit_list(page)
    if wait.get("list"):
        try:
            await context.bot.edit_message_text(text, chat_id=msg.chat_id, message_id=int(wait["list"]),
                                                reply_markup=markup, parse_mode="HTML")
            return
        except BadRequest:  # too old to edit, or deleted: show it afresh
            pass
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


async def send_preview(message: Message, context: Context, me: int, hit_id: int, back_page: int = 0,
                       *, edit: bool = False) -> None:
    p = await call(browse.preview, worker_id=me, hit_id=hit_id, now=now(context))
    text, markup = views.preview(p, p.stats, now(context), p.worker.timezone, back_page, mine=p.requester.id == me,
                                 holding=p.holding_id)
    await reply_or_edit(message, text, markup, edit=edit)
    await materials.send(context.bot, message.chat_id, p.hit)


@on_button
async def preview(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    hit_id, back = cb.args
    await send_preview(update.effective_message, context, update.effective_user.id, hit_id, back, edit=True)
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("browse", browse_command))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
                                   & waiting.awaiting("browse_kw"), keyword_typed))
    app.add_handler(CallbackQueryHandler(menu_browse, pattern=callbacks.pattern("m", "browse", 0)))
    for verb, fn, nargs in (("pg", page, 1), ("so", sort, 1), ("fm", filter_menu, 0), ("mr", set_filter, 1),
                            ("mt", set_filter, 1), ("mh", set_filter, 1), ("qo", set_filter, 1),
                            ("rst", reset, 0), ("kw", ask_keyword, 0), ("kwx", clear_keyword, 0),
                            ("v", preview, 2), ("rc", recent, 0)):
        app.add_handler(CallbackQueryHandler(fn, pattern=callbacks.pattern("b", verb, nargs)))

