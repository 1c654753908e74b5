"""A requester's side: approve, reject (with a reason), bonus, block; and ratings."""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import IntegrityError

from core import cards, ledger
from core.config import get_settings
from core.db import db, for_update, is_sqlite, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.models import (
    Appeal,
    Assignment,
    AssignmentStatus as S,
    Bonus,
    Hit,
    HitGroup,
    HitStatus,
    Rating,
    User,
    WorkerBlock,
)
from core.money import fee_for
from core.outbox import emit
from core.payments.accounts import warn_if_low
from core.texts import N_, Amount, Text
from core.users.commands import get_user

REVERSAL_WINDOW = timedelta(days=30)
MAX_FEEDBACK = 1000
MAX_REASON = 500


def owned_submission(requester_id: int, assignment_id: int) -> tuple[Assignment, Hit]:
    """An assignment of one of the requester's HITs, or NotAllowed (forged or foreign button)."""
    assignment = Assignment.get_or_none(Assignment.id == assignment_id)
    if assignment is None:
        raise NotAllowed()
    hit = Hit.get_by_id(assignment.hit_id)
    if hit.requester_id != requester_id:
        raise NotAllowed()
    return assignment, hit


def _pay(hit: Hit, assignment: Assignment, source: ledger.Account, now: datetime) -> None:
    ledger.post(
        key=f"approve:{assignment.id}", kind="approve",
        legs=[(source, -hit.unit_cost_cents), (ledger.available(assignment.worker_id), hit.reward_cents),
              (ledger.fees(), hit.fee_cents)],
        now=now, memo=f"HIT {hit.id}: {hit.title}"[:200],
    )


def approve(*, requester_id: int | None, assignment_id: int, now: datetime, feedback: str | None = None) -> Assignment:
    """Pay the worker from escrow (fee to the platform). Idempotent: a second call is StaleAction.

    requester_id None means the auto-approval sweep. A rejection younger than 30 days
    can be reversed: then the requester's available balance pays, as escrow was refunded."""
    feedback = _clean(feedback, MAX_FEEDBACK, Text(N_("Feedback")), required=False)
    with tx():
        if requester_id is None:
            assignment = Assignment.get_by_id(assignment_id)
            hit = Hit.get_by_id(assignment.hit_id)
        else:
            assignment, hit = owned_submission(requester_id, assignment_id)
        auto = requester_id is None
        if assignment.status == S.SUBMITTED:
            where = (Assignment.status == S.SUBMITTED)
            if auto:
                where &= Assignment.auto_approve_at <= now
            if Assignment.update(status=S.APPROVED, decided_at=now, auto_approved=auto,
                                 feedback=feedback or assignment.feedback).where(
                    (Assignment.id == assignment.id) & where).execute() != 1:
                raise StaleAction(N_("This submission was already reviewed."))
            _pay(hit, assignment, ledger.escrow(hit.id), now)
            _lock_users(assignment.worker_id, hit.requester_id)
            User.update(approved_n=User.approved_n + 1).where(User.id == assignment.worker_id).execute()
            _count_review(hit, assignment, now)
        elif assignment.status == S.REJECTED and not auto:
            if assignment.decided_at is None or now - assignment.decided_at > REVERSAL_WINDOW:
                raise StaleAction(N_("Rejections can only be reversed within 30 days."))
            if Assignment.update(status=S.APPROVED, decided_at=now, feedback=feedback or assignment.feedback).where(
                    (Assignment.id == assignment.id) & (Assignment.status == S.REJECTED)).execute() != 1:
                raise StaleAction(N_("This submission was already reviewed."))
            _pay(hit, assignment, ledger.available(hit.requester_id), now)
            User.update(approved_n=User.approved_n + 1, rejected_n=User.rejected_n - 1).where(
                User.id == assignment.worker_id).execute()
            # An appeal still open on this rejection is answered by it: the work is approved.
            Appeal.update(outcome="approved", decided_at=now).where(
                (Appeal.assignment == assignment.id) & Appeal.outcome.is_null()).execute()
        else:
            raise already_decided(assignment.status)
        emit("assignment.approved", user_id=assignment.worker_id, now=now, assignment_id=assignment.id,
             hit_id=hit.id, title=hit.title, amount_cents=hit.reward_cents, auto=auto,
             reversed=assignment.status == S.REJECTED, feedback=feedback or assignment.feedback)
        approved = Assignment.select().where((Assignment.hit == hit.id) & (Assignment.status == S.APPROVED)).count()
        if approved == hit.max_assignments:
            emit("hit.completed", user_id=hit.requester_id, now=now, hit_id=hit.id, title=hit.title)
        decided(assignment.id, hit.requester_id, now)
        return Assignment.get_by_id(assignment.id)


