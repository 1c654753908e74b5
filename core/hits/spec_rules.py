"""Rules a HIT spec's values follow, apart from the spec's shape (core.hits.spec): text a worker
can read as it is, whole numbers that are not booleans, control answers that are valid
answers, and pydantic's errors in product wording with paths that name real keys."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from pydantic import ValidationError

from core.errors import ValidationFailed
from core.texts import N_, Text

Path = tuple[str | int, ...]
MAX_TEXT_ANSWER = 2000
FILE_KINDS_NO_GOLD = ("photo", "document", "voice", "location")


# Text a worker reads must show what it says. Bidi embeddings, overrides and isolates reorder
# the letters around them (a title can read "Pay now" while holding other words), and other
# format characters (zero-width space, word joiner, BOM, LRM/RLM, soft hyphen...) are
# invisible, so a title of nothing but them looks empty in /browse. We refuse them rather
# than strip them, so the requester sees what was wrong instead of a silently changed title.
# Kept: ZWNJ and ZWJ (U+200C, U+200D), which Persian, Indic scripts and emoji sequences need,
# and the tag characters of flag emoji (U+E0020-U+E007F); all three only between visible text.
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_JOINERS = frozenset("\u200c\u200d")
# Letters that render as blank space although Unicode calls them letters or symbols.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")


def _codepoint(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def text_problem(value: str, *, line: bool) -> Text | None:
    """Why `value` can't be shown as it is, or None. `line`: a title, option or keyword (one
    line, no invisible characters, something visible); otherwise a description or prompt
    (line breaks allowed, only the characters that reorder text refused)."""
    if value.isascii() and value.isprintable() and not (line and value.isspace()):
        return None  # the common case, without a Unicode lookup per character (a batch checks 40,000)
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cs":
            return Text(N_("holds a character that is not valid text ({character}); remove it"),
                        character=_codepoint(ch))
        if ch in _REORDERING or (line and cat == "Cf" and ch not in _JOINERS and not 0xE0020 <= ord(ch) <= 0xE007F):
            return Text(N_("holds an invisible character ({character}) that can hide or reorder what it says; "
                           "remove it"), character=_codepoint(ch))
        if cat == "Cc" and (line or ch not in "\n\r\t"):
            return Text(N_("must be one line of text")) if ch in "\n\r\t" else \
                Text(N_("holds a control character ({character}); remove it"), character=_codepoint(ch))
    if line and value and not any(_visible(ch) for ch in value):
        return Text(N_("needs at least one visible character (it has only spaces or invisible characters)"))
    return None


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in ("Z", "C", "M") and ch not in _BLANK_LETTERS


def checked_text(value: str, *, line: bool) -> str:
    problem = text_problem(value, line=line)
    if problem:
        raise ValueError(problem)
    return value


def check_text(value: str, what: Text, *, line: bool) -> str:
    """The wizard's check of a typed title, prompt or option (ValidationFailed naming `what`)."""
    problem = text_problem(value, line=line)
    if problem:
        raise ValidationFailed("{what} {problem}.", what=what, problem=problem)  # "The title" "must be one line"
    return value


WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")


def whole_number(value: object) -> object:
    """Before pydantic's int: booleans are not numbers (true is not 1), and text must be ASCII
    digits ("٣" and "3\n4" are refused; "3" from a batch CSV cell is 3)."""
    if isinstance(value, bool):
        raise ValueError(Text(N_("must be a whole number such as 3, not true or false")))
    if isinstance(value, str):
        if not WHOLE_NUMBER.fullmatch(value.strip()):
            raise ValueError(Text(N_("must be a whole number such as 3")))
        return int(value.strip())
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(Text(N_("must be a whole number such as 3")))
        return int(value)
    return value


def not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(Text(N_("must be a number, not true or false")))
    return value


@dataclass(frozen=True)
class AnswerShape:
    """What a control answer is checked against: a question's kind, options and bounds."""

    kind: str
    options: list[str] | None
    min: float | None
    max: float | None
    max_length: int | None


_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")


def _fmt(x: float) -> str:
    return f"{x:g}"


def gold_value(q: AnswerShape, raw: object) -> object:
    """A control answer checked as the worker's answer would be; returns it as it is stored
    (the option's own spelling, a number, a star count). ValidationFailed says why not."""
    if q.kind in FILE_KINDS_NO_GOLD:
        raise ValidationFailed(N_("a {kind} question can't have a control answer"), kind=q.kind)
    if isinstance(raw, bool):
        raise ValidationFailed(N_("a control answer is not true or false"))
    options = [o.strip() for o in q.options or []]

    def option(value: object) -> str:
        text = str(value).strip()
        for o in options:
            if o.lower() == text.lower():
                return o
        raise ValidationFailed(N_("“{text}” is not one of the options ({options})"), text=text,
                               options=", ".join(options))

    if q.kind == "choice":
        return option(raw)
    if q.kind == "multi":
        parts = raw if isinstance(raw, list) else str(raw).split("|")
        picked = [option(p) for p in parts if str(p).strip()]
        if not picked:
            raise ValidationFailed(N_("name at least one option (several: separate them with |)"))
        for o in picked:
            if picked.count(o) > 1:
                raise ValidationFailed(N_("“{option}” is given twice"), option=o)
        return "|".join(o for o in options if o in picked)
    if q.kind in ("number", "rating"):
        text = str(raw).strip().replace(",", ".")
        number = float(text) if isinstance(raw, (int, float)) or _NUMBER_TEXT.fullmatch(text) else math.nan
        if q.kind == "rating":
            if number not in (1, 2, 3, 4, 5):
                raise ValidationFailed(N_("must be a whole number of stars from 1 to 5"))
            return int(number)
        if not math.isfinite(number):
            raise ValidationFailed(N_("must be a number"))
        if q.min is not None and number < q.min:
            raise ValidationFailed(N_("must be at least {low}"), low=_fmt(q.min))
        if q.max is not None and number > q.max:
            raise ValidationFailed(N_("must be at most {high}"), high=_fmt(q.max))
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    text = str(raw).strip()
    low, high = int(q.min or 0), q.max_length or MAX_TEXT_ANSWER
    if not max(low, 1) <= len(text) <= high:
        if len(text) > high:
            raise ValidationFailed(N_("can have at most {n} characters"), n=high)
        raise ValidationFailed(N_("needs at least {n} characters"), n=max(low, 1))
    return text


