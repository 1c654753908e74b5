"""What admin commands say to the people who use them: a refusal to others, a user id nobody has, and
/credit's toast (/credit's confirmation and result are in bot/views/topup.py, with the other money moves)."""
from __future__ import annotations

from bot.i18n import _


def only_admins() -> str:
    return _("Only admins can do that.")


def no_such_user(user_id: int | str) -> str:
    return _("No user with id {id} has started hitbot.", id=user_id)


def credited_toast() -> str:
    return _("Credited.")
