"""Accepting a HIT and answering it in chat, one question at a time, then Submit or Return.

Where the worker is lives in the database: the assignment's current question and its
Answer rows (core), plus which assignment their next message answers and the options
ticked on a multiple-choice question (bot.input). A restart or another replica loses nothing."""
from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import callbacks, input as waiting, materials
from bot.runtime import Context, answer_now, call, now, on_button, on_message, utcnow
from bot.views import materials as material_views, work as views
from core import cards
from core.errors import DeadlinePassed, NotAllowed, StaleAction
from core.work import commands as work, queries as work_queries
from core.work.queries import WorkState

KIND = "answer"
# Which kinds of message can answer which kinds of question. An image sent as a file is a
# document, not a photo: the requester's card forwards each answer by its kind's method.
_FITS = {"choice": {"text"}, "multi": set(), "rating": {"text"}, "text": {"text"}, "number": {"text"},
         "photo": {"photo"}, "document": {"document", "image"}, "voice": {"voice"}, "location": {"location"}}


def _wait(state: WorkState) -> dict[str, Any]:
    """Which question the worker's next message answers (and the options ticked so far)."""
    q = state.current
    return waiting.wait(KIND, assignment_id=state.assignment.id, q=q.id if q else None,
                        picked=_initial_picks(state))


def _waiting_here(state: WorkState) -> dict[str, Any]:
    """The prefs a work use case stores with its change: the wait for where the worker is now."""
    return {waiting.KEY: _wait(state)}


def _done_here(state: WorkState) -> dict[str, Any]:
    """The prefs submit stores: no more waiting for answers to this assignment."""
    wait = waiting.current(state.worker.prefs if state.worker else None) or {}
    same = wait.get("kind") == KIND and int(wait.get("assignment_id", 0)) == state.assignment.id
    return {waiting.KEY: None} if same else {}


async def _remember(me: int, state: WorkState, message_id: int, *, stored: bool = False) -> None:
    if not stored:  # the use case did not store the wait with its change
        await waiting.expect(me, **_wait(state))
    # The one live question (or summary) of this assignment: it loses its buttons if time runs out.
    await call(cards.remember, object_kind="assignment", object_id=state.assignment.id, chat_id=me,
               message_id=message_id, card_kind="question", now=utcnow(), only=True)


def _initial_picks(state: WorkState) -> list[int]:
    q = state.current
    if q is None or q.kind != "multi" or not isinstance(state.answers.get(q.id), list):
        return []
    options = q.options or []
    return [options.index(v) for v in state.answers[q.id] if v in options]


async def show(message: Message, context: Context, me: int, state: WorkState, *, edit: bool = False,
               stored: bool = False) -> None:
    """Show where the worker is: the current question, or the summary once all are passed.
    `stored`: the use case that led here already stored the wait (prefs=_waiting_here)."""
    picks = _initial_picks(state)
    if state.current is not None:
        text, markup = views.question(state, now(context), picks)
    else:
        text, markup = views.summary(state, now(context))
    if edit:
        await message.edit_text(text, reply_markup=markup, parse_mode="HTML")
        shown = message.message_id
    else:
        shown = (await context.bot.send_message(message.chat_id, text, reply_markup=markup,
                                                parse_mode="HTML")).message_id
    await _remember(me, state, shown, stored=stored)


async def _finish(me: int, assignment_id: int) -> None:
    wait = await call(waiting.waiting_for, user_id=me)
    if wait and wait.get("kind") == KIND and int(wait.get("assignment_id", 0)) == assignment_id:
        await waiting.done(me)


