"""The language a requester wrote a HIT in, marked for a worker who reads another one; the `speaks`
requirement in the reader's words. Requesters' texts themselves are never translated."""
from __future__ import annotations

from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.lists import format_list

from bot.i18n import _, current
from bot.views.common import esc
from core.users.languages import EXCLUDING, base

if TYPE_CHECKING:
    from core.quals.rules import Check


def _reader() -> Locale:
    return Locale.parse(current())


def name(code: str) -> str:
    """A language's name in the reader's language ("Spanish", "испанский"); the code if babel has none."""
    try:
        shown = Locale.parse(code.replace("-", "_")).get_display_name(_reader())
    except (UnknownLocaleError, ValueError):
        shown = None
    return shown or code


def differs(code: str | None) -> bool:
    """Whether a HIT in `code` is written in another language than the reader's (regions aside)."""
    return bool(code) and base(code) != base(current())


def language_of(hit: object) -> str | None:
    """The HIT's language, None when unsaid (a HIT from the MTurk API, or published before it existed)."""
    return getattr(hit, "language", None)


def marker(hit: object) -> str:
    """'🗣 in Spanish' when the HIT's language is set and not the reader's; '' otherwise."""
    code = language_of(hit)
    if not differs(code):
        return ""
    # TRANSLATORS: marks a HIT written in another language, e.g. "🗣 in Spanish"; {language} is its
    # name in your language (lower-case in some): word it so the name needs no inflection ("language: ...").
    return _("🗣 in {language}", language=name(code))  # type: ignore[arg-type]


def suffix(hit: object) -> str:
    """The marker after a line's other parts (" · 🗣 in Spanish"), or ''."""
    mark = marker(hit)
    return f" · {mark}" if mark else ""


def lines(hit: object) -> list[str]:
    """The marker as a line of its own (the preview), or none."""
    mark = marker(hit)
    return [mark] if mark else []


def _names(codes: list, style: str) -> str:
    return format_list([name(str(c)) for c in codes], style=style, locale=_reader())


def requirement(check: Check) -> str:
    """'needs to speak Spanish, you speak Russian' in the reader's language."""
    wanted = _names(list(check.requirement.values or []), "or")
    have = _names(list(check.have), "standard") if isinstance(check.have, tuple) and check.have else _("none")
    if check.requirement.comparator in EXCLUDING:
        return _("needs someone who doesn't speak {languages}, you speak {have}", languages=wanted, have=have)
    return _("needs to speak {languages}, you speak {have}", languages=wanted, have=have)


def check_line(check: Check) -> str:
    """A requirement line of the preview, in the reader's words (escaped: a qualification's name is the
    requester's)."""
    from bot.views import quals  # quals words `speaks` with this module's requirement()

    return esc(quals.requirement(check))
