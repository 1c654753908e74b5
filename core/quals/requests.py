"""Qualification requests (issue 18): a worker who fails a requirement that is the requester's own
qualification type asks for it from the HIT's preview; the requester grants (with a value) or
refuses (with a reason) from the chat or over the MTurk API; a type can grant requests at once.

A type can be requested when it is a requester's own, Active, not a test (the test grants it), and
not one hitbot computes (control-answer accuracy). One request per worker and type waits at a time (a
unique index); another may follow the type's retry delay after the last one. Every decision is one
conditional UPDATE of a waiting request, so a Grant and a Refuse (chat, API, two replicas) settle
to exactly one outcome. Requesters see the worker only as their WorkerId alias."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, IntegrityError, fn

from core.db import db, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.models import (
    Assignment,
    AssignmentStatus,
    Hit,
    HitRequirement,
    MturkQualType,
    QualificationRequest as Req,
    QualificationType,
    QualTest,
    WorkerBlock,
)
from core.mturk.ids import worker_alias, worker_ref
from core.outbox import emit
from core.quals.commands import MAX_VALUE, owned_type, type_by_name, upsert_grant
from core.quals.rules import compare, evaluate, requirements_for
from core.review.quality import SKILL_QUAL, skill
from core.texts import N_
from core.users.commands import get_user

MAX_MESSAGE = 500
MAX_REASON = 1000
DEFAULT_RETRY_DELAY_S = 86_400  # a type with no retry delay of its own
MAX_RETRY_DELAY_S = 365 * 86_400
MAX_OFFERS = 3  # request buttons on one preview
MAX_PAGE = 100
NO_VALUE_COMPARATORS = ("exists", "not exists")


# What the preview offers --------------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    """A requirement the worker fails that they may ask for: 'ask' now, 'waiting' for the requester,
    or 'later' (asked before; again from `ready_at`)."""

    qtype_id: int
    name: str
    state: str
    ready_at: datetime | None = None


def _requestable(qtype: QualificationType) -> bool:
    return qtype.system is None and qtype.owner_id is not None and qtype.name != SKILL_QUAL


def _retry_delay(row: MturkQualType | None) -> int:
    return row.retry_delay_s if row is not None and row.retry_delay_s is not None else DEFAULT_RETRY_DELAY_S


def offers(*, worker_id: int, requester_id: int, checks: list, now: datetime) -> list[Offer]:
    """The preview's request buttons, from the checks it already made (one more query: tests,
    retry delays and the worker's last request of each failed type)."""
    failed = [c.qtype for c in checks if not c.passed and _requestable(c.qtype)
              and c.qtype.owner_id == requester_id and c.requirement.comparator != "not exists"
              and c.qtype.owner_id != worker_id]
    if not failed:
        return []
    ids = list(dict.fromkeys(q.id for q in failed))[:MAX_OFFERS]
    last = (Req.select(Req.submitted_at).where((Req.qtype == QualificationType.id) & (Req.worker == worker_id))
            .order_by(Req.submitted_at.desc(), Req.id.desc()).limit(1))
    waiting = Req.select(Req.id).where((Req.qtype == QualificationType.id) & (Req.worker == worker_id)
                                       & (Req.waiting == True))
    rows = (QualificationType.select(QualificationType.id, QualificationType.name, MturkQualType.retry_delay_s,
                                     last.alias("last_at"), fn.EXISTS(waiting).alias("is_waiting"))
            .join(MturkQualType, on=(MturkQualType.qtype == QualificationType.id), join_type=JOIN.LEFT_OUTER)
            .where(QualificationType.id.in_(ids) & (MturkQualType.active.is_null() | MturkQualType.active)
                   & ~fn.EXISTS(QualTest.select(QualTest.id).where(QualTest.qtype == QualificationType.id)))
            .dicts())
    found = {r["id"]: r for r in rows}
    out = []
    for qid in ids:
        r = found.get(qid)
        if r is None:
            continue
        if r["is_waiting"]:
            out.append(Offer(qid, r["name"], "waiting"))
            continue
        last_at = Req.submitted_at.python_value(r["last_at"]) if r["last_at"] is not None else None
        delay = r["retry_delay_s"] if r["retry_delay_s"] is not None else DEFAULT_RETRY_DELAY_S
        ready = last_at + timedelta(seconds=delay) if last_at is not None else None
        out.append(Offer(qid, r["name"], "later", ready) if ready is not None and ready > now
                   else Offer(qid, r["name"], "ask"))
    return out


# Asking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Asked:
    """What the worker's press or message did: `request` is None when only the prompt may open."""

    qtype: QualificationType
    hit_id: int
    request: Req | None = None

    @property
    def granted(self) -> bool:
        return self.request is not None and self.request.status == Req.GRANTED


