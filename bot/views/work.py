"""Working on an assignment: one question at a time, the summary, submit and return."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot import callbacks
from bot.i18n import _
from bot.views import hit_language, materials, messages
from bot.views.common import (
    button,
    clip,
    countdown,
    duration,
    esc,
    esc_clip,
    fit,
    keyboard,
    local_time,
    money,
)
from core.hits.spec import MAX_TEXT_ANSWER
from core.models import WEB_KIND
from core.work.queries import WorkState

if TYPE_CHECKING:
    from core.models import Assignment, Hit, Question

MAX_ANSWER_SHOWN = 300


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def hint(q: Question) -> str:
    """What to send for this question: shown under it, and again after a wrong kind of message."""
    if q.kind == "choice":
        return _("Tap one of the buttons.")
    if q.kind == "multi":
        return _("Tap every option that applies, then ✔️ Done.")
    if q.kind == "text":
        low, high = max(int(q.min_value or 0), 1), int(q.max_value or MAX_TEXT_ANSWER)
        return _("Send your answer as a text message ({low}–{high} characters).", low=low, high=high)
    if q.kind == "number":
        if q.min_value is not None and q.max_value is not None:
            return _("Send a number from {low} to {high}.", low=_fmt(q.min_value), high=_fmt(q.max_value))
        if q.min_value is not None:
            return _("Send a number of at least {low}.", low=_fmt(q.min_value))
        if q.max_value is not None:
            return _("Send a number of at most {high}.", high=_fmt(q.max_value))
        return _("Send a number.")
    if q.kind == "rating":
        return _("Tap 1 to 5 stars.")
    if q.kind == WEB_KIND:
        return _("Open the task with 🌐 Open task; its page sends your answers.")
    if q.kind == "photo":
        return _("Send a photo (📎 → Photo).")
    if q.kind == "document":
        return _("Send a file (📎 → File).")
    if q.kind == "voice":
        return _("Send a voice message (hold 🎤).")
    if q.kind == "location":
        return _("Share a location (📎 → Location).")
    return _("Send your answer.")


def answer_text(q: Question, value: object, limit: int = MAX_ANSWER_SHOWN) -> str:
    if value is None:
        return _("<i>not answered</i> (required)") if q.required else _("<i>not answered</i>")
    if q.kind in ("photo", "document", "voice") and isinstance(value, dict):
        icon = {"photo": _("📷 photo"), "document": _("📄 file"), "voice": _("🎤 voice message")}[q.kind]
        name = value.get("file_name")
        return icon + (" " + esc_clip(str(name), 60) if name else "")
    if q.kind == "location" and isinstance(value, dict):
        return f"📍 {float(value['latitude']):.5f}, {float(value['longitude']):.5f}"
    if q.kind == "rating":
        return "⭐" * int(value) + f" ({value}/5)"  # type: ignore[arg-type]
    if q.kind == WEB_KIND and isinstance(value, list):  # the page's form: name = value, in order
        return esc_clip("; ".join(f"{p[0]} = {p[1]}" for p in value if isinstance(p, list) and len(p) == 2), limit)
    if isinstance(value, list):
        return "<b>" + esc_clip(", ".join(map(str, value)), limit) + "</b>"
    return "<b>" + esc_clip(str(value), limit) + "</b>"


def _header(state: WorkState, now: datetime) -> str:
    return (f"📝 <b>{esc(clip(state.hit.title, 80))}</b> · ⏳ {countdown(state.assignment.deadline, now)}"
            + hit_language.suffix(state.hit))


def question(state: WorkState, now: datetime, picked: list[int] | None = None,
             before: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """The question the worker is on; `before`: a line above it (the answer just given, when the
    same message goes on to the next question)."""
    q = state.current
    assert q is not None
    if q.kind == WEB_KIND:
        return web_task(state, now)
    a = state.assignment
    where = _("Question {n} of {total}", n=state.position + 1, total=state.total) if q.required else \
        _("Question {n} of {total} (optional)", n=state.position + 1, total=state.total)
    lines = [_header(state, now)] + ([before] if before else []) + [where, "", esc(q.prompt), f"<i>{hint(q)}</i>"]
    if q.id in state.answers:
        lines.append(_("Your answer so far: {answer}", answer=answer_text(q, state.answers[q.id])))
    rows = []
    if q.kind == "choice":
        rows += [[button(opt, callbacks.make("w", "ch", a.id, q.id, i))] for i, opt in enumerate(q.options or [])]
    elif q.kind == "multi":
        chosen = set(picked or [])
        rows += [[button(("☑️ " if i in chosen else "⬜ ") + opt, callbacks.make("w", "mt", a.id, q.id, i))]
                 for i, opt in enumerate(q.options or [])]
        rows.append([button(_("✔️ Done"), callbacks.make("w", "md", a.id, q.id))])
    elif q.kind == "rating":
        rows.append([button(f"{n}⭐", callbacks.make("w", "rt", a.id, q.id, n)) for n in range(1, 6)])
    nav = []
    if state.position > 0:
        nav.append(button(_("⬅️ Back"), callbacks.make("w", "bk", a.id, state.position - 1)))
    if not q.required:
        nav.append(button(_("⏭ Skip"), callbacks.make("w", "sk", a.id, q.id)))
    nav.append(button(_("📋 Summary"), callbacks.make("w", "sm", a.id)))
    rows.append(nav)
    extra = []
    if materials.has_instructions(state.hit):
        extra.append(button(_("📄 Instructions"), callbacks.make("w", "ins", a.id)))
    if state.hit.group_id is not None and state.hit.batch_id is not None:  # return it, take the batch's next
        extra.append(button(_("⏭ Skip HIT"), callbacks.make("w", "sx", a.id)))
    if extra:
        rows.append(extra)
    return fit("\n".join(lines)), keyboard(rows)


def answered_line(state: WorkState, q: Question, value: object) -> str:
    """One line for the answer just given, above the next question in the same message."""
    return _("✔️ {n}. {answer}", n=q.position + 1, answer=answer_text(q, value, 60))


def web_task(state: WorkState, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    """A web task (HTMLQuestion, ExternalQuestion): its page opens as a Mini App, or in the browser;
    submitting the page's form submits the assignment."""
    a, url = state.assignment, state.task_url
    lines = [_header(state, now), _("🌐 This task is done on its own page. Open it, do the task there and press "
                                    "its Submit: the chat confirms here.")]
    rows = []
    if url:
        rows.append([InlineKeyboardButton(_("🌐 Open task"), web_app=WebAppInfo(url))])
        if state.task_link:  # the worker's own link, not bound to the Telegram account as the Mini App is
            rows.append([InlineKeyboardButton(_("Open in browser"), url=state.task_link)])
    else:
        lines.append(_("The task page can't be reached right now; try again later."))
    rows.append([button(_("↩️ Return"), callbacks.make("w", "ret", a.id))])
    if materials.has_instructions(state.hit):
        rows.append([button(_("📄 Instructions"), callbacks.make("w", "ins", a.id))])
    return fit("\n".join(lines)), keyboard(rows)


