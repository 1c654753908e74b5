"""Quality control: control (gold) answers and per-requester skill, speed flags,
aggregated answers, and the requester's automatic rules."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from core import aggregation
from core.db import tx
from core.errors import ValidationFailed
from core.models import Answer, Assignment, AssignmentStatus as S, Hit, QualificationType, Question, User
from core.models.quality import GoldStat
from core.services.qualifications import _upsert_grant
from core.services.users import get_user, set_pref

SKILL_QUAL = "gold accuracy"
TOO_FAST_FRACTION = 1 / 3  # flagged when under a third of the median work time
MIN_SAMPLES_FOR_SPEED = 5


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
        raise ValidationFailed("The accuracy threshold is a percentage from 0 to 100.")
    if not 1 <= min_gold <= 100:
        raise ValidationFailed("Judge after 1 to 100 control answers.")
    if action not in ("reject", "block"):
        raise ValidationFailed("The action is 'reject' or 'block'.")
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


def score_gold(assignment: Assignment, now: datetime) -> tuple[int, int] | None:
    """Count this submission's control answers into the worker's skill with the requester.
    Runs inside submit's transaction. Returns (seen, correct) for this submission."""
    gold_qs = {q.id: q for q in Question.select().where((Question.hit == assignment.hit_id)
                                                        & Question.gold.is_null(False))}
    if not gold_qs:
        return None
    answers = {a.question_id: a.value for a in Answer.select().where((Answer.assignment == assignment.id)
                                                                      & Answer.question.in_(list(gold_qs)))}
    seen = len(gold_qs)
    correct = sum(1 for qid, q in gold_qs.items() if qid in answers and gold_matches(q, answers[qid]))
    hit = Hit.get_by_id(assignment.hit_id)
    (GoldStat.insert(requester=hit.requester_id, worker=assignment.worker_id, seen=seen, correct=correct)
     .on_conflict(conflict_target=[GoldStat.requester, GoldStat.worker],
                  update={GoldStat.seen: GoldStat.seen + seen, GoldStat.correct: GoldStat.correct + correct})
     .execute())
    stat = GoldStat.get((GoldStat.requester == hit.requester_id) & (GoldStat.worker == assignment.worker_id))
    qtype, _ = QualificationType.get_or_create(owner=hit.requester_id, name=SKILL_QUAL, defaults={
        "description": "Accuracy on control questions (%)", "created_at": now})
    _upsert_grant(qtype.id, assignment.worker_id, stat.skill, now)
    return seen, correct


def apply_policy(assignment: Assignment, now: datetime) -> str | None:
    """The requester's automatic rule after a submission; returns what was done."""
    from core.services import review  # review imports nothing from here; keep the cycle one-way at import

    hit = Hit.get_by_id(assignment.hit_id)
    requester = User.get_by_id(hit.requester_id)
    policy = Policy.of(requester)
    if policy.min_accuracy is None:
        return None
    stat = GoldStat.get_or_none((GoldStat.requester == requester.id) & (GoldStat.worker == assignment.worker_id))
    if stat is None or stat.seen < policy.min_gold or stat.skill >= policy.min_accuracy:
        return None
    reason = (f"Too many control answers were wrong: your accuracy is {stat.skill}%, "
              f"this requester needs {policy.min_accuracy}%.")
    review.reject(requester_id=requester.id, assignment_id=assignment.id, feedback=reason, now=now)
    if policy.action == "block":
        review.block_worker(requester_id=requester.id, worker_id=assignment.worker_id,
                            reason="control-question accuracy", now=now)
        return "blocked"
    return "rejected"


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
    def clean(items: list[str], what: str) -> list[str]:
        items = [i.strip() for i in items if i and i.strip()]
        if len(items) > 10 or any(len(i) > 40 for i in items):
            raise ValidationFailed(f"List at most 10 {what} of up to 40 characters each.")
        return items

    profile = {"skills": clean(skills, "skills"), "interests": clean(interests, "interests")}
    set_pref(user_id=user_id, key="profile", value=profile)
    return profile


def profile(*, user_id: int) -> dict:
    return (get_user(user_id).prefs or {}).get("profile") or {"skills": [], "interests": []}


def on_submitted(assignment_id: int, now: datetime) -> str | None:
    """Hook run by submit in its transaction: score control answers, apply the rule."""
    with tx():
        assignment = Assignment.get_by_id(assignment_id)
        if score_gold(assignment, now) is None:
            return None
        return apply_policy(assignment, now)
