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
from bot.i18n import _
from bot.runtime import Context, answer_now, call, error_text, now, on_button, on_message, utcnow
from bot.views import materials as material_views, work as views
from core import cards
from core.errors import DeadlinePassed, NotAllowed, StaleAction
from core.texts import N_
from core.work import commands as work, groups as work_groups, queries as work_queries
from core.work.queries import WorkState

STALE_QUESTION = N_("That question is not the one you are on; answer the latest question below.")

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


async def _remember(me: int, state: WorkState, message_id: int, *, stored: bool = False, fresh: bool = False,
                    new: bool = False) -> None:
    if not stored:  # the use case did not store the wait with its change
        await waiting.expect(me, **_wait(state))
    # The one live question (or summary) of this assignment: it loses its buttons if time runs out.
    # A message just sent takes the live card over in one statement (cards.remember fresh/new).
    await call(cards.remember, object_kind="assignment", object_id=state.assignment.id, chat_id=me,
               message_id=message_id, card_kind="question", now=utcnow(), only=True, fresh=fresh, new=new)


def _initial_picks(state: WorkState) -> list[int]:
    q = state.current
    if q is None or q.kind != "multi" or not isinstance(state.answers.get(q.id), list):
        return []
    options = q.options or []
    return [options.index(v) for v in state.answers[q.id] if v in options]


async def show(message: Message, context: Context, me: int, state: WorkState, *, edit: bool = False,
               stored: bool = False, before: str | None = None, new: bool = False) -> None:
    """Show where the worker is: the current question, or the summary once all are passed.
    `stored`: the use case that led here already stored the wait (prefs=_waiting_here), and, when
    it was told the message it will be shown in (show_in), that message's card: one transaction.
    `edit`: in place of `message` (one message goes from question to question); `before`: a line above.
    `new`: the assignment row was created by this update (state.created), so no card of it exists yet."""
    picks = _initial_picks(state)
    if state.current is not None:
        text, markup = views.question(state, now(context), picks, before)
    else:
        text, markup = views.summary(state, now(context), before)
    fresh = not edit
    if edit:
        try:
            await message.edit_text(text, reply_markup=markup, parse_mode="HTML")
            shown = message.message_id
        except BadRequest:  # too old to edit, or gone: shown afresh below
            fresh, shown = True, (await context.bot.send_message(message.chat_id, text, reply_markup=markup,
                                                                 parse_mode="HTML")).message_id
    else:
        shown = (await context.bot.send_message(message.chat_id, text, reply_markup=markup,
                                                parse_mode="HTML")).message_id
    if not (stored and shown == state.shown_message_id):
        await _remember(me, state, shown, stored=stored, fresh=fresh, new=new and fresh)


