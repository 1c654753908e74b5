"""/messages: a person's threads, newest first, with what is unread on their side."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.messages.commands import WORKER, requester_alias, worker_alias
from core.models import Thread, User

MAX_LISTED = 20


@dataclass(frozen=True)
class ThreadRow:
    thread_id: int
    side: str  # the reader's
    counterpart: str
    unread: int
    last_at: datetime


def threads(*, user_id: int, limit: int = MAX_LISTED) -> list[ThreadRow]:
    rows = list(Thread.select().where((Thread.worker == user_id) | (Thread.requester == user_id))
                .order_by(Thread.last_at.desc(), Thread.id.desc()).limit(max(1, min(limit, MAX_LISTED))))
    names = {u.id: u for u in User.select().where(User.id.in_([t.requester_id for t in rows]))} if rows else {}
    out = []
    for t in rows:
        if t.worker_id == user_id:
            out.append(ThreadRow(t.id, WORKER, requester_alias(names[t.requester_id]), t.worker_unread, t.last_at))
        else:
            out.append(ThreadRow(t.id, "r", worker_alias(t.requester_id, t.worker_id), t.requester_unread, t.last_at))
    return out


def unread_total(*, user_id: int) -> int:
    return sum(r.unread for r in threads(user_id=user_id))
