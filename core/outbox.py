"""Announcements of what happened, written in the same transaction as the change."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from peewee import BigIntegerField, CharField, IntegerField

from core import db
from core.db import BaseModel, JSONField, UTCDateTimeField
from core.prepared import Prepared, param


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


# Built once (core.prepared): most write transactions emit.
_INSERT = Prepared(lambda: OutboxEvent.insert(
    kind=param("kind"), user_id=param("user_id"), payload=param("payload", OutboxEvent.payload),
    created_at=param("now", OutboxEvent.created_at), attempts=0), planned=True)


def emit(kind: str, *, user_id: int | None, now: datetime, **payload: object) -> OutboxEvent:
    event = OutboxEvent(kind=kind, user_id=user_id, payload=payload, created_at=now, attempts=0)
    event.id = _INSERT.insert(kind=kind, user_id=user_id, payload=payload, now=now)
    track(event.id)
    return event


def emit_together(now: datetime, *events: tuple[str, int | None, dict]) -> list[OutboxEvent]:
    """A few events of one change, (kind, user_id, payload) each, in one statement. Returns them with ids."""
    insert = _TOGETHER.get(len(events))
    if insert is None:
        insert = _TOGETHER[len(events)] = Prepared(lambda n=len(events): OutboxEvent.insert_many([
            {OutboxEvent.kind: param(f"kind{i}"), OutboxEvent.user_id: param(f"user{i}"),
             OutboxEvent.payload: param(f"payload{i}", OutboxEvent.payload),
             OutboxEvent.created_at: param("now", OutboxEvent.created_at), OutboxEvent.attempts: 0}
            for i in range(n)]))
    values: dict[str, object] = {"now": now}
    for i, (kind, user_id, payload) in enumerate(events):
        values.update({f"kind{i}": kind, f"user{i}": user_id, f"payload{i}": payload})
    ids = insert.inserted_ids(**values)
    for event_id in ids:
        track(event_id)
    return [OutboxEvent(id=event_id, kind=kind, user_id=user_id, payload=payload, created_at=now, attempts=0)
            for event_id, (kind, user_id, payload) in zip(ids, events, strict=True)]


_TOGETHER: dict[int, Prepared] = {}


def track(event_id: int) -> None:
    """An event the caller inserted with a statement of its own (an INSERT ... SELECT that emits only
    when a condition holds): handed to the listeners after the commit, as emit's are."""
    db.require_durable()  # others act on it: its commit must reach the disk first
    ids = getattr(_pending, "ids", None)
    if ids is None:
        ids = _pending.ids = []
    ids.append(event_id)


def announce(event_id: int) -> None:
    """An event whose insert committed with its statement (no tx() around it): handed to the listeners
    now; inside a transaction, after it commits (track)."""
    from core.db import db as database

    track(event_id)
    if database.transaction_depth() == 0:
        _committed()


def emit_many(kind: str, events: list[tuple[int | None, dict]], *, now: datetime) -> list[int]:
    """Many events of one kind at once (a sweep's alerts): one statement per 200 rows where
    the database returns ids (PostgreSQL), else one insert each. Returns the ids."""
    from core.db import db as database

    if not events:
        return []
    db.require_durable()
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


# The table's one owner: the relay and the actors claim, release and finish rows through these.

def get(event_id: int) -> OutboxEvent | None:
    return OutboxEvent.get_or_none(OutboxEvent.id == event_id)


def request_of(event_id: int) -> dict | None:
    """A request recorded as an event (a big batch, a big export) as its actor's keyword
    arguments: the payload and `now`, when it was asked; None once it is done (a redelivery)."""
    event = get(event_id)
    if event is None or event.done_at is not None:
        return None
    return {**(event.payload or {}), "now": event.created_at}


