"""Reputation figures shown to workers and requesters."""
from __future__ import annotations

from dataclasses import dataclass, field

from peewee import fn

from core.models import Assignment, AssignmentStatus as S, Hit, User
from core.numbers import percent
from core.prepared import Prepared, param
from core.review import ratings
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
    dimensions: dict = field(default_factory=dict)  # pay, fairness...: core.review.ratings.Average each


def worker_stats(*, user_id: int) -> WorkerStats:
    u = get_user(user_id)
    return WorkerStats(u.approved_n, u.rejected_n, u.submitted_n, u.approval_rate_pct)


# Every preview shows the requester's reputation: built once (core.prepared).
_HITS_N = Prepared(lambda: Hit.select(fn.COUNT(Hit.id)).where(Hit.requester == param("id")))
_DECIDED = Prepared(lambda: Assignment.select(Assignment.status, fn.COUNT(Assignment.id)).join(Hit)
                    .where((Hit.requester == param("id")) & Assignment.status.in_((S.APPROVED, S.REJECTED)))
                    .group_by(Assignment.status).tuples())
_APPROVED_TIMES = Prepared(lambda: Assignment.select(Hit.reward_cents, Assignment.accepted_at, Assignment.submitted_at)
                           .join(Hit).where((Hit.requester == param("id")) & (Assignment.status == S.APPROVED))
                           .order_by(Assignment.id.desc()).limit(1000).tuples())


def requester_stats(*, user_id: int, user: User | None = None) -> RequesterStats:
    """`user`: the requester's row when the caller already read it."""
    u = user if user is not None and user.id == user_id else get_user(user_id)
    hits_n = _HITS_N.scalar(id=user_id)
    counts = dict(_DECIDED.rows(id=user_id))
    approved, rejected = counts.get(S.APPROVED, 0), counts.get(S.REJECTED, 0)
    decided = approved + rejected
    paid, work_s = 0, 0
    for reward, accepted_at, submitted_at in _APPROVED_TIMES.rows(id=user_id):
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
        dimensions=ratings.requester_dimensions(requester_id=user_id),
    )