def decided(assignment_id: int, requester_id: int, now: datetime) -> None:
    """In the deciding transaction: the messages that show this submission, and the
    requester's /review summary, are brought up to date (core.cards)."""
    cards.changed("assignment", assignment_id, now=now)
    cards.changed("review_queue", requester_id, now=now)


def _lock_users(*user_ids: int) -> None:
    """Lock these users' rows in id order before updating their counters. A decision updates the
    worker and the requester; two people approving each other's work at once would otherwise
    take the same two rows in opposite orders and deadlock."""
    if is_sqlite():
        return  # its write lock already serialises
    # NO KEY UPDATE is what an UPDATE of a counter takes: it must not start conflicting with the
    # key-share locks that inserts referencing a user (ratings, answers) take.
    list(User.select(User.id).where(User.id.in_(sorted(set(user_ids)))).order_by(User.id)
         .for_update("FOR NO KEY UPDATE"))


def _count_review(hit: Hit, assignment: Assignment, now: datetime) -> None:
    if assignment.submitted_at is not None:
        waited = max(0, int((now - assignment.submitted_at).total_seconds()))
        User.update(reviews_n=User.reviews_n + 1, review_s_total=User.review_s_total + waited).where(
            User.id == hit.requester_id).execute()


def reject(*, requester_id: int, assignment_id: int, feedback: str, now: datetime, auto: bool = False) -> Assignment:
    """Refuse a submission with a reason the worker sees; escrow goes back to the requester.
    auto: the requester's quality rule decided (the worker's notice says so)."""
    feedback = _clean(feedback, MAX_FEEDBACK, Text(N_("A reason")), required=True)
    with tx():
        assignment, hit = owned_submission(requester_id, assignment_id)
        if Assignment.update(status=S.REJECTED, decided_at=now, feedback=feedback).where(
                (Assignment.id == assignment.id) & (Assignment.status == S.SUBMITTED)).execute() != 1:
            raise already_decided(assignment.status)
        ledger.post(key=f"reject:{assignment.id}", kind="refund",
                    legs=[(ledger.escrow(hit.id), -hit.unit_cost_cents),
                          (ledger.available(hit.requester_id), hit.unit_cost_cents)],
                    now=now, memo=f"rejected work on HIT {hit.id}")
        _lock_users(assignment.worker_id, hit.requester_id)
        User.update(rejected_n=User.rejected_n + 1).where(User.id == assignment.worker_id).execute()
        _count_review(hit, assignment, now)
        emit("assignment.rejected", user_id=assignment.worker_id, now=now, assignment_id=assignment.id,
             hit_id=hit.id, title=hit.title, feedback=feedback, auto=auto)
        decided(assignment.id, hit.requester_id, now)
        return Assignment.get_by_id(assignment.id)


def bonus(*, requester_id: int, assignment_id: int, amount_cents: int, reason: str, now: datetime,
          key: str) -> Bonus:
    """Extra pay for a worker, from the requester's balance; the platform fee applies."""
    settings = get_settings()
    reason = _clean(reason, MAX_REASON, Text(N_("A reason")), required=True)
    if not 1 <= amount_cents <= settings.max_reward_cents:
        raise ValidationFailed(N_("A bonus must be between {low} and {high}."), low=Amount(1, settings.currency),
                               high=Amount(settings.max_reward_cents, settings.currency))
    if not key or len(key) > 100:
        raise ValueError("bonus needs an idempotency key")
    with tx():
        assignment, hit = owned_submission(requester_id, assignment_id)
        if assignment.status not in (S.SUBMITTED, S.APPROVED, S.REJECTED):
            raise StaleAction(N_("Bonuses are for work that was submitted."))
        fee = fee_for(amount_cents, settings.fee_percent)
        try:
            with db.atomic():
                row = Bonus.create(assignment=assignment.id, amount_cents=amount_cents, fee_cents=fee,
                                   reason=reason, key=f"bonus:{key}", created_at=now)
        except IntegrityError:
            raise StaleAction(N_("This bonus was already paid.")) from None
        ledger.post(key=f"bonus:{key}", kind="bonus",
                    legs=[(ledger.available(requester_id), -(amount_cents + fee)),
                          (ledger.available(assignment.worker_id), amount_cents), (ledger.fees(), fee)],
                    now=now, memo=reason[:200])
        warn_if_low(user_id=requester_id, spent_cents=amount_cents + fee, now=now)
        emit("bonus.paid", user_id=assignment.worker_id, now=now, assignment_id=assignment.id, hit_id=hit.id,
             title=hit.title, amount_cents=amount_cents, reason=reason)
        cards.changed("assignment", assignment.id, now=now)  # the card shows the bonuses paid
        return row


