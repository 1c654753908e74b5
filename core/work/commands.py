"""A worker's side of an assignment: accept, answer, return, submit."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, Case, IntegrityError, fn

from core import cards, ledger
from core.db import tx
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
from core.messages.safety import RequesterBlockedByYou
from core.models import (
    Answer,
    Assignment,
    AssignmentStatus as S,
    Hit,
    HitStatus,
    Question,
    RequesterBlock,
    User,
    WorkerBlock,
)
from core.mturk import notifications
from core.outbox import emit, emit_together
from core.prepared import Prepared, param
from core.quals.rules import evaluate, requirements_for
from core.review import quality
from core.texts import N_, Joined, Text
from core.users.commands import changed_prefs, get_user, write_prefs
from core.work.queries import (
    WorkState,
    active_assignment,
    already,
    check_active,
    load_state,
    owned_assignment,
    questions_of,
)

MAX_FILE_ID = 256

# Preferences to store in the same transaction as a change, computed from the state it leads to
# (the bot's awaiting-input wait: which question the worker's next message answers).
PrefsFor = Callable[[WorkState], dict[str, object]]


def _store_prefs(state: WorkState, prefs: PrefsFor | None) -> None:
    if prefs is not None and state.worker is not None:
        write_prefs(state.worker, prefs(state))


def _show_in(state: WorkState, message_id: int | None, now: datetime) -> None:
    """The worker's message `message_id` will show this state (the bot edits it in place): it is the
    assignment's one live question card, remembered in the use case's transaction. Nothing to write
    when it already is (state read with_card)."""
    if message_id is not None and state.shown_message_id != message_id:
        cards.remember_in_tx(object_kind="assignment", object_id=state.assignment.id, chat_id=state.assignment.worker_id,
                             message_id=message_id, card_kind="question", now=now, only=True)
        state.shown_message_id = message_id


def accept(*, worker_id: int, hit_id: int, now: datetime) -> Assignment:
    """Take one slot of a HIT. Never more holders than max_assignments, one per worker."""
    return accept_hit(worker_id=worker_id, hit_id=hit_id, now=now).assignment


def _hit_to_accept():
    """The HIT, whether its requester blocked the worker or the worker the requester, and the worker's
    earlier assignment of it: one read."""
    blocked = WorkerBlock.select(WorkerBlock.id).where((WorkerBlock.requester == Hit.requester)
                                                       & (WorkerBlock.worker == param("worker_id")))
    theirs = RequesterBlock.select(RequesterBlock.id).where((RequesterBlock.worker == param("worker_id"))
                                                            & (RequesterBlock.requester == Hit.requester))
    mine = (Assignment.hit == Hit.id) & (Assignment.worker == param("worker_id"))
    return (Hit.select(Hit, fn.EXISTS(blocked).alias("blocked_worker"), fn.EXISTS(theirs).alias("blocked_requester"),
                       notifications.listening(Hit.requester).alias("api_listening"), Assignment)
            .join(Assignment, JOIN.LEFT_OUTER, on=mine, attr="previous")
            .where(Hit.id == param("hit_id")).limit(1))


# The worker's hot path, built once (core.prepared).
_HIT_TO_ACCEPT = Prepared(_hit_to_accept, planned=True)
_TAKE_SLOT = Prepared(lambda: Hit.update(available=Hit.available - 1)
                      .where((Hit.id == param("hit_id")) & (Hit.status == HitStatus.OPEN)
                             & (Hit.expires_at > param("now", Hit.expires_at)) & (Hit.available > 0)))
_NEW_ASSIGNMENT = Prepared(lambda: Assignment.insert(
    hit=param("hit_id"), worker=param("worker_id"), status=S.ACCEPTED, accepted_at=param("now", Assignment.accepted_at),
    deadline=param("deadline", Assignment.deadline), submitted_at=None, auto_approve_at=None, decided_at=None,
    feedback=None, current_q=0, reminded=False))
_MOVE = Prepared(lambda: Assignment.update(current_q=param("position"))
                 .where((Assignment.id == param("id")) & (Assignment.status == S.ACCEPTED)))
_MOVE_FROM = Prepared(lambda: Assignment.update(current_q=param("position"))
                      .where((Assignment.id == param("id")) & (Assignment.status == S.ACCEPTED)
                             & (Assignment.current_q == param("from_position"))))
_SAVE_ANSWER = Prepared(lambda: Answer.insert(
    assignment=param("assignment_id"), question=param("question_id"), value=param("value", Answer.value),
    answered_at=param("now", Answer.answered_at))
    .on_conflict(conflict_target=[Answer.assignment, Answer.question],
                 update={Answer.value: param("value", Answer.value), Answer.answered_at: param("now", Answer.answered_at)}))
_SUBMIT = Prepared(lambda: Assignment.update(
    status=S.SUBMITTED, submitted_at=param("now", Assignment.submitted_at),
    auto_approve_at=param("auto_approve_at", Assignment.auto_approve_at))
    .where((Assignment.id == param("id")) & (Assignment.status == S.ACCEPTED)))


def _work_time():
    # The HIT's real work times, and its hourly rate once three exist, in one statement.
    work_n, work_s_total = Hit.work_n + 1, Hit.work_s_total + param("work_s")
    return Hit.update(work_n=work_n, work_s_total=work_s_total,
                      hourly_cents=Case(None, ((work_n >= 3, Hit.reward_cents * 3600 * work_n / work_s_total),),
                                        Hit.hourly_cents)).where(Hit.id == param("hit_id"))


_WORK_TIME = Prepared(_work_time)
_SUBMITTED_N = {with_prefs: Prepared(lambda with_prefs=with_prefs: User.update(
    {User.submitted_n: User.submitted_n + 1, **({User.prefs: param("prefs", User.prefs)} if with_prefs else {})})
    .where(User.id == param("id"))) for with_prefs in (False, True)}


def accept_hit(*, worker_id: int, hit_id: int, now: datetime, prefs: PrefsFor | None = None) -> WorkState:
    """As accept, returning where the worker starts (the HIT, its questions, the worker's row);
    `prefs` are stored in the same transaction."""
    with tx():
        worker = get_user(worker_id)
        hit = _HIT_TO_ACCEPT.first(worker_id=worker_id, hit_id=hit_id)
        if hit is None:
            raise NotFound(N_("This HIT doesn't exist or is no longer available."))
        if hit.requester_id == worker_id:
            raise NotAllowed(N_("You can't work on your own HIT."))
        if worker.banned or hit.blocked_worker:
            raise WorkerBlocked()
        if hit.blocked_requester:  # the worker blocked this requester (core.messages.safety)
            raise RequesterBlockedByYou()
        if hit.has_requirements:
            failed = [c for c in evaluate(worker, requirements_for([hit.id]).get(hit.id, []), now) if not c.passed]
            if failed:
                raise NotQualified(N_("You don't meet this HIT's requirements: {requirements}."),
                                   requirements=Joined(tuple(failed), "; "))
        previous = getattr(hit, "previous", None)
        if previous is not None and previous.status != S.RETURNED:
            raise AlreadyAccepted()
        if _TAKE_SLOT.rowcount(hit_id=hit.id, now=now) != 1:
            raise HitUnavailable(N_("Sorry, this HIT just filled up or expired. Try another one!"))
        fields = {"status": S.ACCEPTED, "accepted_at": now, "deadline": now + timedelta(seconds=hit.duration_s),
                  "submitted_at": None, "auto_approve_at": None, "decided_at": None, "feedback": None,
                  "current_q": 0, "reminded": False}
        if previous is not None:  # taking back a HIT the worker returned earlier
            Answer.delete().where(Answer.assignment == previous.id).execute()
            if Assignment.update(**fields).where((Assignment.id == previous.id)
                                                 & (Assignment.status == S.RETURNED)).execute() != 1:
                raise AlreadyAccepted()
            for name, value in fields.items():
                setattr(previous, name, value)
            assignment = previous
        else:
            try:  # a concurrent accept by the same worker: the unique index refuses, the whole tx rolls back
                new_id = _NEW_ASSIGNMENT.insert(hit_id=hit.id, worker_id=worker_id, now=now, deadline=fields["deadline"])
            except IntegrityError:
                raise AlreadyAccepted() from None
            assignment = Assignment(id=new_id, hit=hit.id, worker=worker_id, **fields)
        hit.available -= 1
        notifications.hit_event(hit, "AssignmentAccepted", now, assignment_id=assignment.id,
                                heard=bool(hit.api_listening))
        state = WorkState(assignment, hit, questions_of(assignment), {}, worker=worker, created=previous is None)
        _store_prefs(state, prefs)
        return state


def validate_answer(question: Question, value: object) -> object:
    """Check a raw answer against its question; returns the value to store."""
    kind = question.kind
    if kind == "choice":
        return _option(question, value)
    if kind == "multi":
        if not isinstance(value, list) or not value:
            raise ValidationFailed(N_("Pick at least one option, then press Done."))
        picked = [_option(question, v) for v in value]
        if len(set(picked)) != len(picked):
            raise ValidationFailed(N_("Each option can be picked once."))
        return [o for o in question.options if o in picked]  # keep the requester's order
    if kind == "text":
        if not isinstance(value, str):
            raise ValidationFailed(N_("Please answer with a text message."))
        text = value.strip()
        low = int(question.min_value or 0)
        high = int(question.max_value or MAX_TEXT_ANSWER)
        if not max(low, 1) <= len(text) <= high:
            raise ValidationFailed(N_("Please write between {low} and {high} characters (you wrote {length})."),
                                   low=max(low, 1), high=high, length=len(text))
        return text
    if kind == "number":
        number = _number(value)
        if question.min_value is not None and number < question.min_value:
            raise ValidationFailed(N_("The number must be at least {low}."), low=_fmt(question.min_value))
        if question.max_value is not None and number > question.max_value:
            raise ValidationFailed(N_("The number must be at most {high}."), high=_fmt(question.max_value))
        return int(number) if float(number).is_integer() and abs(number) < 2**53 else number
    if kind == "rating":
        stars = _number(value)
        if stars not in (1, 2, 3, 4, 5):
            raise ValidationFailed(N_("Rate from 1 to 5 stars."))
        return int(stars)
    if kind in ("photo", "document", "voice"):
        if not isinstance(value, dict) or not isinstance(value.get("file_id"), str) \
                or not 0 < len(value["file_id"]) <= MAX_FILE_ID:
            raise ValidationFailed(_SEND[kind])
        keep = ("file_id", "file_unique_id", "file_name", "mime_type", "file_size", "duration")
        return {k: value[k] for k in keep if k in value and value[k] is not None}
    if kind == "location":
        if not isinstance(value, dict):
            raise ValidationFailed(N_("Please share a location (📎 → Location)."))
        lat, lon = _number(value.get("latitude")), _number(value.get("longitude"))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationFailed(N_("That location is not on Earth."))
        return {"latitude": lat, "longitude": lon}
    raise ValidationFailed(N_("Unknown question kind {kind}."), kind=repr(kind))


_SEND = {"photo": N_("Please send a photo."), "document": N_("Please send a document."),
         "voice": N_("Please send a voice message.")}


def _option(question: Question, value: object) -> str:
    options = question.options or []
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(options):
        return options[value]
    if isinstance(value, str):
        for option in options:
            if option.lower() == value.strip().lower():
                return option
    raise ValidationFailed(N_("Please pick one of the options."))


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValidationFailed(N_("Please send a number."))
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if len(value) > 32:
            raise ValidationFailed(N_("Please send a number."))
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed(N_("Please send a number.")) from None
    if not math.isfinite(number):
        raise ValidationFailed(N_("Please send a number."))
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
            raise ValidationFailed(N_("This question needs an answer."))
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
    if reopened:  # back in the pool (its group's count follows, core.hits.groups.TRIGGERS)
        return
    hit = Hit.get_by_id(assignment.hit_id)
    ledger.post(key=f"release:{assignment.id}", kind="refund",
                legs=[(ledger.escrow(hit.id), -hit.unit_cost_cents), (ledger.available(hit.requester_id), hit.unit_cost_cents)],
                now=now, memo=f"unused slot of HIT {hit.id}")


def return_assignment(*, worker_id: int, assignment_id: int, now: datetime) -> Assignment:
    """The worker gives the HIT back; no penalty, the slot goes back to others."""
    with tx():
        return return_in_tx(worker_id=worker_id, assignment_id=assignment_id, now=now)


def return_in_tx(*, worker_id: int, assignment_id: int, now: datetime) -> Assignment:
    """return_assignment's body, for a use case that returns and goes on in its own transaction (Skip)."""
    assignment = owned_assignment(worker_id, assignment_id)
    if Assignment.update(status=S.RETURNED, decided_at=now).where(
            (Assignment.id == assignment.id) & (Assignment.status == S.ACCEPTED)).execute() != 1:
        raise already(assignment.status)
    release_slot(assignment, now)
    notifications.hit_event(assignment.hit, "AssignmentReturned", now, assignment_id=assignment.id)
    return Assignment.get_by_id(assignment.id)


def submit(*, worker_id: int, assignment_id: int, now: datetime) -> Assignment:
    """Hand the answers in for review. All required answers, before the deadline."""
    return submit_work(worker_id=worker_id, assignment_id=assignment_id, now=now).assignment


def submit_work(*, worker_id: int, assignment_id: int, now: datetime, prefs: PrefsFor | None = None) -> WorkState:
    """As submit, returning the submitted state; `prefs` are stored in the same transaction."""
    with tx():
        return submit_in_tx(worker_id=worker_id, assignment_id=assignment_id, now=now, prefs=prefs)


def submit_in_tx(*, worker_id: int, assignment_id: int, now: datetime, prefs: PrefsFor | None = None,
                 shown: bool = False) -> WorkState:
    """submit_work's body, for a use case that submits and goes on in its own transaction (the group's next HIT).
    `shown`: the worker's chat shows the submit (no separate confirmation is sent)."""
    state = _active_state(worker_id, assignment_id, now)
    assignment, hit = state.assignment, state.hit
    missing = state.missing
    if missing:
        raise IncompleteAnswers(N_("Please answer every required question first: {questions}."),
                                questions=Joined(tuple(Text(N_("question {number}"), number=q.position + 1)
                                                       for q in missing), ", "))
    auto_approve_at = now + timedelta(seconds=hit.auto_approve_s)
    if _SUBMIT.rowcount(now=now, auto_approve_at=auto_approve_at, id=assignment.id) != 1:
        raise StaleAction(N_("This assignment was already submitted."))
    assignment.status, assignment.submitted_at, assignment.auto_approve_at = S.SUBMITTED, now, auto_approve_at
    work_s = max(1, int((now - assignment.accepted_at).total_seconds()))
    _WORK_TIME.execute(work_s=work_s, hit_id=hit.id)
    hit.work_n, hit.work_s_total = hit.work_n + 1, hit.work_s_total + work_s
    if hit.work_n >= 3:
        hit.hourly_cents = hit.reward_cents * 3600 * hit.work_n // hit.work_s_total
    worker_prefs = changed_prefs(state.worker, prefs(state)) if prefs is not None else None
    if worker_prefs is not None:
        state.worker.prefs = worker_prefs
    _SUBMITTED_N[worker_prefs is not None].execute(prefs=worker_prefs, id=worker_id)
    # Control answers (gold questions) are scored, and the requester's rule applied, only if the HIT has any.
    rejected = any(q.gold is not None for q in state.questions) and quality.on_submitted(assignment.id, now)
    if rejected:  # the requester's rule rejected it (and told them)
        state.assignment = Assignment.get_by_id(assignment.id)
    # The requester's notice (unless their rule rejected it, and told them) and the worker's confirmation:
    # one statement.
    received = [] if rejected else [("submission.received", hit.requester_id,
                                     {"assignment_id": assignment.id, "hit_id": hit.id})]
    emit_together(now, *received, ("submission.confirmed", worker_id, {
        "assignment_id": assignment.id, "hit_id": hit.id, "title": hit.title, "auto_approve_s": hit.auto_approve_s,
        **({"shown": True} if shown else {})}))
    if not rejected:
        cards.changed("review_queue", hit.requester_id, now=now)  # one more waiting in /review
    return state


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
# Each use case is one transaction of a few statements: the assignment with its HIT and the
# worker's row in one read, the questions with their answers in another, then the writes.

STALE_QUESTION = "That question is not the one you are on; answer the latest question below."


def _active_state(worker_id: int, assignment_id: int, now: datetime, *, with_card: bool = False) -> WorkState:
    state = load_state(worker_id, assignment_id, with_card=with_card)
    check_active(state.assignment, now)
    return state


def _current(state: WorkState, question_id: int) -> Question:
    question = state.current
    if question is None or question.id != question_id:
        raise StaleAction(STALE_QUESTION)
    return question


def _move(state: WorkState, position: int, *, from_position: int | None = None) -> None:
    """Put the worker on `position`; a conditional update, so of two presses at once one wins."""
    if from_position is None:
        moved = _MOVE.rowcount(position=position, id=state.assignment.id)
    else:
        moved = _MOVE_FROM.rowcount(position=position, id=state.assignment.id, from_position=from_position)
    if moved != 1:
        raise StaleAction(STALE_QUESTION)
    state.assignment.current_q = position


def _answer(state: WorkState, question: Question, value: object, now: datetime) -> None:
    stored = validate_answer(question, value)  # refused before anything is written
    _move(state, min(question.position + 1, state.total), from_position=question.position)
    _SAVE_ANSWER.execute(assignment_id=state.assignment.id, question_id=question.id, value=stored, now=now)
    state.answers[question.id] = stored


def answer_current(*, worker_id: int, assignment_id: int, question_id: int, value: object,
                   now: datetime, prefs: PrefsFor | None = None, show_in: int | None = None) -> WorkState:
    """Answer the question the worker is on (an old question's button is stale) and move on."""
    with tx(durable=False):  # the worker's own progress (core.db.tx)
        state = _active_state(worker_id, assignment_id, now, with_card=show_in is not None)
        _answer(state, _current(state, question_id), value, now)
        _store_prefs(state, prefs)
        _show_in(state, show_in, now)
    return state


@dataclass
class TypedAnswer:
    """A message the worker sent to the assignment they are answering, and what became of it."""

    state: WorkState  # where the worker is now (on the same question unless it was saved)
    outcome: str  # saved | all_answered (the summary is showing) | wrong_kind | invalid
    question: Question | None = None  # the question it was for
    error: ValidationFailed | None = None  # why it was refused (invalid)


def answer_typed(*, worker_id: int, assignment_id: int, kinds: frozenset[str], value: object, now: datetime,
                 prefs: PrefsFor | None = None) -> TypedAnswer:
    """A message answers the question the worker is on, if that question is of one of `kinds`
    (those this kind of message can answer). The state also says which message of the worker's
    chat showed the question (shown_message_id)."""
    with tx(durable=False):  # the worker's own progress (core.db.tx)
        state = _active_state(worker_id, assignment_id, now, with_card=True)
        question = state.current
        if question is None:
            result = TypedAnswer(state, "all_answered")
        elif question.kind not in kinds:
            result = TypedAnswer(state, "wrong_kind", question)
        else:
            try:
                _answer(state, question, value, now)
                result = TypedAnswer(state, "saved", question)
            except ValidationFailed as exc:
                result = TypedAnswer(state, "invalid", question, exc)
        _store_prefs(state, prefs)
    return result


def skip_current(*, worker_id: int, assignment_id: int, question_id: int, now: datetime,
                 prefs: PrefsFor | None = None, show_in: int | None = None) -> WorkState:
    """Leave the optional question the worker is on unanswered (clearing an earlier answer)."""
    with tx(durable=False):  # the worker's own progress (core.db.tx)
        state = _active_state(worker_id, assignment_id, now, with_card=show_in is not None)
        question = _current(state, question_id)
        if question.required:
            raise ValidationFailed(N_("This question needs an answer."))
        _move(state, min(question.position + 1, state.total), from_position=question.position)
        Answer.delete().where((Answer.assignment == state.assignment.id) & (Answer.question == question.id)).execute()
        state.answers.pop(question.id, None)
        _store_prefs(state, prefs)
        _show_in(state, show_in, now)
    return state


def go_to(*, worker_id: int, assignment_id: int, position: int, now: datetime,
          prefs: PrefsFor | None = None, show_in: int | None = None) -> WorkState:
    """Move the worker's place in the form (Back, or a question picked from the summary)."""
    with tx(durable=False):  # the worker's own progress (core.db.tx)
        state = _active_state(worker_id, assignment_id, now, with_card=show_in is not None)
        if not 0 <= position <= state.total:
            raise NotAllowed()
        _move(state, position)
        _store_prefs(state, prefs)
        _show_in(state, show_in, now)
    return state
