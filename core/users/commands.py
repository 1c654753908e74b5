from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import ledger
from core.db import tx
from core.errors import NotFound, ValidationFailed
from core.models import OutboxEvent, User
from core.outbox import emit
from core.prepared import Prepared, param
from core.texts import N_

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MAX_PREF_BYTES = 4000


def register(*, user_id: int, first_name: str, now: datetime, username: str | None = None,
             language_code: str | None = None) -> User:
    """Create or refresh a user from what Telegram tells us; returns the user."""
    if not 0 < user_id < 2**53:
        raise ValidationFailed(N_("That is not a Telegram user id."))
    fields = {
        "first_name": (first_name or "")[:128],
        "username": (username or None) and username[:64],
        "language_code": (language_code or None) and language_code[:16],
    }
    with tx():
        user = User.get_or_none(User.id == user_id)
        if user is not None and user.unreachable:
            _back(user_id, now)
        if user is None:
            user = User.create(id=user_id, created_at=now, unreachable=False, **fields)
        elif any(getattr(user, k) != v for k, v in fields.items()) or user.unreachable:
            User.update(unreachable=False, **fields).where(User.id == user_id).execute()
            user = User.get_by_id(user_id)
        ledger.available(user_id)
    return user


# The hot ones, built once (core.prepared): every update reads its user, many write their prefs.
_USER = Prepared(lambda: User.select().where(User.id == param("id")), planned=True)
_SET_PREFS = Prepared(lambda: User.update(prefs=param("prefs", User.prefs)).where(User.id == param("id")))


def find_user(user_id: int) -> User | None:
    return _USER.first(id=user_id)


def get_user(user_id: int) -> User:
    user = _USER.first(id=user_id)
    if user is None:
        raise NotFound(N_("Please send /start first."))
    return user


_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
LANGUAGE_PREF = "language"


def chosen_language(user: User) -> str | None:
    """The language the person chose themselves (None: follow what their Telegram app says)."""
    value = (user.prefs or {}).get(LANGUAGE_PREF)
    return value if isinstance(value, str) else None


def set_language(*, user_id: int, language: str) -> User:
    """The person's own choice of language (a locale such as ru or pt_BR). It is kept apart from
    language_code, which register() refreshes from Telegram, so the choice wins on later updates."""
    if not _LANGUAGE.match(language):
        raise ValidationFailed(N_("That is not a language code."))
    with tx():
        user = get_user(user_id)
        write_prefs(user, {LANGUAGE_PREF: language})
    return user


def set_country(*, user_id: int, country: str) -> User:
    country = country.strip().upper()
    if not _COUNTRY.match(country):
        raise ValidationFailed(N_("Use a two-letter country code such as DE, IN or US."))
    with tx():
        User.update(country=country).where(User.id == user_id).execute()
    return get_user(user_id)


def set_timezone(*, user_id: int, tz_name: str) -> User:
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(N_("Use a time zone name such as Europe/Berlin or Asia/Kolkata.")) from None
    with tx():
        User.update(timezone=tz_name).where(User.id == user_id).execute()
    return get_user(user_id)


def set_pref(*, user_id: int, key: str, value: object) -> dict:
    """Store one preference (browse filter, alert settings...) in the user's profile."""
    with tx():
        user = get_user(user_id)
        write_prefs(user, {key: value}, force=True)
    return user.prefs


def write_prefs(user: User, changes: dict[str, object], *, force: bool = False) -> None:
    """Apply `changes` to the prefs of `user` (a row read in the caller's transaction) and store
    them, in that transaction; nothing is written when they change nothing (unless `force`)."""
    prefs = changed_prefs(user, changes, force=force)
    if prefs is not None:
        _SET_PREFS.execute(prefs=prefs, id=user.id)
        user.prefs = prefs


def changed_prefs(user: User, changes: dict[str, object], *, force: bool = False) -> dict | None:
    """The prefs of `user` with `changes` applied (checked for size), or None when they change nothing."""
    before = user.prefs or {}
    prefs = {**before, **changes}
    if prefs == before and not force:
        return None
    if len(json.dumps(prefs)) > MAX_PREF_BYTES:
        raise ValidationFailed(N_("That setting is too large."))
    return prefs


MISSED_KEPT = 20  # the latest notices a comeback summary shows (it counts the rest)
MISSED_SCAN = 1000  # at most this many missed notices are looked at


def came_back(*, user_id: int, now: datetime) -> bool:
    """Any update from a user the bot could not reach (they had blocked it): they are reachable
    again, and what they missed meanwhile is told in one notices.missed event. True if so.
    A plain read when they were reachable, which is nearly always."""
    if not User.select(User.unreachable).where(User.id == user_id).scalar():
        return False
    with tx():
        return _back(user_id, now)


def _back(user_id: int, now: datetime) -> bool:
    was_unreachable = (User.id == user_id) & (User.unreachable == True)
    if User.update(unreachable=False).where(was_unreachable).execute() != 1:
        return False  # someone else (another update, another bot replica) saw them come back
    undelivered = OutboxEvent.last_error.startswith("forbidden:") | OutboxEvent.last_error.startswith("unreachable:")
    ids = [e.id for e in OutboxEvent.select(OutboxEvent.id)
           .where((OutboxEvent.user_id == user_id) & OutboxEvent.done_at.is_null(False) & undelivered)
           .order_by(OutboxEvent.id.desc()).limit(MISSED_SCAN)][::-1]
    if ids:
        told = emit("notices.missed", user_id=user_id, now=now, event_ids=ids[-MISSED_KEPT:], count=len(ids))
        OutboxEvent.update(last_error=f"missed: told in event {told.id}").where(OutboxEvent.id.in_(ids)).execute()
    return True


def mark_unreachable(*, user_id: int) -> None:
    """The user blocked the bot: stop trying to message them until they come back."""
    with tx():
        User.update(unreachable=True).where(User.id == user_id).execute()
