"""/alerts: the saved filters, each with Mute/Unmute and Delete, and 'New alert'."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, esc, fit, keyboard, money
from core.alerts.commands import FILTER_HELP, MAX_ALERTS
from core.hits.spec import format_duration
from core.work.browse import Filters

if TYPE_CHECKING:
    from core.models import AlertSub


def describe(filters: Filters) -> str:
    parts = []
    if filters.min_reward_cents:
        parts.append(f"reward ≥ {money(filters.min_reward_cents)}")
    if filters.max_duration_s:
        parts.append(f"time ≤ {format_duration(filters.max_duration_s)}")
    if filters.min_hourly_cents:
        parts.append(f"≥ {money(filters.min_hourly_cents)}/hour")
    if filters.keyword:
        parts.append(f"“{esc(filters.keyword)}”")
    if filters.qualified_only:
        parts.append("only HITs I qualify for")
    return ", ".join(parts) if parts else "every new HIT"


def alerts_list(subs: list[AlertSub], per_hour: int) -> tuple[str, InlineKeyboardMarkup]:
    if not subs:
        text = ("🔔 <b>Alerts</b>\nNo alerts yet. Save a filter and new matching HITs are sent to you as soon "
                f"as they are published (at most {per_hour} an hour).")
    else:
        lines = ["🔔 <b>Your alerts</b>"]
        for i, sub in enumerate(subs, 1):
            state = "🔕 muted" if sub.muted else "🔔 on"
            lines.append(f"{i}. {describe(Filters.from_dict(sub.filters))} · {state}")
        lines.append(f"\nAt most {per_hour} alerts an hour reach you.")
        text = "\n".join(lines)
    rows = []
    for i, sub in enumerate(subs, 1):
        toggle = (button(f"🔔 Unmute {i}", callbacks.make("al", "unm", sub.id)) if sub.muted
                  else button(f"🔕 Mute {i}", callbacks.make("al", "mute", sub.id)))
        rows.append([toggle, button(f"🗑 Delete {i}", callbacks.make("al", "del", sub.id))])
    if len(subs) < MAX_ALERTS:
        rows.append([button("➕ New alert", callbacks.make("al", "new"))])
    return fit(text), keyboard(rows)


ASK_FILTER = "🔔 <b>New alert</b>\n" + FILTER_HELP


def cancel_markup() -> InlineKeyboardMarkup:
    return keyboard([[button("✖️ Cancel", callbacks.make("al", "x"))]])


def saved(filters: Filters) -> str:
    return f"✅ Alert saved: {describe(filters)}. New matching HITs will be sent to you. /alerts to manage."
