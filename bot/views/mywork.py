"""/mywork: the worker's assignments, active first, paginated."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import (
    button,
    clip,
    countdown,
    duration,
    esc,
    fit,
    keyboard,
    money,
)
from core.models import AssignmentStatus as S
from core.work.queries import MyWork

if TYPE_CHECKING:
    from core.models import Assignment

SECTIONS = {S.ACCEPTED: "▶️ <b>Active</b>", S.SUBMITTED: "⏳ <b>Waiting for review</b>",
            S.APPROVED: "🗂 <b>Decided</b>", S.REJECTED: "🗂 <b>Decided</b>", S.EXPIRED: "🗂 <b>Decided</b>"}
MAX_FEEDBACK = 200


def _line(a: Assignment, now: datetime) -> str:
    hit = a.hit
    head = f"• “{esc(clip(hit.title, 50))}” — {money(hit.reward_cents)}"
    if a.status == S.ACCEPTED:
        total = getattr(a, "questions_n", 0)
        where = f"question {a.current_q + 1} of {total}" if a.current_q < total else "all answered, not submitted"
        return f"{head} · {where} · ⏳ {countdown(a.deadline, now)}"
    if a.status == S.SUBMITTED:
        left = f" · auto-approves in {duration((a.auto_approve_at - now).total_seconds())}" \
            if a.auto_approve_at else ""
        return f"{head} · submitted {duration((now - a.submitted_at).total_seconds())} ago{left}"
    if a.status == S.APPROVED:
        note = f" · feedback: “{esc(clip(a.feedback, MAX_FEEDBACK))}”" if a.feedback else ""
        return f"{head} · ✅ approved{note}"
    if a.status == S.REJECTED:
        return f"{head} · ❌ rejected: “{esc(clip(a.feedback or 'no reason given', MAX_FEEDBACK))}”"
    return f"{head} · ⌛ expired (time ran out)"


def my_work(mw: MyWork, now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    c = mw.counts
    decided = c.get(S.APPROVED, 0) + c.get(S.REJECTED, 0) + c.get(S.EXPIRED, 0)
    lines = [f"🧰 <b>Your work</b> · {c.get(S.ACCEPTED, 0)} active · {c.get(S.SUBMITTED, 0)} waiting for review"
             f" · {decided} decided"]
    if not mw.items and mw.page == 0:
        lines += ["", "Nothing yet. Find a HIT with /browse."]
    section = None
    rows = []
    for a in mw.items:
        if SECTIONS[a.status] != section:
            section = SECTIONS[a.status]
            lines += ["", section]
        lines.append(_line(a, now))
        if a.status == S.ACCEPTED and a.deadline > now:
            rows.append([button(f"▶️ Continue: {clip(a.hit.title, 40)}", callbacks.make("w", "go", a.id))])
    nav = []
    if mw.page > 0:
        nav.append(button("◀️ Prev", callbacks.make("w", "mw", mw.page - 1)))
    if mw.more:
        nav.append(button("Next ▶️", callbacks.make("w", "mw", mw.page + 1)))
    rows.append(nav)
    if mw.page > 0 or mw.more:
        lines.append(f"\nPage {mw.page + 1}")
    return fit("\n".join(lines)), keyboard(rows) if any(rows) else None