# Pydantic's messages ("Input should be greater than or equal to 1") are not ours: each error
# type gets product wording, and union members' internal names never show in a path.
_DURATION = Text(N_("use a duration such as 90s, 10m, 2h or 3d"))
_TYPE_HINTS = {
    "duration": _DURATION,
    "lifetime": _DURATION,
    "auto_approve": _DURATION,
    "reward": Text(N_("use an amount such as 0.25")),
    "value": Text(N_("must be a whole number, a code such as DE, or a list of them")),
    "attachment": Text(N_("must be a link (https://…)")),
}
_BOUNDS = {"greater_than_equal": N_("must be at least {bound}"), "greater_than": N_("must be more than {bound}"),
           "less_than_equal": N_("must be at most {bound}"), "less_than": N_("must be less than {bound}")}


def _wording(err: dict) -> Text:
    kind, ctx, given = err["type"], err.get("ctx") or {}, err.get("input")
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        reason = error.args[0] if isinstance(error, Exception) and error.args else None
        return reason if isinstance(reason, Text) else Text(str(error if error is not None else err["msg"]))
    if kind == "extra_forbidden":
        return Text(N_("unknown key"))
    if kind == "missing":
        return Text(N_("this key is required"))
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return Text(N_("can't be empty")) if n == 1 else Text(N_("needs at least {n} characters"), n=n)
    if kind == "string_too_long":
        if isinstance(given, str):
            return Text(N_("can have at most {n} characters (this has {length})"), n=ctx.get("max_length"),
                        length=len(given))
        return Text(N_("can have at most {n} characters"), n=ctx.get("max_length"))
    if kind == "too_short":
        n = ctx.get("min_length")
        return Text(N_("needs at least 1 item")) if n == 1 else Text(N_("needs at least {n} items"), n=n)
    if kind == "too_long":
        n, length = ctx.get("max_length"), ctx.get("actual_length")
        return (Text(N_("can have at most 1 item (this has {length})"), length=length) if n == 1
                else Text(N_("can have at most {n} items (this has {length})"), n=n, length=length))
    if kind in _BOUNDS:
        return Text(_BOUNDS[kind], bound=next(iter(ctx.values()), ""))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Text(N_("must be a whole number"))
    if kind == "int_parsing_size":
        return Text(N_("is too large a number"))
    if kind in ("float_type", "float_parsing"):
        return Text(N_("must be a number"))
    if kind == "finite_number":
        return Text(N_("must be a finite number (not NaN or infinity)"))
    if kind in ("bool_type", "bool_parsing"):
        return Text(N_("must be true or false"))
    if kind == "string_type":
        return Text(N_("must be text"))
    if kind == "string_pattern_mismatch":
        return Text(N_("may hold only letters A-Z, digits and _"))
    if kind in ("list_type", "tuple_type"):
        return Text(N_("must be a list"))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return Text(N_("must be a mapping of keys (key: value)"))
    if kind == "literal_error":
        return Text(N_("must be one of {choices}"),
                    choices=", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", "")))))
    return Text(N_("this value can't be used here"))


_TYPE_ERRORS = ("string_type", "int_type", "int_parsing", "float_type", "float_parsing", "list_type",
                "bool_type", "dict_type", "model_type")


def pydantic_problems(exc: ValidationError, data: object) -> list[tuple[Path, Text]]:
    """(path, reason) for every error, the path cut to keys the data really has (pydantic adds
    union members' names such as 'str' and 'int'), one reason per path."""
    found: dict[Path, list[tuple[str, Text]]] = {}
    for err in exc.errors():
        path = _real_path(err["loc"], data, keep_last=err["type"] in ("missing", "extra_forbidden"))
        found.setdefault(path, []).append((err["type"], _wording(err)))
    problems = []
    for path, errs in found.items():
        key = next((p for p in reversed(path) if isinstance(p, str)), "")
        hint = _TYPE_HINTS.get(key) if path and isinstance(path[-1], str) else None
        if hint and all(kind in _TYPE_ERRORS for kind, _ in errs):
            problems.append((path, hint))
            continue
        seen: list[Text] = []
        for _, why in errs:
            if why not in seen:
                seen.append(why)
        problems.extend((path, why) for why in (seen if len(errs) == len(seen) else seen[:1]))
    return problems


def _real_path(loc: tuple, data: object, *, keep_last: bool) -> Path:
    path: list[str | int] = []
    here = data
    for i, part in enumerate(loc):
        if isinstance(here, dict) and part in here:
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            here = here[part]
        else:
            if keep_last and i == len(loc) - 1:
                path.append(part)
            break
        path.append(part)
    return tuple(path)


def first_problem(exc: ValidationError, data: object) -> Text:
    """The first problem as a sentence for the wizard (which asks one thing at a time)."""
    problems = pydantic_problems(exc, data)
    return (problems[0][1] if problems else Text(N_("that value can't be used"))).capitalized()
