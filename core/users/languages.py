"""Languages people write and read in: a HIT's language (its spec's `language`), the languages a
worker speaks (the `speaks` requirement) and the ones they list in /profile."""
from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError

from core.db import tx
from core.errors import ValidationFailed
from core.models import User
from core.texts import N_
from core.users.commands import chosen_language, get_user, write_prefs

_CODE = re.compile(r"^([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?$")
PROFILE_KEY = "languages"
MAX_LISTED = 10  # languages a worker can list in /profile
EXCLUDING = ("!=", "not in")  # the comparators of a `speaks` requirement that keep speakers out


def language_code(value: object) -> str | None:
    """An ISO 639-1 code, optionally with a region ("es", "pt-BR"), normalised; None if it is none."""
    match = _CODE.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        return None
    lang, region = match.group(1).lower(), (match.group(2) or "").upper()
    try:
        Locale.parse(f"{lang}_{region}" if region else lang)
    except (UnknownLocaleError, ValueError):
        return None
    return f"{lang}-{region}" if region else lang


def base(code: str | None) -> str | None:
    """The language without its region: pt-BR, pt_BR -> pt."""
    return code.replace("_", "-").split("-")[0].lower() if code else None


def listed(user: User) -> list[str]:
    """The languages the worker listed in /profile (codes as they were stored)."""
    value = (getattr(user, "prefs", None) or {}).get(PROFILE_KEY)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def spoken(user: User) -> tuple[str, ...]:
    """The base languages a worker speaks: their hitbot language (their /language choice, else their
    Telegram app's) and those they listed in /profile, in that order, each once."""
    out: list[str] = []
    for code in [chosen_language(user) or user.language_code, *listed(user)]:
        lang = base(code)
        if lang and lang not in out:
            out.append(lang)
    return tuple(out)


def set_languages(*, user_id: int, text: str) -> list[str]:
    """/profile languages es, pt-BR: the list replaces the one before ("none" or nothing clears it)."""
    items = [i.strip() for i in re.split(r"[,\s]+", text or "") if i.strip()]
    if [i.lower() for i in items] in ([], ["none"], ["-"]):
        codes: list[str] = []
    else:
        if len(items) > MAX_LISTED or any(len(i) > 8 for i in items):
            raise ValidationFailed(N_("List at most {max} languages, as codes such as es, pt-BR or hi."),
                                   max=MAX_LISTED)
        codes = []
        for item in items:
            code = language_code(item)
            if code is None:
                raise ValidationFailed(N_("“{code}” is not a language code: use ISO 639-1 codes such as es, "
                                          "pt-BR or hi."), code=item[:8])
            if code not in codes:
                codes.append(code)
    with tx():
        write_prefs(get_user(user_id), {PROFILE_KEY: codes})
    return codes
