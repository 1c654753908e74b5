"""What a notice or a card shows that its event does not carry: the state now (rated yet, an
appeal open, the reader's time zone, the submission as it stands) and, for events written
before their payload carried them, the facts fixed at emission (HIT title, feedback).

The delivery side calls `notice_context(event)` or `card_content(card)` once and hands the
result to the view (bot/views/notify.py, bot/views/cards.py), which never reads the database."""
from __future__ import annotations

from dataclasses import dataclass, field

from peewee import DoesNotExist

from core import outbox
from core.cards import ChatCard
from core.errors import HitbotError
from core.models import (
    WEB_KIND,
    Appeal,
    Assignment,
    AssignmentStatus as S,
    Hit,
    OutboxEvent,
    Question,
    Rating,
    User,
    WorkerBlock,
)
from core.mturk.ids import worker_alias
from core.review.appeals import appeal_context, open_to_appeal
from core.review.queries import PendingHit, Submission, pending_by_hit, submission

# Kinds whose text names the HIT: an older payload without "title" gets it from the table.
TITLED = frozenset({
    "submission.confirmed", "assignment.approved", "assignment.rejected", "assignment.reminder",
    "assignment.expired", "bonus.paid", "appeal.decided", "hit.completed", "hit.expired",
    "quality.rejected", "worker.blocked",
})


@dataclass(frozen=True)
class AppealCard:
    appeal: Appeal
    hit_title: str
    worker_name: str
    feedback: str | None


@dataclass(frozen=True)
class NoticeContext:
    """Read at delivery; every field has the value an empty database would give."""

    hit_id: int | None = None  # appeal.decided before its payload named the HIT
    hit_title: str | None = None  # when the payload has no "title" (None: the HIT is gone)
    feedback: str | None = None  # assignment.approved before its payload carried it
    auto_approve_s: float | None = None  # submission.confirmed before its payload carried it
    rated: bool = False  # the worker has rated this work's requester
    can_appeal: bool = False
    appealed: bool = False
    timezone: str | None = None  # the recipient's, now
    review_mode: str = "immediate"  # the requester's, now
    submission: Submission | None = None  # submission.received: the card as it stands (None: gone); revision.requested
    appeal: AppealCard | None = None  # appeal.received
    worker_name: str | None = None  # the quality rule's notices to the requester
    still_rejected: bool = False  # quality.rejected: not reversed yet, so Undo applies
    block_active: bool = False  # quality.blocked: not lifted yet
    missed: tuple[tuple[OutboxEvent, NoticeContext], ...] = field(default=())  # notices.missed, oldest first


def rated(*, assignment_id: int) -> bool:
    """Whether the worker already gave this work's requester stars."""
    return Rating.select().where((Rating.assignment == assignment_id) & (Rating.direction == "w2r")).exists()