@on_button
async def accept(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    state = await call(work.accept_hit, worker_id=me, hit_id=cb.arg(0), now=now(context), prefs=_waiting_here)
    await answer_now(update, "Accepted. Good luck!")  # before the sends, which the rate limiter paces
    await msg.edit_text(views.accepted(state.hit, state.assignment, now(context), state.worker.timezone),
                        parse_mode="HTML")
    await materials.send(context.bot, msg.chat_id, state.hit)
    await show(msg, context, me, state, stored=True)
    return None


@on_button
async def instructions(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """The description and materials again, then the question the worker is on, below them."""
    me, msg = update.effective_user.id, update.effective_message
    state = await call(work_queries.active_state, worker_id=me, assignment_id=cb.arg(0), now=now(context))
    items = material_views.of(state.hit)
    await context.bot.send_message(msg.chat_id, material_views.instructions(state.hit, items), parse_mode="HTML")
    await materials.send(context.bot, msg.chat_id, state.hit, items)
    await _drop_buttons(context, msg.chat_id, msg.message_id)
    await show(msg, context, me, state)
    return None


async def _answered(update: Update, context: Context, cb: callbacks.Callback, value: object) -> None:
    me, msg = update.effective_user.id, update.effective_message
    asg, qid = cb.arg(0), cb.arg(1)
    state = await call(work.answer_current, worker_id=me, assignment_id=asg, question_id=qid, value=value,
                       now=now(context), prefs=_waiting_here)
    await answer_now(update)
    q = next(q for q in state.questions if q.id == qid)
    await msg.edit_text(views.answered(state, q, state.answers.get(q.id)), parse_mode="HTML")
    await show(msg, context, me, state, stored=True)


@on_button
async def choose(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await _answered(update, context, cb, cb.arg(2))  # an option index, or 1-5 stars
    return None


@on_button
async def toggle(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    asg, qid, index = cb.args
    state = await call(work_queries.active_state, worker_id=me, assignment_id=asg, now=now(context))
    q = state.current
    if q is None or q.id != qid or q.kind != "multi" or not 0 <= index < len(q.options or []):
        raise StaleAction("That question is not the one you are on; answer the latest question below.")
    wait = await call(waiting.waiting_for, user_id=me) or {}
    same = wait.get("kind") == KIND and wait.get("assignment_id") == asg and wait.get("q") == qid
    picked = set(wait.get("picked") or []) if same else set(_initial_picks(state))
    picked ^= {index}
    ordered = sorted(picked)
    await waiting.expect(me, KIND, assignment_id=asg, q=qid, picked=ordered)
    _, markup = views.question(state, now(context), ordered)
    await msg.edit_reply_markup(markup)
    return None


@on_button
async def multi_done(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    wait = await call(waiting.waiting_for, user_id=me) or {}
    same = wait.get("kind") == KIND and wait.get("assignment_id") == cb.arg(0) and wait.get("q") == cb.arg(1)
    picked = [int(i) for i in (wait.get("picked") or [])] if same else []
    if not picked:
        state = await call(work_queries.active_state, worker_id=me, assignment_id=cb.arg(0), now=now(context))
        if state.current is not None and state.current.id == cb.arg(1):
            picked = _initial_picks(state)  # Done on an unchanged earlier answer keeps it
    await _answered(update, context, cb, picked)
    return None


@on_button
async def skip(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    asg, qid = cb.args
    state = await call(work.skip_current, worker_id=me, assignment_id=asg, question_id=qid, now=now(context),
                       prefs=_waiting_here)
    q = next(q for q in state.questions if q.id == qid)
    await msg.edit_text(views.answered(state, q, None), parse_mode="HTML")
    await show(msg, context, me, state, stored=True)
    return "Skipped."


@on_button
async def go_to(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """Back, or a question picked on the summary: shown in place of the pressed message."""
    me = update.effective_user.id
    state = await call(work.go_to, worker_id=me, assignment_id=cb.arg(0), position=cb.arg(1), now=now(context),
                       prefs=_waiting_here)
    await show(update.effective_message, context, me, state, edit=True, stored=True)
    return None


@on_button
async def summary(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    state = await call(work_queries.active_state, worker_id=me, assignment_id=cb.arg(0), now=now(context))
    text, markup = views.summary(state, now(context))
    await msg.edit_text(text, reply_markup=markup, parse_mode="HTML")
    await _remember(me, state, msg.message_id)
    return None


@on_button
async def submit(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    state = await call(work.submit_work, worker_id=me, assignment_id=cb.arg(0), now=now(context), prefs=_done_here)
    await answer_now(update, "Submitted. Thank you!")
    await msg.edit_text(views.submitted(state, now(context)), reply_markup=views.whats_next(), parse_mode="HTML")
    return None


@on_button
async def ask_return(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    state = await call(work_queries.work_state, worker_id=update.effective_user.id, assignment_id=cb.arg(0))
    if state.assignment.status != "accepted":
        raise StaleAction(f"This assignment is already {state.assignment.status}.")
    text, markup = views.return_confirm(state)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def confirm_return(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    await call(work.return_assignment, worker_id=me, assignment_id=cb.arg(0), now=now(context))
    state = await call(work_queries.work_state, worker_id=me, assignment_id=cb.arg(0))
    await _finish(me, cb.arg(0))
    await msg.edit_text(views.returned(state), reply_markup=views.whats_next(), parse_mode="HTML")
    return "Returned."


@on_button
async def resume(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """Continue an assignment (from /mywork): its next message answers this one."""
    me = update.effective_user.id
    state = await call(work_queries.active_state, worker_id=me, assignment_id=cb.arg(0), now=now(context))
    await show(update.effective_message, context, me, state)
    return None


def _content(msg: Message) -> tuple[str, Any]:
    """(what kind of message, the raw answer) for a worker's message."""
    if msg.location is not None:
        return "location", {"latitude": msg.location.latitude, "longitude": msg.location.longitude}
    if msg.photo:
        p = msg.photo[-1]  # the largest size
        return "photo", {"file_id": p.file_id, "file_unique_id": p.file_unique_id, "file_size": p.file_size}
    if msg.voice is not None:
        v = msg.voice.to_dict()  # plain seconds (the attribute is turning into a timedelta)
        return "voice", {k: v.get(k) for k in ("file_id", "file_unique_id", "duration", "mime_type", "file_size")}
    if msg.document is not None:
        d = msg.document
        kind = "image" if (d.mime_type or "").startswith("image/") else "document"
        return kind, {"file_id": d.file_id, "file_unique_id": d.file_unique_id, "file_name": d.file_name,
                      "mime_type": d.mime_type, "file_size": d.file_size}
    if msg.text is not None:
        return "text", msg.text
    return "other", None


async def _drop_buttons(context: Context, chat_id: int, message_id: object) -> None:
    if not message_id:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(message_id), reply_markup=None)
    except BadRequest:  # already without buttons, or too old: nothing to tidy
        pass


@on_message
async def typed(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    wait = await waiting.wait_of(msg) or {}
    asg = int(wait.get("assignment_id", 0))
    kind, value = _content(msg)
    kinds = frozenset(question_kind for question_kind, fits in _FITS.items() if kind in fits)
    try:
        typed = await call(work.answer_typed, worker_id=me, assignment_id=asg, kinds=kinds, value=value,
                           now=now(context), prefs=_waiting_here)
    except (NotAllowed, DeadlinePassed) as exc:
        await waiting.done(me)  # submitted elsewhere, expired, gone: stop routing messages here
        if type(exc) is NotAllowed:  # its default text speaks of buttons
            raise StaleAction("That assignment is no longer open; see /mywork.") from None
        raise
    state = typed.state
    if typed.outcome == "all_answered":
        await msg.reply_text(views.all_answered())
    elif typed.outcome == "wrong_kind":
        await msg.reply_text(views.hint(typed.question))  # and the same question again, below it
    elif typed.outcome == "invalid":
        await msg.reply_text(typed.error.message)
    await _drop_buttons(context, msg.chat_id, state.shown_message_id)  # one live question at a time
    await show(msg, context, me, state, stored=True)


def register(app: Application) -> None:
    # New messages only (an edited old message is not a new answer), anything but a command:
    # a sticker or a video gets the hint. A file captioned /newhit, /batch... is a command.
    answers = filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL & ~filters.SUCCESSFUL_PAYMENT
    commands = filters.COMMAND | filters.CaptionRegex(r"^/")
    app.add_handler(MessageHandler(answers & ~commands & waiting.awaiting(KIND), typed))
    for verb, fn, nargs in (("acc", accept, 1), ("ch", choose, 3), ("rt", choose, 3), ("mt", toggle, 3),
                            ("md", multi_done, 2), ("sk", skip, 2), ("bk", go_to, 2), ("gq", go_to, 2),
                            ("sm", summary, 1), ("sub", submit, 1), ("ret", ask_return, 1),
                            ("rety", confirm_return, 1), ("go", resume, 1), ("ins", instructions, 1)):
        app.add_handler(CallbackQueryHandler(fn, pattern=callbacks.pattern("w", verb, nargs)))
