"""/language: the languages hitbot speaks, each in its own name."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import DEFAULT, LANGUAGES, _, negotiate
from bot.views.common import button, clip, esc, keyboard

# A button carries the language's place in this list, so new languages go at the end.
ORDER = list(LANGUAGES)


def code_at(index: int) -> str | None:
    return ORDER[index] if 0 <= index < len(ORDER) else None


def match(text: str) -> str | None:
    """What `/language es` (or pt-BR, Русский) asks for, or None when hitbot does not speak it."""
    wanted = text.strip()
    for code, name in LANGUAGES.items():
        if wanted.casefold() == name.casefold():
            return code
    code = negotiate(wanted)
    return code if code != DEFAULT or wanted.lower().split("-")[0].split("_")[0] == DEFAULT else None


def choose(*, asked: str | None = None) -> str:
    head = _("I don't speak “{language}” yet.", language=esc(clip(asked, 32))) + "\n" if asked else ""
    return head + _("Choose your language: hitbot will answer you in it, and the command menu will follow.")


def buttons(current: str) -> InlineKeyboardMarkup:
    items = [button(("✓ " if code == current else "") + LANGUAGES[code], callbacks.make("lg", "set", i))
             for i, code in enumerate(ORDER)]
    return keyboard([items[i:i + 2] for i in range(0, len(items), 2)])


def chosen(code: str) -> str:
    """Said in the language just chosen."""
    return _("✅ {language}: hitbot answers you in this language from now on, and so does the command menu.",
             language=LANGUAGES[code])
