"""Which chat messages show which object (convention 14: a message that shows an object's
state stays true). The bot remembers a card when it sends one; a use case that changes an
object calls `changed` in its own transaction, which emits one cards.refresh event when some
card shows it; the jobs worker then edits every card with the current state. Bounded: at
most MAX_PER_OBJECT cards per object, and a sweep forgets cards older than MAX_AGE."""
from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from peewee import BigIntegerField, CharField, Value, fn

from core.db import BaseModel, UTCDateTimeField, is_sqlite, tx
from core.outbox import OutboxEvent, track
from core.prepared import Prepared, param


class ChatCard(BaseModel):
    """A chat message that shows an object's state (a submission card, the /review summary,
    a question, an appeal, a decision notice). When the object changes, core emits
    cards.refresh and the jobs worker edits each such message with the current state."""

    object_kind = CharField(max_length=16)  # assignment | review_queue (a requester's queue)
    object_id = BigIntegerField()
    chat_id = BigIntegerField()
    message_id = BigIntegerField()
    card_kind = CharField(max_length=24)  # which view renders it (bot/views/cards.py)
    ref = BigIntegerField(null=True)  # what else that view needs: the notice's event, the appeal
    created_at = UTCDateTimeField()
    shown_event = BigIntegerField(null=True)  # the last cards.refresh event applied to it

    class Meta:
        indexes = ((("object_kind", "object_id"), False), (("chat_id", "message_id"), True),
                   (("created_at",), False))


KIND = "cards.refresh"
MAX_PER_OBJECT = 6
# Longer than anything a card offers stays open: auto-approval (days), reversal and appeals (30 days).
MAX_AGE = timedelta(days=40)


def remember(*, object_kind: str, object_id: int, chat_id: int, message_id: int, card_kind: str, now: datetime,
             ref: int | None = None, only: bool = False, fresh: bool = False, new: bool = False) -> ChatCard:
    """The message (chat_id, message_id) now shows this object as `card_kind`. With only=True it
    replaces the object's earlier card of that kind in that chat (one live question at a time).

    `fresh`: the message was just sent, so no card shows it yet; with only=True the object's live card
    of the kind then moves to it in one statement of its own. `new`: the object was created by the
    update that sent the message (an accepted HIT's assignment), so it has no card to replace or to
    count: one INSERT. (The card a move returns carries no id.)"""
    fields = {"object_kind": object_kind, "object_id": object_id, "chat_id": chat_id, "message_id": message_id,
              "card_kind": card_kind, "ref": ref, "created_at": now}
    if fresh and only:  # which message is live: a pointer, not news for anyone (core.db.tx durable=False)
        # One statement that does not wait for the disk: on PostgreSQL on its own (core.prepared
        # durable=False, one round trip); SQLite's setting needs a transaction around it (no round trips).
        with tx(durable=False) if is_sqlite() else contextlib.nullcontext():
            if new:
                return ChatCard(id=_REMEMBER_NEW.insert(**fields), **fields)
            if _MOVE.rowcount(**fields):
                return ChatCard(**fields)
    with tx():
        return remember_in_tx(object_kind=object_kind, object_id=object_id, chat_id=chat_id, message_id=message_id,
                              card_kind=card_kind, now=now, ref=ref, only=only)


def remember_in_tx(*, object_kind: str, object_id: int, chat_id: int, message_id: int, card_kind: str,
                   now: datetime, ref: int | None = None, only: bool = False) -> ChatCard:
    """As remember, inside the caller's transaction (a use case whose change the message will show)."""
    fields = {"object_kind": object_kind, "object_id": object_id, "chat_id": chat_id, "message_id": message_id,
              "card_kind": card_kind, "ref": ref, "created_at": now}
    # Two statements: the message's card (whatever it showed before: a message shows one
    # thing), then away with this object's older cards of the kind (only) and beyond the newest few.
    row = ChatCard(id=_REMEMBER.insert(**fields), **fields)
    _PRUNE[only].execute(**fields)
    return row


_FIELDS = ("object_kind", "object_id", "chat_id", "message_id", "card_kind", "ref", "created_at")


