"""Custom qualification types, grants, and qualification tests that grant their score."""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import JOIN, IntegrityError, fn

from core.db import db, for_update, tx
from core.errors import NotAllowed, NotFound, StaleAction, ValidationFailed
from core.models import (
    FollowupOffer,
    Hit,
    HitStatus,
    QualificationGrant,
    QualificationType,
    QualTest,
    QualTestAttempt,
    SystemQual,
)
from core.numbers import percent
from core.outbox import emit
from core.texts import N_
from core.users.commands import get_user

MAX_NAME = 64
MAX_DESCRIPTION = 500
MAX_VALUE = 1_000_000
MAX_TEST_QUESTIONS = 20
MAX_RETAKE_S = 90 * 86_400


def _name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ValidationFailed(N_("A qualification name needs 1 to {max_name} characters."), max_name=MAX_NAME)
    if name.lower().replace(" ", "_") in SystemQual.ALL:
        raise ValidationFailed(N_("'{name}' is a built-in qualification; pick another name."), name=name)
    return name


def create_type(*, owner_id: int, name: str, now: datetime, description: str = "") -> QualificationType:
    name = _name(name)
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(N_("The description can have at most {max_description} characters."),
                               max_description=MAX_DESCRIPTION)
    with tx():
        get_user(owner_id)
        try:
            with db.atomic():
                return QualificationType.create(owner=owner_id, name=name, description=description.strip(),
                                                created_at=now)
        except IntegrityError:
            raise ValidationFailed(N_("You already have a qualification called '{name}'."), name=name) from None


def owned_type(owner_id: int, qtype_id: int) -> QualificationType:
    qtype = QualificationType.get_or_none(QualificationType.id == qtype_id)
    if qtype is None or qtype.owner_id != owner_id:
        raise NotAllowed()
    return qtype


def type_by_name(*, owner_id: int, name: str) -> QualificationType:
    qtype = QualificationType.get_or_none((QualificationType.owner == owner_id)
                                          & (QualificationType.name == name.strip()))
    if qtype is None:
        raise NotFound(N_("You have no qualification called '{name}'."), name=name.strip())
    return qtype


def upsert_grant(qtype_id: int, worker_id: int, value: int, now: datetime) -> QualificationGrant:
    (QualificationGrant.insert(qtype=qtype_id, worker=worker_id, value=value, granted_at=now)
     .on_conflict(conflict_target=[QualificationGrant.qtype, QualificationGrant.worker],
                  update={QualificationGrant.value: value, QualificationGrant.granted_at: now}).execute())
    return QualificationGrant.get((QualificationGrant.qtype == qtype_id) & (QualificationGrant.worker == worker_id))


