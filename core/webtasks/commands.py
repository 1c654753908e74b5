"""What a task page may do, decided in core: open the page its token names, and submit the
assignment with the page's form fields. The token alone says whose assignment it is (a page can
see and forge workerId and assignmentId); a token that names no assignment in progress (made up,
submitted, returned, expired) opens and changes nothing.

The token opens only the wrapper. The task's frame and its submit also need the frame credential
(core.webtasks.tokens) that open_frame hands out once the wrapper's opener is known: the Telegram
user the Mini App's initData names, who must be the assignment's worker, or the plain link."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import cards
from core.config import get_settings
from core.db import tx
from core.errors import DeadlinePassed, NotAllowed, NotFound, StaleAction, ValidationFailed
from core.models import WEB_KIND, Answer, Assignment, AssignmentStatus as S, Hit, HitStatus, MturkHit, Question
from core.mturk.commands import worker_ref
from core.mturk.ids import assignment_id as assignment_ref, hit_id as hit_ref
from core.texts import N_
from core.webtasks.tokens import (
    LINK,
    assignment_of_token,
    check_credential,
    frame_credential,
    hit_of_preview_token,
    token_matches,
)
from core.work import commands as work

_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_SUBMITS_PER_MINUTE = 10
MAX_FIELDS = 200
MAX_NAME = 256
MAX_VALUE = 10_000
MAX_TOTAL = 256_000  # characters of all values together
STATUS_TEXT = {S.SUBMITTED: N_("This task was already submitted. Thank you!"),
               S.APPROVED: N_("This task was already submitted and approved."),
               S.REJECTED: N_("This task was already submitted and reviewed."),
               S.RETURNED: N_("You returned this task, so it can't be opened or submitted any more."),
               S.EXPIRED: N_("The time for this task ran out, so it can't be opened or submitted any more.")}


class FrameRefused(NotAllowed):
    """The task's frame or submit came without a valid frame credential; `reason` says which way
    ("missing", "invalid", "expired", "links-off"), for the page to explain."""

    def __init__(self, *, reason: str) -> None:  # a code for the page, not a text
        super().__init__()
        self.reason = reason


@dataclass(frozen=True)
class TaskPage:
    """What the page server needs to show one assignment's task page."""

    assignment_id: int
    assignment_ref: str  # MTurk's assignmentId for this assignment (3AS...)
    hit_ref: str
    worker_ref: str  # the opaque WorkerId the HIT's requester sees
    title: str
    question_xml: str  # the HTMLQuestion or ExternalQuestion as the requester sent it
    deadline: datetime


def _resolve(token: str) -> tuple[Assignment, Hit]:
    number = assignment_of_token(token)
    row = None
    if number is not None:
        row = (Assignment.select(Assignment, Hit).join(Hit).where(Assignment.id == number).first())
    if row is None or not token_matches(token, row.id, row.accepted_at):
        raise NotFound(N_("This task link is not valid. Open the task again from the chat."))
    return row, row.hit


def _check_open(assignment: Assignment, now: datetime) -> None:
    if assignment.status != S.ACCEPTED:
        raise StaleAction(STATUS_TEXT.get(assignment.status) or N_("This task is {status}."), status=assignment.status)
    if assignment.deadline <= now:
        raise DeadlinePassed(STATUS_TEXT[S.EXPIRED])


def _web_question(hit_id: int) -> Question:
    q = Question.get_or_none((Question.hit == hit_id) & (Question.kind == WEB_KIND))
    if q is None:
        raise NotFound(N_("This HIT has no task page."))
    return q


def _task_page(assignment: Assignment, hit: Hit) -> TaskPage:
    _web_question(hit.id)
    extra = MturkHit.get_or_none(MturkHit.hit == hit.id)
    if extra is None:
        raise NotFound(N_("This HIT has no task page."))
    return TaskPage(assignment.id, assignment_ref(assignment.id), hit_ref(hit.id),
                    worker_ref(hit.requester_id, assignment.worker_id), hit.title, extra.question, assignment.deadline)


def _check_frame(assignment: Assignment, credential: str | None, now: datetime) -> None:
    problem = check_credential(credential, assignment_id=assignment.id, accepted_at=assignment.accepted_at,
                               worker_id=assignment.worker_id, now=now, links=get_settings().task_links)
    if problem:
        raise FrameRefused(reason=problem)


def open_wrapper(*, token: str, now: datetime) -> TaskPage:
    """What hitbot's wrapper shows around the task (title, deadline, the frame's origin) for the
    assignment in progress the token names; NotFound, StaleAction or DeadlinePassed otherwise. It
    hands out no credential: the frame's URL comes from open_frame."""
    assignment, hit = _resolve(token)
    _check_open(assignment, now)
    return _task_page(assignment, hit)


