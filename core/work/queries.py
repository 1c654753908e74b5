"""A worker's side in chat: where they are in one assignment (the question they are on
and their answers so far, all from the database), answering exactly that question, and
the /mywork list of their assignments."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN, Case, fn

from core.cards import ChatCard
from core.errors import DeadlinePassed, NotAllowed, StaleAction
from core.models import WEB_KIND, Answer, Assignment, AssignmentStatus as S, Hit, HitGroup, Question, User
from core.prepared import Prepared, param
from core.texts import N_
from core.webtasks.tokens import link_url, page_url

MAX_PAGE = 8


@dataclass
class WorkState:
    assignment: Assignment
    hit: Hit
    questions: list[Question]
    answers: dict[int, object] = field(default_factory=dict)  # question id -> stored value
    worker: User | None = None  # the worker's row (timezone, prefs) when the use case read it
    shown_message_id: int | None = None  # the worker's message showing this assignment's question, if asked for
    created: bool = False  # the assignment row was inserted by this use case (so no chat card shows it yet)

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def position(self) -> int:
        return min(max(self.assignment.current_q, 0), self.total)

    @property
    def current(self) -> Question | None:
        """The question the worker is on, or None when every question was passed (summary)."""
        return self.questions[self.position] if self.position < self.total else None

    @property
    def missing(self) -> list[Question]:
        return [q for q in self.questions if q.required and q.id not in self.answers]

    @property
    def task_url(self) -> str | None:
        """The task page of a web task (HTMLQuestion, ExternalQuestion), None for a chat task."""
        if not any(q.kind == WEB_KIND for q in self.questions):
            return None
        return page_url(self.assignment.id, self.assignment.accepted_at)

    @property
    def task_link(self) -> str | None:
        """The same page as a plain link (Open in browser), None for a chat task or with HITBOT_TASK_LINKS off."""
        return self.task_url and link_url(self.assignment.id, self.assignment.accepted_at)


def owned_assignment(worker_id: int, assignment_id: int) -> Assignment:
    """The worker's assignment, or NotAllowed for anyone else's (a forged button)."""
    assignment = Assignment.get_or_none(Assignment.id == assignment_id)
    if assignment is None or assignment.worker_id != worker_id:
        raise NotAllowed()
    return assignment


# Why an assignment can't be worked on or returned any more, one whole sentence per status.
ALREADY = {
    S.SUBMITTED: N_("This assignment is already submitted."),
    S.APPROVED: N_("This assignment is already approved."),
    S.REJECTED: N_("This assignment is already rejected."),
    S.RETURNED: N_("This assignment is already returned."),
    S.EXPIRED: N_("This assignment is already expired."),
    S.ACCEPTED: N_("This assignment is already accepted."),
    S.REVISING: N_("The requester asked for a revision: change your answers from ✏️ Revise."),
}


def already(status: str) -> StaleAction:
    return StaleAction(ALREADY.get(status) or N_("This assignment is already {status}."), status=status)


def check_active(assignment: Assignment, now: datetime) -> Assignment:
    """The one status check of an assignment the worker still works on: accepted, and in time."""
    if assignment.status != S.ACCEPTED:
        raise already(assignment.status)
    if assignment.deadline <= now:
        raise DeadlinePassed()
    return assignment


def active_assignment(worker_id: int, assignment_id: int, now: datetime) -> Assignment:
    return check_active(owned_assignment(worker_id, assignment_id), now)


# The worker's hot path, built once (core.prepared).
_QUESTIONS = Prepared(lambda: Question.select().where(Question.hit == param("hit_id")).order_by(Question.position),
                      planned=True)


def _own(with_card: bool):
    # With its group's open slots (issue #17: whether "Next in this group" has anything to take).
    slots = HitGroup.select(HitGroup.available).where(HitGroup.id == Hit.group)
    query = (Assignment.select(Assignment, Hit, User, slots.alias("group_available")).join(Hit).switch(Assignment)
             .join(User, on=(Assignment.worker == User.id)).where(Assignment.id == param("id")))
    if with_card:
        card = ((ChatCard.object_kind == "assignment") & (ChatCard.object_id == Assignment.id)
                & (ChatCard.chat_id == Assignment.worker) & (ChatCard.card_kind == "question"))
        query = (query.select_extend(ChatCard.message_id).switch(Assignment)
                 .join(ChatCard, JOIN.LEFT_OUTER, on=card, attr="question_card"))
    return query.limit(1)


_OWN = {with_card: Prepared(lambda with_card=with_card: _own(with_card), planned=True) for with_card in (False, True)}
_QUESTIONS_AND_ANSWERS = Prepared(
    lambda: Question.select(Question, Answer.id, Answer.value)
    .join(Answer, JOIN.LEFT_OUTER, on=((Answer.question == Question.id)
                                       & (Answer.assignment == param("assignment_id"))), attr="answer")
    .where(Question.hit == param("hit_id")).order_by(Question.position), planned=True)


def questions_of(assignment: Assignment) -> list[Question]:
    return _QUESTIONS.rows(hit_id=assignment.hit_id)


def questions_of_hit(hit_id: int) -> list[Question]:
    return _QUESTIONS.rows(hit_id=hit_id)


def load_own(worker_id: int, assignment_id: int, *, with_card: bool = False) -> Assignment:
    """The worker's assignment with its HIT (.hit) and the worker (.worker) in one read, or
    NotAllowed for anyone else's (a forged button). `with_card` also reads which message of the
    worker's chat shows its question (.shown_message_id, None if none)."""
    assignment = _OWN[with_card].first(id=assignment_id)
    if assignment is None or assignment.worker_id != worker_id:
        raise NotAllowed()
    return assignment


