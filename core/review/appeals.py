"""A rejected worker's appeal, once per assignment, and the requester's answer."""
from __future__ import annotations

from datetime import datetime

from peewee import IntegrityError, fn

from core import cards
from core.db import db, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.models import Appeal, Assignment, AssignmentStatus as S, Hit, RequesterBlock, User, WorkerBlock
from core.outbox import emit
from core.review import commands as review
from core.texts import N_

MAX_MESSAGE = 1000


def _appealable(worker_id: int, assignment_id: int, now: datetime) -> Assignment:
    assignment = Assignment.get_or_none(Assignment.id == assignment_id)
    if assignment is None or assignment.worker_id != worker_id:
        raise NotAllowed()
    if assignment.status != S.REJECTED:
        raise StaleAction(N_("Only rejected work can be appealed."))
    if assignment.decided_at is None or now - assignment.decided_at > review.REVERSAL_WINDOW:
        raise StaleAction(N_("Appeals are possible for 30 days after a rejection."))
    if Appeal.select().where(Appeal.assignment == assignment.id).exists():
        raise StaleAction(N_("You already appealed this rejection."))
    return assignment


def check_appeal(*, worker_id: int, assignment_id: int, now: datetime) -> None:
    """Before the worker types an appeal: raises what `appeal` would (not theirs, not rejected,
    too late, already appealed), so a refusal comes at the press, not after the typing."""
    _appealable(worker_id, assignment_id, now)


def open_to_appeal(*, assignment_id: int, now: datetime) -> bool:
    """Whether the rejection of this work can still be appealed (what an Appeal button offers)."""
    a = Assignment.get_or_none(Assignment.id == assignment_id)
    if a is None:
        return False
    try:
        _appealable(a.worker_id, a.id, now)
    except (NotAllowed, StaleAction):
        return False
    return True


def appeal(*, worker_id: int, assignment_id: int, message: str, now: datetime) -> Appeal:
    message = (message or "").strip()
    if not 1 <= len(message) <= MAX_MESSAGE:
        raise ValidationFailed(N_("Explain your appeal in 1 to {max_message} characters."), max_message=MAX_MESSAGE)
    with tx():
        assignment = _appealable(worker_id, assignment_id, now)
        try:
            with db.atomic():
                row = Appeal.create(assignment=assignment.id, message=message, created_at=now)
        except IntegrityError:
            raise StaleAction(N_("You already appealed this rejection.")) from None
        hit = Hit.get_by_id(assignment.hit_id)
        emit("appeal.received", user_id=hit.requester_id, now=now, appeal_id=row.id, assignment_id=assignment.id,
             hit_id=hit.id)
        cards.changed("assignment", assignment.id, now=now)  # the rejection notice: appealed now
        return row


def decide(*, requester_id: int, appeal_id: int, approve: bool, now: datetime) -> Appeal:
    """'Approve instead' pays the worker (reversing the rejection); 'Keep' records it."""
    with tx():
        row = Appeal.get_or_none(Appeal.id == appeal_id)
        if row is None:
            raise NotAllowed()
        _, hit = review.owned_submission(requester_id, row.assignment_id)
        if Appeal.update(outcome="approved" if approve else "kept", decided_at=now).where(
                (Appeal.id == row.id) & Appeal.outcome.is_null()).execute() != 1:
            raise StaleAction(N_("This appeal was already decided."))
        if approve:  # which also brings the cards that show this work up to date
            review.approve(requester_id=requester_id, assignment_id=row.assignment_id, now=now,
                           feedback="Approved after appeal")
        else:
            cards.changed("assignment", row.assignment_id, now=now)
        assignment = Assignment.get_by_id(row.assignment_id)
        emit("appeal.decided", user_id=assignment.worker_id, now=now, appeal_id=row.id,
             assignment_id=assignment.id, hit_id=hit.id, title=hit.title, approved=approve)
        return Appeal.get_by_id(row.id)


def block_counts(*, admin_ids: frozenset[int], admin_id: int, limit: int = 20) -> dict[str, list[tuple[int, str, int]]]:
    """For admins: workers blocked by the most requesters, requesters who block the most, and
    requesters blocked by the most workers (core.messages.safety)."""
    if admin_id not in admin_ids:
        raise NotAllowed(N_("Only admins can see this."))
    n = fn.COUNT(WorkerBlock.id).alias("n")
    workers = (WorkerBlock.select(WorkerBlock.worker, User.first_name, n).join(User, on=(WorkerBlock.worker == User.id))
               .group_by(WorkerBlock.worker, User.first_name).order_by(n.desc()).limit(limit).tuples())
    requesters = (WorkerBlock.select(WorkerBlock.requester, User.first_name, n)
                  .join(User, on=(WorkerBlock.requester == User.id))
                  .group_by(WorkerBlock.requester, User.first_name).order_by(n.desc()).limit(limit).tuples())
    by_workers = fn.COUNT(RequesterBlock.id).alias("n")
    blocked = (RequesterBlock.select(RequesterBlock.requester, User.first_name, by_workers)
               .join(User, on=(RequesterBlock.requester == User.id))
               .group_by(RequesterBlock.requester, User.first_name).order_by(by_workers.desc()).limit(limit).tuples())
    return {"workers": list(workers), "requesters": list(requesters), "by_workers": list(blocked)}


def appeal_context(*, requester_id: int | None, appeal_id: int) -> tuple[Appeal, Assignment, Hit, User]:
    """An appeal with what its card shows; only the HIT's owner (or the system, None) may see it."""
    row = Appeal.get_or_none(Appeal.id == appeal_id)
    if row is None:
        raise NotAllowed()
    assignment = Assignment.get_by_id(row.assignment_id)
    hit = Hit.get_by_id(assignment.hit_id)
    if requester_id is not None and hit.requester_id != requester_id:
        raise NotAllowed()
    return row, assignment, hit, User.get_by_id(assignment.worker_id)
