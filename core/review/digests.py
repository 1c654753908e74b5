"""Requester digest: a periodic note of submissions waiting for review."""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from core.config import get_settings
from core.db import for_update, tx
from core.models import Assignment, AssignmentStatus as S, Hit, OutboxEvent, User
from core.outbox import emit

KIND = "review.digest"


def review_digest(*, now: datetime, every_s: int | None = None, limit: int | None = None) -> int:
    """Tell each requester with submissions waiting how many and since when, at most once per
    `every_s` (HITBOT_REVIEW_DIGEST_S). Safe on two clocks at once: each requester's row is
    locked while the last digest is checked. Returns how many digests were written."""
    every_s = get_settings().review_digest_s if every_s is None else every_s
    if every_s <= 0:
        return 0
    limit = limit or get_settings().sweep_batch
    since = now - timedelta(seconds=every_s)
    waiting = (Assignment.select(Hit.requester, fn.COUNT(Assignment.id), fn.COUNT(fn.DISTINCT(Hit.id)),
                                 fn.MIN(Assignment.submitted_at))
               .join(Hit).where(Assignment.status == S.SUBMITTED)
               .group_by(Hit.requester).order_by(Hit.requester).limit(limit).tuples())
    written = 0
    for requester_id, pending_n, hits_n, oldest in waiting:
        with tx():
            user = for_update(User.select(User.id).where(User.id == requester_id)).first()
            if user is None:
                continue
            recent = OutboxEvent.select(OutboxEvent.id).where(
                (OutboxEvent.kind == KIND) & (OutboxEvent.user_id == requester_id) & (OutboxEvent.created_at > since))
            if recent.exists():
                continue
            oldest_at = Assignment.submitted_at.python_value(oldest)
            emit(KIND, user_id=requester_id, now=now, pending=pending_n, hits=hits_n,
                 oldest_at=oldest_at.isoformat() if oldest_at else None)
            written += 1
    return written
