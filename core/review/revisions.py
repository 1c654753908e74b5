"""Revisions instead of rejections (issue 18): the requester sends a submission back with a note,
the worker changes answers within a window and resubmits, and the requester reviews again.

The assignment is 'revising' while a revision is open. Approve, reject and the auto-approval
sweep all act only on 'submitted' work by a conditional update, so none of them can take a
revising assignment, and a revision request can only take submitted work: of a revision, an
approval and the sweep racing on one assignment exactly one wins. No money moves here: the
escrow stays held until the one approval (payment) or rejection (refund) that ends it all.

The worker's changes wait in the revision's draft and reach the answers only on resubmission;
when the window passes the sweep puts the submission back as it was, the auto-approval resuming
with the time it had left. A revision counts toward neither the approval nor the rejection rate."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError, fn

from core import cards
from core.config import get_settings
from core.db import db, for_update, tx
from core.errors import IncompleteAnswers, NotAllowed, StaleAction, ValidationFailed
from core.models import WEB_KIND, Answer, Assignment, AssignmentStatus as S, Hit, Question, Revision, User
from core.outbox import emit
from core.review.commands import MAX_FEEDBACK, owned_submission
from core.texts import N_, Joined, Text
from core.users.commands import get_user, write_prefs
from core.work.commands import validate_answer

# The chat's conversation state to store in the same transaction: given the person's prefs, the
# changes to make (the bot's awaiting-input wait), so a handler needs one core call.
Prefs = Callable[[dict], dict]

CLEARED = None  # a draft's value for an optional answer the worker removed


def _store(user_id: int, prefs: Prefs | None) -> None:
    if prefs is not None:
        user = get_user(user_id)
        write_prefs(user, prefs(dict(user.prefs or {})))


@dataclass
class RevisionState:
    """What the worker's revision screen shows: the HIT's questions, the answers as they will be
    resubmitted (the submitted ones with the worker's changes), which of them changed, and the note."""

    assignment: Assignment
    hit: Hit
    revision: Revision
    questions: list[Question]
    answers: dict[int, object]  # question id -> value (absent: unanswered)
    changed: frozenset[int]  # question ids the worker changed in this revision
    left: int  # revisions the requester may still ask for after this one
    timezone: str | None = None  # the worker's, for the deadline

    @property
    def missing(self) -> list[Question]:
        return [q for q in self.questions if q.required and q.id not in self.answers]

    def question(self, question_id: int) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise NotAllowed()


def _not_waiting(status: str) -> StaleAction:
    if status == S.REVISING:
        return StaleAction(N_("The worker is revising this submission; you decide when it comes back."))
    return StaleAction(N_("This submission was already reviewed."))


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(N_("Please write what the worker should change."))
    if len(note) > MAX_FEEDBACK:
        raise ValidationFailed(N_("A note can have at most {limit} characters (this has {length})."),
                               limit=MAX_FEEDBACK, length=len(note))
    return note


def revisions_used(assignment_id: int) -> int:
    return Revision.select(fn.COUNT(Revision.id)).where(Revision.assignment == assignment_id).scalar() or 0


def open_revision(assignment_id: int) -> Revision | None:
    return Revision.get_or_none((Revision.assignment == assignment_id) & Revision.closed_at.is_null())


def window_bounds() -> tuple[int, int]:
    s = get_settings()
    return s.revision_window_min_s, max(s.revision_window_min_s, s.revision_window_max_s)


def request_revision(*, requester_id: int, assignment_id: int, note: str, now: datetime,
                     window_s: int | None = None, prefs: Prefs | None = None) -> Revision:
    """Send submitted work back to its worker with a note (what to change). At most
    HITBOT_MAX_REVISIONS per assignment; the window is the operator's default unless the
    requester picks one between the bounds."""
    settings = get_settings()
    note = _note(note)
    low, high = window_bounds()
    window_s = settings.revision_window_s if window_s is None else window_s
    if isinstance(window_s, bool) or not isinstance(window_s, int) or not low <= window_s <= high:
        raise ValidationFailed(N_("A revision window must be between {low} and {high} hours."),
                               low=low // 3600, high=high // 3600)
    with tx():
        assignment, hit = owned_submission(requester_id, assignment_id)
        if Question.select().where((Question.hit == hit.id) & (Question.kind == WEB_KIND)).exists():
            raise StaleAction(N_("Revisions are for answers given in the chat; approve or reject this task page's work."))
        used = revisions_used(assignment.id)
        if used >= settings.max_revisions:
            raise StaleAction(N_("This submission had all the revisions allowed; approve or reject it."))
        # The one conditional update that settles a race with an approval, a rejection or the sweep.
        if Assignment.update(status=S.REVISING).where(
                (Assignment.id == assignment.id) & (Assignment.status == S.SUBMITTED)).execute() != 1:
            raise _not_waiting(Assignment.get_by_id(assignment.id).status)
        left_s = (max(0, int((assignment.auto_approve_at - now).total_seconds()))
                  if assignment.auto_approve_at is not None else None)
        try:
            with db.atomic():
                revision = Revision.create(assignment=assignment.id, n=used + 1, note=note, requested_at=now,
                                           window_ends_at=now + timedelta(seconds=window_s),
                                           auto_approve_left_s=left_s, draft={})
        except IntegrityError:  # two requests at once; the update above already lets only one through
            raise StaleAction(N_("This submission was already reviewed.")) from None
        emit("revision.requested", user_id=assignment.worker_id, now=now, assignment_id=assignment.id,
             hit_id=hit.id, title=hit.title, note=note, window_ends_at=revision.window_ends_at.isoformat(),
             n=revision.n, max_n=settings.max_revisions)
        _changed(assignment.id, hit.requester_id, now)
        _store(requester_id, prefs)
        return revision


def _changed(assignment_id: int, requester_id: int, now: datetime) -> None:
    cards.changed("assignment", assignment_id, now=now)  # the card shows the revision (or its end)
    cards.changed("review_queue", requester_id, now=now)  # one fewer (or more) waiting in /review


def _worker_revision(worker_id: int, assignment_id: int, now: datetime, *, lock: bool) -> tuple[Assignment, Revision]:
    """The worker's assignment under an open revision still in its window, or why not."""
    assignment = Assignment.get_or_none(Assignment.id == assignment_id)
    if assignment is None or assignment.worker_id != worker_id:
        raise NotAllowed()
    query = Revision.select().where((Revision.assignment == assignment.id) & Revision.closed_at.is_null())
    revision = (for_update(query) if lock else query).first()
    if assignment.status != S.REVISING or revision is None:
        raise StaleAction(N_("This revision is over: your submission is with the requester."))
    if revision.window_ends_at <= now:
        raise StaleAction(N_("The time to revise has passed; the requester decides on what you submitted."))
    return assignment, revision


def _state(assignment: Assignment, revision: Revision) -> RevisionState:
    hit = Hit.get_by_id(assignment.hit_id)
    questions = list(Question.select().where(Question.hit == hit.id).order_by(Question.position))
    answers = {a.question_id: a.value for a in Answer.select().where(Answer.assignment == assignment.id)}
    draft = {int(k): v for k, v in (revision.draft or {}).items()}
    for question_id, value in draft.items():
        if value is CLEARED:
            answers.pop(question_id, None)
        else:
            answers[question_id] = value
    worker = User.get_or_none(User.id == assignment.worker_id)
    return RevisionState(assignment, hit, revision, questions, answers, frozenset(draft),
                         max(0, get_settings().max_revisions - revision.n), worker.timezone if worker else None)


def revision_state(*, worker_id: int, assignment_id: int, now: datetime, question_id: int | None = None,
                   prefs: Prefs | None = None) -> RevisionState:
    """The worker's revision screen (the answers with their changes so far); with question_id, that
    question is to be changed (NotAllowed if it is not one of this HIT's)."""
    with tx():
        assignment, revision = _worker_revision(worker_id, assignment_id, now, lock=False)
        state = _state(assignment, revision)
        if question_id is not None:
            state.question(question_id)
        _store(worker_id, prefs)
        return state


def revise_answer(*, worker_id: int, assignment_id: int, question_id: int, value: object,
                  now: datetime, prefs: Prefs | None = None) -> RevisionState:
    """Change one answer (kept in the draft until resubmission). value None clears an optional answer."""
    with tx():
        assignment, revision = _worker_revision(worker_id, assignment_id, now, lock=True)
        question = Question.get_or_none((Question.id == question_id) & (Question.hit == assignment.hit_id))
        if question is None:
            raise NotAllowed()
        if value is None:
            if question.required:
                raise ValidationFailed(N_("This question needs an answer."))
            stored = CLEARED
        else:
            if question.kind == "multi" and isinstance(value, str):  # typed in chat: "cat, dog"
                value = [part for part in (p.strip() for p in value.split(",")[:50]) if part]
            stored = validate_answer(question, value)  # refused before anything is written
        draft = dict(revision.draft or {})
        draft[str(question.id)] = stored
        Revision.update(draft=draft).where(Revision.id == revision.id).execute()
        revision.draft = draft
        _store(worker_id, prefs)
        return _state(assignment, revision)


def resubmit(*, worker_id: int, assignment_id: int, now: datetime, prefs: Prefs | None = None) -> RevisionState:
    """Hand the revised answers in: they replace the submitted ones, the requester reviews again,
    and the auto-approval deadline starts afresh from now."""
    with tx():
        assignment, revision = _worker_revision(worker_id, assignment_id, now, lock=True)
        state = _state(assignment, revision)
        if state.missing:
            raise IncompleteAnswers(N_("Please answer every required question first: {questions}."),
                                    questions=Joined(tuple(Text(N_("question {number}"), number=q.position + 1)
                                                           for q in state.missing), ", "))
        hit = state.hit
        auto_approve_at = now + timedelta(seconds=hit.auto_approve_s)
        if Revision.update(closed_at=now, outcome="resubmitted").where(
                (Revision.id == revision.id) & Revision.closed_at.is_null()).execute() != 1 \
                or Assignment.update(status=S.SUBMITTED, auto_approve_at=auto_approve_at).where(
                    (Assignment.id == assignment.id) & (Assignment.status == S.REVISING)).execute() != 1:
            raise StaleAction(N_("This revision is over: your submission is with the requester."))
        for question_id, value in (revision.draft or {}).items():
            where = (Answer.assignment == assignment.id) & (Answer.question == int(question_id))
            if value is CLEARED:
                Answer.delete().where(where).execute()
            else:
                (Answer.insert(assignment=assignment.id, question=int(question_id), value=value, answered_at=now)
                 .on_conflict(conflict_target=[Answer.assignment, Answer.question],
                              update={Answer.value: value, Answer.answered_at: now}).execute())
        state.assignment = Assignment.get_by_id(assignment.id)
        state.revision = Revision.get_by_id(revision.id)
        emit("submission.received", user_id=hit.requester_id, now=now, assignment_id=assignment.id, hit_id=hit.id,
             revised=revision.n, changed=len(state.changed))
        _changed(assignment.id, hit.requester_id, now)
        _store(worker_id, prefs)
        return state


def lapse(*, revision_id: int, now: datetime) -> bool:
    """The window passed without a resubmission: the submission is back with the requester as it
    was, the auto-approval resuming with what it had left. False if it had moved on."""
    with tx():
        revision = Revision.get_or_none(Revision.id == revision_id)
        if revision is None or revision.closed_at is not None or revision.window_ends_at > now:
            return False
        if Revision.update(closed_at=now, outcome="lapsed").where(
                (Revision.id == revision.id) & Revision.closed_at.is_null()).execute() != 1:
            return False
        left = revision.auto_approve_left_s
        auto_approve_at = now + timedelta(seconds=left) if left is not None else None
        if Assignment.update(status=S.SUBMITTED, auto_approve_at=auto_approve_at).where(
                (Assignment.id == revision.assignment_id) & (Assignment.status == S.REVISING)).execute() != 1:
            return True  # closed the revision of an assignment that moved on (deleted HIT, forgotten worker)
        assignment = Assignment.get_by_id(revision.assignment_id)
        hit = Hit.get_by_id(assignment.hit_id)
        emit("revision.lapsed", user_id=assignment.worker_id, now=now, assignment_id=assignment.id, hit_id=hit.id,
             title=hit.title, role="worker")
        emit("submission.received", user_id=hit.requester_id, now=now, assignment_id=assignment.id, hit_id=hit.id,
             lapsed=revision.n)
        _changed(assignment.id, hit.requester_id, now)
        return True


def due(*, now: datetime, limit: int) -> list[int]:
    """Open revisions whose window has passed, oldest first (the sweep's batch)."""
    return [r.id for r in Revision.select(Revision.id).where(
        Revision.closed_at.is_null() & (Revision.window_ends_at <= now))
        .order_by(Revision.window_ends_at).limit(limit)]


def requester_check(*, requester_id: int, assignment_id: int, prefs: Prefs | None = None) -> tuple[Assignment, int]:
    """Before the note prompt: the submission is the requester's, waiting, and may be sent back."""
    with tx():
        assignment, _hit = owned_submission(requester_id, assignment_id)
        if assignment.status != S.SUBMITTED:
            raise _not_waiting(assignment.status)
        used = revisions_used(assignment.id)
        if used >= get_settings().max_revisions:
            raise StaleAction(N_("This submission had all the revisions allowed; approve or reject it."))
        _store(requester_id, prefs)
        return assignment, used