def block_worker(*, requester_id: int, worker_id: int, reason: str, now: datetime) -> bool:
    """Privately stop a worker from seeing or taking this requester's HITs. False if already blocked."""
    reason = _clean(reason, MAX_REASON, Text(N_("A reason")), required=False)
    if requester_id == worker_id:
        raise ValidationFailed(N_("You can't block yourself."))
    with tx():
        get_user(worker_id)
        worked = Assignment.select().join(Hit).where(
            (Assignment.worker == worker_id) & (Hit.requester == requester_id)).exists()
        if not worked:
            raise NotAllowed()
        try:
            with db.atomic():
                WorkerBlock.create(requester=requester_id, worker=worker_id, reason=reason, created_at=now)
        except IntegrityError:
            return False
        return True


def unblock_worker(*, requester_id: int, worker_id: int) -> bool:
    with tx():
        return WorkerBlock.delete().where((WorkerBlock.requester == requester_id)
                                          & (WorkerBlock.worker == worker_id)).execute() == 1


def rate_requester(*, worker_id: int, assignment_id: int, stars: int, now: datetime) -> Rating:
    """A worker's 1-5 stars for the requester, once per assignment, after the decision."""
    if stars not in (1, 2, 3, 4, 5):
        raise ValidationFailed(N_("Rate from 1 to 5 stars."))
    with tx():
        assignment = Assignment.get_or_none(Assignment.id == assignment_id)
        if assignment is None or assignment.worker_id != worker_id:
            raise NotAllowed()
        if assignment.status not in (S.APPROVED, S.REJECTED):
            raise StaleAction(N_("You can rate the requester once your work is reviewed."))
        hit = Hit.get_by_id(assignment.hit_id)
        try:
            with db.atomic():
                rating = Rating.create(assignment=assignment.id, rater=worker_id, ratee=hit.requester_id,
                                       direction="w2r", stars=stars, created_at=now)
        except IntegrityError:
            raise StaleAction(N_("You already rated this requester for this HIT.")) from None
        # The requester's open HITs before the requester, in id order: submit locks a HIT, then
        # (when the quality rule rejects) the requester; the other order deadlocked on PostgreSQL.
        list(for_update(Hit.select(Hit.id).where((Hit.requester == hit.requester_id)
                                                 & (Hit.status == HitStatus.OPEN)).order_by(Hit.id)))
        User.update(rating_sum=User.rating_sum + stars, rating_n=User.rating_n + 1).where(
            User.id == hit.requester_id).execute()
        requester = User.get_by_id(hit.requester_id)
        Hit.update(requester_score=round(requester.rating_avg * 100)).where(
            (Hit.requester == requester.id) & (Hit.status == HitStatus.OPEN)).execute()
        HitGroup.update(requester_score=round(requester.rating_avg * 100)).where(  # browse's rating sort
            HitGroup.requester == requester.id).execute()
        cards.changed("assignment", assignment.id, now=now)  # the decision notice stops asking for stars
        return rating


# Why a submission can't be decided again, one whole sentence per status.
_ALREADY = {
    S.ACCEPTED: N_("This submission is already accepted."),
    S.APPROVED: N_("This submission is already approved."),
    S.REJECTED: N_("This submission is already rejected."),
    S.RETURNED: N_("This submission is already returned."),
    S.EXPIRED: N_("This submission is already expired."),
    S.REVISING: N_("The worker is revising this submission; you decide when it comes back."),
}


def already_decided(status: str) -> StaleAction:
    return StaleAction(_ALREADY.get(status) or N_("This submission is already {status}."), status=status)


def _clean(text: str | None, limit: int, what: Text, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed(N_("{what} is required."), what=what)
    if len(text) > limit:
        raise ValidationFailed(N_("{what} can have at most {limit} characters (this has {length})."), what=what,
                               limit=limit, length=len(text))
    return text
