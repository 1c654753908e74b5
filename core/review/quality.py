"""Quality control: control (gold) answers and per-requester skill, speed flags,
aggregated answers, and the requester's automatic rules."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from core.db import tx
from core.errors import StaleAction, ValidationFailed
from core.models import (
    Answer,
    Appeal,
    Assignment,
    AssignmentStatus as S,
    GoldStat,
    Hit,
    QualificationType,
    Question,
    User,
    WorkerBlock,
)
from core.mturk.ids import worker_alias
from core.outbox import emit
from core.quals.commands import upsert_grant
from core.review import aggregation, commands as review
from core.texts import N_
from core.users.commands import get_user, set_pref

SKILL_QUAL = "gold accuracy"
TOO_FAST_FRACTION = 1 / 3  # flagged when under a third of the median work time
MIN_SAMPLES_FOR_SPEED = 5
AUTO_BLOCK_REASON = "control-question accuracy"  # the block the rule made (and its Undo may lift)
MAX_AUTO_REJECTIONS = 200  # failed pending submissions one rule run rejects at most


@dataclass(frozen=True)
class Policy:
    min_accuracy: int | None = None  # 0-100; None: no automatic action
    min_gold: int = 3  # judge only after this many control answers
    action: str = "reject"  # reject | block

    @classmethod
    def of(cls, requester: User) -> "Policy":
        raw = (requester.prefs or {}).get("quality") or {}
        return cls(raw.get("min_accuracy"), raw.get("min_gold", 3), raw.get("action", "reject"))


def set_policy(*, requester_id: int, min_accuracy: int | None, min_gold: int = 3, action: str = "reject") -> Policy:
    if min_accuracy is not None and not 0 <= min_accuracy <= 100:
        raise ValidationFailed(N_("The accuracy threshold is a percentage from 0 to 100."))
    if not 1 <= min_gold <= 100:
        raise ValidationFailed(N_("Judge after 1 to 100 control answers."))
    if action not in ("reject", "block"):
        raise ValidationFailed(N_("The action is 'reject' or 'block'."))
    set_pref(user_id=requester_id, key="quality",
             value={"min_accuracy": min_accuracy, "min_gold": min_gold, "action": action})
    return Policy(min_accuracy, min_gold, action)


def gold_matches(question: Question, value: object) -> bool:
    gold = question.gold
    if question.kind == "multi":
        want = {g.strip().lower() for g in (gold if isinstance(gold, list) else str(gold).split("|"))}
        return isinstance(value, list) and {str(v).strip().lower() for v in value} == want
    if question.kind in ("number", "rating"):
        try:
            return float(value) == float(gold)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return str(value).strip().lower() == str(gold).strip().lower()


def _control_results(assignment_id: int, hit_id: int) -> tuple[int, int]:
    """(control answers, right ones) in one submission; (0, 0) when its HIT has no control question."""
    gold_qs = {q.id: q for q in Question.select().where((Question.hit == hit_id) & Question.gold.is_null(False))}
    if not gold_qs:
        return 0, 0
    answers = {a.question_id: a.value for a in Answer.select().where((Answer.assignment == assignment_id)
                                                                      & Answer.question.in_(list(gold_qs)))}
    correct = sum(1 for qid, q in gold_qs.items() if qid in answers and gold_matches(q, answers[qid]))
    return len(gold_qs), correct


def score_gold(assignment: Assignment, now: datetime) -> tuple[int, int] | None:
    """Count this submission's control answers into the worker's skill with the requester.
    Runs inside submit's transaction. Returns (seen, correct) for this submission."""
    seen, correct = _control_results(assignment.id, assignment.hit_id)
    if not seen:
        return None
    hit = Hit.get_by_id(assignment.hit_id)
    (GoldStat.insert(requester=hit.requester_id, worker=assignment.worker_id, seen=seen, correct=correct)
     .on_conflict(conflict_target=[GoldStat.requester, GoldStat.worker],
                  update={GoldStat.seen: GoldStat.seen + seen, GoldStat.correct: GoldStat.correct + correct})
     .execute())
    stat = GoldStat.get((GoldStat.requester == hit.requester_id) & (GoldStat.worker == assignment.worker_id))
    qtype, _ = QualificationType.get_or_create(owner=hit.requester_id, name=SKILL_QUAL, defaults={
        "description": "Accuracy on control questions (%)", "created_at": now})
    upsert_grant(qtype.id, assignment.worker_id, stat.skill, now)
    return seen, correct


def failed_pending(*, requester_id: int, worker_id: int) -> list[Assignment]:
    """The worker's submissions to this requester still waiting for review with at least one
    wrong control answer, oldest first (bounded)."""
    pending = (Assignment.select().join(Hit)
               .where((Assignment.worker == worker_id) & (Hit.requester == requester_id)
                      & (Assignment.status == S.SUBMITTED)
                      & fn.EXISTS(Question.select(Question.id).where((Question.hit == Hit.id)
                                                                     & Question.gold.is_null(False))))
               .order_by(Assignment.id).limit(MAX_AUTO_REJECTIONS))
    out = []
    for a in pending:
        seen, correct = _control_results(a.id, a.hit_id)
        if correct < seen:
            out.append(a)
    return out