def _suggested(comparator: str, values: list) -> int:
    """The smallest value that meets a requirement (what Grant gives unless the requester types one)."""
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if comparator in NO_VALUE_COMPARATORS or not numbers:
        return 1
    candidates = sorted({0, 1, *numbers, *(n + 1 for n in numbers), *(max(0, n - 1) for n in numbers)})
    for value in candidates:
        if value <= MAX_VALUE and compare(comparator, value, values):
            return value
    return 1


def _check(worker_id: int, hit_id: int, qtype_id: int, now: datetime) -> tuple[QualificationType, Hit, HitRequirement]:
    """The press re-checked: the HIT requires this type of its requester's, the worker fails it,
    nothing waits and the retry delay has passed. NotAllowed for anything forged."""
    worker = get_user(worker_id)
    qtype = QualificationType.get_or_none(QualificationType.id == qtype_id)
    hit = Hit.get_or_none(Hit.id == hit_id)
    if qtype is None or hit is None or not _requestable(qtype) or qtype.owner_id != hit.requester_id \
            or qtype.owner_id == worker_id:
        raise NotAllowed()
    reqs = [(r, q) for r, q in requirements_for([hit.id]).get(hit.id, []) if q.id == qtype.id]
    extra = MturkQualType.get_or_none(MturkQualType.qtype == qtype.id)
    if not reqs or QualTest.select().where(QualTest.qtype == qtype.id).exists() or (extra and not extra.active):
        raise NotAllowed()  # a test grants it; an Inactive type takes no requests (as on MTurk)
    if WorkerBlock.select().where((WorkerBlock.requester == hit.requester_id)
                                  & (WorkerBlock.worker == worker_id)).exists():
        raise NotAllowed()
    checks = evaluate(worker, reqs, now, "accept")
    if all(c.passed for c in checks):
        raise StaleAction(N_("You already meet the “{name}” requirement."), name=qtype.name)
    if Req.select().where((Req.qtype == qtype.id) & (Req.worker == worker_id) & (Req.waiting == True)).exists():
        raise StaleAction(N_("You already asked for “{name}”; the requester has not answered yet."), name=qtype.name)
    last = (Req.select().where((Req.qtype == qtype.id) & (Req.worker == worker_id))
            .order_by(Req.submitted_at.desc(), Req.id.desc()).first())
    if last is not None:
        ready = last.submitted_at + timedelta(seconds=_retry_delay(extra))
        if ready > now:
            raise StaleAction(N_("You can ask for “{name}” again from {when}."), name=qtype.name, when=ready)
    return qtype, hit, next(c.requirement for c in checks if not c.passed)


def begin(*, worker_id: int, hit_id: int, qtype_id: int, now: datetime) -> Asked:
    """The 🙋 press: re-checked; a type that grants requests automatically is granted now (no
    prompt), any other waits for the worker's optional message (`request` None)."""
    with tx():
        qtype, hit, _ = _check(worker_id, hit_id, qtype_id, now)
    if qtype.auto_grant_value is None:
        return Asked(qtype, hit.id)
    return ask(worker_id=worker_id, hit_id=hit_id, qtype_id=qtype_id, message="", now=now)


def ask(*, worker_id: int, hit_id: int, qtype_id: int, message: str, now: datetime) -> Asked:
    """Send the request (with the worker's optional message) to the requester, or grant it at once
    when the type says so. A second request while one waits is refused."""
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationFailed(N_("A message to the requester can have at most {max} characters."), max=MAX_MESSAGE)
    with tx():
        qtype, hit, req = _check(worker_id, hit_id, qtype_id, now)
        auto = qtype.auto_grant_value
        fields = {"qtype": qtype.id, "worker": worker_id, "hit": hit.id, "message": message, "submitted_at": now}
        if auto is not None:
            fields.update(status=Req.GRANTED, waiting=None, value=auto, decided_by="auto", decided_at=now)
        try:
            with db.atomic():
                row = Req.create(**fields)
        except IntegrityError:  # a second press raced this one
            raise StaleAction(N_("You already asked for “{name}”; the requester has not answered yet."),
                              name=qtype.name) from None
        if auto is not None:
            upsert_grant(qtype.id, worker_id, auto, now)
            return Asked(qtype, hit.id, row)
        emit("qualification.requested", user_id=qtype.owner_id, now=now, **card(row, qtype, hit, req))
        return Asked(qtype, hit.id, row)


def card(row: Req, qtype: QualificationType, hit: Hit | None, req: HitRequirement | None) -> dict:
    """What the requester's card of a request shows (the notice's payload): the worker by alias only,
    their history with the requester, and the value Grant gives (what the HIT's requirement needs)."""
    return {"request_id": row.id, "name": qtype.name, "worker": worker_alias(qtype.owner_id, row.worker_id),
            "title": hit.title if hit is not None else "", "message": row.message,
            "integer": req is None or req.comparator not in NO_VALUE_COMPARATORS,
            "value": _suggested(req.comparator, req.values or []) if req is not None else 1,
            **worker_history(requester_id=qtype.owner_id, worker_id=row.worker_id)}


