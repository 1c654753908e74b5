"""/mywork: the worker's assignments, active first, paginated."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _
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

SECTIONS = {S.ACCEPTED: N_("▶️ <b>Active</b>"), S.REVISING: N_("✏️ <b>Revision asked</b>"),
            S.SUBMITTED: N_("⏳ <b>Waiting for review</b>"),
            S.APPROVED: N_("🗂 <b>Decided</b>"), S.REJECTED: N_("🗂 <b>Decided</b>"), S.EXPIRED: N_("🗂 <b>Decided</b>")}
MAX_FEEDBACK = 200


def _status(a: Assignment, now: datetime) -> str:
    if a.status == S.ACCEPTED:
        total = getattr(a, "questions_n", 0)
        where = _("question {n} of {total}", n=a.current_q + 1, total=total) if a.current_q < total \
            else _("all answered, not submitted")
        return f"{where} · ⏳ {countdown(a.deadline, now)}"
    if a.status == S.REVISING:
        return _("✏️ the requester asked for a revision")
    if a.status == S.SUBMITTED:
        ago = _("submitted {duration} ago", duration=duration((now - a.submitted_at).total_seconds()))
        if a.auto_approve_at is None:
            return ago
        return ago + " · " + _("auto-approves in {duration}",
                               duration=duration((a.auto_approve_at - now).total_seconds()))
    if a.status == S.APPROVED:
        if not a.feedback:
            return _("✅ approved")
        return _("✅ approved") + " · " + _("feedback: “{feedback}”", feedback=esc(clip(a.feedback, MAX_FEEDBACK)))
    if a.status == S.REJECTED:
        reason = esc(clip(a.feedback, MAX_FEEDBACK)) if a.feedback else _("no reason given")
        return _("❌ rejected: “{reason}”", reason=reason)
    return _("⌛ expired (time ran out)")


def _line(a: Assignment, now: datetime) -> str:
    return _("• “{title}” — {reward} · {status}", title=esc(clip(a.hit.title, 50)), reward=money(a.hit.reward_cents),
             status=_status(a, now))


def my_work(mw: MyWork, now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    c = mw.counts
    decided = c.get(S.APPROVED, 0) + c.get(S.REJECTED, 0) + c.get(S.EXPIRED, 0)
    lines = [_("🧰 <b>Your work</b> · {active} active · {waiting} waiting for review · {decided} decided",
               active=c.get(S.ACCEPTED, 0), waiting=c.get(S.SUBMITTED, 0), decided=decided)]
    if not mw.items and mw.page == 0:
        lines += ["", _("Nothing yet. Find a HIT with /browse.")]
    section = None
    rows = []
    for a in mw.items:
        if SECTIONS[a.status] != section:
            section = SECTIONS[a.status]
            lines += ["", _(section)]
        lines.append(_line(a, now))
        if a.status == S.ACCEPTED and a.deadline > now:
            rows.append([button(_("▶️ Continue: {title}", title=clip(a.hit.title, 40)), callbacks.make("w", "go", a.id))])
        if a.status == S.REVISING:
            rows.append([button(_("✏️ Revise: {title}", title=clip(a.hit.title, 40)), callbacks.make("rv", "open", a.id))])
    nav = []
    if mw.page > 0:
        nav.append(button(_("◀️ Prev"), callbacks.make("w", "mw", mw.page - 1)))
    if mw.more:
        nav.append(button(_("Next ▶️"), callbacks.make("w", "mw", mw.page + 1)))
    rows.append(nav)
    if mw.page > 0 or mw.more:
        lines.append("\n" + _("Page {n}", n=mw.page + 1))
    return fit("\n".join(lines)), keyboard(rows) if any(rows) else None
