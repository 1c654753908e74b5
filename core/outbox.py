"""Announcements of what happened, written in the same transaction as the change."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from peewee import BigIntegerField, CharField, IntegerField

from core import db
from core.db import BaseModel, JSONField, UTCDateTimeField


class OutboxEvent(BaseModel):
    """Something someone should hear about, written in the transaction that caused it.
    The jobs relay delivers it; core never sends anything itself."""

    kind = CharField(max_length=32)
    user_id = BigIntegerField(null=True)  # the person to tell, if any
    payload = JSONField(default=dict)
    created_at = UTCDateTimeField()
    enqueued_at = UTCDateTimeField(null=True)
    done_at = UTCDateTimeField(null=True)
    attempts = IntegerField(default=0)
    last_error = CharField(max_length=255, null=True)
    # A worker sending it holds it until then (migration 5), so two copies of the queue
    # message never send twice; a crashed sender's lease runs out and the sweep retries.
    lease_until = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("done_at", "id"), False), (("user_id", "created_at"), False))


# Ids emitted by this thread's open transaction; handed to listeners once it commits.
_pending = threading.local()
_listeners: list[Callable[[list[int]], None]] = []


def emit(kind: str, *, user_id: int | None, now: datetime, **payload: object) -> OutboxEvent:
    event = OutboxEvent.create(kind=kind, user_id=user_id, payload=payload, created_at=now)
    ids = getattr(_pending, "ids", None)
    if ids is None:
        ids = _pending.ids = []
    ids.append(event.id)
    return event


def emit_many(kind: str, events: list[tuple[int | None, dict]], *, now: datetime) -> list[int]:
    """Many events of one kind at once (a sweep's alerts): one statement per 200 rows where
    the database returns ids (PostgreSQL), else one insert each. Returns the ids."""
    from core.db import db as database

    if not events:
        return []
    if not database.returning_clause:
        return [emit(kind, user_id=user_id, now=now, **payload).id for user_id, payload in events]
    rows = [{"kind": kind, "user_id": user_id, "payload": payload, "created_at": now} for user_id, payload in events]
    ids: list[int] = []
    for i in range(0, len(rows), 200):
        ids += [r[0] for r in OutboxEvent.insert_many(rows[i:i + 200]).returning(OutboxEvent.id).tuples().execute()]
    pending = getattr(_pending, "ids", None)
    if pending is None:
        pending = _pending.ids = []
    pending.extend(ids)
    return ids


def subscribe(listener: Callable[[list[int]], None]) -> None:
    """Call listener(ids) after each transaction that emitted events commits. Whoever
    listens (the jobs relay) must cope with missing calls: a sweep covers them."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Callable[[list[int]], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _committed() -> None:
    ids = getattr(_pending, "ids", None)
    if not ids:
        return
    _pending.ids = []
    for listener in list(_listeners):
        listener(ids)


def _rolled_back() -> None:
    _pending.ids = []


db.on_commit(_committed)
db.on_rollback(_rolled_back)