MAX_LISTED = 10


def waiting_cards(*, requester_id: int) -> tuple[int, list[dict]]:
    """/qual requests: how many requests wait for the requester, and the cards of the oldest few."""
    mine = (Req.select(Req, QualificationType).join(QualificationType, on=(Req.qtype == QualificationType.id))
            .where((QualificationType.owner == requester_id) & (Req.status == Req.PENDING)))
    total = mine.count()
    rows = list(mine.order_by(Req.id).limit(MAX_LISTED))
    hits = {h.id: h for h in Hit.select().where(Hit.id.in_([r.hit_id for r in rows if r.hit_id]))} if rows else {}
    needs = {(r.hit_id, r.qtype_id): r for r in HitRequirement.select().where(
        HitRequirement.hit.in_(list(hits)) & HitRequirement.qtype.in_([r.qtype_id for r in rows]))} if hits else {}
    return total, [card(r, r.qtype, hits.get(r.hit_id), needs.get((r.hit_id, r.qtype_id))) for r in rows]


def worker_history(*, requester_id: int, worker_id: int) -> dict:
    """The worker's work for this requester: approved and rejected assignments, and their accuracy
    on the requester's control answers (None before any)."""
    counts = dict(Assignment.select(Assignment.status, fn.COUNT(Assignment.id)).join(Hit, on=(Assignment.hit == Hit.id))
                  .where((Hit.requester == requester_id) & (Assignment.worker == worker_id)
                         & Assignment.status.in_([AssignmentStatus.APPROVED, AssignmentStatus.REJECTED]))
                  .group_by(Assignment.status).tuples())
    return {"approved": counts.get(AssignmentStatus.APPROVED, 0), "rejected": counts.get(AssignmentStatus.REJECTED, 0),
            "accuracy": skill(requester_id=requester_id, worker_id=worker_id)}


# Deciding ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decided:
    request: Req
    name: str
    worker: str  # the alias the requester sees


def decide(*, requester_id: int, request_id: int, grant: bool, now: datetime, value: int | None = None,
           reason: str = "", via: str = "chat") -> Decided:
    """Grant (with `value`, 1 when none) or refuse (with an optional reason) a waiting request of
    one of the requester's types. A decided (or someone else's) request changes nothing: StaleAction
    / NotAllowed. The worker is told, in their language."""
    value = 1 if value is None else value
    reason = (reason or "").strip()
    if grant and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE):
        raise ValidationFailed(N_("A qualification value is a whole number from 0 to {max_value}."),
                               max_value=MAX_VALUE)
    if len(reason) > MAX_REASON:
        raise ValidationFailed(N_("The reason can have at most {max} characters."), max=MAX_REASON)
    with tx():
        row = Req.get_or_none(Req.id == request_id)
        if row is None:
            raise NotAllowed()
        qtype = owned_type(requester_id, row.qtype_id)
        status = Req.GRANTED if grant else Req.REFUSED
        changed = (Req.update(status=status, waiting=None, value=value if grant else None,
                              reason="" if grant else reason, decided_by=via, decided_at=now)
                   .where((Req.id == row.id) & (Req.status == Req.PENDING)).execute())
        if changed != 1:
            raise StaleAction()
        if grant:
            upsert_grant(qtype.id, row.worker_id, value, now)
        emit("qualification.request_decided", user_id=row.worker_id, now=now, request_id=row.id, name=qtype.name,
             granted=grant, value=value if grant else None, reason="" if grant else reason, hit_id=row.hit_id)
        return Decided(Req.get_by_id(row.id), qtype.name, worker_alias(requester_id, row.worker_id))


def check_decide(*, requester_id: int, request_id: int) -> Req:
    """A Refuse or 'other value' press re-checked before its prompt opens."""
    row = Req.get_or_none(Req.id == request_id)
    if row is None:
        raise NotAllowed()
    owned_type(requester_id, row.qtype_id)
    if row.status != Req.PENDING:
        raise StaleAction()
    return row


# The requester's side: settings and the API's list -------------------------------------------

def set_auto_grant(*, owner_id: int, qtype_id: int, value: int | None) -> QualificationType:
    """Grant requests for this type at once with `value`, or (None) let the requester decide each."""
    if value is not None and (isinstance(value, bool) or not 0 <= value <= MAX_VALUE):
        raise ValidationFailed(N_("A qualification value is a whole number from 0 to {max_value}."),
                               max_value=MAX_VALUE)
    with tx():
        qtype = owned_type(owner_id, qtype_id)
        QualificationType.update(auto_grant_value=value).where(QualificationType.id == qtype.id).execute()
        return QualificationType.get_by_id(qtype.id)


