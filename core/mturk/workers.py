"""Workers as one requester's API sees them: a WorkerId (commands.worker_ref) back to the
worker, blocks (review.block_worker / unblock_worker as the chat's), bonuses paid, and
NotifyWorkers' chat notices (an outbox event per worker, only to workers who worked for them)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.db import tx
from core.errors import ValidationFailed
from core.hits.manage import owned_hit
from core.messages import safety
from core.models import Assignment, Bonus, Hit, User, WorkerBlock
from core.mturk.commands import assignment_of, worker_ref
from core.outbox import emit
from core.review import commands as review
from core.texts import N_

MAX_PAGE = 100
MAX_NOTIFY = 100  # MTurk's bound on WorkerIds per NotifyWorkers call
MAX_SUBJECT = 200
MAX_MESSAGE = 4096


def _worked_for(requester_id: int):
    return (Assignment.select(Assignment.worker).join(Hit, on=(Assignment.hit == Hit.id))
            .where(Hit.requester == requester_id).distinct())


def workers_of(*, requester_id: int, refs: Sequence[str]) -> dict[str, int]:
    """The workers behind these WorkerIds, among those who ever took this requester's work (no
    one else has an id this requester could know). Ids not found are left out."""
    wanted = set(refs)
    out: dict[str, int] = {}
    for (worker_id,) in _worked_for(requester_id).tuples().iterator():
        ref = worker_ref(requester_id, worker_id)
        if ref in wanted:
            out[ref] = worker_id
            if len(out) == len(wanted):
                break
    return out


def block(*, requester_id: int, worker_id: int, reason: str, now: datetime) -> bool:
    return review.block_worker(requester_id=requester_id, worker_id=worker_id, reason=reason, now=now)


def unblock(*, requester_id: int, worker_id: int) -> bool:
    return review.unblock_worker(requester_id=requester_id, worker_id=worker_id)


def blocks_page(*, requester_id: int, after_id: int | None, limit: int) -> tuple[list[WorkerBlock], bool]:
    limit = max(1, min(limit, MAX_PAGE))
    query = WorkerBlock.select().where(WorkerBlock.requester == requester_id)
    if after_id is not None:
        query = query.where(WorkerBlock.id > after_id)
    rows = list(query.order_by(WorkerBlock.id).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def bonuses_page(*, requester_id: int, hit_id: int | None = None, assignment_id: int | None = None,
                 after_id: int | None, limit: int) -> tuple[list[tuple[Bonus, Assignment]], bool]:
    """Bonuses paid on one of the requester's HITs, or on one assignment, oldest first."""
    limit = max(1, min(limit, MAX_PAGE))
    query = Bonus.select(Bonus, Assignment).join(Assignment)
    if assignment_id is not None:
        assignment, _ = assignment_of(requester_id=requester_id, assignment_id=assignment_id)
        query = query.where(Bonus.assignment == assignment.id)
    elif hit_id is not None:
        owned_hit(requester_id, hit_id)
        query = query.where(Assignment.hit == hit_id)
    else:
        raise ValidationFailed(N_("Give a HITId or an AssignmentId."))
    if after_id is not None:
        query = query.where(Bonus.id > after_id)
    rows = list(query.order_by(Bonus.id).limit(limit + 1))
    return [(b, b.assignment) for b in rows[:limit]], len(rows) > limit


def notify(*, requester_id: int, refs: Sequence[str], subject: str, text: str, now: datetime) -> list[str]:
    """A chat notice (outbox event requester.message) to each worker named, once each; only
    workers who worked for this requester. Returns the WorkerIds not reached."""
    refs = list(dict.fromkeys(refs))
    if not 1 <= len(refs) <= MAX_NOTIFY:
        raise ValidationFailed(N_("Name 1 to {max_notify} workers."), max_notify=MAX_NOTIFY)
    if not 1 <= len(subject) <= MAX_SUBJECT or not 1 <= len(text) <= MAX_MESSAGE:
        raise ValidationFailed(N_("The subject can have 1 to {max_subject} characters and the message 1 to "
                                  "{max_message}."), max_subject=MAX_SUBJECT, max_message=MAX_MESSAGE)
    found = workers_of(requester_id=requester_id, refs=refs)
    gone = safety.workers_blocking(requester_id, found.values())  # they blocked this requester: not reached
    found = {ref: worker for ref, worker in found.items() if worker not in gone}
    requester = User.get_by_id(requester_id)
    with tx():
        for ref in refs:
            if ref in found:
                emit("requester.message", user_id=found[ref], now=now, requester_id=requester_id,
                     requester_name=requester.display_name, subject=subject, text=text)
    return [ref for ref in refs if ref not in found]
