"""Domain rules the MTurk-compatible API needs beyond the chat's: HITs made once per
UniqueRequestToken, MTurk's approve-after-rejection rule (OverrideRejection), bonuses once per
token, opaque per-requester worker ids, and the requester's HITs and submissions page by page.

Everything else is the chat's own use cases (publishing, review, accounts), called as they are."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from peewee import IntegrityError, fn

from core.db import db, for_update, tx
from core.errors import DuplicateRequest, NotAllowed, StaleAction, ValidationFailed
from core.hits.manage import owned_hit
from core.hits.publishing import publish_hit
from core.hits.spec import HitSpec, parse_spec
from core.models import Account, AccountKind, Answer, Assignment, AssignmentStatus as S, Bonus, Hit, MturkHit, Question
from core.mturk.ids import worker_ref
from core.review import commands as review

MAX_TOKEN = 64
MAX_ANNOTATION = 255
MAX_PAGE = 100
# What MTurk lists: work handed in. Accepted (in progress), returned and expired work is not an assignment there.
LISTED = (S.SUBMITTED, S.APPROVED, S.REJECTED)


def _token(token: str | None) -> str | None:
    if token is None:
        return None
    if not 1 <= len(token) <= MAX_TOKEN:
        raise ValidationFailed(f"UniqueRequestToken must have 1 to {MAX_TOKEN} characters.")
    return token


def _by_token(requester_id: int, token: str) -> int | None:
    return (MturkHit.select(MturkHit.hit).where((MturkHit.requester == requester_id)
                                                & (MturkHit.request_token == token)).scalar())


def _duplicate(hit_id: int) -> DuplicateRequest:
    return DuplicateRequest(f"There is already a HIT made with this UniqueRequestToken (HIT {hit_id}); "
                            "no second one was made.", hit_id=hit_id)


def create_hit(*, requester_id: int, spec: dict | HitSpec, now: datetime, token: str | None = None,
               annotation: str | None = None, description: str = "", question: str = "",
               identifiers: dict | None = None, type_id: str | None = None) -> Hit:
    """Publish a HIT as publishing.publish_hit does (same bounds, same escrow), remembering the
    API's extras. A repeated `token` is DuplicateRequest naming the first HIT, and never makes a
    second one, however many requests race (the ledger key and a unique index settle it)."""
    token = _token(token)
    if annotation is not None and len(annotation) > MAX_ANNOTATION:
        raise ValidationFailed(f"RequesterAnnotation can have at most {MAX_ANNOTATION} characters.")
    parsed = spec if isinstance(spec, HitSpec) else parse_spec(spec, web_tasks=True)
    try:
        with tx():
            if token is not None:
                found = _by_token(requester_id, token)
                if found is not None:
                    raise _duplicate(found)
            hit = publish_hit(requester_id=requester_id, spec=parsed, now=now,
                              key=f"mturk:{requester_id}:{token}" if token is not None else None,
                              hit_type=type_id)  # one HITType's HITs are one group in /browse
            with db.atomic():
                MturkHit.create(hit=hit.id, requester=requester_id, request_token=token, annotation=annotation,
                                description=description, question=question, identifiers=identifiers or {},
                                created_at=now, type_id=type_id)
            return hit
    except DuplicateRequest:
        raise
    except (StaleAction, IntegrityError):  # a racing request with the same token committed first
        found = _by_token(requester_id, token) if token is not None else None
        if found is None:
            raise
        raise _duplicate(found) from None


def balance(*, requester_id: int) -> tuple[int, int]:
    """GetAccountBalance's two figures, (available, in escrow for open work) in minor units: the
    same as payments.accounts.balances' available_cents and escrow_cents, in two queries (that
    read model sums a dozen figures the API does not show)."""
    available = Account.select(Account.balance_cents).where(Account.code == f"available:{requester_id}").scalar()
    escrow = (Account.select(fn.COALESCE(fn.SUM(Account.balance_cents), 0)).join(Hit, on=(Account.hit_id == Hit.id))
              .where((Account.kind == AccountKind.ESCROW) & (Hit.requester == requester_id)).scalar())
    return int(available or 0), int(escrow or 0)


def extras(hit_ids: Sequence[int]) -> dict[int, MturkHit]:
    """The API's extras of these HITs (HITs made in chat have none)."""
    if not hit_ids:
        return {}
    return {row.hit_id: row for row in MturkHit.select().where(MturkHit.hit.in_(list(hit_ids)))}