def set_retry_delay(*, owner_id: int, qtype_id: int, retry_delay_s: int) -> int:
    """How long a worker waits after a request before asking again (the API's RetryDelayInSeconds)."""
    if not 0 <= retry_delay_s <= MAX_RETRY_DELAY_S:
        raise ValidationFailed(N_("The retry delay must be between 0 and 365 days."))
    with tx():
        qtype = owned_type(owner_id, qtype_id)
        MturkQualType.insert(qtype=qtype.id).on_conflict_ignore().execute()
        MturkQualType.update(retry_delay_s=retry_delay_s).where(MturkQualType.qtype == qtype.id).execute()
        return retry_delay_s


@dataclass(frozen=True)
class TypeSettings:
    qtype: QualificationType
    retry_delay_s: int
    waiting: int  # requests waiting for the requester


def settings(*, owner_id: int, qtype_id: int) -> TypeSettings:
    qtype = owned_type(owner_id, qtype_id)
    waiting = Req.select().where((Req.qtype == qtype.id) & (Req.status == Req.PENDING)).count()
    return TypeSettings(qtype, _retry_delay(MturkQualType.get_or_none(MturkQualType.qtype == qtype.id)), waiting)


KEEP = object()  # configure(): leave this setting as it is


def configure(*, owner_id: int, name: str, auto_grant_value: int | None | object = KEEP,
              retry_delay_s: int | None = None) -> TypeSettings:
    """/qual auto and /qual retry: one of the requester's types by name, changed, with its settings."""
    qtype = type_by_name(owner_id=owner_id, name=name)
    if auto_grant_value is not KEEP:
        set_auto_grant(owner_id=owner_id, qtype_id=qtype.id, value=auto_grant_value)  # type: ignore[arg-type]
    if retry_delay_s is not None:
        set_retry_delay(owner_id=owner_id, qtype_id=qtype.id, retry_delay_s=retry_delay_s)
    return settings(owner_id=owner_id, qtype_id=qtype.id)


def waiting_page(*, requester_id: int, qtype_id: int | None, after_id: int | None,
                 limit: int) -> tuple[list[Req], bool]:
    """The requests waiting for this requester (of one type, or all theirs), oldest first."""
    limit = max(1, min(limit, MAX_PAGE))
    q = (Req.select(Req).join(QualificationType, on=(Req.qtype == QualificationType.id))
         .where((QualificationType.owner == requester_id) & (Req.status == Req.PENDING)))
    if qtype_id is not None:
        owned_type(requester_id, qtype_id)
        q = q.where(Req.qtype == qtype_id)
    if after_id is not None:
        q = q.where(Req.id > after_id)
    rows = list(q.order_by(Req.id).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def workers_asking(*, requester_id: int, refs: list[str]) -> dict[str, int]:
    """The workers behind these WorkerIds among those who asked for one of the requester's
    qualifications (they know each other by that id now, as if they had worked for them)."""
    wanted, out = set(refs), {}
    asked = (Req.select(Req.worker).join(QualificationType, on=(Req.qtype == QualificationType.id))
             .where(QualificationType.owner == requester_id).distinct())
    for (worker_id,) in asked.tuples().iterator():
        ref = worker_ref(requester_id, worker_id)
        if ref in wanted:
            out[ref] = worker_id
    return out


def request_of(*, requester_id: int, request_id: int) -> Req:
    """One request of the requester's types, any state; NotAllowed for anyone else's or none."""
    row = Req.get_or_none(Req.id == request_id)
    if row is None:
        raise NotAllowed()
    owned_type(requester_id, row.qtype_id)
    return row


def export_of(*, user_id: int) -> list[dict]:
    """A worker's own requests, for their data export (core.users.privacy)."""
    return [{"qualification": r.qtype.name, "message": r.message, "status": r.status, "value": r.value,
             "reason": r.reason, "submitted_at": r.submitted_at.isoformat(),
             "decided_at": r.decided_at.isoformat() if r.decided_at else None}
            for r in Req.select(Req, QualificationType).join(QualificationType).where(Req.worker == user_id)
            .order_by(Req.id)]


def erase_of(*, user_id: int) -> None:
    """An account deleted: the worker's words in their requests go (the decisions stay)."""
    Req.update(message="").where(Req.worker == user_id).execute()


__all__ = ["Asked", "Decided", "Offer", "TypeSettings", "ask", "begin", "card", "check_decide", "configure", "decide",
           "erase_of", "export_of", "offers", "request_of", "set_auto_grant", "set_retry_delay", "settings",
           "waiting_cards", "waiting_page", "worker_history", "workers_asking"]