def apply_policy(assignment: Assignment, now: datetime) -> bool:
    """The requester's automatic rule after a submission. Once the worker has given at least
    `min_gold` control answers to this requester and their accuracy is below the threshold,
    it rejects the pending submissions whose control answers were wrong (never a right one),
    and with the 'block' action blocks the worker. Each decision is told to the requester
    (with Undo) and to the worker (with Appeal). True when this very submission was rejected."""
    hit = Hit.get_by_id(assignment.hit_id)
    requester = User.get_by_id(hit.requester_id)
    policy = Policy.of(requester)
    if policy.min_accuracy is None:
        return False
    stat = GoldStat.get_or_none((GoldStat.requester == requester.id) & (GoldStat.worker == assignment.worker_id))
    if stat is None or stat.seen < policy.min_gold or stat.skill >= policy.min_accuracy:
        return False
    failed = failed_pending(requester_id=requester.id, worker_id=assignment.worker_id)
    if not failed:
        return False  # nothing wrong is waiting: a right answer is never the one acted on
    numbers = {"worker_id": assignment.worker_id, "accuracy_pct": stat.skill, "min_accuracy": policy.min_accuracy,
               "min_gold": policy.min_gold, "seen": stat.seen}
    reason = (f"A control answer in this work was wrong, and too many of your control answers for this requester "
              f"are: your accuracy is {stat.skill}%, this requester needs {policy.min_accuracy}%.")
    rejected = []
    for a in failed:
        try:  # its own savepoint: the requester may have just decided an older one
            review.reject(requester_id=requester.id, assignment_id=a.id, feedback=reason, now=now, auto=True)
        except StaleAction:
            continue
        rejected.append(a)
        emit("quality.rejected", user_id=requester.id, now=now, assignment_id=a.id, hit_id=a.hit_id, **numbers)
    if not rejected:
        return False
    if policy.action == "block" and review.block_worker(requester_id=requester.id, worker_id=assignment.worker_id,
                                                        reason=AUTO_BLOCK_REASON, now=now):
        block = WorkerBlock.get((WorkerBlock.requester == requester.id) & (WorkerBlock.worker == assignment.worker_id))
        emit("quality.blocked", user_id=requester.id, now=now, block_id=block.id, **numbers)
        emit("worker.blocked", user_id=assignment.worker_id, now=now, block_id=block.id,
             assignment_id=rejected[-1].id, hit_id=rejected[-1].hit_id, accuracy_pct=stat.skill,
             min_accuracy=policy.min_accuracy)
    return any(a.id == assignment.id for a in rejected)


@dataclass(frozen=True)
class Undone:
    """What the requester's notice shows once an automatic decision is undone."""

    worker_name: str
    hit_title: str | None = None  # for an undone rejection
    amount_cents: int = 0


def undo_rejection(*, requester_id: int, assignment_id: int, now: datetime) -> Undone:
    """↩️ Undo on the notice of an automatic rejection: the work is approved and paid, as
    'Approve instead' does, within the reversal window. A forged, repeated or late press is
    StaleAction and changes nothing."""
    with tx():
        a = Assignment.get_or_none(Assignment.id == assignment_id)
        hit = Hit.get_or_none(Hit.id == a.hit_id) if a is not None else None
        if (hit is None or hit.requester_id != requester_id or a.status != S.REJECTED or a.decided_at is None
                or now - a.decided_at > review.REVERSAL_WINDOW):
            raise StaleAction()
        # An appeal still open on it is answered by the undo.
        Appeal.update(outcome="approved", decided_at=now).where(
            (Appeal.assignment == a.id) & Appeal.outcome.is_null()).execute()
        try:
            review.approve(requester_id=requester_id, assignment_id=a.id, now=now,
                           feedback="Approved: the requester undid the automatic rejection.")
        except StaleAction:  # decided meanwhile (another press, an appeal)
            raise StaleAction() from None
        return Undone(worker_alias(requester_id, a.worker_id), hit.title, hit.reward_cents)


def undo_block(*, requester_id: int, block_id: int, now: datetime) -> Undone:
    """↩️ Undo on the notice of an automatic block: the worker is unblocked (and told), within the
    reversal window. Only the rule's own block; a forged, repeated or late press is StaleAction."""
    with tx():
        block = WorkerBlock.get_or_none(WorkerBlock.id == block_id)
        if (block is None or block.requester_id != requester_id or block.reason != AUTO_BLOCK_REASON
                or now - block.created_at > review.REVERSAL_WINDOW):
            raise StaleAction()
        if WorkerBlock.delete().where(WorkerBlock.id == block.id).execute() != 1:
            raise StaleAction()
        emit("worker.unblocked", user_id=block.worker_id, now=now, requester_id=requester_id)
        return Undone(worker_alias(requester_id, block.worker_id))


