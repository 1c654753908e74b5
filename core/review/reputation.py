"""Reputation figures shown to workers and requesters."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from core.models import Assignment, AssignmentStatus as S, Hit, User
from core.numbers import percent
from core.users.commands import get_user


@dataclass(frozen=True)
class WorkerStats:
    approved_n: int
    rejected_n: int
    submitted_n: int
    approval_rate_pct: int | None


@dataclass(frozen=True)
class RequesterStats:
    hits_n: int
    decided_n: int
    approval_rate_pct: int | None  # of the work they decided
    avg_review_s: int | None
    effective_hourly_cents: int | None  # rewards paid per hour of real work
    rating_avg: float | None
    rating_n: int


def worker_stats(*, user_id: int) -> WorkerStats:
    u = get_user(user_id)
    return WorkerStats(u.approved_n, u.rejected_n, u.submitted_n, u.approval_rate_pct)


def requester_stats(*, user_id: int, user: User | None = None) -> RequesterStats:
    """`user`: the requester's row when the caller already read it."""
    u = user if user is not None and user.id == user_id else get_user(user_id)
    hits_n = Hit.select().where(Hit.requester == user_id).count()
    counts = dict(Assignment.select(Assignment.status, fn.COUNT(Assignment.id)).join(Hit)
                  .where((Hit.requester == user_id) & Assignment.status.in_((S.APPROVED, S.REJECTED)))
                  .group_by(Assignment.status).tuples())
    approved, rejected = counts.get(S.APPROVED, 0), counts.get(S.REJECTED, 0)
    decided = approved + rejected
    paid, work_s = 0, 0
    for reward, accepted_at, submitted_at in (Assignment.select(Hit.reward_cents, Assignment.accepted_at,
                                                                Assignment.submitted_at).join(Hit)
                                              .where((Hit.requester == user_id) & (Assignment.status == S.APPROVED))
                                              .order_by(Assignment.id.desc()).limit(1000).tuples()):
        paid += reward
        work_s += max(1, int((submitted_at - accepted_at).total_seconds())) if submitted_at else 0
    return RequesterStats(
        hits_n=hits_n,
        decided_n=decided,
        approval_rate_pct=percent(approved, decided),
        avg_review_s=(u.review_s_total // u.reviews_n) if u.reviews_n else None,
        effective_hourly_cents=(paid * 3600 // work_s) if work_s else None,
        rating_avg=u.rating_avg,
        rating_n=u.rating_n,
    )
