"""The reader's language: gettext catalogs (bot/locales/<lang>/LC_MESSAGES/hitbot.po), the locale of
the update being handled, and locale-aware amounts, dates and relative times.

Rules for every view:
- Texts go through `_()` or `_n()` with named placeholders filled by keyword: `_("Accepted {title}", title=t)`,
  never f-strings or concatenation, so translators see whole sentences and may reorder values.
  A literal brace in a text with placeholders is written twice (`{{`).
- Module-level texts are marked with `N_()` and translated where they are shown.
- Amounts, dates and durations come from `money()`, `date_time()`, `relative()` here (core keeps cents).

The locale lives in a ContextVar, set once per update (bot.handlers.language) or per notice: views keep
their signatures and stay functions of their arguments plus the active locale, which a test pins with
`with use("ru"):`. asyncio gives each task, and `asyncio.to_thread` each call, its own copy of it.
"""
from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from core.money import format_money
from core.users.commands import chosen_language

if TYPE_CHECKING:
    from core.models import User

DEFAULT = "en"
DOMAIN = "hitbot"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# Every language hitbot speaks, each in its own name (the /language buttons show these).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "ru": "Русский",
    "id": "Bahasa Indonesia",
    "hi": "हिन्दी",
    "ar": "العربية",
    "uk": "Українська",
    "tr": "Türkçe",
    "de": "Deutsch",
    "fr": "Français",
}
# A language we have in one variety only: whichever variety Telegram reports gets that one.
ALIASES = {"pt": "pt_BR"}
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate ... pop: an embedded value keeps its own direction

_LOCALE: ContextVar[str] = ContextVar("hitbot_locale", default=DEFAULT)
# The reader's time zone (IANA name) where the update's user row told it; None: UTC.
_TZ: ContextVar[str | None] = ContextVar("hitbot_tz", default=None)


def negotiate(code: str | None) -> str:
    """Telegram's IETF language_code (or a stored choice) -> one of LANGUAGES: 'pt-br' and 'pt' -> 'pt_BR',
    'es-419' -> 'es', anything unknown -> English."""
    if not code:
        return DEFAULT
    parts = code.replace("_", "-").split("-")
    lang = parts[0].lower()
    candidates = ([f"{lang}_{parts[1].upper()}"] if len(parts) > 1 else []) + [lang]
    for cand in candidates:
        if cand in LANGUAGES:
            return cand
        if cand in ALIASES:
            return ALIASES[cand]
    return DEFAULT


def locale_of(user: User | None) -> str:
    """A person's language from their row: the one they chose, else their Telegram app's."""
    if user is None:
        return DEFAULT
    return negotiate(chosen_language(user) or user.language_code)


def current() -> str:
    return _LOCALE.get()


def activate(locale: str, tz_name: str | None = None) -> None:
    """The locale (and the reader's time zone) for the rest of this task (one update): set by the first
    handler of every update."""
    _LOCALE.set(negotiate(locale))
    _TZ.set(tz_name)


def current_tz() -> str | None:
    return _TZ.get()


@contextmanager
def use(locale: str | None) -> Iterator[str]:
    """Render in `locale` inside the block (a notice to its recipient, a test)."""
    token = _LOCALE.set(negotiate(locale))
    try:
        yield token.var.get()
    finally:
        _LOCALE.reset(token)


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of one language, built in memory from its .po on first use (no build step,
    nothing written next to the installed package). English is the source text itself."""
    if locale == DEFAULT or locale not in LANGUAGES:
        return gettext.NullTranslations()
    with (LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
        catalog = read_po(f, locale=locale, domain=DOMAIN)
    buf = BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out: an unchecked translation shows the English
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@functools.cache
def is_rtl(locale: str) -> bool:
    return Locale.parse(locale).character_order == "right-to-left"


def isolate(value: object) -> str:
    """A value embedded in a right-to-left sentence (an amount, a Latin HIT title) wrapped in isolation
    marks, so its own direction cannot reorder the words around it. Unchanged in left-to-right text."""
    text = str(value)
    return f"{FSI}{text}{PDI}" if is_rtl(current()) else text


# Text to copy (a key, an address, a command) sits in <code>: its isolation marks go outside the tag,
# or a pasted endpoint or key would carry two invisible characters with it.
_MARKS_IN_CODE = re.compile(f"<(code|pre)>{FSI}(.*?){PDI}</(code|pre)>", re.S)


def _fill(text: str, source: str, values: dict[str, object]) -> str:
    if not values:
        return text
    filled = {k: isolate(v) for k, v in values.items()}
    try:
        out = text.format_map(filled)
    except (KeyError, IndexError, ValueError):  # a broken translation: the English still reads right
        out = source.format_map(filled)
    return _MARKS_IN_CODE.sub(rf"{FSI}<\1>\2</\3>{PDI}", out) if FSI in out else out


def _(msgid: str, /, **values: object) -> str:
    """`msgid` in the reader's language, its {placeholders} filled from `values`."""
    return _fill(translations(current()).gettext(msgid), msgid, values)


def _n(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The plural form for `n` in the reader's language; {n} is n written for that locale."""
    values = {"n": format_decimal(n, locale=current()), **values}
    return _fill(translations(current()).ngettext(singular, plural, n), singular if n == 1 else plural, values)


def N_(msgid: str) -> str:  # gettext's name for "mark for extraction, translate where shown"
    return msgid


# Locale-aware values -------------------------------------------------------------------------------

def money(cents: int, currency: str) -> str:
    """Integer minor units as the reader writes money: $1.30, 1,30 $, US$ 1,30."""
    return format_money(cents, currency, current())


def number(value: float) -> str:
    return format_decimal(value, locale=current())


def date_time(when: datetime, tz_name: str | None = None, *, format: str = "medium") -> str:
    """A moment in the reader's zone and locale: 'Dec 3, 2026, 2:05:00 PM' / '3 дек. 2026 г., 14:05:00'."""
    try:
        tz = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):  # a stale or odd zone name must not break a message
        tz = ZoneInfo("UTC")
    return format_datetime(when, format=format, tzinfo=tz, locale=current())


def moment(when: datetime, tz_name: str | None = None) -> str:
    """A date and a time to the minute, in the reader's zone and locale: 'Dec 3, 2026, 2:05 PM' /
    '3 дек. 2026 г., 14:05' (babel's medium date and short time, joined as the locale joins them)."""
    try:
        tz = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    locale = Locale.parse(current())
    pattern = locale.datetime_formats["medium"]
    pattern = getattr(pattern, "pattern", pattern)
    day = format_date(when.astimezone(tz), format="medium", locale=locale)
    clock = format_time(when, format="short", tzinfo=tz, locale=locale)
    return pattern.replace("{1}", day).replace("{0}", clock).replace("'", "")


def relative(delta: timedelta | float, *, threshold: float = 0.85) -> str:
    """A span from now: 'in 3 days', 'через 3 дня', '2 hours ago' (negative is the past)."""
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    return format_timedelta(timedelta(seconds=seconds), add_direction=True, threshold=threshold, locale=current())