def answered(state: WorkState, q: Question, value: object) -> str:
    """The question message once answered by a button (its buttons go away)."""
    return fit(f"📝 <b>{esc(clip(state.hit.title, 80))}</b>\n"
               + _("Question {n} of {total}: {prompt}", n=q.position + 1, total=state.total,
                   prompt=esc_clip(q.prompt, 300))
               + f"\n→ {answer_text(q, value)}")


def summary(state: WorkState, now: datetime, before: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    a = state.assignment
    lines = [_header(state, now)] + ([before] if before else []) + [_("📋 <b>Your answers</b>"), ""]
    # Up to 20 questions share one message: each gets an equal slice of Telegram's limit.
    budget = max(40, min(MAX_ANSWER_SHOWN, 3000 // max(1, state.total) - 80))
    for q in state.questions:
        answer = answer_text(q, state.answers.get(q.id), budget)
        lines.append(f"{q.position + 1}. {esc_clip(q.prompt, 70)}\n   → {answer}")
    lines.append("")
    if state.missing:
        lines.append(_("Answer the questions marked required, then Submit."))
    else:
        lines.append(_("All set? Submit sends it for review; Return gives the HIT back (no penalty)."))
    edit = [button(f"✏️ {q.position + 1}", callbacks.make("w", "gq", a.id, q.position)) for q in state.questions]
    rows = [edit[i:i + 5] for i in range(0, len(edit), 5)]
    rows.append([button(_("📤 Submit"), callbacks.make("w", "sub", a.id)),
                 button(_("↩️ Return"), callbacks.make("w", "ret", a.id))])
    rows.append([messages.ask_button(state.hit.id)])  # a question about the task, before submitting
    return fit("\n".join(lines)), keyboard(rows)


def return_confirm(state: WorkState) -> tuple[str, InlineKeyboardMarkup]:
    text = _("↩️ Return “{title}”? Your answers are dropped and the slot goes back to other workers. "
             "There is no penalty.", title=esc(state.hit.title))
    return text, keyboard([[button(_("↩️ Confirm return"), callbacks.make("w", "rety", state.assignment.id)),
                            button(_("⬅️ Back"), callbacks.make("w", "sm", state.assignment.id))]])


def accepted(hit: Hit, a: Assignment, now: datetime, tz: str | None) -> str:
    """The preview, once accepted: the deadline and, again, what to work from."""
    lines = [_("✅ Accepted “{title}” for {reward}.", title=esc(hit.title), reward=money(hit.reward_cents)),
             _("⏳ Submit by {when} ({countdown}). The first question follows.",
               when=local_time(a.deadline, tz, now=now), countdown=countdown(a.deadline, now))]
    if hit.description:
        lines += ["", esc_clip(hit.description, 1500)]
    lines += materials.lines(materials.of(hit))
    return fit("\n".join(lines))


def auto_approval(a: Assignment, now: datetime) -> str:
    """When unreviewed work is approved by itself, counted from the submit (one figure for the
    submit's edit and its notice, however late either is rendered)."""
    if a.auto_approve_at is None:
        return ""
    return auto_approval_text((a.auto_approve_at - (a.submitted_at or now)).total_seconds())


def auto_approval_text(after_s: float | None) -> str:
    if after_s is None:
        return ""
    return " " + _("If the requester doesn't review it, it is approved automatically in {time}.",
                   time=duration(after_s))


def submitted(state: WorkState, now: datetime) -> str:
    auto = auto_approval(state.assignment, now)
    return (_("📤 Submitted “{title}”. The requester reviews it; {reward} reaches your balance when approved.",
              title=esc(state.hit.title), reward=money(state.hit.reward_cents)) + auto + "\n"
            + _("Find more work with /browse; follow this one in /mywork."))


def returned(state: WorkState) -> str:
    return _("↩️ Returned “{title}”. No penalty. Find another one with /browse.", title=esc(state.hit.title))


def whats_next() -> InlineKeyboardMarkup:
    return keyboard([[button(_("🔎 Browse more"), callbacks.make("m", "browse")),
                      button(_("🧰 My work"), callbacks.make("m", "mywork"))]])


def group_next(assignment_id: int, group_id: int | None, left: int, auto: bool) -> InlineKeyboardMarkup:
    """Under a submitted (or returned) group HIT: the group's next one, the auto-next toggle, and the way out."""
    rows = []
    if group_id is not None and left > 0:
        rows.append([button(_("▶️ Next in this group"), callbacks.make("w", "nx", group_id))])
    if group_id is not None and (left > 0 or auto):  # the setting where it applies (and where it can be undone)
        label = _("🔁 Auto-next: on") if auto else _("🔁 Auto-next: off")
        rows.append([button(label, callbacks.make("w", "an", assignment_id, 0 if auto else 1))])
    rows.append([button(_("🔎 Browse more"), callbacks.make("m", "browse")),
                 button(_("🧰 My work"), callbacks.make("m", "mywork"))])
    return keyboard(rows)


def submitted_next(state: WorkState, now: datetime) -> str:
    """The line the next HIT's first question starts with, after an automatic next (auto-next on)."""
    return _("📤 Submitted “{title}”: {reward} when approved. Next HIT:", title=esc(clip(state.hit.title, 60)),
             reward=money(state.hit.reward_cents))


def skipped_line(state: WorkState) -> str:
    return _("⏭ Skipped “{title}” (returned, no penalty). Next HIT:", title=esc(clip(state.hit.title, 60)))


def group_over(reason: str | None) -> str:
    """Why no next HIT followed (the group ran out, or the worker no longer qualifies)."""
    return "ℹ️ " + (reason or _("No more HITs in this group for you right now: they are all taken or done. "
                                "Find more with /browse."))


def auto_next_set(on: bool) -> str:
    return _("Auto-next is on: after Submit, the group's next HIT follows.") if on else _("Auto-next is off.")


def all_answered() -> str:
    return _("All questions are answered: check the summary below, then Submit.")
