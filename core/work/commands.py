"""A worker's side of an assignment: accept, answer, return, submit."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from peewee import IntegrityError

from core import cards, ledger
from core.db import db, tx
from core.errors import (
    AlreadyAccepted,
    HitUnavailable,
    IncompleteAnswers,
    NotAllowed,
    NotFound,
    NotQualified,
    StaleAction,
    ValidationFailed,
    WorkerBlocked,
)
from core.hits.spec import MAX_TEXT_ANSWER
from core.models import Answer, Assignment, AssignmentStatus as S, Hit, HitStatus, Question, User, WorkerBlock
from core.outbox import emit
from core.quals.rules import evaluate, requirements_for
from core.review import quality
from core.users.commands import get_user
from core.work.queries import (
    WorkState,
    active_assignment,
    own_assignment,
    questions_of,
    work_state,
)

MAX_FILE_ID = 256


def accept(*, worker_id: int, hit_id: int, now: datetime) -> Assignment:
    """Take one slot of a HIT. Never more holders than max_assignments, one per worker."""
    with tx():
        worker = get_user(worker_id)
        hit = Hit.get_or_none(Hit.id == hit_id)
        if hit is None:
            raise NotFound("This HIT doesn't exist or is no longer available.")
        if hit.requester_id == worker_id:
            raise NotAllowed("You can't work on your own HIT.")
        if worker.banned or WorkerBlock.select().where(
                (WorkerBlock.requester == hit.requester_id) & (WorkerBlock.worker == worker_id)).exists():
            raise WorkerBlocked()
        failed = [c for c in evaluate(worker, requirements_for([hit.id]).get(hit.id, []), now) if not c.passed]
        if failed:
            raise NotQualified("You don't meet this HIT's requirements: " + "; ".join(c.text for c in failed) + ".")
        previous = Assignment.get_or_none((Assignment.hit == hit.id) & (Assignment.worker == worker_id))
        if previous is not None and previous.status != S.RETURNED:
            raise AlreadyAccepted()
        took = (Hit.update(available=Hit.available - 1)
                .where((Hit.id == hit.id) & (Hit.status == HitStatus.OPEN) & (Hit.expires_at > now)
                       & (Hit.available > 0))
                .execute())
        if took != 1:
            raise HitUnavailable("Sorry, this HIT just filled up or expired. Try another one!")
        fields = {"status": S.ACCEPTED, "accepted_at": now, "deadline": now + timedelta(seconds=hit.duration_s),
                  "submitted_at": None, "auto_approve_at": None, "decided_at": None, "feedback": None,
                  "current_q": 0, "reminded": False}
        if previous is not None:  # taking back a HIT the worker returned earlier
            Answer.delete().where(Answer.assignment == previous.id).execute()
            if Assignment.update(**fields).where((Assignment.id == previous.id)
                                                 & (Assignment.status == S.RETURNED)).execute() != 1:
                raise AlreadyAccepted()
            return Assignment.get_by_id(previous.id)
        try:
            with db.atomic():
                return Assignment.create(hit=hit.id, worker=worker_id, **fields)
        except IntegrityError:
            raise AlreadyAccepted() from None


def validate_answer(question: Question, value: object) -> object:
    """Check a raw answer against its question; returns the value to store."""
    kind = question.kind
    if kind == "choice":
        return _option(question, value)
    if kind == "multi":
        if not isinstance(value, list) or not value:
            raise ValidationFailed("Pick at least one option, then press Done.")
        picked = [_option(question, v) for v in value]
        if len(set(picked)) != len(picked):
            raise ValidationFailed("Each option can be picked once.")
        return [o for o in question.options if o in picked]  # keep the requester's order
    if kind == "text":
        if not isinstance(value, str):
            raise ValidationFailed("Please answer with a text message.")
        text = value.strip()
        low = int(question.min_value or 0)
        high = int(question.max_value or MAX_TEXT_ANSWER)
        if not max(low, 1) <= len(text) <= high:
            raise ValidationFailed(f"Please write between {max(low, 1)} and {high} characters (you wrote {len(text)}).")
        return text
    if kind == "number":
        number = _number(value)
        if question.min_value is not None and number < question.min_value:
            raise ValidationFailed(f"The number must be at least {_fmt(question.min_value)}.")
        if question.max_value is not None and number > question.max_value:
            raise ValidationFailed(f"The number must be at most {_fmt(question.max_value)}.")
        return int(number) if float(number).is_integer() and abs(number) < 2**53 else number
    if kind == "rating":
        stars = _number(value)
        if stars not in (1, 2, 3, 4, 5):
            raise ValidationFailed("Rate from 1 to 5 stars.")
        return int(stars)
    if kind in ("photo", "document", "voice"):
        if not isinstance(value, dict) or not isinstance(value.get("file_id"), str) \
                or not 0 < len(value["file_id"]) <= MAX_FILE_ID:
            raise ValidationFailed(f"Please send a {kind}.")
        keep = ("file_id", "file_unique_id", "file_name", "mime_type", "file_size", "duration")
        return {k: value[k] for k in keep if k in value and value[k] is not None}
    if kind == "location":
        if not isinstance(value, dict):
            raise ValidationFailed("Please share a location (📎 → Location).")
        lat, lon = _number(value.get("latitude")), _number(value.get("longitude"))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationFailed("That location is not on Earth.")
        return {"latitude": lat, "longitude": lon}
    raise ValidationFailed(f"Unknown question kind {kind!r}.")


def _option(question: Question, value: object) -> str:
    options = question.options or []
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(options):
        return options[value]
    if isinstance(value, str):
        for option in options:
            if option.lower() == value.strip().lower():
                return option
    raise ValidationFailed("Please pick one of the options.")


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValidationFailed("Please send a number.")
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if len(value) > 32:
            raise ValidationFailed("Please send a number.")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed("Please send a number.") from None
    if not math.isfinite(number):
        raise ValidationFailed("Please send a number.")
    return number


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def save_answer(*, worker_id: int, assignment_id: int, question_id: int, value: object, now: datetime) -> Answer:
    """Store (or replace) one answer and move the worker on to the next question."""
    with tx():
        assignment = active_assignment(worker_id, assignment_id, now)
        question = Question.get_or_none((Question.id == question_id) & (Question.hit == assignment.hit_id))
        if question is None:
            raise NotAllowed()
        stored = validate_answer(question, value)
        (Answer.insert(assignment=assignment.id, question=question.id, value=stored, answered_at=now)
         .on_conflict(conflict_target=[Answer.assignment, Answer.question],
                      update={Answer.value: stored, Answer.answered_at: now})
         .execute())
        count = Question.select().where(Question.hit == assignment.hit_id).count()
        Assignment.update(current_q=min(question.position + 1, count)).where(Assignment.id == assignment.id).execute()
        return Answer.get((Answer.assignment == assignment.id) & (Answer.question == question.id))


def skip_question(*, worker_id: int, assignment_id: int, question_id: int, now: datetime) -> None:
    """Leave an optional question unanswered (clearing an earlier answer)."""
    with tx():
        assignment = active_assignment(worker_id, assignment_id, now)
        question = Question.get_or_none((Question.id == question_id) & (Question.hit == assignment.hit_id))
        if question is None:
            raise NotAllowed()
        if question.required:
            raise ValidationFailed("This question needs an answer.")
        Answer.delete().where((Answer.assignment == assignment.id) & (Answer.question == question.id)).execute()
        count = Question.select().where(Question.hit == assignment.hit_id).count()
        Assignment.update(current_q=min(question.position + 1, count)).where(Assignment.id == assignment.id).execute()


def go_to_question(*, worker_id: int, assignment_id: int, position: int, now: datetime) -> Assignment:
    """Move the worker's place in the form (Back, or a question picked from the summary)."""
    with tx():
        assignment = active_assignment(worker_id, assignment_id, now)
        count = Question.select().where(Question.hit == assignment.hit_id).count()
        if not 0 <= position <= count:
            raise NotAllowed()
        Assignment.update(current_q=position).where(Assignment.id == assignment.id).execute()
        return Assignment.get_by_id(assignment.id)


