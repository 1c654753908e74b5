"""The home screen (/start for someone who has been here before, and 🏠 Home): today's money first."""
from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.numbers import format_percent
from telegram import InlineKeyboardMarkup

from bot import callbacks, i18n
from bot.i18n import _, _n
from bot.views import ratings
from bot.views.alerts import describe
from bot.views.common import button, clip, countdown, esc_clip, keyboard, local_time, money
from bot.views.myhits import fit_lines
from bot.views.start import main_menu_rows
from core.dashboard import Dashboard, Period, RequesterDashboard, WorkerDashboard

TITLE = 48  # characters of a HIT's title on one line


def week_starts() -> int:
    """The reader's first weekday (0 Monday .. 6 Sunday), as their locale counts weeks."""
    return Locale.parse(i18n.current()).first_week_day


def _rate(p: Period) -> str:
    rate = p.approval_rate
    return "—" if rate is None else format_percent(rate, locale=i18n.current())


def _worker(w: WorkerDashboard, tz: str, now: datetime) -> list[str]:
    lines = [
        _("💰 Earned: today {today} · this week {week} · this month {month}",
          today=money(w.today.earned_cents), week=money(w.week.earned_cents), month=money(w.month.earned_cents)),
        _("✅ Approval rate: today {today} · this week {week} · this month {month}",
          today=_rate(w.today), week=_rate(w.week), month=_rate(w.month)),
    ]
    if w.waiting_n:
        lines.append(_n("⏳ Waiting for review: {n} submission, {amount}",
                        "⏳ Waiting for review: {n} submissions, {amount}", w.waiting_n,
                        n=w.waiting_n, amount=money(w.waiting_cents)))
        for s in w.waiting:
            if s.auto_approve_at is not None:
                lines.append(_("   • “{title}” {amount}, approved by {when} at the latest",
                               title=esc_clip(s.title, TITLE), amount=money(s.reward_cents),
                               when=local_time(s.auto_approve_at, tz, now=now)))
            else:
                lines.append(_("   • “{title}” {amount}", title=esc_clip(s.title, TITLE), amount=money(s.reward_cents)))
        if w.waiting_n > len(w.waiting):
            lines.append(_("   … and {n} more in /mywork", n=w.waiting_n - len(w.waiting)))
    else:
        lines.append(_("⏳ Nothing waiting for review."))
    if w.active_n:
        lines.append(_n("🛠 In progress: {n} assignment", "🛠 In progress: {n} assignments", w.active_n, n=w.active_n))
        for a in w.active:
            lines.append(_("   • “{title}”, {left}", title=esc_clip(a.title, TITLE), left=countdown(a.deadline, now)))
        if w.active_n > len(w.active):
            lines.append(_("   … and {n} more in /mywork", n=w.active_n - len(w.active)))
    if w.alerts:
        lines.append(_("🔔 Your alerts (/alerts):"))
        for alert in w.alerts:
            shown = ("🔕 " if alert.muted else "") + describe(alert.filters)
            lines.append(_n("   • {filter}: {n} open HIT now", "   • {filter}: {n} open HITs now", alert.open_now,
                            filter=shown, n=alert.open_now))
    if w.recent:
        lines.append(_("▶️ Still open from the groups you worked on this week: tap one to continue."))
    return lines


def _requester(r: RequesterDashboard) -> list[str]:
    return [
        _("📋 <b>Your HITs</b> (/myhits): {open} open · {waiting} waiting for your review (/review)",
          open=r.open_hits, waiting=r.waiting_review) if r.waiting_review else
        _("📋 <b>Your HITs</b> (/myhits): {open} open · nothing waiting for your review", open=r.open_hits),
        _("💰 Balance {balance} · in escrow {escrow} · spent this week {spent}",
          balance=money(r.balance_cents), escrow=money(r.escrow_cents), spent=money(r.spent_week_cents)),
        *(ratings.requester_own(*r.ratings) if r.ratings else ()),
    ]


def home(d: Dashboard, first_name: str | None, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    """The home screen's text and buttons: the recent groups' Continue, then the main menu."""
    head = (_("🏠 <b>Home</b>, {name}", name=esc_clip(first_name, 64)) if first_name else _("🏠 <b>Home</b>"))
    lines = [head]
    if d.worker is not None:
        lines += ["", *_worker(d.worker, d.timezone, now)]
    if d.requester is not None:
        lines += ["", *_requester(d.requester)]
    rows = []
    for g in d.worker.recent if d.worker is not None else []:
        rows.append([button(_("▶️ {title} · {amount} · {n} left", title=clip(g.title, 40), amount=money(g.reward_cents),
                              n=g.available), callbacks.make("b", "v", g.hit_id, 0))])
    return fit_lines("\n".join(lines).split("\n")), keyboard(rows + main_menu_rows(home=False))


def worker_chart(d: Dashboard) -> list[tuple] | None:
    """The week's earnings to draw, or None when there is nothing to draw."""
    if d.worker is None or not any(c for _, c in d.worker.days):
        return None
    return d.worker.days


def requester_chart(d: Dashboard) -> list[tuple] | None:
    if d.requester is None or not any(n for _, n in d.requester.submissions):
        return None
    return d.requester.submissions


def chart_caption() -> str:
    return _("📈 Your earnings, day by day, this last week.")


def submissions_caption() -> str:
    return _("📥 Submissions to your HITs, day by day, this last week.")
