from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import ledger
from core.db import tx
from core.errors import NotFound, ValidationFailed
from core.models import User

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MAX_PREF_BYTES = 4000


def register(*, user_id: int, first_name: str, now: datetime, username: str | None = None,
             language_code: str | None = None) -> User:
    """Create or refresh a user from what Telegram tells us; returns the user."""
    if not 0 < user_id < 2**53:
        raise ValidationFailed("That is not a Telegram user id.")
    fields = {
        "first_name": (first_name or "")[:128],
        "username": (username or None) and username[:64],
        "language_code": (language_code or None) and language_code[:16],
    }
    with tx():
        user = User.get_or_none(User.id == user_id)
        if user is None:
            user = User.create(id=user_id, created_at=now, unreachable=False, **fields)
        elif any(getattr(user, k) != v for k, v in fields.items()) or user.unreachable:
            User.update(unreachable=False, **fields).where(User.id == user_id).execute()
            user = User.get_by_id(user_id)
        ledger.available(user_id)
    return user


def get_user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound("Please send /start first.")
    return user


def set_country(*, user_id: int, country: str) -> User:
    country = country.strip().upper()
    if not _COUNTRY.match(country):
        raise ValidationFailed("Use a two-letter country code such as DE, IN or US.")
    with tx():
        User.update(country=country).where(User.id == user_id).execute()
    return get_user(user_id)


def set_timezone(*, user_id: int, tz_name: str) -> User:
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed("Use a time zone name such as Europe/Berlin or Asia/Kolkata.") from None
    with tx():
        User.update(timezone=tz_name).where(User.id == user_id).execute()
    return get_user(user_id)


def set_pref(*, user_id: int, key: str, value: object) -> dict:
    """Store one preference (browse filter, alert settings...) in the user's profile."""
    with tx():
        user = get_user(user_id)
        prefs = dict(user.prefs or {})
        prefs[key] = value
        if len(json.dumps(prefs)) > MAX_PREF_BYTES:
            raise ValidationFailed("That setting is too large.")
        User.update(prefs=prefs).where(User.id == user_id).execute()
    return prefs


def mark_unreachable(*, user_id: int) -> None:
    """The user blocked the bot: stop trying to message them until they come back."""
    with tx():
        User.update(unreachable=True).where(User.id == user_id).execute()