def _id(value: object) -> int | None:
    """A payload's id as a number: ValueError for anything else (PostgreSQL would refuse the query and
    abort the transaction; the delivery logs it and sends nothing)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"not an id: {value!r}")
    return int(value)


def _hit_title(hit_id: object) -> str | None:
    hit = Hit.select(Hit.title).where(Hit.id == hit_id).first() if hit_id is not None else None
    return hit.title if hit else None


def _assignment(assignment_id: object) -> Assignment | None:
    return Assignment.get_or_none(Assignment.id == assignment_id) if assignment_id is not None else None


def _user(user_id: object) -> User | None:
    return User.get_or_none(User.id == user_id) if user_id is not None else None


def auto_approve_s(a: Assignment) -> float | None:
    """Seconds from the submit to the automatic approval (what the submit's notice promises)."""
    if a.auto_approve_at is None or a.submitted_at is None:
        return None
    return (a.auto_approve_at - a.submitted_at).total_seconds()


def notice_context(event: OutboxEvent) -> NoticeContext:
    p = event.payload or {}
    kind, aid = event.kind, _id(p.get("assignment_id"))  # ids checked before any query sees them
    out: dict = {}
    if kind in TITLED and "title" not in p:
        hit_id = _id(p.get("hit_id"))
        if hit_id is None:
            a = _assignment(aid)
            hit_id = a.hit_id if a else None
        out.update(hit_id=hit_id, hit_title=_hit_title(hit_id))
    if kind == "submission.confirmed" and "auto_approve_s" not in p:
        a = _assignment(aid)
        out["auto_approve_s"] = auto_approve_s(a) if a else None
    if kind in ("assignment.approved", "assignment.rejected") and aid is not None:
        out["rated"] = rated(assignment_id=int(aid))
    if kind == "assignment.approved" and "feedback" not in p:
        a = _assignment(aid)
        out["feedback"] = a.feedback if a else None
    if kind == "assignment.rejected" and aid is not None:
        out["can_appeal"] = open_to_appeal(assignment_id=int(aid), now=event.created_at)
        out["appealed"] = Appeal.select().where(Appeal.assignment == aid).exists()
    if kind in ("assignment.reminder", "revision.requested"):  # the deadline in the reader's zone
        user = _user(event.user_id)
        out["timezone"] = user.timezone if user else None
    if kind == "revision.requested" and aid is not None:  # the worker's own answers come back with the note
        try:
            out["submission"] = submission(assignment_id=int(aid))
        except (HitbotError, DoesNotExist):
            pass
    if kind == "submission.received":
        user = _user(event.user_id)
        out["review_mode"] = ((user.prefs or {}) if user else {}).get("review_mode", "immediate")
        if out["review_mode"] != "digest" and aid is not None:
            try:
                out["submission"] = submission(assignment_id=int(aid))
            except (HitbotError, DoesNotExist):
                pass  # the work is gone: nothing to show
    if kind == "appeal.received" and p.get("appeal_id") is not None:
        try:
            out["appeal"] = appeal_card(requester_id=event.user_id, appeal_id=int(p["appeal_id"]))
        except (HitbotError, DoesNotExist):
            pass
    if kind in ("quality.rejected", "quality.blocked"):
        worker = _user(_id(p.get("worker_id")))
        out["worker_name"] = worker_alias(event.user_id, worker.id) if worker else None
    if kind == "quality.rejected":
        a = _assignment(aid)
        out["still_rejected"] = a is not None and a.status == S.REJECTED
    if kind == "quality.blocked" and p.get("block_id") is not None:
        out["block_active"] = WorkerBlock.select().where(WorkerBlock.id == int(p["block_id"])).exists()
    if kind == "notices.missed":
        ids = [int(i) for i in p.get("event_ids") or []]
        rows = OutboxEvent.select().where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id) if ids else []
        out["missed"] = tuple((row, notice_context(row)) for row in rows)
    return NoticeContext(**out)


def appeal_card(*, requester_id: int | None, appeal_id: int) -> AppealCard:
    row, assignment, hit, worker = appeal_context(requester_id=requester_id, appeal_id=appeal_id)
    return AppealCard(row, hit.title, worker_alias(hit.requester_id, worker.id), assignment.feedback)


# Cards ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardContent:
    """What a remembered card shows now, by its card_kind (the other fields stay empty)."""

    submission: Submission | None = None  # submission, submission_queue, submission_notice
    pending: tuple[int, list[PendingHit]] | None = None  # queue: how many wait, by HIT
    review_mode: str = "immediate"  # queue
    expired_title: str | None = None  # question: set once the assignment expired
    submitted_title: str | None = None  # question: a web task submitted from its page (not by a press here)
    appeal: AppealCard | None = None  # appeal
    notice: tuple[OutboxEvent, NoticeContext] | None = None  # notice: its event, rendered again
    group: object | None = None  # group: a group message's delivery (core.messages.groups.Progress)


def _is_web_task(hit_id: int) -> bool:
    return Question.select().where((Question.hit == hit_id) & (Question.kind == WEB_KIND)).exists()


def card_content(card: ChatCard) -> CardContent:
    """Raises NotAllowed or DoesNotExist when what the card showed is gone."""
    kind = card.card_kind
    if kind in ("submission", "submission_queue", "submission_notice"):
        return CardContent(submission=submission(assignment_id=card.object_id))
    if kind == "queue":
        user = _user(card.object_id)
        return CardContent(pending=pending_by_hit(requester_id=card.object_id),
                           review_mode=((user.prefs or {}) if user else {}).get("review_mode", "immediate"))
    if kind == "question":
        a = _assignment(card.object_id)
        if a is not None and a.status in (S.SUBMITTED, S.APPROVED, S.REJECTED) and _is_web_task(a.hit_id):
            return CardContent(submitted_title=_hit_title(a.hit_id) or f"HIT #{a.hit_id}")
        if a is None or a.status != S.EXPIRED:
            return CardContent()
        return CardContent(expired_title=_hit_title(a.hit_id) or f"HIT #{a.hit_id}")
    if kind == "appeal":
        return CardContent(appeal=appeal_card(requester_id=None, appeal_id=int(card.ref)))
    if kind == "group":
        from core.messages.groups import progress

        return CardContent(group=progress(group_id=card.object_id))
    if kind == "notice":
        event = outbox.get(int(card.ref)) if card.ref is not None else None
        return CardContent(notice=(event, notice_context(event)) if event is not None else None)
    return CardContent()