def pending_in(ids: list[int]) -> list[OutboxEvent]:
    """Those of `ids` not done yet, in outbox order (the order they were written)."""
    return list(OutboxEvent.select().where(OutboxEvent.id.in_(ids) & OutboxEvent.done_at.is_null())
                .order_by(OutboxEvent.id))


def mark_enqueued(ids: list[int], *, now: datetime) -> None:
    if ids:
        OutboxEvent.update(enqueued_at=now).where(OutboxEvent.id.in_(ids)).execute()


def due(*, now: datetime, grace_s: float, requeue_after_s: float, limit: int) -> list[int]:
    """Rows the relay's fast path missed (never enqueued after `grace_s`) or the broker lost
    (enqueued `requeue_after_s` ago and still not done), oldest first."""
    cond = OutboxEvent.done_at.is_null() & (
        (OutboxEvent.enqueued_at.is_null() & (OutboxEvent.created_at <= now - timedelta(seconds=grace_s)))
        | (OutboxEvent.enqueued_at <= now - timedelta(seconds=requeue_after_s)))
    return [e.id for e in OutboxEvent.select(OutboxEvent.id).where(cond).order_by(OutboxEvent.id).limit(limit)]


def never_enqueued(*, limit: int) -> list[int]:
    return [e.id for e in OutboxEvent.select(OutboxEvent.id).where(
        OutboxEvent.done_at.is_null() & OutboxEvent.enqueued_at.is_null()).order_by(OutboxEvent.id).limit(limit)]


def backlog() -> int:
    """Rows not done yet (for the metrics)."""
    return OutboxEvent.select().where(OutboxEvent.done_at.is_null()).count()


def claim(event_id: int, *, now: datetime, lease_s: float) -> bool:
    """Hold a row while handling it: True for the one caller that got it (a copy of the queue
    message, or a second worker, gets False); a crashed holder's lease runs out."""
    return bool(OutboxEvent.update(lease_until=now + timedelta(seconds=lease_s), attempts=OutboxEvent.attempts + 1)
                .where((OutboxEvent.id == event_id) & OutboxEvent.done_at.is_null()
                       & (OutboxEvent.lease_until.is_null() | (OutboxEvent.lease_until < now))).execute())


def release(event_id: int, *, error: str | None = None, attempted: bool = True) -> None:
    """Give a claimed row back; `attempted=False` when nothing was tried (it was not an attempt)."""
    changes: dict = {OutboxEvent.lease_until: None}
    if error:
        changes[OutboxEvent.last_error] = error[:255]
    if not attempted:
        changes[OutboxEvent.attempts] = OutboxEvent.attempts - 1
    OutboxEvent.update(changes).where((OutboxEvent.id == event_id) & OutboxEvent.done_at.is_null()).execute()


def finish(event_id: int, *, now: datetime, error: str | None = None) -> bool:
    """Mark a row done once: True only for the call that actually did it."""
    return bool(OutboxEvent.update(done_at=now, lease_until=None, last_error=error and error[:255])
                .where((OutboxEvent.id == event_id) & OutboxEvent.done_at.is_null()).execute())


def earlier_pending(event: OutboxEvent, *, horizon: timedelta) -> OutboxEvent | None:
    """An earlier row for the same person, not done, written less than `horizon` before this one."""
    return (OutboxEvent.select(OutboxEvent.id, OutboxEvent.lease_until)
            .where((OutboxEvent.user_id == event.user_id) & OutboxEvent.done_at.is_null()
                   & (OutboxEvent.id < event.id) & (OutboxEvent.created_at > event.created_at - horizon))
            .order_by(OutboxEvent.id).first())


def next_pending(*, user_id: int, after_id: int) -> int | None:
    """The person's next row not done after `after_id`, if any."""
    row = (OutboxEvent.select(OutboxEvent.id)
           .where((OutboxEvent.user_id == user_id) & OutboxEvent.done_at.is_null() & (OutboxEvent.id > after_id))
           .order_by(OutboxEvent.id).first())
    return row.id if row is not None else None
