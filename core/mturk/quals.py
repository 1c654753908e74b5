"""Qualification types and grants as the MTurk API sees them: hitbot's own types and grants
(core.quals), plus what MTurk keeps beside them (keywords, Active/Inactive, retry delay).

A type made here is a type of the requester's chat /quals and the other way round. Workers are
named by WorkerId, so only workers who worked for the requester can be granted (no one else has
an id this requester could know)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from peewee import JOIN, SQL, NodeList, fn

from core.db import tx
from core.errors import NotAllowed, NotFound, StaleAction, ValidationFailed
from core.models import (
    Hit,
    HitRequirement,
    HitStatus,
    MturkHitState,
    MturkQualType,
    QualificationGrant,
    QualificationType,
    SystemQual,
)
from core.outbox import emit
from core.quals import commands as quals
from core.review.quality import SKILL_QUAL

MAX_PAGE = 100
MAX_KEYWORDS = 1000
MAX_RETRY_DELAY_S = 365 * 86_400
MAX_REASON = 1000


def extras(qtype_ids: Sequence[int]) -> dict[int, MturkQualType]:
    if not qtype_ids:
        return {}
    return {row.qtype_id: row for row in MturkQualType.select().where(MturkQualType.qtype.in_(list(qtype_ids)))}


def _requestable():
    """Types a worker can ask for in chat: a requester's own (by taking its test, or by a request from a
    HIT's preview, core.quals.requests), not a built-in one or the control accuracy hitbot computes."""
    return QualificationType.owner.is_null(False) & (QualificationType.name != SKILL_QUAL)


def requestable(qtype_ids: Sequence[int]) -> set[int]:
    if not qtype_ids:
        return set()
    return {t.id for t in QualificationType.select(QualificationType.id)
            .where(QualificationType.id.in_(list(qtype_ids)) & _requestable())}


def _check(keywords: str | None, retry_delay_s: int | None) -> None:
    if keywords is not None and len(keywords) > MAX_KEYWORDS:
        raise ValidationFailed(f"Keywords can have at most {MAX_KEYWORDS} characters.")
    if retry_delay_s is not None and not 0 <= retry_delay_s <= MAX_RETRY_DELAY_S:
        raise ValidationFailed(f"RetryDelayInSeconds must be between 0 and {MAX_RETRY_DELAY_S}.")


def create_type(*, requester_id: int, name: str, description: str, now: datetime, keywords: str = "",
                active: bool = True, retry_delay_s: int | None = None) -> QualificationType:
    """A qualification type of the requester's, as /qual makes one (same name rules)."""
    _check(keywords, retry_delay_s)
    with tx():
        qtype = quals.create_type(owner_id=requester_id, name=name, description=description, now=now)
        MturkQualType.create(qtype=qtype.id, keywords=keywords, active=active, retry_delay_s=retry_delay_s)
        return qtype


def type_of(*, requester_id: int, qtype_id: int) -> QualificationType:
    """One of the requester's types, or a built-in one; NotAllowed for anyone else's or none."""
    qtype = QualificationType.get_or_none(QualificationType.id == qtype_id)
    if qtype is None or (qtype.system is None and qtype.owner_id != requester_id):
        raise NotAllowed()
    return qtype


def usable_type(*, requester_id: int, qtype_id: int) -> QualificationType:
    """A type a new HIT may require: built-in, or the requester's own and Active."""
    qtype = type_of(requester_id=requester_id, qtype_id=qtype_id)
    row = MturkQualType.get_or_none(MturkQualType.qtype == qtype.id)
    if row is not None and not row.active:
        raise StaleAction(f"The qualification type '{qtype.name}' is Inactive; make it Active first.")
    return qtype


def update_type(*, requester_id: int, qtype_id: int, description: str | None = None, active: bool | None = None,
                retry_delay_s: int | None = None) -> QualificationType:
    _check(None, retry_delay_s)
    if description is not None and len(description) > quals.MAX_DESCRIPTION:
        raise ValidationFailed(f"The description can have at most {quals.MAX_DESCRIPTION} characters.")
    with tx():
        qtype = quals.owned_type(requester_id, qtype_id)
        if description is not None:
            QualificationType.update(description=description.strip()).where(QualificationType.id == qtype.id).execute()
        MturkQualType.insert(qtype=qtype.id).on_conflict_ignore().execute()
        changes: dict = {}
        if active is not None:
            changes[MturkQualType.active] = active
        if retry_delay_s is not None:
            changes[MturkQualType.retry_delay_s] = retry_delay_s
        if changes:
            MturkQualType.update(changes).where(MturkQualType.qtype == qtype.id).execute()
        return QualificationType.get_by_id(qtype.id)


def delete_type(*, requester_id: int, qtype_id: int) -> None:
    """Delete one of the requester's types with its grants and tests. Refused while an open HIT
    requires it: deleting it would open that HIT to everyone."""
    with tx():
        qtype = quals.owned_type(requester_id, qtype_id)
        in_use = (HitRequirement.select().join(Hit, on=(HitRequirement.hit == Hit.id))
                  .where((HitRequirement.qtype == qtype.id) & (Hit.status == HitStatus.OPEN)).exists())
        if in_use:
            raise StaleAction(f"An open HIT requires '{qtype.name}': end it (or let it expire) first.")
        qtype.delete_instance(recursive=True)


