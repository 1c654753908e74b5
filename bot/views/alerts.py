"""/alerts: the saved filters, each with Mute/Unmute and Delete, and 'New alert'."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import _
from bot.views.common import button, clip, duration, esc, fit, keyboard, money
from core.alerts.commands import MAX_ALERTS
from core.work.browse import Filters

if TYPE_CHECKING:
    from core.models import AlertSub


def describe(filters: Filters) -> str:
    parts = []
    if filters.min_reward_cents:
        parts.append(_("reward ≥ {amount}", amount=money(filters.min_reward_cents)))
    if filters.max_duration_s:
        parts.append(_("time ≤ {duration}", duration=duration(filters.max_duration_s)))
    if filters.min_hourly_cents:
        parts.append(_("≥ {amount}/hour", amount=money(filters.min_hourly_cents)))
    if filters.keyword:
        # TRANSLATORS: a word the HIT's title or keywords must hold, in the language's quotation marks.
        parts.append(_("“{word}”", word=esc(filters.keyword)))
    if filters.words:
        parts.append(_("my skills and interests: {words}", words=esc(clip(", ".join(filters.words), 120))))
    if filters.qualified_only:
        parts.append(_("only HITs I qualify for"))
    # TRANSLATORS: what separates the parts of one alert's filter: "reward ≥ $0.50, time ≤ 10m".
    return _(", ").join(parts) if parts else _("every new HIT")


def alerts_list(subs: list[AlertSub], per_hour: int) -> tuple[str, InlineKeyboardMarkup]:
    if not subs:
        text = _("🔔 <b>Alerts</b>\nNo alerts yet. Save a filter and new matching HITs are sent to you as soon "
                 "as they are published (at most {per_hour} an hour).", per_hour=per_hour)
    else:
        lines = [_("🔔 <b>Your alerts</b>")]
        for i, sub in enumerate(subs, 1):
            state = _("🔕 muted") if sub.muted else _("🔔 on")
            lines.append(f"{i}. {describe(Filters.from_dict(sub.filters))} · {state}")
        lines.append("")
        lines.append(_("At most {per_hour} alerts an hour reach you.", per_hour=per_hour))
        text = "\n".join(lines)
    rows = []
    for i, sub in enumerate(subs, 1):
        toggle = (button(_("🔔 Unmute {i}", i=i), callbacks.make("al", "unm", sub.id)) if sub.muted
                  else button(_("🔕 Mute {i}", i=i), callbacks.make("al", "mute", sub.id)))
        rows.append([toggle, button(_("🗑 Delete {i}", i=i), callbacks.make("al", "del", sub.id))])
    if len(subs) < MAX_ALERTS:
        rows.append([button(_("➕ New alert"), callbacks.make("al", "new"))])
        rows.append([button(_("🔔 Alert me for my skills"), callbacks.make("al", "sk"))])
    return fit(text), keyboard(rows)


def ask_filter() -> str:
    # The words in <code> are what the filter is written with: they stay as they are in every language.
    return _("🔔 <b>New alert</b>\n"
             "Write the filter in one message, parts separated by commas, e.g.\n"
             "<code>reward 0.50, time 10m, hourly 6, word photo</code>\n"
             "<code>reward</code> = minimum reward, <code>time</code> = longest time allowed, "
             "<code>hourly</code> = minimum hourly rate, <code>word</code> = a word in the title or keywords. "
             "Send <code>any</code> for every new HIT. You only hear of HITs you qualify for.")


def cancel_markup() -> InlineKeyboardMarkup:
    return keyboard([[button(_("✖️ Cancel"), callbacks.make("al", "x"))]])


def saved(filters: Filters) -> str:
    return _("✅ Alert saved: {filter}. New matching HITs will be sent to you. /alerts to manage.",
             filter=describe(filters))


def cancelled() -> str:
    return _("Cancelled; no alert was added.")


def deleted_toast() -> str:
    return _("Alert deleted.")


def muted_toast() -> str:
    return _("Muted: nothing from this alert until you unmute it.")


def unmuted_toast() -> str:
    return _("Unmuted.")


def muted_from_notice_toast() -> str:
    return _("Muted: no more HITs from this alert. /alerts to unmute it.")