def open_frame(*, token: str, opener: object, now: datetime) -> tuple[TaskPage, str]:
    """The task page and its frame credential for an opener the caller checked: a Telegram user id
    from verified initData, which must be the assignment's worker's (a task button forwarded to, or
    a link opened by, another account gets nothing), or LINK for the plain link (FrameRefused
    "links-off" while HITBOT_TASK_LINKS is off)."""
    assignment, hit = _resolve(token)
    _check_open(assignment, now)
    if opener == LINK:
        if not get_settings().task_links:
            raise FrameRefused(reason="links-off")
    elif opener != assignment.worker_id:
        raise NotAllowed(N_("This task was accepted from another Telegram account. Open it from the chat "
                            "where you accepted it."))
    page = _task_page(assignment, hit)
    return page, frame_credential(assignment.id, assignment.accepted_at, opener, assignment.deadline)


def open_page(*, token: str, credential: str | None, now: datetime) -> TaskPage:
    """The task's own page (the frame) for a valid frame credential; FrameRefused without one."""
    assignment, hit = _resolve(token)
    _check_frame(assignment, credential, now)
    _check_open(assignment, now)
    return _task_page(assignment, hit)


@dataclass(frozen=True)
class PreviewPage:
    hit_ref: str
    title: str
    question_xml: str


def open_preview(*, token: str, now: datetime) -> PreviewPage:
    """A web task's page before Accept, while the HIT is open; NotFound otherwise."""
    number = hit_of_preview_token(token)
    hit = Hit.get_or_none(Hit.id == number) if number is not None else None
    if hit is None or hit.status != HitStatus.OPEN or hit.expires_at <= now:
        raise NotFound(N_("This HIT is no longer open."))
    _web_question(hit.id)
    extra = MturkHit.get_or_none(MturkHit.hit == hit.id)
    if extra is None:
        raise NotFound(N_("This HIT has no task page."))
    return PreviewPage(hit_ref(hit.id), hit.title, extra.question)


def check_fields(fields: list[tuple[str, str]]) -> list[list[str]]:
    """The form's name/value pairs in order, repeated names kept; bounded."""
    if len(fields) > MAX_FIELDS:
        raise ValidationFailed(N_("The form has more than {max_fields} fields."), max_fields=MAX_FIELDS)
    if sum(len(v) for _, v in fields) > MAX_TOTAL:
        raise ValidationFailed(N_("The form's answers are longer than {max_total} characters together."),
                               max_total=format(MAX_TOTAL, ','))
    out = []
    for name, value in fields:
        if not 1 <= len(name) <= MAX_NAME:
            raise ValidationFailed(N_("A field name must have 1 to {max_name} characters."), max_name=MAX_NAME)
        if len(value) > MAX_VALUE:
            raise ValidationFailed(N_("The answer to {name} is longer than {max_value} characters."),
                                   name=name[:40], max_value=format(MAX_VALUE, ','))
        # XML 1.0 can't carry most control characters, and GetAssignment's answers are XML.
        out.append([_XML_UNSAFE.sub("", name), _XML_UNSAFE.sub("", value)])
    return out


def _check_pace(worker_id: int, now: datetime) -> None:
    """A page can submit at a script's speed; a person does not hand in more than this a minute."""
    recent = (Assignment.select().where((Assignment.worker == worker_id) & (Assignment.submitted_at.is_null(False))
                                        & (Assignment.submitted_at > now - timedelta(minutes=1))).count())
    if recent >= MAX_SUBMITS_PER_MINUTE:
        raise ValidationFailed(N_("You handed in {recent} tasks in the last minute; wait a moment, then submit this "
                                  "page again (nothing was sent)."), recent=recent)


def submit_page(*, token: str, credential: str | None, fields: list[tuple[str, str]],
                assignment_ref_given: str | None, now: datetime) -> TaskPage:
    """Submit the token's assignment with the page's fields, as Submit in the chat does (review,
    notices, the worker told in chat). An assignmentId the page sends must be this assignment's.
    A second submit, or one after return or expiry, or one without the frame's credential is
    refused and changes nothing."""
    pairs = check_fields(fields)
    with tx():
        assignment, hit = _resolve(token)
        _check_frame(assignment, credential, now)
        if assignment_ref_given not in (None, "", assignment_ref(assignment.id)):
            raise NotFound(N_("This form names another assignment than the task page it came from."))
        _check_open(assignment, now)
        _check_pace(assignment.worker_id, now)
        q = _web_question(hit.id)
        (Answer.insert(assignment=assignment.id, question=q.id, value=pairs, answered_at=now)
         .on_conflict(conflict_target=[Answer.assignment, Answer.question],
                      update={Answer.value: pairs, Answer.answered_at: now}).execute())
        # The submit's own conditional update settles a double submit; it raises and all of this rolls back.
        work.submit_work(worker_id=assignment.worker_id, assignment_id=assignment.id, now=now)
        cards.changed("assignment", assignment.id, now=now)  # the chat's Open task message: submitted
        extra = MturkHit.get_or_none(MturkHit.hit == hit.id)
        return TaskPage(assignment.id, assignment_ref(assignment.id), hit_ref(hit.id),
                        worker_ref(hit.requester_id, assignment.worker_id), hit.title,
                        extra.question if extra else "", assignment.deadline)
