"""Typed, short callback_data: `<area>:<verb>[:<int>...]`, e.g. `w:acc:123`, `r:apv:456`.

It carries ids only; every handler re-checks in core who may do what. Patterns are
anchored so a forged payload never reaches the wrong handler."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
# ASCII digits only ([0-9], not \d, which also takes "١" or "１") and \Z, not $ (which lets a
# trailing newline through): a payload either is exactly our shape or is refused.
_SHAPE = re.compile(r"([a-z]{1,3}):([a-z0-9_]{1,8})((?::-?[0-9]{1,18}){0,3})")


@dataclass(frozen=True)
class Callback:
    area: str
    verb: str
    args: tuple[int, ...]

    def arg(self, i: int = 0) -> int:
        return self.args[i]


def make(area: str, verb: str, *args: int) -> str:
    data = ":".join([area, verb, *(str(int(a)) for a in args)])
    if len(data.encode()) > MAX_BYTES or not _SHAPE.fullmatch(data):
        raise ValueError(f"bad callback data {data!r}")
    return data


def parse(data: str | None) -> Callback | None:
    """The callback, or None for anything not of our shape (forged or from an old version)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    match = _SHAPE.fullmatch(data)
    if not match:
        return None
    args = tuple(int(a) for a in match.group(3).split(":")[1:]) if match.group(3) else ()
    return Callback(match.group(1), match.group(2), args)


def pattern(area: str, verb: str | None = None, nargs: int | None = None) -> re.Pattern[str]:
    """An anchored pattern for CallbackQueryHandler."""
    verb_re = re.escape(verb) if verb else r"[a-z0-9_]{1,8}"
    args_re = r"(?::-?[0-9]{1,18})" + (f"{{{nargs}}}" if nargs is not None else "{0,3}")
    return re.compile(rf"\A{re.escape(area)}:{verb_re}{args_re}\Z")