def hit_of(*, requester_id: int, hit_id: int) -> Hit:
    """One of the requester's HITs, NotAllowed for anyone else's (or none)."""
    return owned_hit(requester_id, hit_id)


def assignments_page(*, requester_id: int, hit_id: int, statuses: Sequence[str] = LISTED,
                     after_id: int | None, limit: int) -> tuple[list[Assignment], bool]:
    """Work handed in on one of the requester's HITs, oldest first; (page, more?)."""
    owned_hit(requester_id, hit_id)
    limit = max(1, min(limit, MAX_PAGE))
    wanted = [s for s in statuses if s in LISTED] or list(LISTED)
    query = Assignment.select().where((Assignment.hit == hit_id) & Assignment.status.in_(wanted))
    if after_id is not None:
        query = query.where(Assignment.id > after_id)
    rows = list(query.order_by(Assignment.id).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def assignment_of(*, requester_id: int, assignment_id: int) -> tuple[Assignment, Hit]:
    """Work handed in on one of the requester's HITs; NotAllowed for anyone else's, and for
    work still in progress (MTurk shows an assignment once it is submitted)."""
    assignment, hit = review.owned_submission(requester_id, assignment_id)
    if assignment.status not in LISTED:
        raise NotAllowed()
    return assignment, hit


def answers(assignments: Sequence[Assignment]) -> dict[int, list[tuple[Question, object]]]:
    """Each assignment's answers in question order: (question, stored value)."""
    if not assignments:
        return {}
    hit_ids = sorted({a.hit_id for a in assignments})
    questions = {q.id: q for q in Question.select().where(Question.hit.in_(hit_ids))}
    out: dict[int, list[tuple[Question, object]]] = {a.id: [] for a in assignments}
    ids = [a.id for a in assignments]
    for chunk in range(0, len(ids), 500):
        for ans in Answer.select().where(Answer.assignment.in_(ids[chunk:chunk + 500])):
            out[ans.assignment_id].append((questions[ans.question_id], ans.value))
    for items in out.values():
        items.sort(key=lambda item: item[0].position)
    return out


def approve(*, requester_id: int, assignment_id: int, now: datetime, feedback: str | None = None,
            override_rejection: bool = False) -> Assignment:
    """review.approve with MTurk's rule on top: a rejected assignment is approved (and paid from
    the requester's balance, within 30 days) only when the caller says OverrideRejection."""
    with tx():
        assignment, _ = assignment_of(requester_id=requester_id, assignment_id=assignment_id)
        status = for_update(Assignment.select(Assignment.status).where(Assignment.id == assignment.id)).scalar()
        if status == S.REJECTED and not override_rejection:
            raise StaleAction("This assignment was rejected; to approve it anyway (and pay the worker), "
                              "pass OverrideRejection=True, within 30 days of the rejection.")
        if status == S.APPROVED:
            raise StaleAction("This assignment is already approved.")
        return review.approve(requester_id=requester_id, assignment_id=assignment.id, now=now, feedback=feedback)


def reject(*, requester_id: int, assignment_id: int, feedback: str, now: datetime) -> Assignment:
    assignment, _ = assignment_of(requester_id=requester_id, assignment_id=assignment_id)
    return review.reject(requester_id=requester_id, assignment_id=assignment.id, feedback=feedback, now=now)


def send_bonus(*, requester_id: int, assignment_id: int, worker: str, amount_cents: int, reason: str,
               now: datetime, token: str | None = None) -> Bonus:
    """review.bonus for the worker of the assignment, named by their WorkerId. The same token
    twice pays once: the repeat is DuplicateRequest."""
    token = _token(token)
    assignment, _ = assignment_of(requester_id=requester_id, assignment_id=assignment_id)
    if worker != worker_ref(requester_id, assignment.worker_id):
        raise ValidationFailed("That WorkerId did not do this assignment.")
    key = f"mturk:{requester_id}:{token}" if token is not None else f"mturk:{secrets.token_hex(16)}"
    try:
        return review.bonus(requester_id=requester_id, assignment_id=assignment.id, amount_cents=amount_cents,
                            reason=reason, now=now, key=key)
    except StaleAction:
        if token is not None and Bonus.select().where(Bonus.key == f"bonus:{key}").exists():
            raise DuplicateRequest("A bonus was already sent with this UniqueRequestToken; it was not paid "
                                   "again.") from None
        raise
