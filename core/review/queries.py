"""What a requester reviews: one submission with its answers, the queue of work awaiting
review (oldest first, across HITs), 'approve all' for a HIT, and recent rejections.

Decisions themselves are core.review.commands; this module only reads, except
approve_all, which calls review.approve once per submission."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from core.config import get_settings
from core.errors import NotAllowed, StaleAction
from core.hits.manage import owned_hit
from core.models import Answer, Assignment, AssignmentStatus as S, Bonus, Hit, Question, Revision, User, WorkerBlock
from core.mturk.ids import worker_alias
from core.review import commands as review, quality, ratings

MAX_PAGE = 20


@dataclass
class Submission:
    assignment: Assignment
    hit: Hit
    worker: User
    items: list[tuple[Question, object | None]]  # every question with its answer (None: skipped)
    bonuses_cents: int
    worker_blocked: bool
    speed_flag: str | None
    skill_pct: int | None  # the worker's accuracy on this requester's control answers
    worker_alias: str = ""  # who the requester sees: never the worker's Telegram name or id
    revision: Revision | None = None  # the latest revision asked for (open while the work is 'revising')
    revisions_left: int = 0  # how many more the requester may ask for
    ratings: ratings.CardRating | None = None  # the worker's average, the requester's own stars (issue 18)


def submission(*, assignment_id: int, requester_id: int | None = None) -> Submission:
    """One assignment with everything a review card shows. With requester_id, only that
    requester's (NotAllowed otherwise: a forged button)."""
    if requester_id is not None:
        assignment, hit = review.owned_submission(requester_id, assignment_id)
    else:
        assignment = Assignment.get_or_none(Assignment.id == assignment_id)
        if assignment is None:
            raise NotAllowed()
        hit = Hit.get_by_id(assignment.hit_id)
    answers = {a.question_id: a.value for a in Answer.select().where(Answer.assignment == assignment.id)}
    questions = Question.select().where(Question.hit == hit.id).order_by(Question.position)
    bonuses = Bonus.select(fn.COALESCE(fn.SUM(Bonus.amount_cents), 0)).where(
        Bonus.assignment == assignment.id).scalar() or 0
    revision = Revision.select().where(Revision.assignment == assignment.id).order_by(Revision.n.desc()).first()
    blocked = WorkerBlock.select().where((WorkerBlock.requester == hit.requester_id)
                                         & (WorkerBlock.worker == assignment.worker_id)).exists()
    return Submission(
        assignment=assignment, hit=hit, worker=User.get_by_id(assignment.worker_id),
        items=[(q, answers.get(q.id)) for q in questions], bonuses_cents=int(bonuses), worker_blocked=blocked,
        speed_flag=quality.speed_flag(assignment_id=assignment.id) if assignment.submitted_at else None,
        skill_pct=quality.skill(requester_id=hit.requester_id, worker_id=assignment.worker_id),
        worker_alias=worker_alias(hit.requester_id, assignment.worker_id),
        revision=revision, revisions_left=max(0, get_settings().max_revisions - (revision.n if revision else 0)),
        ratings=ratings.card_rating(requester_id=hit.requester_id, assignment=assignment),
    )


def _pending(requester_id: int):
    return (Assignment.select(Assignment).join(Hit)
            .where((Hit.requester == requester_id) & (Assignment.status == S.SUBMITTED)))


def next_pending(*, requester_id: int, after_id: int | None = None) -> Assignment | None:
    """The oldest submission awaiting review, or the one after `after_id` in that order."""
    query = _pending(requester_id)
    if after_id is not None:
        prev = Assignment.get_or_none(Assignment.id == after_id)
        if prev is not None and prev.submitted_at is not None:
            query = query.where((Assignment.submitted_at > prev.submitted_at)
                                | ((Assignment.submitted_at == prev.submitted_at) & (Assignment.id > prev.id)))
    return query.order_by(Assignment.submitted_at, Assignment.id).first()


@dataclass(frozen=True)
class PendingHit:
    hit: Hit
    count: int
    last_id: int  # 'approve all' covers submissions up to this id (what the requester was shown)
    oldest_at: datetime


def pending_by_hit(*, requester_id: int, limit: int = 10) -> tuple[int, list[PendingHit]]:
    """(total awaiting review, per HIT with the oldest waiting first)."""
    rows = (Assignment.select(Assignment.hit, fn.COUNT(Assignment.id), fn.MAX(Assignment.id),
                              fn.MIN(Assignment.submitted_at).alias("oldest"))
            .join(Hit).where((Hit.requester == requester_id) & (Assignment.status == S.SUBMITTED))
            .group_by(Assignment.hit).order_by(fn.MIN(Assignment.submitted_at)).tuples())
    rows = list(rows)
    hits = {h.id: h for h in Hit.select().where(Hit.id.in_([r[0] for r in rows[:limit]]))} if rows else {}
    total = sum(r[1] for r in rows)
    return total, [PendingHit(hits[r[0]], r[1], r[2], _aware(r[3])) for r in rows[:limit]]


def _aware(value: object) -> datetime:
    return Assignment.submitted_at.python_value(value)  # type: ignore[return-value]


def approve_all(*, requester_id: int, hit_id: int, up_to_id: int, now: datetime) -> tuple[int, int]:
    """Approve every submission of the HIT the requester was shown (ids up to `up_to_id`).
    Returns (how many, rewards paid). A second press finds nothing left: (0, 0)."""
    hit = owned_hit(requester_id, hit_id)
    ids = [a.id for a in Assignment.select(Assignment.id).where(
        (Assignment.hit == hit.id) & (Assignment.status == S.SUBMITTED) & (Assignment.id <= up_to_id))
        .order_by(Assignment.id)]
    done = 0
    for assignment_id in ids:
        try:
            review.approve(requester_id=requester_id, assignment_id=assignment_id, now=now)
            done += 1
        except StaleAction:  # decided meanwhile (another press, the auto-approve sweep)
            continue
    return done, done * hit.reward_cents


def pending_count(*, requester_id: int) -> int:
    return _pending(requester_id).count()


def recent_rejections(*, requester_id: int, now: datetime, limit: int = 10) -> list[Assignment]:
    """Rejections that can still be reversed (within 30 days), newest first."""
    limit = max(1, min(limit, MAX_PAGE))
    return list(Assignment.select(Assignment).join(Hit)
                .where((Hit.requester == requester_id) & (Assignment.status == S.REJECTED)
                       & (Assignment.decided_at > now - review.REVERSAL_WINDOW))
                .order_by(Assignment.decided_at.desc(), Assignment.id.desc()).limit(limit))
