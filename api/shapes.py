"""hitbot's HITs and assignments in the JSON shapes of botocore's MTurk service model."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from api import ids, requirements
from api.answers import question_form_answers
from core.config import get_settings
from core.hits.queries import Progress
from core.models import Assignment, AssignmentStatus as S, Hit, HitStatus, MturkHit, MturkHitState
from core.money import parse_amount
from core.mturk.commands import worker_ref
from core.quals.rules import requirements_for

ASSIGNMENT_STATUS = {S.SUBMITTED: "Submitted", S.APPROVED: "Approved", S.REJECTED: "Rejected"}
STATUS_OF_NAME = {name: status for status, name in ASSIGNMENT_STATUS.items()}


def money(cents: int) -> str:
    """Minor units as MTurk's CurrencyAmount: "0.50"."""
    precision = get_settings().currency_precision
    return f"{Decimal(cents).scaleb(-precision):.{precision}f}"


def cents(value: str, field: str) -> int:
    """A CurrencyAmount in minor units (core.money's rules: no signs, at most the currency's decimals)."""
    return parse_amount(value, get_settings().currency, field=field)


def ts(when: datetime | None) -> float | None:
    return when.timestamp() if when is not None else None


def hit_status(hit: Hit, p: Progress, now: datetime, state: MturkHitState | None = None) -> str:
    """Assignable while a worker can take it; Unassignable while taken work is in progress;
    Reviewable once nothing more can come in (what is submitted waits for, or had, review);
    Reviewing when UpdateHITReviewStatus said so; Disposed after DeleteHIT."""
    if state is not None and state.disposed_at is not None:
        return "Disposed"
    if hit.status == HitStatus.OPEN and hit.expires_at > now and hit.available > 0:
        return "Assignable"
    if p.accepted > 0:
        return "Unassignable"
    return "Reviewing" if state is not None and state.reviewing else "Reviewable"


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def hit_keywords(keywords: str) -> str:
    """hitbot's stored keywords (lower case, space separated) as MTurk's comma-separated list."""
    return ", ".join(keywords.split()) if keywords else ""


def requirements_digest(requirements: list[dict]) -> tuple[str, ...]:
    """What a HIT type's id adds for its QualificationRequirements (nothing without any, so
    the ids of HIT types without requirements stay what they were)."""
    return (json.dumps(requirements, sort_keys=True),) if requirements else ()


def type_id_of(hit: Hit, extra: MturkHit | None, requirements: list[dict]) -> str:
    description = extra.description if extra is not None else hit.description
    return ids.hit_type_id(hit.requester_id, hit.title, description, hit.reward_cents, hit.duration_s,
                           hit.auto_approve_s, hit_keywords(hit.keywords), *requirements_digest(requirements))


def requirement_shapes(hit_ids: list[int]) -> dict[int, list[dict]]:
    """Each HIT's requirements in MTurk's shape, in the order they were given."""
    found = requirements_for(hit_ids)
    return {hit_id: [requirements.shape(requirements.type_id_of(qt), r.comparator, r.values or [], r.guard)
                     for r, qt in found.get(hit_id, []) if requirements.has_api_id(qt)] for hit_id in hit_ids}


def hit_shape(hit: Hit, p: Progress, extra: MturkHit | None, now: datetime,
              state: MturkHitState | None = None, reqs: list[dict] | None = None) -> dict:
    keywords = hit_keywords(hit.keywords)
    description = extra.description if extra is not None else hit.description
    reqs = reqs or []
    type_id = type_id_of(hit, extra, reqs)
    return _drop_none({
        "HITId": ids.hit_id(hit.id),
        "HITTypeId": type_id,
        "HITGroupId": type_id,
        "CreationTime": ts(hit.created_at),
        "Title": hit.title,
        "Description": description,
        "Question": extra.question if extra is not None and extra.question else None,
        "Keywords": keywords,
        "HITStatus": hit_status(hit, p, now, state),
        "MaxAssignments": hit.max_assignments,
        "Reward": money(hit.reward_cents),
        "AutoApprovalDelayInSeconds": hit.auto_approve_s,
        "Expiration": ts(hit.expires_at),
        "AssignmentDurationInSeconds": hit.duration_s,
        "RequesterAnnotation": extra.annotation if extra is not None else None,
        "QualificationRequirements": reqs,
        "HITReviewStatus": "NotReviewed",
        "NumberOfAssignmentsPending": p.accepted,
        "NumberOfAssignmentsAvailable": hit.available,
        "NumberOfAssignmentsCompleted": p.approved + p.rejected,
    })


def assignment_shape(a: Assignment, items: list, extra: MturkHit | None, requester_id: int) -> dict:
    return _drop_none({
        "AssignmentId": ids.assignment_id(a.id),
        "WorkerId": worker_ref(requester_id, a.worker_id),
        "HITId": ids.hit_id(a.hit_id),
        "AssignmentStatus": ASSIGNMENT_STATUS[a.status],
        "AutoApprovalTime": ts(a.auto_approve_at),
        "AcceptTime": ts(a.accepted_at),
        "SubmitTime": ts(a.submitted_at),
        "ApprovalTime": ts(a.decided_at) if a.status == S.APPROVED else None,
        "RejectionTime": ts(a.decided_at) if a.status == S.REJECTED else None,
        "Deadline": ts(a.deadline),
        "Answer": question_form_answers(items, extra.identifiers if extra is not None else None),
        "RequesterFeedback": a.feedback or None,
    })