def release_slot(assignment: Assignment, now: datetime) -> None:
    """Give a slot back: to other workers while the HIT is open, else its escrow to the requester."""
    reopened = (Hit.update(available=Hit.available + 1)
                .where((Hit.id == assignment.hit_id) & (Hit.status == HitStatus.OPEN)).execute())
    if reopened:
        return
    hit = Hit.get_by_id(assignment.hit_id)
    ledger.post(key=f"release:{assignment.id}", kind="refund",
                legs=[(ledger.escrow(hit.id), -hit.unit_cost_cents), (ledger.available(hit.requester_id), hit.unit_cost_cents)],
                now=now, memo=f"unused slot of HIT {hit.id}")


def return_assignment(*, worker_id: int, assignment_id: int, now: datetime) -> Assignment:
    """The worker gives the HIT back; no penalty, the slot goes back to others."""
    with tx():
        assignment = own_assignment(worker_id, assignment_id)
        if Assignment.update(status=S.RETURNED, decided_at=now).where(
                (Assignment.id == assignment.id) & (Assignment.status == S.ACCEPTED)).execute() != 1:
            raise StaleAction(f"This assignment is already {assignment.status}.")
        release_slot(assignment, now)
        return Assignment.get_by_id(assignment.id)


def submit(*, worker_id: int, assignment_id: int, now: datetime) -> Assignment:
    """Hand the answers in for review. All required answers, before the deadline."""
    with tx():
        assignment = active_assignment(worker_id, assignment_id, now)
        answered = {a.question_id for a in Answer.select(Answer.question).where(Answer.assignment == assignment.id)}
        missing = [q for q in questions_of(assignment) if q.required and q.id not in answered]
        if missing:
            raise IncompleteAnswers("Please answer every required question first: "
                                    + ", ".join(f"question {q.position + 1}" for q in missing) + ".")
        hit = Hit.get_by_id(assignment.hit_id)
        if Assignment.update(status=S.SUBMITTED, submitted_at=now,
                             auto_approve_at=now + timedelta(seconds=hit.auto_approve_s)).where(
                (Assignment.id == assignment.id) & (Assignment.status == S.ACCEPTED)).execute() != 1:
            raise StaleAction("This assignment was already submitted.")
        work_s = max(1, int((now - assignment.accepted_at).total_seconds()))
        Hit.update(work_n=Hit.work_n + 1, work_s_total=Hit.work_s_total + work_s).where(Hit.id == hit.id).execute()
        hit = Hit.get_by_id(hit.id)
        if hit.work_n >= 3:
            hourly = hit.reward_cents * 3600 * hit.work_n // max(1, hit.work_s_total)
            Hit.update(hourly_cents=hourly).where(Hit.id == hit.id).execute()
        User.update(submitted_n=User.submitted_n + 1).where(User.id == worker_id).execute()
        if not quality.on_submitted(assignment.id, now):  # else the requester's rule rejected it (and told them)
            emit("submission.received", user_id=hit.requester_id, now=now, assignment_id=assignment.id, hit_id=hit.id)
            cards.changed("review_queue", hit.requester_id, now=now)  # one more waiting in /review
        emit("submission.confirmed", user_id=worker_id, now=now, assignment_id=assignment.id, hit_id=hit.id)
        return Assignment.get_by_id(assignment.id)