def _has(column, text: str):
    """`column` holds `text`, any case; % and _ in the text are themselves, not wildcards."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return NodeList((fn.LOWER(column), SQL("LIKE"), f"%{escaped}%", SQL("ESCAPE '\\'")))


# The built-ins the MTurk API shows: speaks has no MTurk qualification type id (a chat-made HIT's only).
API_BUILT_INS = tuple(key for key in SystemQual.ALL if key != SystemQual.SPEAKS)


def types_page(*, requester_id: int, query: str | None, must_be_requestable: bool, owned_only: bool,
               after_id: int | None, limit: int) -> tuple[list[QualificationType], bool]:
    """The requester's types (and the built-in ones unless owned_only), by id; (page, more?). A finished
    follow-up's private type is left out, as in /qual."""
    limit = max(1, min(limit, MAX_PAGE))
    mine = QualificationType.owner == requester_id
    q = (QualificationType.select(QualificationType)
         .join(MturkQualType, JOIN.LEFT_OUTER, on=(MturkQualType.qtype == QualificationType.id))
         .where(mine if owned_only else (mine | QualificationType.system.in_(API_BUILT_INS)))
         .where(QualificationType.id.not_in(quals.finished_followup_types())))
    if query:
        q = q.where(_has(QualificationType.name, query) | _has(QualificationType.description, query)
                    | _has(fn.COALESCE(MturkQualType.keywords, ""), query))
    if must_be_requestable:
        q = q.where(_requestable())
    if after_id is not None:
        q = q.where(QualificationType.id > after_id)
    rows = list(q.order_by(QualificationType.id).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def grant(*, requester_id: int, qtype_id: int, worker_id: int, value: int, notify: bool, now: datetime) -> None:
    """Give (or change) a worker's value; with `notify` the worker hears of it in chat."""
    if notify:
        quals.grant(owner_id=requester_id, qtype_id=qtype_id, worker_id=worker_id, value=value, now=now)
        return
    if isinstance(value, bool) or not 0 <= value <= quals.MAX_VALUE:
        raise ValidationFailed(f"A qualification value is a whole number from 0 to {quals.MAX_VALUE}.")
    with tx():
        quals.owned_type(requester_id, qtype_id)
        quals.upsert_grant(qtype_id, worker_id, value, now)


def revoke(*, requester_id: int, qtype_id: int, worker_id: int, reason: str | None, now: datetime) -> None:
    """Take a worker's qualification away; the worker is told (the reason rides in the event)."""
    if reason is not None and len(reason) > MAX_REASON:
        raise ValidationFailed(f"Reason can have at most {MAX_REASON} characters.")
    with tx():
        qtype = quals.owned_type(requester_id, qtype_id)
        gone = QualificationGrant.delete().where((QualificationGrant.qtype == qtype.id)
                                                 & (QualificationGrant.worker == worker_id)).execute() == 1
        if not gone:
            raise NotFound("That worker does not have this qualification.")
        emit("qualification.revoked", user_id=worker_id, now=now, name=qtype.name, reason=reason or "")


def score(*, requester_id: int, qtype_id: int, worker_id: int) -> QualificationGrant:
    qtype = quals.owned_type(requester_id, qtype_id)
    row = QualificationGrant.get_or_none((QualificationGrant.qtype == qtype.id)
                                         & (QualificationGrant.worker == worker_id))
    if row is None:
        raise NotFound("That worker does not have this qualification.")
    return row


def holders_page(*, requester_id: int, qtype_id: int, after_id: int | None,
                 limit: int) -> tuple[list[QualificationGrant], bool]:
    qtype = quals.owned_type(requester_id, qtype_id)
    limit = max(1, min(limit, MAX_PAGE))
    q = QualificationGrant.select().where(QualificationGrant.qtype == qtype.id)
    if after_id is not None:
        q = q.where(QualificationGrant.id > after_id)
    rows = list(q.order_by(QualificationGrant.id).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def hits_page(*, requester_id: int, qtype_id: int, before_id: int | None, limit: int) -> tuple[list[Hit], bool]:
    """The requester's HITs (not disposed of) that require this type, newest first."""
    qtype = type_of(requester_id=requester_id, qtype_id=qtype_id)
    limit = max(1, min(limit, MAX_PAGE))
    disposed = MturkHitState.select(MturkHitState.hit).where(MturkHitState.disposed_at.is_null(False))
    q = (Hit.select().where((Hit.requester == requester_id) & Hit.id.not_in(disposed)
                            & Hit.id.in_(HitRequirement.select(HitRequirement.hit)
                                         .where(HitRequirement.qtype == qtype.id))))
    if before_id is not None:
        q = q.where(Hit.id < before_id)
    rows = list(q.order_by(Hit.id.desc()).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def system_type_id(key: str) -> int:
    """The row of a built-in type (SystemQual key), made by the first migration."""
    return QualificationType.select(QualificationType.id).where(QualificationType.system == key).scalar()
