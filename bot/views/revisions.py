"""Revisions (issue 18): the requester's '↩️ Ask for a revision' (note prompt with the window to
give), the review card's revision lines, the worker's notice, revision screen and answer prompts.
Pure: everything comes from core (core.review.revisions.RevisionState, the submission card)."""
from __future__ import annotations

from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import _
from bot.views.common import MAX_TEXT, button, clip, countdown, duration, esc, fit, keyboard, local_time
from bot.views.notice_parts import Rendered, _p, _title
from bot.views.review import FILE_KINDS, _answer_text
from core.models import AssignmentStatus as S

MAX_NOTE_SHOWN = 1000
MAX_NOTE_ON_CARD = 300  # the card also holds the answers
PER_ROW = 5  # question buttons on a row of the revision screen
HOUR_S = 3600
WINDOW_CHOICES_S = (12 * HOUR_S, 24 * HOUR_S, 72 * HOUR_S)  # offered besides the operator's default


# The requester's side ------------------------------------------------------------------------

def ask_button(assignment_id: int) -> InlineKeyboardButton:
    return button(_("↩️ Ask for a revision"), callbacks.make("rv", "ask", assignment_id))


def card_line(sub, now: datetime) -> str | None:
    """What the review card says about revisions, if any was asked for."""
    rev, a = sub.revision, sub.assignment
    if rev is None:
        return None
    max_revisions = rev.n + sub.revisions_left
    if a.status == S.REVISING and rev.closed_at is None:
        return "\n".join((
            _("↩️ Sent back for revision {n} of {most}; the worker has until {time} ({left})",
              n=rev.n, most=max_revisions, time=local_time(rev.window_ends_at, None, now=now),
              left=countdown(rev.window_ends_at, now)),
            _("Your note: <i>{note}</i>", note=esc(clip(rev.note, MAX_NOTE_ON_CARD)))))
    if a.status != S.SUBMITTED:
        return None
    if rev.outcome == "lapsed":
        return _("⌛ Not revised in time: these are the answers first submitted")
    return _("↩️ Revised by the worker (revision {n} of {most})", n=rev.n, most=max_revisions)


def windows(default_s: int, low_s: int, high_s: int) -> list[int]:
    return sorted({w for w in (*WINDOW_CHOICES_S, default_s) if low_s <= w <= high_s})


def ask_note(assignment_id: int, window_s: int) -> str:
    return _("↩️ What should the worker change in submission #{id}? Write it in one message: the worker gets "
             "your note with their answers and has {window} to change them and resubmit. Nothing is paid or "
             "refunded meanwhile; then you approve or reject as usual.", id=assignment_id, window=duration(window_s))