def skill(*, requester_id: int, worker_id: int) -> int | None:
    stat = GoldStat.get_or_none((GoldStat.requester == requester_id) & (GoldStat.worker == worker_id))
    return None if stat is None else stat.skill


def speed_flag(*, assignment_id: int) -> str | None:
    """'far faster than usual' when a submission took under a third of the median time of
    this HIT's (or its batch's) submissions; None when normal or too few to judge."""
    a = Assignment.get_by_id(assignment_id)
    if a.submitted_at is None:
        return None
    hit = Hit.get_by_id(a.hit_id)
    peers = Assignment.select(Assignment.accepted_at, Assignment.submitted_at).join(Hit).where(
        Assignment.submitted_at.is_null(False)
        & ((Hit.batch == hit.batch_id) if hit.batch_id else (Hit.id == hit.id))).limit(2000)
    times = [(p.submitted_at - p.accepted_at).total_seconds() for p in peers]
    if len(times) < MIN_SAMPLES_FOR_SPEED:
        return None
    median = statistics.median(times)
    mine = (a.submitted_at - a.accepted_at).total_seconds()
    if median > 0 and mine < median * TOO_FAST_FRACTION:
        return f"⚡ far faster than usual ({int(mine)}s vs a median of {int(median)}s)"
    return None


@dataclass(frozen=True)
class QuestionAggregate:
    key: str
    kind: str
    answer: object | None
    agreement_pct: int
    answers_n: int
    ds_answer: object | None = None  # Dawid-Skene estimate (choice questions of a batch)
    ds_confidence: float | None = None


def aggregate_hit(*, hit_id: int) -> list[QuestionAggregate]:
    """Majority answer and agreement per question over the HIT's approved and submitted work,
    with the Dawid-Skene estimate for choice questions (using the whole batch to learn
    each worker's reliability)."""
    hit = Hit.get_by_id(hit_id)
    questions = list(Question.select().where(Question.hit == hit_id).order_by(Question.position))
    counted = (S.SUBMITTED, S.APPROVED)
    out = []
    for q in questions:
        values = [a.value for a in Answer.select(Answer.value).join(Assignment).where(
            (Answer.question == q.id) & Assignment.status.in_(counted))]
        winner, agreement = aggregation.majority_vote(values)
        ds_answer = ds_conf = None
        if q.kind == "choice" and values:
            scope = (Hit.batch == hit.batch_id) if hit.batch_id else (Hit.id == hit.id)
            triples = [(row.assignment.hit_id, row.assignment.worker_id, row.value) for row in
                       Answer.select(Answer.value, Assignment.hit, Assignment.worker).join(Assignment)
                       .join(Hit).switch(Answer).join(Question, on=(Answer.question == Question.id))
                       .where(scope & (Question.key == q.key) & Assignment.status.in_(counted))]
            estimate = aggregation.dawid_skene(triples).get(hit_id)
            if estimate:
                ds_answer, ds_conf = estimate[0], round(estimate[1], 3)
        out.append(QuestionAggregate(q.key, q.kind, winner, agreement, len(values), ds_answer, ds_conf))
    return out


def set_profile(*, user_id: int, skills: list[str], interests: list[str]) -> dict:
    """What a worker says they are good at and like doing; shown to requesters in review."""
    def clean(items: list[str], refusal: str) -> list[str]:  # `refusal`: a whole sentence
        items = [i.strip() for i in items if i and i.strip()]
        if len(items) > 10 or any(len(i) > 40 for i in items):
            raise ValidationFailed(refusal)
        return items

    profile = {"skills": clean(skills, N_("List at most 10 skills of up to 40 characters each.")),
               "interests": clean(interests, N_("List at most 10 interests of up to 40 characters each."))}
    set_pref(user_id=user_id, key="profile", value=profile)
    return profile


def profile(*, user_id: int) -> dict:
    return (get_user(user_id).prefs or {}).get("profile") or {"skills": [], "interests": []}


@dataclass(frozen=True)
class ProfileView:
    """/profile: the worker, their skills and interests, and the stars requesters gave them (all
    requesters together, as the worker_rating requirement reads it; no single rating is named)."""

    user: object
    profile: dict
    rating: object  # core.review.ratings.Average


def profile_view(*, user_id: int) -> ProfileView:
    from core.review.ratings import worker_average  # ratings reads review's tables: late, as quals.rules does

    user = get_user(user_id)
    return ProfileView(user, (user.prefs or {}).get("profile") or {"skills": [], "interests": []},
                       worker_average(worker_id=user_id))


def on_submitted(assignment_id: int, now: datetime) -> bool:
    """Hook run by submit in its transaction: score control answers, apply the rule.
    True when the rule rejected this very submission."""
    with tx():
        assignment = Assignment.get_by_id(assignment_id)
        if score_gold(assignment, now) is None:
            return False
        return apply_policy(assignment, now)
