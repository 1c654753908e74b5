"""Time passing: what the clock runs. Each sweep is bounded and safe to run twice or at once
on two machines, because every item is settled by its own conditional update."""
from __future__ import annotations

from datetime import datetime

from core.config import get_settings
from core.db import tx
from core.errors import HitbotError
from core.hits.manage import close_hit
from core.models import Assignment, AssignmentStatus as S, Hit, HitStatus
from core.outbox import emit
from core.review import revisions
from core.review.commands import approve
from core.work.commands import expire_assignment

REMIND_AT_FRACTION = 0.2  # remind when a fifth of the time is left


def _limit(limit: int | None) -> int:
    return limit or get_settings().sweep_batch


def expire_assignments(*, now: datetime, limit: int | None = None) -> int:
    ids = [a.id for a in Assignment.select(Assignment.id).where(
        (Assignment.status == S.ACCEPTED) & (Assignment.deadline <= now)).order_by(Assignment.deadline).limit(_limit(limit))]
    return sum(expire_assignment(assignment_id=i, now=now) for i in ids)


def auto_approve(*, now: datetime, limit: int | None = None) -> int:
    ids = [a.id for a in Assignment.select(Assignment.id).where(
        (Assignment.status == S.SUBMITTED) & (Assignment.auto_approve_at <= now))
        .order_by(Assignment.auto_approve_at).limit(_limit(limit))]
    done = 0
    for assignment_id in ids:
        try:
            approve(requester_id=None, assignment_id=assignment_id, now=now)
            done += 1
        except HitbotError:
            pass  # reviewed meanwhile by the requester or another clock
    return done


def lapse_revisions(*, now: datetime, limit: int | None = None) -> int:
    """Revisions whose window passed: the submission goes back to its requester as it was."""
    return sum(revisions.lapse(revision_id=i, now=now) for i in revisions.due(now=now, limit=_limit(limit)))


def expire_hits(*, now: datetime, limit: int | None = None) -> int:
    ids = [h.id for h in Hit.select(Hit.id).where((Hit.status == HitStatus.OPEN) & (Hit.expires_at <= now))
           .order_by(Hit.expires_at).limit(_limit(limit))]
    return sum(close_hit(hit_id=i, now=now) is not None for i in ids)


def remind(*, now: datetime, limit: int | None = None) -> int:
    """Tell workers once when about a fifth of their time is left."""
    candidates = (Assignment.select(Assignment.id, Assignment.worker, Assignment.deadline, Assignment.hit, Hit.id,
                                    Hit.duration_s, Hit.title).join(Hit)  # Hit.id: else the joined row blanks hit_id
                  .where((Assignment.status == S.ACCEPTED) & (Assignment.reminded == False)  # noqa: E712
                         & (Assignment.deadline > now)).order_by(Assignment.deadline).limit(_limit(limit) * 4))
    sent = 0
    for a in candidates:
        left_s = (a.deadline - now).total_seconds()
        if left_s > a.hit.duration_s * REMIND_AT_FRACTION:
            continue
        with tx():
            if Assignment.update(reminded=True).where((Assignment.id == a.id) & (Assignment.reminded == False)  # noqa: E712
                                                      & (Assignment.status == S.ACCEPTED)).execute():
                emit("assignment.reminder", user_id=a.worker_id, now=now, assignment_id=a.id, hit_id=a.hit_id,
                     title=a.hit.title, deadline=a.deadline.isoformat())
                sent += 1
        if sent >= _limit(limit):
            break
    return sent