def expire_assignment(*, assignment_id: int, now: datetime) -> bool:
    """Time ran out on an accepted assignment: the slot is freed. False if it had moved on."""
    with tx():
        changed = Assignment.update(status=S.EXPIRED, decided_at=now).where(
            (Assignment.id == assignment_id) & (Assignment.status == S.ACCEPTED) & (Assignment.deadline <= now)
        ).execute()
        if not changed:
            return False
        assignment = Assignment.get_by_id(assignment_id)
        release_slot(assignment, now)
        emit("assignment.expired", user_id=assignment.worker_id, now=now, assignment_id=assignment_id,
             hit_id=assignment.hit_id)
        cards.changed("assignment", assignment_id, now=now)  # its question message loses its buttons
        return True


# Answering the question the worker is on, returning where they are next ----------------------

def _check_current(worker_id: int, assignment_id: int, question_id: int, now: datetime) -> None:
    assignment = active_assignment(worker_id, assignment_id, now)
    question = Question.get_or_none((Question.id == question_id) & (Question.hit == assignment.hit_id))
    if question is None or question.position != assignment.current_q:
        raise StaleAction("That question is not the one you are on; answer the latest question below.")


def answer_current(*, worker_id: int, assignment_id: int, question_id: int, value: object,
                   now: datetime, known: WorkState | None = None) -> WorkState:
    """Answer the question the worker is on (an old question's button is stale) and move on."""
    with tx():
        _check_current(worker_id, assignment_id, question_id, now)
        save_answer(worker_id=worker_id, assignment_id=assignment_id, question_id=question_id,
                         value=value, now=now)
    return work_state(worker_id=worker_id, assignment_id=assignment_id, known=known)


def skip_current(*, worker_id: int, assignment_id: int, question_id: int, now: datetime) -> WorkState:
    with tx():
        _check_current(worker_id, assignment_id, question_id, now)
        skip_question(worker_id=worker_id, assignment_id=assignment_id, question_id=question_id, now=now)
    return work_state(worker_id=worker_id, assignment_id=assignment_id)


def go_to(*, worker_id: int, assignment_id: int, position: int, now: datetime) -> WorkState:
    go_to_question(worker_id=worker_id, assignment_id=assignment_id, position=position, now=now)
    return work_state(worker_id=worker_id, assignment_id=assignment_id)