def note_keyboard(assignment_id: int, window_s: int, choices: list[int]) -> InlineKeyboardMarkup:
    row = [button((_("✅ {window}", window=duration(w)) if w == window_s else _("⏱ {window}", window=duration(w))),
                  callbacks.make("rv", "win", assignment_id, w // 60)) for w in choices]
    return keyboard([row, [button(_("✖️ Cancel"), callbacks.make("rv", "nx", assignment_id))]])


def window_toast(window_s: int) -> str:
    return _("The worker will have {window}.", window=duration(window_s))


def requested_reply(window_ends_at: datetime, now: datetime) -> str:
    return _("↩️ Sent back to the worker with your note. You review it again when they resubmit; if they don't "
             "by {time}, you decide on what they submitted.", time=local_time(window_ends_at, None, now=now))


def cancelled() -> str:
    return _("Cancelled; nothing changed.")


# The worker's side ---------------------------------------------------------------------------

def revise_button(assignment_id: int) -> InlineKeyboardButton:
    return button(_("✏️ Revise"), callbacks.make("rv", "open", assignment_id))


def requested_notice(e, ctx) -> Rendered:
    """revision.requested: the note, the deadline, and the way in."""
    p = _p(e)
    try:
        ends = datetime.fromisoformat(str(p.get("window_ends_at")))
    except ValueError:
        ends = e.created_at + timedelta(days=1)
    text = _("↩️ The requester asks you to revise your work on {title}:\n<i>{note}</i>\n\nChange any answer "
             "and resubmit by {time} ({left}). Nothing is decided until then, and a revision does not count "
             "against your approval rate.", title=_title(p, ctx), note=esc(clip(str(p.get("note") or ""),
                                                                                 MAX_NOTE_SHOWN)),
             time=local_time(ends, ctx.timezone, now=e.created_at), left=countdown(ends, e.created_at))
    if ctx.submission is not None:  # their own answers, as they submitted them
        items = ctx.submission.items
        block = _answer_lines([q for q, _v in items], {q.id: v for q, v in items if v is not None}, frozenset(),
                              MAX_TEXT - _units(text) - 40)
        text += "\n\n" + _("Your answers:") + "\n" + block
    aid = p.get("assignment_id")
    return fit(text), keyboard([[revise_button(int(aid))]]) if aid is not None else None


def lapsed_notice(e, ctx) -> Rendered:
    return _("⌛ The time to revise {title} has passed; the requester decides on the answers you submitted "
             "before.", title=_title(_p(e), ctx)), None


def screen(state, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    """The worker's revision: the note, the deadline, every answer as it will be resubmitted."""
    rev, hit = state.revision, state.hit
    head = [_("✏️ <b>Revising “{title}”</b>", title=esc(clip(hit.title, 200))),
            _("Requester's note: <i>{note}</i>", note=esc(clip(rev.note, MAX_NOTE_SHOWN))),
            _("Resubmit by {time} ({left}). Tap a number to change that answer.",
              time=local_time(rev.window_ends_at, state.timezone, now=now), left=countdown(rev.window_ends_at, now))]
    top = "\n".join(head)
    text = f"{top}\n\n" + _answer_lines(state.questions, state.answers, state.changed,
                                         MAX_TEXT - _units(top) - 2)
    buttons = [button(str(q.position + 1), callbacks.make("rv", "q", state.assignment.id, q.id))
               for q in state.questions[:50]]
    rows = [buttons[i:i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]
    rows.append([button(_("📤 Resubmit"), callbacks.make("rv", "sub", state.assignment.id))])
    return fit(text), keyboard(rows)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _shown(kind: str, value: object, limit: int) -> str:
    """An answer as the worker sees it (a file by its name: it is in their own chat, not sent again)."""
    if kind in FILE_KINDS and isinstance(value, dict):
        icon, name = FILE_KINDS[kind]
        return f"{icon} {esc(clip(str(value.get('file_name') or _(name)), 100))}"
    return _answer_text(kind, value, limit, 5)


def _answer_lines(questions, answers: dict, changed: frozenset, budget: int) -> str:
    """Each question with its answer (changed ones marked), shortened level by level to fit `budget`."""
    for answer_chars, prompt_chars in ((400, 200), (120, 80), (40, 40), (10, 20)):
        lines = []
        for q in questions:
            mark = " ✏️" if q.id in changed else ""
            lines.append(f"{q.position + 1}. {esc(clip(q.prompt, prompt_chars))}{mark}\n   → "
                         f"{_shown(q.kind, answers.get(q.id), answer_chars)}")
        text = "\n".join(lines)
        if _units(text) <= budget:
            break
    return text


def question_prompt(state, question_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """Change one answer: the question, the answer now, and how to give the new one."""
    q = state.question(question_id)
    aid = state.assignment.id
    rows: list[list[InlineKeyboardButton]] = []
    if q.kind == "choice":
        how = _("Pick the new answer below.")
        rows += [[button(clip(str(o), 60), callbacks.make("rv", "opt", aid, q.id, i))]
                 for i, o in enumerate((q.options or [])[:20])]
    elif q.kind == "rating":
        how = _("Pick the new answer below.")
        rows.append([button("★" * n, callbacks.make("rv", "opt", aid, q.id, n)) for n in range(1, 6)])
    elif q.kind == "multi":
        how = _("Write the options you choose in one message, separated by commas: {options}",
                options=esc(clip(", ".join(map(str, q.options or [])), 1500)))
    else:
        how = _("Send the new answer as a message.")
    if not q.required:
        rows.append([button(_("🗑 Remove this answer"), callbacks.make("rv", "clr", aid, q.id))])
    rows.append([button(_("⬅️ Back"), callbacks.make("rv", "back", aid))])
    text = _("<b>Question {n}</b>: {prompt}\nYour answer now: {answer}\n\n{how}", n=q.position + 1,
             prompt=esc(clip(q.prompt, 1500)), answer=_shown(q.kind, state.answers.get(q.id), 800), how=how)
    return fit(text), keyboard(rows)


def changed_toast() -> str:
    return _("Changed. Resubmit when you are done.")


def resubmitted() -> str:
    return _("📤 Resubmitted: the requester reviews your revised answers.")