def grant(*, owner_id: int, qtype_id: int, worker_id: int, value: int, now: datetime) -> QualificationGrant:
    """Give (or change) a worker's value of one of the requester's qualifications."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        raise ValidationFailed(N_("A qualification value is a whole number from 0 to {max_value}."),
                               max_value=MAX_VALUE)
    with tx():
        qtype = owned_type(owner_id, qtype_id)
        get_user(worker_id)
        row = upsert_grant(qtype.id, worker_id, value, now)
        emit("qualification.granted", user_id=worker_id, now=now, name=qtype.name, value=value)
        return row


def revoke(*, owner_id: int, qtype_id: int, worker_id: int, now: datetime) -> bool:
    with tx():
        qtype = owned_type(owner_id, qtype_id)
        gone = QualificationGrant.delete().where((QualificationGrant.qtype == qtype.id)
                                                 & (QualificationGrant.worker == worker_id)).execute() == 1
        if gone:
            emit("qualification.revoked", user_id=worker_id, now=now, name=qtype.name)
        return gone


# Qualification tests -------------------------------------------------------------------

def create_test(*, owner_id: int, name: str, questions: list[dict], now: datetime, description: str = "",
                retake_after_s: int = 86_400) -> QualTest:
    """A quiz of choice questions with known answers; its score (0-100) is granted as `name`."""
    if not 1 <= len(questions or []) <= MAX_TEST_QUESTIONS:
        raise ValidationFailed(N_("A test needs 1 to {max_test_questions} questions."),
                               max_test_questions=MAX_TEST_QUESTIONS)
    if not 0 <= retake_after_s <= MAX_RETAKE_S:
        raise ValidationFailed(N_("The retake cooldown must be between 0 and 90 days."))
    clean = []
    for n, q in enumerate(questions, start=1):
        prompt = str(q.get("prompt", "")).strip()
        options = [str(o).strip() for o in q.get("options") or []]
        answer = str(q.get("answer", "")).strip()
        if not 1 <= len(prompt) <= 500:
            raise ValidationFailed(N_("question {n}: the prompt needs 1 to 500 characters."), n=n)
        if not 2 <= len(options) <= 10 or any(not 1 <= len(o) <= 60 for o in options):
            raise ValidationFailed(N_("question {n}: give 2 to 10 options of 1 to 60 characters."), n=n)
        if answer not in options:
            raise ValidationFailed(N_("question {n}: the answer must be one of the options."), n=n)
        clean.append({"prompt": prompt, "options": options, "answer": answer})
    with tx():
        qtype = create_type(owner_id=owner_id, name=name, description=description, now=now)
        return QualTest.create(qtype=qtype.id, questions=clean, retake_after_s=retake_after_s, created_at=now)


def start_test(*, worker_id: int, test_id: int, now: datetime) -> QualTestAttempt:
    """Begin (or resume) a test; a retake waits for the requester's cooldown."""
    with tx():
        get_user(worker_id)
        test = QualTest.get_or_none(QualTest.id == test_id)
        if test is None:
            raise NotFound(N_("That test no longer exists."))
        last = (QualTestAttempt.select().where((QualTestAttempt.test == test.id) & (QualTestAttempt.worker == worker_id))
                .order_by(QualTestAttempt.started_at.desc(), QualTestAttempt.id.desc()).first())
        if last is not None and last.finished_at is None:
            return last
        if last is not None:
            ready = last.finished_at + timedelta(seconds=test.retake_after_s)
            if now < ready:
                left_h = max(1, int((ready - now).total_seconds() // 3600))
                raise StaleAction(N_("You can retake this test in about {left_h} h."), left_h=left_h)
        return QualTestAttempt.create(test=test.id, worker=worker_id, started_at=now, answers=[])


def answer_test(*, worker_id: int, attempt_id: int, position: int, option: int, now: datetime) -> QualTestAttempt:
    """Answer question `position` (must be the next one: a double tap counts once); the last
    answer scores the attempt and grants the score as the qualification's value."""
    with tx():
        attempt = for_update(QualTestAttempt.select().where(QualTestAttempt.id == attempt_id)).first()
        if attempt is None or attempt.worker_id != worker_id:
            raise NotAllowed()
        if attempt.finished_at is not None:
            raise StaleAction(N_("This test is already finished."))
        test = QualTest.get_by_id(attempt.test_id)
        if position != len(attempt.answers):
            raise StaleAction(N_("That question was already answered."))
        question = test.questions[position]
        if not 0 <= option < len(question["options"]):
            raise ValidationFailed(N_("Please pick one of the options."))
        answers = [*attempt.answers, question["options"][option]]
        fields: dict = {"answers": answers}
        if len(answers) == len(test.questions):
            right = sum(a == q["answer"] for a, q in zip(answers, test.questions))
            fields.update(score=percent(right, len(test.questions)), finished_at=now)
        if QualTestAttempt.update(**fields).where((QualTestAttempt.id == attempt.id)
                                                  & (QualTestAttempt.finished_at.is_null())).execute() != 1:
            raise StaleAction(N_("This test is already finished."))
        attempt = QualTestAttempt.get_by_id(attempt.id)
        if attempt.score is not None:
            qtype = QualificationType.get_by_id(test.qtype_id)
            upsert_grant(qtype.id, worker_id, attempt.score, now)
        return attempt


def finished_followup_types():
    """Ids of follow-up work's private types whose HIT is no longer open: kept (the grants are the HIT's
    history) but not listed among the requester's types, which would fill up with one per offer."""
    return (FollowupOffer.select(FollowupOffer.qtype)
            .join(Hit, JOIN.LEFT_OUTER, on=(FollowupOffer.hit == Hit.id))
            .where(FollowupOffer.qtype.is_null(False) & (Hit.id.is_null() | (Hit.status != HitStatus.OPEN))))


def my_types(*, owner_id: int) -> list[tuple[QualificationType, int]]:
    """The requester's qualification types with how many workers hold each (a finished follow-up's not)."""
    n = fn.COUNT(QualificationGrant.id)
    query = (QualificationType.select(QualificationType, n.alias("holders"))
             .join(QualificationGrant, JOIN.LEFT_OUTER)
             .where((QualificationType.owner == owner_id) & QualificationType.id.not_in(finished_followup_types()))
             .group_by(QualificationType.id).order_by(QualificationType.name))
    return [(t, t.holders) for t in query]


def tests_for(*, worker_id: int, limit: int = 20) -> list[tuple[QualTest, QualificationType, int | None]]:
    """Qualification tests a worker can take, with the worker's current score."""
    rows = []
    for test in (QualTest.select(QualTest, QualificationType).join(QualificationType)
                 .where(QualificationType.owner != worker_id).order_by(QualTest.id.desc()).limit(limit)):
        grant_row = QualificationGrant.get_or_none((QualificationGrant.qtype == test.qtype_id)
                                                   & (QualificationGrant.worker == worker_id))
        rows.append((test, test.qtype, grant_row.value if grant_row else None))
    return rows


def attempt_view(*, worker_id: int, attempt_id: int) -> tuple[QualTest, QualTestAttempt, QualificationType]:
    attempt = QualTestAttempt.get_or_none(QualTestAttempt.id == attempt_id)
    if attempt is None or attempt.worker_id != worker_id:
        raise NotAllowed()
    test = QualTest.get_by_id(attempt.test_id)
    return test, attempt, QualificationType.get_by_id(test.qtype_id)
