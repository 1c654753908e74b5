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


def _decided(status: str):
    return (Assignment.select(fn.COUNT(Assignment.id)).join(Hit)
            .where((Hit.requester == param("id")) & (Assignment.status == status)))


# Every preview shows the requester's reputation: built once (core.prepared). The HIT count and the
# decisions ride along the ratings' aggregate (one row whatever matches): one statement.
_COUNTS = Prepared(lambda: ratings.requester_ratings().select_extend(
    Hit.select(fn.COUNT(Hit.id)).where(Hit.requester == param("id")), _decided(S.APPROVED), _decided(S.REJECTED)),
    planned=True)
_APPROVED_TIMES = Prepared(lambda: Assignment.select(Hit.reward_cents, Assignment.accepted_at, Assignment.submitted_at)
                           .join(Hit).where((Hit.requester == param("id")) & (Assignment.status == S.APPROVED))
                           .order_by(Assignment.id.desc()).limit(1000).tuples(), planned=True)


def requester_stats(*, user_id: int, user: User | None = None) -> RequesterStats:
    """`user`: the requester's row when the caller already read it."""
    u = user if user is not None and user.id == user_id else get_user(user_id)
    *rated, hits_n, approved, rejected = _COUNTS.execute(id=user_id).fetchone()
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
        dimensions=ratings.summary_of(rated)[1],
    )