def questions_and_answers(assignment: Assignment) -> tuple[list[Question], dict[int, object]]:
    """The HIT's questions in order and this assignment's answers, in one read."""
    rows = _QUESTIONS_AND_ANSWERS.rows(assignment_id=assignment.id, hit_id=assignment.hit_id)
    return rows, {q.id: q.answer.value for q in rows if getattr(q, "answer", None) is not None}


def load_state(worker_id: int, assignment_id: int, *, with_card: bool = False) -> WorkState:
    """The worker's assignment, its HIT, questions and answers and the worker's row: two reads."""
    assignment = load_own(worker_id, assignment_id, with_card=with_card)
    questions, answers = questions_and_answers(assignment)
    card = getattr(assignment, "question_card", None) if with_card else None
    return WorkState(assignment, assignment.hit, questions, answers, worker=assignment.worker,
                     shown_message_id=card.message_id if card is not None else None)


def work_state(*, worker_id: int, assignment_id: int, known: WorkState | None = None) -> WorkState:
    """The worker's own assignment with its questions and answers (NotAllowed for anyone else's).
    `known`, an earlier state of the same assignment, saves reading its HIT and questions again."""
    if known is None or known.assignment.id != assignment_id:
        return load_state(worker_id, assignment_id)
    assignment = owned_assignment(worker_id, assignment_id)
    answers = {a.question_id: a.value for a in Answer.select().where(Answer.assignment == assignment.id)}
    return WorkState(assignment, known.hit, known.questions, answers, worker=known.worker)


def active_state(*, worker_id: int, assignment_id: int, now: datetime) -> WorkState:
    """As work_state, for an assignment the worker can still answer."""
    state = work_state(worker_id=worker_id, assignment_id=assignment_id)
    check_active(state.assignment, now)
    return state


def active_on_hit(*, worker_id: int, hit_id: int) -> Assignment | None:
    """The worker's assignment of this HIT they are still answering, if any."""
    return Assignment.get_or_none((Assignment.worker == worker_id) & (Assignment.hit == hit_id)
                                  & (Assignment.status == S.ACCEPTED))


@dataclass
class MyWork:
    items: list[Assignment]  # each with .hit loaded
    page: int
    more: bool
    counts: dict[str, int]


_RANK = Case(Assignment.status, ((S.ACCEPTED, 0), (S.REVISING, 1), (S.SUBMITTED, 2)), 3)


def my_work(*, worker_id: int, page: int = 0, limit: int = MAX_PAGE) -> MyWork:
    """The worker's assignments: active first (soonest deadline), then awaiting review,
    then decided ones newest first. Returned HITs are left out (no trace, no penalty)."""
    page = max(0, page)
    limit = max(1, min(limit, 20))
    shown = (Assignment.worker == worker_id) & (Assignment.status != S.RETURNED)
    counts = dict(Assignment.select(Assignment.status, fn.COUNT(Assignment.id)).where(shown)
                  .group_by(Assignment.status).tuples())
    rows = list(Assignment.select(Assignment, Hit).join(Hit).where(shown)
                .order_by(_RANK, Case(None, ((Assignment.status == S.ACCEPTED, Assignment.deadline),), None),
                          Assignment.id.desc())
                .offset(page * limit).limit(limit + 1))
    rows, more = rows[:limit], len(rows) > limit
    totals = dict(Question.select(Question.hit, fn.COUNT(Question.id))
                  .where(Question.hit.in_({a.hit_id for a in rows} or {0})).group_by(Question.hit).tuples())
    for a in rows:
        a.questions_n = totals.get(a.hit_id, 0)
    return MyWork(rows, page, more, counts)
