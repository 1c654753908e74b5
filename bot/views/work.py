"""Working on an assignment: one question at a time, the summary, submit and return."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot import callbacks
from bot.views import materials, messages
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
        return "Tap one of the buttons."
    if q.kind == "multi":
        return "Tap every option that applies, then ✔️ Done."
    if q.kind == "text":
        low, high = max(int(q.min_value or 0), 1), int(q.max_value or MAX_TEXT_ANSWER)
        return f"Send your answer as a text message ({low}–{high} characters)."
    if q.kind == "number":
        if q.min_value is not None and q.max_value is not None:
            return f"Send a number from {_fmt(q.min_value)} to {_fmt(q.max_value)}."
        if q.min_value is not None:
            return f"Send a number of at least {_fmt(q.min_value)}."
        if q.max_value is not None:
            return f"Send a number of at most {_fmt(q.max_value)}."
        return "Send a number."
    if q.kind == "rating":
        return "Tap 1 to 5 stars."
    if q.kind == WEB_KIND:
        return "Open the task with 🌐 Open task; its page sends your answers."
    return {"photo": "Send a photo (📎 → Photo).", "document": "Send a file (📎 → File).",
            "voice": "Send a voice message (hold 🎤).",
            "location": "Share a location (📎 → Location)."}.get(q.kind, "Send your answer.")


def answer_text(q: Question, value: object, limit: int = MAX_ANSWER_SHOWN) -> str:
    if value is None:
        return "<i>not answered</i>" + (" (required)" if q.required else "")
    if q.kind in ("photo", "document", "voice") and isinstance(value, dict):
        icon = {"photo": "📷 photo", "document": "📄 file", "voice": "🎤 voice message"}[q.kind]
        name = value.get("file_name")
        return icon + (f" {esc_clip(str(name), 60)}" if name else "")
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
    return f"📝 <b>{esc(clip(state.hit.title, 80))}</b> · ⏳ {countdown(state.assignment.deadline, now)}"


def question(state: WorkState, now: datetime, picked: list[int] | None = None) -> tuple[str, InlineKeyboardMarkup]:
    q = state.current
    assert q is not None
    if q.kind == WEB_KIND:
        return web_task(state, now)
    a = state.assignment
    lines = [_header(state, now), f"Question {state.position + 1} of {state.total}"
             + ("" if q.required else " (optional)"), "", esc(q.prompt), f"<i>{hint(q)}</i>"]
    if q.id in state.answers:
        lines.append(f"Your answer so far: {answer_text(q, state.answers[q.id])}")
    rows = []
    if q.kind == "choice":
        rows += [[button(opt, callbacks.make("w", "ch", a.id, q.id, i))] for i, opt in enumerate(q.options or [])]
    elif q.kind == "multi":
        chosen = set(picked or [])
        rows += [[button(("☑️ " if i in chosen else "⬜ ") + opt, callbacks.make("w", "mt", a.id, q.id, i))]
                 for i, opt in enumerate(q.options or [])]
        rows.append([button("✔️ Done", callbacks.make("w", "md", a.id, q.id))])
    elif q.kind == "rating":
        rows.append([button(f"{n}⭐", callbacks.make("w", "rt", a.id, q.id, n)) for n in range(1, 6)])
    nav = []
    if state.position > 0:
        nav.append(button("⬅️ Back", callbacks.make("w", "bk", a.id, state.position - 1)))
    if not q.required:
        nav.append(button("⏭ Skip", callbacks.make("w", "sk", a.id, q.id)))
    nav.append(button("📋 Summary", callbacks.make("w", "sm", a.id)))
    rows.append(nav)
    if materials.has_instructions(state.hit):
        rows.append([button("📄 Instructions", callbacks.make("w", "ins", a.id))])
    return fit("\n".join(lines)), keyboard(rows)


def web_task(state: WorkState, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    """A web task (HTMLQuestion, ExternalQuestion): its page opens as a Mini App, or in the browser;
    submitting the page's form submits the assignment."""
    a, url = state.assignment, state.task_url
    lines = [_header(state, now), "🌐 This task is done on its own page. Open it, do the task there and press "
             "its Submit: the chat confirms here."]
    rows = []
    if url:
        rows += [[InlineKeyboardButton("🌐 Open task", web_app=WebAppInfo(url))],
                 [InlineKeyboardButton("Open in browser", url=url)]]
    else:
        lines.append("The task page can't be reached right now; try again later.")
    rows.append([button("↩️ Return", callbacks.make("w", "ret", a.id))])
    if materials.has_instructions(state.hit):
        rows.append([button("📄 Instructions", callbacks.make("w", "ins", a.id))])
    return fit("\n".join(lines)), keyboard(rows)