def _remember():
    fields = {getattr(ChatCard, k): param(k, getattr(ChatCard, k)) for k in _FIELDS}
    return (ChatCard.insert(fields).on_conflict(conflict_target=[ChatCard.chat_id, ChatCard.message_id],
                                                update={**fields, ChatCard.shown_event: None})
            .returning(ChatCard.id))


def _prune(only: bool):
    mine = (ChatCard.object_kind == param("object_kind")) & (ChatCard.object_id == param("object_id"))
    replaced = (mine & (ChatCard.chat_id == param("chat_id")) & (ChatCard.card_kind == param("card_kind"))
                & (ChatCard.message_id != param("message_id"))) if only else None
    kept = ChatCard.select(ChatCard.id).where(mine if replaced is None else mine & ~replaced)
    stale = mine & ChatCard.id.not_in(kept.order_by(ChatCard.created_at.desc(), ChatCard.id.desc())
                                      .limit(MAX_PER_OBJECT))
    return ChatCard.delete().where(stale if replaced is None else stale | replaced)


def _move():
    live = ((ChatCard.object_kind == param("object_kind")) & (ChatCard.object_id == param("object_id"))
            & (ChatCard.chat_id == param("chat_id")) & (ChatCard.card_kind == param("card_kind")))
    return (ChatCard.update(message_id=param("message_id"), ref=param("ref"),
                            created_at=param("created_at", ChatCard.created_at), shown_event=None)
            .where(ChatCard.id == ChatCard.select(fn.MAX(ChatCard.id)).where(live)))


# Every question and card the bot sends is remembered: built once (core.prepared).
_REMEMBER = Prepared(_remember)
_REMEMBER_NEW = Prepared(_remember, durable=False)
_MOVE = Prepared(_move, durable=False)
_PRUNE = {only: Prepared(lambda only=only: _prune(only)) for only in (False, True)}


def _emit_if_shown():
    """cards.refresh for the object, inserted only if some card shows it: the check and the event in one
    statement (most changes are to objects no card shows)."""
    shown = ChatCard.select(Value(KIND), param("payload", OutboxEvent.payload),
                            param("now", OutboxEvent.created_at), Value(0)).where(
        (ChatCard.object_kind == param("kind")) & (ChatCard.object_id == param("id"))).limit(1)
    return OutboxEvent.insert_from(shown, [OutboxEvent.kind, OutboxEvent.payload, OutboxEvent.created_at,
                                           OutboxEvent.attempts])


_EMIT_IF_SHOWN = Prepared(_emit_if_shown)


def changed(object_kind: str, object_id: int, *, now: datetime) -> bool:
    """Call inside the transaction that changed the object: if any message shows it, emit
    cards.refresh (sent after the commit, like every outbox row). True if it was emitted."""
    event_id = _EMIT_IF_SHOWN.inserted(kind=object_kind, id=object_id, now=now,
                                       payload={"object": object_kind, "id": object_id})
    if event_id is not None:
        track(event_id)
    return event_id is not None


def cards_of(*, object_kind: str, object_id: int) -> list[ChatCard]:
    return list(ChatCard.select().where((ChatCard.object_kind == object_kind) & (ChatCard.object_id == object_id))
                .order_by(ChatCard.created_at, ChatCard.id))


def mark_shown(*, card_id: int, event_id: int) -> None:
    """The card shows what event_id asked for (a repeat of the event skips it)."""
    ChatCard.update(shown_event=event_id).where(
        (ChatCard.id == card_id) & (ChatCard.shown_event.is_null() | (ChatCard.shown_event < event_id))).execute()


def forget(*, card_id: int) -> None:
    """The message is gone (deleted, or can no longer be edited): stop editing it."""
    ChatCard.delete().where(ChatCard.id == card_id).execute()


def forget_old(*, now: datetime, limit: int = 1000) -> int:
    """The clock's sweep: forget up to `limit` cards older than MAX_AGE. Returns how many."""
    ids = [c.id for c in ChatCard.select(ChatCard.id).where(ChatCard.created_at < now - MAX_AGE)
           .order_by(ChatCard.created_at).limit(limit)]
    return ChatCard.delete().where(ChatCard.id.in_(ids)).execute() if ids else 0
