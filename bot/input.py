"""Typed input a feature is waiting for (a rejection reason, an appeal, a keyword...).

The wait lives in the database (User.prefs['awaiting']) so a restart or another bot
replica continues the conversation. Each feature registers its MessageHandler with
`awaiting("kind")` as filter, so exactly the feature that asked gets the message."""
from __future__ import annotations

from typing import Any

from telegram import Message
from telegram.ext.filters import MessageFilter

from bot.runtime import call
from core.models import User
from core.services.users import set_pref

KEY = "awaiting"


def waiting_for(*, user_id: int) -> dict[str, Any] | None:
    user = User.get_or_none(User.id == user_id)
    return (user.prefs or {}).get(KEY) if user else None


async def expect(user_id: int, kind: str, **data: Any) -> None:
    await call(set_pref, user_id=user_id, key=KEY, value={"kind": kind, **data})


async def done(user_id: int) -> None:
    await call(set_pref, user_id=user_id, key=KEY, value=None)


class awaiting(MessageFilter):  # noqa: N801 - reads like a filter name
    """Passes messages from a user whom the bot asked for input of `kind`."""

    def __init__(self, kind: str) -> None:
        super().__init__(name=f"awaiting({kind})")
        self.kind = kind

    def filter(self, message: Message) -> bool:
        if message.from_user is None or (message.text or "").startswith("/"):
            return False
        wait = waiting_for(user_id=message.from_user.id)
        return bool(wait) and wait.get("kind") == self.kind
