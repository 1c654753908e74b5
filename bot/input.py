"""Typed input a feature is waiting for (a rejection reason, an appeal, a keyword...).

The wait lives in the database (User.prefs['awaiting']) so a restart or another bot
replica continues the conversation. Each feature registers its MessageHandler with
`awaiting("kind")` as filter, so exactly the feature that asked gets the message."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from telegram import Message, Update
from telegram.ext.filters import MessageFilter

from bot.runtime import Context, call
from core.users.commands import find_user, set_pref

KEY = "awaiting"

# The wait of the message being handled, read once off the event loop by `preload` before the
# features' filters run (a filter is synchronous; each would otherwise query on the loop).
_PRELOADED: OrderedDict[tuple[int, int], dict[str, Any] | None] = OrderedDict()
_PRELOAD_KEEP = 1024


def waiting_for(*, user_id: int) -> dict[str, Any] | None:
    user = find_user(user_id)
    return (user.prefs or {}).get(KEY) if user else None


# Not a prompt: which assignment a worker's messages answer. Another command leaves it in
# place, so the next answer still reaches the HIT they are working on.
KEPT_BY_COMMANDS = frozenset({"answer"})


def ending(prefs: dict[str, Any] | None, keep: frozenset[str] = KEPT_BY_COMMANDS) -> dict[str, Any]:
    """The prefs change that ends a pending prompt (a keyword search gives back the wait it
    interrupted), {} when nothing (or only a kept wait) is pending: for a core use case that
    stores it with its own changes (`ENDS_OWN_PROMPT`)."""
    wait = current(prefs)
    if not wait or wait.get("kind") in keep:
        return {}
    before = wait.get("before")
    return {KEY: before if isinstance(before, dict) and before.get("kind") else None}


def disarm(*, user_id: int, keep: frozenset[str] = KEPT_BY_COMMANDS) -> dict[str, Any] | None:
    """End a pending prompt. Returns the prompt that was ended, or None when nothing (or only a
    kept wait) was pending."""
    wait = waiting_for(user_id=user_id)
    change = ending({KEY: wait}, keep)
    if not change:
        return None
    set_pref(user_id=user_id, key=KEY, value=change[KEY])
    return wait


# Commands whose one core call ends the pending prompt itself, in its transaction (with `ending`),
# so `preload` does not spend a read and a write of its own on it (bot/handlers/browse.py browse_command).
ENDS_OWN_PROMPT = frozenset({"browse"})


async def expect(user_id: int, kind: str, **data: Any) -> None:
    await call(set_pref, user_id=user_id, key=KEY, value=wait(kind, **data))


def wait(kind: str, **data: Any) -> dict[str, Any]:
    """The wait `expect` stores, for a core use case that stores it in its own transaction
    (as prefs={KEY: wait(...)}): the same conversation state, no transaction of its own."""
    return {"kind": kind, **data}


def current(prefs: dict[str, Any] | None) -> dict[str, Any] | None:
    """The wait stored in a user's prefs (a row a core use case already read)."""
    value = (prefs or {}).get(KEY)
    return value if isinstance(value, dict) else None


async def done(user_id: int) -> None:
    await call(set_pref, user_id=user_id, key=KEY, value=None)


async def done_if(user_id: int, *kinds: str, assignment_id: int | None = None) -> None:
    """A Cancel button: end the wait only if it is still one of `kinds` (for `assignment_id`, when
    given), so a Cancel pressed under an old prompt leaves a newer question standing."""
    wait = await call(waiting_for, user_id=user_id)
    if not wait or wait.get("kind") not in kinds:
        return
    if assignment_id is None or int(wait.get("assignment_id", 0)) == assignment_id:
        await done(user_id)


def _takes_input(message: Message | None) -> bool:
    return message is not None and message.from_user is not None and not (message.text or "").startswith("/")


def _command(message: Message | None) -> str | None:
    text = (message.text or "") if message is not None and message.from_user is not None else ""
    if not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""


def _addressed_here(message: Message, context: Context) -> bool:
    """The command will reach its handler: no @bot suffix, or this bot's (PTB ignores another bot's)."""
    head = (message.text or "").split(maxsplit=1)[0]
    if "@" not in head:
        return True
    return head.split("@", 1)[1].lower() == (context.bot.username or "").lower()


async def preload(update: Update, context: Context) -> None:
    """Runs first for every update (group -2). A command other than /cancel ends a pending
    prompt, so a number typed later can never answer a question asked long ago."""
    message = update.message
    command = _command(message)
    if command is not None and command != "cancel":
        if command not in ENDS_OWN_PROMPT or not _addressed_here(message, context):
            await call(disarm, user_id=message.from_user.id)
        return
    if not _takes_input(message):
        return
    wait = await call(waiting_for, user_id=message.from_user.id)
    _PRELOADED[(message.chat_id, message.message_id)] = wait
    while len(_PRELOADED) > _PRELOAD_KEEP:
        _PRELOADED.popitem(last=False)


async def wait_of(message: Message) -> dict[str, Any] | None:
    """The wait of the message being handled: the one `preload` read for it, else read now."""
    key = (message.chat_id, message.message_id)
    if key in _PRELOADED:
        return _PRELOADED[key]
    return await call(waiting_for, user_id=message.from_user.id)


class awaiting(MessageFilter):  # noqa: N801 - reads like a filter name
    """Passes messages from a user whom the bot asked for input of `kind`."""

    def __init__(self, kind: str) -> None:
        super().__init__(name=f"awaiting({kind})")
        self.kind = kind

    def filter(self, message: Message) -> bool:
        if not _takes_input(message):
            return False
        key = (message.chat_id, message.message_id)
        wait = _PRELOADED[key] if key in _PRELOADED else waiting_for(user_id=message.from_user.id)
        return bool(wait) and wait.get("kind") == self.kind
