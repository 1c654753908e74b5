"""Texts core hands to whoever shows them to a person: an English source text with named placeholders
(the gettext msgid, marked with `N_` so extraction finds it) and the values that fill it. `str()` of a
Text is the English (the MTurk API, logs); the bot renders the same Text in the reader's language.

Values that read differently per locale travel as values, not as formatted text: money as `Amount`,
moments as `datetime`, a nested reason as a `Text`, a list of reasons as `Joined`."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime


def N_(msgid: str) -> str:
    """Mark an English source text for extraction (gettext's N_); it is translated where shown."""
    return msgid


@dataclass(frozen=True)
class Amount:
    """Money in a message: integer minor units and the currency; English as format_money writes it."""

    cents: int
    currency: str

    def __str__(self) -> str:
        from core.money import format_money  # core.money raises core.errors, which uses this module

        return format_money(self.cents, self.currency)


def english(value: object) -> str:
    """A value as the English text shows it."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%d %b %H:%M UTC")
    return str(value)


_WORDS = re.compile(r"\{[^{}]*\}")


def is_layout(key: str) -> bool:
    """A key with no words of its own ('{problems}{more}'): it is filled as it is, never translated."""
    return not re.search(r"\w", _WORDS.sub("", key))


class Text:
    """An English source text with named placeholders and their values. `capital`: shown with its
    first letter capitalised (a reason that starts a sentence on its own)."""

    __slots__ = ("capital", "key", "params")

    def __init__(self, key: str, /, *, capital: bool = False, **params: object) -> None:
        self.key = key
        self.params = params
        self.capital = capital

    def capitalized(self) -> Text:
        return Text(self.key, capital=True, **self.params)

    def __str__(self) -> str:
        text = fill(self.key, {k: english(v) for k, v in self.params.items()})
        return text[:1].upper() + text[1:] if self.capital else text

    def __repr__(self) -> str:
        return f"Text({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:  # a Text is its English (what problems lists were compared by)
        if isinstance(other, (Text, str)):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __contains__(self, part: str) -> bool:
        return part in str(self)


def fill(key: str, values: dict[str, object]) -> str:
    """`key` with its placeholders filled; a key given no values is shown as it is (no brace escapes)."""
    return key.format_map(values) if values else key


@dataclass(frozen=True)
class Joined:
    """Several texts shown one after another with `sep` between them (a list of problems)."""

    items: tuple[Text | str, ...]
    sep: str = "; "

    def __str__(self) -> str:
        return self.sep.join(str(i) for i in self.items)


def text(value: Text | str) -> Text:
    """A reason as a Text (a plain string, e.g. from a library, stands as its own key)."""
    return value if isinstance(value, Text) else Text(value)