def answered(state: WorkState, q: Question, value: object) -> str:
    """The question message once answered by a button (its buttons go away)."""
    return fit(f"📝 <b>{esc(clip(state.hit.title, 80))}</b>\n"
               f"Question {q.position + 1} of {state.total}: {esc_clip(q.prompt, 300)}\n"
               f"→ {answer_text(q, value)}")


def summary(state: WorkState, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    a = state.assignment
    lines = [_header(state, now), "📋 <b>Your answers</b>", ""]
    # Up to 20 questions share one message: each gets an equal slice of Telegram's limit.
    budget = max(40, min(MAX_ANSWER_SHOWN, 3000 // max(1, state.total) - 80))
    for q in state.questions:
        answer = answer_text(q, state.answers.get(q.id), budget)
        lines.append(f"{q.position + 1}. {esc_clip(q.prompt, 70)}\n   → {answer}")
    lines.append("")
    if state.missing:
        lines.append("Answer the questions marked required, then Submit.")
    else:
        lines.append("All set? Submit sends it for review; Return gives the HIT back (no penalty).")
    edit = [button(f"✏️ {q.position + 1}", callbacks.make("w", "gq", a.id, q.position)) for q in state.questions]
    rows = [edit[i:i + 5] for i in range(0, len(edit), 5)]
    rows.append([button("📤 Submit", callbacks.make("w", "sub", a.id)),
                 button("↩️ Return", callbacks.make("w", "ret", a.id))])
    rows.append([messages.ask_button(state.hit.id)])  # a question about the task, before submitting
    return fit("\n".join(lines)), keyboard(rows)


def return_confirm(state: WorkState) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"↩️ Return “{esc(state.hit.title)}”? Your answers are dropped and the slot goes back to other "
            "workers. There is no penalty.")
    return text, keyboard([[button("↩️ Confirm return", callbacks.make("w", "rety", state.assignment.id)),
                            button("⬅️ Back", callbacks.make("w", "sm", state.assignment.id))]])


def accepted(hit: Hit, a: Assignment, now: datetime, tz: str | None) -> str:
    """The preview, once accepted: the deadline and, again, what to work from."""
    lines = [f"✅ Accepted “{esc(hit.title)}” for {money(hit.reward_cents)}.",
             f"⏳ Submit by {local_time(a.deadline, tz, now=now)} ({countdown(a.deadline, now)}). "
             "The first question follows."]
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
    return f" If the requester doesn't review it, it is approved automatically in {duration(after_s)}."


def submitted(state: WorkState, now: datetime) -> str:
    auto = auto_approval(state.assignment, now)
    return (f"📤 Submitted “{esc(state.hit.title)}”. The requester reviews it; "
            f"{money(state.hit.reward_cents)} reaches your balance when approved.{auto}\n"
            "Find more work with /browse; follow this one in /mywork.")


def returned(state: WorkState) -> str:
    return f"↩️ Returned “{esc(state.hit.title)}”. No penalty. Find another one with /browse."


def whats_next() -> InlineKeyboardMarkup:
    return keyboard([[button("🔎 Browse more", callbacks.make("m", "browse")),
                      button("🧰 My work", callbacks.make("m", "mywork"))]])


def all_answered() -> str:
    return "All questions are answered: check the summary below, then Submit."