@on_button
async def accept(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    state = await call(work_groups.accept, worker_id=me, hit_id=cb.arg(0), now=now(context), prefs=_waiting_here)
    await _started(update, context, state)
    return None


@on_button
async def accept_group(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """Accept on a group's preview: its next HIT the worker has not done."""
    state = await call(work_groups.accept_next, worker_id=update.effective_user.id, group_id=cb.arg(0),
                       now=now(context), prefs=_waiting_here)
    await _started(update, context, state)
    return None


async def _started(update: Update, context: Context, state: WorkState) -> None:
    msg = update.effective_message
    await answer_now(update, _("Accepted. Good luck!"))  # before the sends, which the rate limiter paces
    await msg.edit_text(views.accepted(state.hit, state.assignment, now(context), state.worker.timezone),
                        parse_mode="HTML")
    await materials.send(context.bot, msg.chat_id, state.hit)
    await show(msg, context, update.effective_user.id, state, stored=True, new=state.created)


@on_button
async def next_in_group(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """▶️ Next in this group: its next HIT, in place of the message pressed (its first question)."""
    me, msg = update.effective_user.id, update.effective_message
    state = await call(work_groups.accept_next, worker_id=me, group_id=cb.arg(0), now=now(context),
                       prefs=_waiting_here)
    await answer_now(update)
    await _next_shown(msg, context, me, state, None)
    return None


async def _next_shown(msg: Message, context: Context, me: int, state: WorkState, before: str | None) -> None:
    """The next HIT of a group: its materials (if it has any), then its first question in place of `msg`."""
    if material_views.of(state.hit):  # files go above the question, which then is a new message
        await _drop_buttons(context, msg.chat_id, msg.message_id)
        await materials.send(context.bot, msg.chat_id, state.hit)
        await show(msg, context, me, state, stored=True, before=before)
    else:
        await show(msg, context, me, state, edit=True, stored=True, before=before)


@on_button
async def skip_hit(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """⏭ Skip HIT: return it (back to the pool, no penalty) and take the group's next one."""
    me, msg = update.effective_user.id, update.effective_message
    result = await call(work_groups.skip_to_next, worker_id=me, assignment_id=cb.arg(0), now=now(context),
                        prefs=_waiting_here)
    if result.next is not None:
        await answer_now(update, _("Skipped."))
        await _next_shown(msg, context, me, result.next, views.skipped_line(result.done))
        return None
    await waiting.done_if(me, KIND, assignment_id=cb.arg(0))
    reason = error_text(result.why_not) if result.why_not is not None else None
    await msg.edit_text(views.returned(result.done) + "\n" + views.group_over(reason), reply_markup=views.whats_next(),
                        parse_mode="HTML")
    return _("Returned.")


@on_button
async def auto_next(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """The auto-next toggle on a submitted HIT's message."""
    asg, on = cb.args
    if on not in (0, 1):
        raise StaleAction()
    got = await call(work_groups.toggle_auto_next, worker_id=update.effective_user.id, assignment_id=asg,
                     on=bool(on), now=now(context))
    await update.effective_message.edit_reply_markup(views.group_next(asg, got.group_id, got.left, got.on))
    return views.auto_next_set(got.on)


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
                       now=now(context), prefs=_waiting_here, show_in=msg.message_id)
    await answer_now(update)
    q = next(q for q in state.questions if q.id == qid)
    # The same message goes on to the next question (or the summary), the answer on a line above it.
    await show(msg, context, me, state, edit=True, stored=True,
               before=views.answered_line(state, q, state.answers.get(q.id)))


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
        raise StaleAction(STALE_QUESTION)
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
                       prefs=_waiting_here, show_in=msg.message_id)
    q = next(q for q in state.questions if q.id == qid)
    await show(msg, context, me, state, edit=True, stored=True, before=views.answered_line(state, q, None))
    return _("Skipped.")


@on_button
async def go_to(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """Back, or a question picked on the summary: shown in place of the pressed message."""
    me, msg = update.effective_user.id, update.effective_message
    state = await call(work.go_to, worker_id=me, assignment_id=cb.arg(0), position=cb.arg(1), now=now(context),
                       prefs=_waiting_here, show_in=msg.message_id)
    await show(msg, context, me, state, edit=True, stored=True)
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
    result = await call(work_groups.submit_and_next, worker_id=me, assignment_id=cb.arg(0), now=now(context),
                        prefs=_done_here, next_prefs=_waiting_here, shown=True)
    state = result.done
    await answer_now(update, _("Submitted. Thank you!"))
    if result.next is not None:  # auto-next: the group's next HIT, in place of this one
        await _next_shown(msg, context, me, result.next, views.submitted_next(state, now(context)))
        return None
    text = views.submitted(state, now(context))
    if result.why_not is not None:  # auto-next found none: why
        text += "\n" + views.group_over(error_text(result.why_not))
    await msg.edit_text(text, reply_markup=views.group_next(state.assignment.id, state.hit.group_id, result.left,
                                                             result.auto), parse_mode="HTML")
    return None


@on_button
async def ask_return(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    state = await call(work_queries.work_state, worker_id=update.effective_user.id, assignment_id=cb.arg(0))
    if state.assignment.status != "accepted":
        raise StaleAction(N_("This assignment is already {status}."), status=state.assignment.status)
    text, markup = views.return_confirm(state)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def confirm_return(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    await call(work.return_assignment, worker_id=me, assignment_id=cb.arg(0), now=now(context))
    state = await call(work_queries.work_state, worker_id=me, assignment_id=cb.arg(0))
    await waiting.done_if(me, KIND, assignment_id=cb.arg(0))
    await msg.edit_text(views.returned(state), reply_markup=views.whats_next(), parse_mode="HTML")
    return _("Returned.")


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
            raise StaleAction(N_("That assignment is no longer open; see /mywork.")) from None
        raise
    state = typed.state
    if typed.outcome == "all_answered":
        await msg.reply_text(views.all_answered())
    elif typed.outcome == "wrong_kind":
        await msg.reply_text(views.hint(typed.question))  # and the same question again, below it
    elif typed.outcome == "invalid":
        await msg.reply_text(error_text(typed.error))
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
                            ("rety", confirm_return, 1), ("go", resume, 1), ("ins", instructions, 1),
                            ("ag", accept_group, 1), ("nx", next_in_group, 1), ("sx", skip_hit, 1),
                            ("an", auto_next, 2)):
        app.add_handler(CallbackQueryHandler(fn, pattern=callbacks.pattern("w", verb, nargs)))
