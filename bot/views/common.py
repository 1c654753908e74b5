"""Formatting shared by every view: money, times, progress bars, keyboards."""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.units import format_unit
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import i18n
from bot.i18n import N_, _
from core.config import get_settings
from core.money import format_money

MAX_TEXT = 4096
NO_LONGER_VALID = N_("This button is no longer valid.")


def money(cents: int, locale: str | None = None) -> str:
    """An amount as the reader writes it ($1.30, 1,30 $); `locale` only to force one."""
    return format_money(cents, get_settings().currency, locale or i18n.current())


def no_longer_valid() -> str:
    return _(NO_LONGER_VALID)


def went_wrong() -> str:
    return _("Something went wrong on our side. Please try again.")


def hits(n: int) -> str:
    """'1 HIT', '5 HITs' with the reader's plural rules (ru: 1 задание, 2 задания, 5 заданий)."""
    return i18n._n("{n} HIT", "{n} HITs", n)


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc_clip(text: str, limit: int) -> str:
    """Escaped text of at most `limit` characters, cut before escaping so no entity breaks."""
    raw = clip(text, limit)
    out = esc(raw)
    while len(out) > limit and len(raw) > 1:
        raw = clip(raw, max(1, len(raw) * 3 // 4))
        out = esc(raw)
    return out


def _unit(value: int, unit: str) -> str:
    return _unit_in(value, unit, i18n.current())


@lru_cache(maxsize=4096)  # babel parses the locale on every call; a list repeats the same few durations
def _unit_in(value: int, unit: str, locale: str) -> str:
    return format_unit(value, f"duration-{unit}", length="narrow", locale=locale)


def duration(seconds: float) -> str:
    """Short human duration in the reader's units: 45s, 12m, 3h 5m, 2d 4h (ru: 3 ч 5 мин)."""
    s = max(0, int(seconds))
    if s < 60:
        return _unit(s, "second")
    if s < 3600:
        return _unit(s // 60, "minute")
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{_unit(h, 'hour')} {_unit(m, 'minute')}" if m else _unit(h, "hour")
    d, h = divmod(s // 3600, 24)
    return f"{_unit(d, 'day')} {_unit(h, 'hour')}" if h else _unit(d, "day")


def local_time(when: datetime, tz_name: str | None, *, now: datetime | None = None, locale: str | None = None) -> str:
    """A moment in the reader's zone: "14:05 CET" today, "tomorrow 14:05 CET", "3 Dec 14:05 CET",
    "10 Jan 2027 14:05 CET". Without `now` just the time (for lists that print the date themselves)."""
    try:
        tz = ZoneInfo(tz_name or "UTC")
    except Exception:  # a stale or odd zone name must not break a message
        tz = ZoneInfo("UTC")
    locale = locale or i18n.current()
    local = when.astimezone(tz)
    clock = local.strftime("%H:%M %Z") if tz_name else local.strftime("%H:%M UTC")
    if now is None:
        return clock
    days = (local.date() - now.astimezone(tz).date()).days
    if days == 0:
        return clock
    if days in (1, -1):
        return _("tomorrow {time}", time=clock) if days == 1 else _("yesterday {time}", time=clock)
    same_year = local.year == now.astimezone(tz).year or abs(days) < 180
    return f"{format_date(local.date(), 'd MMM' if same_year else 'd MMM y', locale=locale)} {clock}"


def countdown(deadline: datetime, now: datetime) -> str:
    left = (deadline - now).total_seconds()
    return _("time is up") if left <= 0 else _("{duration} left", duration=duration(left))


def progress_bar(done: int, total: int, width: int = 10) -> str:
    total = max(total, 1)
    filled = min(width, round(width * done / total))
    return "▓" * filled + "░" * (width - filled) + f" {done}/{total}"


def stars(avg: float | None, n: int = 0) -> str:
    if avg is None:
        return _("no ratings yet")
    return f"★ {avg:.1f} ({n})"


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(clip(text, 60), callback_data=data)


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in rows if r])


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>")


def _close_tags(html_text: str) -> str:
    """The closing tags of what `html_text` leaves open, innermost first."""
    open_tags: list[str] = []
    for closing, name in _TAG.findall(html_text):
        if not closing:
            open_tags.append(name)
        elif name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name):]
    return "".join(f"</{name}>" for name in reversed(open_tags))


def _cut_inside(text: str, budget: int) -> str:
    """At most `budget` UTF-16 units of text, never ending inside a tag or an entity."""
    out, size = [], 0
    for ch in text:
        size += 2 if ord(ch) > 0xFFFF else 1
        if size > budget:
            break
        out.append(ch)
    cut = "".join(out)
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[:cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[:cut.rfind("&")]
    return cut


def fit(text: str) -> str:
    """Keep a message under Telegram's limit (long lists page; this is the last guard): whole lines
    while they fit, counted in UTF-16 units as Telegram counts, tags left open closed again."""
    if utf16_len(text) <= MAX_TEXT:
        return text
    budget = MAX_TEXT - 2  # the "\n…" that says something was cut
    while True:
        kept, size = [], 0
        for line in text.split("\n"):
            size += utf16_len(line) + 1
            if size > budget:
                break
            kept.append(line)
        head = "\n".join(kept) if kept else _cut_inside(text, budget)
        out = head + _close_tags(head) + "\n…"
        if utf16_len(out) <= MAX_TEXT:
            return out
        budget -= utf16_len(out) - MAX_TEXT
