"""Revisions (issue 18): the requester's '↩️ Ask for a revision' (a note, and the window to give),
the worker's '✏️ Revise' screen, changing an answer (a button or a message) and resubmitting.

Every press is re-authorised in core (core.review.revisions): a forged or stale one gets
"this button is no longer valid" or why, and changes nothing. What the bot waits for (the note,
the new answer) is kept in the database (bot.input)."""
from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.handlers.review import refresh_card
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import revisions as views
from core.config import get_settings
from core.errors import StaleAction
from core.review import revisions
from core.users.commands import set_pref

NOTE, ANSWER = "revnote", "revise"


def _settings_windows() -> tuple[int, list[int]]:
    s = get_settings()
    low, high = revisions.window_bounds()
    default = min(max(s.revision_window_s, low), high)
    return default, views.windows(default, low, high)


def _restore(prefs: dict) -> dict:
    """The prefs change that ends a wait for a changed answer: the wait it interrupted comes back
    (the HIT the worker was answering, if any); any other wait stays."""
    wait = waiting.current(prefs)
    if not wait or wait.get("kind") != ANSWER:
        return {}
    before = wait.get("before")
    return {waiting.KEY: before if isinstance(before, dict) and before.get("kind") else None}


def _clear(prefs: dict) -> dict:
    return {waiting.KEY: None}


@on_button
async def ask(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    window_s, choices = _settings_windows()
    prompt = waiting.wait(NOTE, assignment_id=cb.arg(0), card=msg.message_id, window_s=window_s)
    assignment, _used = await call(revisions.requester_check, requester_id=me, assignment_id=cb.arg(0),
                                   prefs=lambda prefs: {waiting.KEY: prompt})
    await msg.reply_text(views.ask_note(assignment.id, window_s),
                         reply_markup=views.note_keyboard(assignment.id, window_s, choices))
    return None


@on_button
async def window(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    wait = dict(await call(waiting.waiting_for, user_id=me) or {})
    window_s, choices = cb.arg(1) * 60, _settings_windows()[1]
    if wait.get("kind") != NOTE or int(wait.get("assignment_id", 0)) != cb.arg(0) or window_s not in choices:
        raise StaleAction()  # cancelled, sent, or a forged window
    wait.pop("kind")
    await waiting.expect(me, NOTE, **{**wait, "window_s": window_s})
    await msg.edit_text(views.ask_note(cb.arg(0), window_s),
                        reply_markup=views.note_keyboard(cb.arg(0), window_s, choices))
    return views.window_toast(window_s)


@on_message
async def note(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    wait = await waiting.wait_of(msg)
    try:  # an empty or too long note: ValidationFailed is replied and the same question stands
        revision = await call(revisions.request_revision, requester_id=me, assignment_id=int(wait["assignment_id"]),
                              note=msg.text or "", window_s=int(wait["window_s"]), now=now(context), prefs=_clear)
    except StaleAction:
        await waiting.done(me)  # decided meanwhile (another device, the auto-approve sweep)
        raise
    await refresh_card(context.bot, msg.chat_id, int(wait["card"]), revision.assignment_id, context)
    await msg.reply_text(views.requested_reply(revision.window_ends_at, now(context)))


@on_button
async def cancel(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    wait = await call(waiting.waiting_for, user_id=me)
    if wait and wait.get("kind") in (NOTE, ANSWER) and int(wait.get("assignment_id", 0)) == cb.arg(0):
        changes = _restore({waiting.KEY: wait}) if wait.get("kind") == ANSWER else _clear({})
        await call(set_pref, user_id=me, key=waiting.KEY, value=changes[waiting.KEY])
    await update.effective_message.edit_text(views.cancelled())
    return None


# The worker's side ---------------------------------------------------------------------------

async def _show(msg: Message, state, context: Context, *, edit: bool) -> None:
    text, markup = views.screen(state, now(context))
    if edit:
        await msg.edit_text(text, reply_markup=markup, parse_mode="HTML")
    else:
        await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def open_screen(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    # Back from a question ends the wait for its answer.
    state = await call(revisions.revision_state, worker_id=me, assignment_id=cb.arg(0), now=now(context),
                       prefs=_restore)
    # From the notice the screen comes under it (the notice keeps its button); Back edits in place.
    await _show(msg, state, context, edit=cb.verb == "back")
    return None


@on_button
async def question(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message

    def expect_answer(prefs: dict) -> dict:
        wait = waiting.current(prefs) or {}
        before = wait.get("before") if wait.get("kind") == ANSWER else (wait if wait.get("kind") else None)
        return {waiting.KEY: waiting.wait(ANSWER, assignment_id=cb.arg(0), question_id=cb.arg(1),
                                          screen=msg.message_id, before=before)}

    state = await call(revisions.revision_state, worker_id=me, assignment_id=cb.arg(0), now=now(context),
                       question_id=cb.arg(1), prefs=expect_answer)  # NotAllowed for another HIT's question
    text, markup = views.question_prompt(state, cb.arg(1))
    await msg.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def pick(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """An option (choice) or stars (rating) pressed; clr removes an optional answer."""
    me, msg = update.effective_user.id, update.effective_message
    value = None if cb.verb == "clr" else cb.arg(2)
    state = await call(revisions.revise_answer, worker_id=me, assignment_id=cb.arg(0), question_id=cb.arg(1),
                       value=value, now=now(context), prefs=_restore)
    await _show(msg, state, context, edit=True)
    return views.changed_toast()


@on_message
async def typed(update: Update, context: Context) -> None:
    """A message answering the question the worker chose to change (refused: the wait stands)."""
    me, msg = update.effective_user.id, update.effective_message
    wait = await waiting.wait_of(msg)
    state = await call(revisions.revise_answer, worker_id=me, assignment_id=int(wait["assignment_id"]),
                       question_id=int(wait["question_id"]), value=_value(msg), now=now(context), prefs=_restore)
    await _show(msg, state, context, edit=False)


def _value(msg: Message) -> object:
    """What the message says, in the shape core validates (a refused kind is core's to explain)."""
    if msg.photo:
        p = msg.photo[-1]
        return {"file_id": p.file_id, "file_unique_id": p.file_unique_id, "file_size": p.file_size}
    if msg.document:
        d = msg.document
        return {"file_id": d.file_id, "file_unique_id": d.file_unique_id, "file_name": d.file_name,
                "mime_type": d.mime_type, "file_size": d.file_size}
    if msg.voice:
        v = msg.voice
        return {"file_id": v.file_id, "file_unique_id": v.file_unique_id, "duration": v.duration,
                "file_size": v.file_size}
    if msg.location:
        return {"latitude": msg.location.latitude, "longitude": msg.location.longitude}
    return msg.text or ""


@on_button
async def resubmit(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    await call(revisions.resubmit, worker_id=me, assignment_id=cb.arg(0), now=now(context), prefs=_restore)
    await msg.edit_text(views.resubmitted())
    return None


def register(app: Application) -> None:
    answers = (filters.TEXT | filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.LOCATION) & ~filters.COMMAND
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting(NOTE), note))
    app.add_handler(MessageHandler(answers & waiting.awaiting(ANSWER), typed))
    for verb, fn, nargs in (("ask", ask, 1), ("win", window, 2), ("nx", cancel, 1), ("open", open_screen, 1), ("back", open_screen, 1),
                            ("q", question, 2), ("opt", pick, 3), ("clr", pick, 2), ("sub", resubmit, 1)):
        app.add_handler(CallbackQueryHandler(fn, pattern=callbacks.pattern("rv", verb, nargs)))
