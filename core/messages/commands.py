"""Writing in a worker-requester thread: asking about a HIT, messaging a worker from review,
replying, and opening a thread (which marks it read). One transaction each."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, IntegrityError

from core.config import get_settings
from core.db import db, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed, WorkerBlocked
from core.messages import safety
from core.messages.group_tables import GroupRecipient
from core.models import Assignment, Hit, HitStatus, Message, Thread, User, WorkerBlock
from core.mturk.ids import worker_alias
from core.outbox import emit
from core.texts import N_

MAX_TEXT = 4096  # one Telegram message
SHOWN = 10  # messages an opened thread shows
WORKER, REQUESTER = "w", "r"


class CapReached(ValidationFailed):
    """Raised when a sender has sent their day's share of messages (HITBOT_MESSAGES_PER_DAY_*)."""


def requester_alias(requester: User) -> str:
    """How a worker sees a requester: the first name HIT previews show, never the @username."""
    return requester.first_name or "Requester"


def _text(text: str | None) -> str:
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise ValidationFailed(N_("A message has 1 to {max_text} characters."), max_text=MAX_TEXT)
    return text


def _body(text: str | None, file: dict | None) -> tuple[str, dict | None]:
    """A text message, or a photo/document (relayed by file_id) with an optional caption."""
    if file is None:
        return _text(text), None
    return safety.check_file(file, text)


def _worked_for(requester_id: int, worker_id: int) -> bool:
    return (Assignment.select().join(Hit, on=(Assignment.hit == Hit.id))
            .where((Hit.requester == requester_id) & (Assignment.worker == worker_id)).exists())


def _check_cap(sender_id: int, side: str, now: datetime) -> None:
    # The sender's row lock queues their concurrent sends, so two at once can't both pass the count.
    User.update(id=User.id).where(User.id == sender_id).execute()
    settings = get_settings()
    cap = settings.messages_per_day_worker if side == WORKER else settings.messages_per_day_requester
    mine = Thread.worker if side == WORKER else Thread.requester
    sent = (Message.select().join(Thread)
            .where((mine == sender_id) & (Message.side == side) & (Message.created_at > now - timedelta(days=1))
                   & Message.id.not_in(GroupRecipient.select(GroupRecipient.message)))  # group copies: their own cap
            .count())
    if sent >= cap:
        raise CapReached(N_("You have sent {cap} messages in the last 24 hours, the most allowed. Try again later."),
                         cap=cap)


def _thread(worker_id: int, requester_id: int, now: datetime) -> Thread:
    row = Thread.get_or_none((Thread.worker == worker_id) & (Thread.requester == requester_id))
    if row is not None:
        return row
    try:
        with db.atomic():
            return Thread.create(worker=worker_id, requester=requester_id, created_at=now, last_at=now)
    except IntegrityError:  # the other side opened it at the same moment
        return Thread.get((Thread.worker == worker_id) & (Thread.requester == requester_id))


def _post(thread: Thread, side: str, text: str, hit: Hit | None, now: datetime, file: dict | None = None) -> Message:
    # A thread's first message with a link or an @username reaches its reader with a warning.
    flagged = safety.has_link(text) and not Message.select().where(Message.thread == thread.id).exists()
    row = Message.create(thread=thread.id, side=side, text=text, hit=hit.id if hit else None, created_at=now,
                         flagged=flagged, file_kind=file and file["kind"], file_id=file and file["file_id"],
                         file_name=file and file["name"])
    unread = Thread.requester_unread if side == WORKER else Thread.worker_unread
    Thread.update({unread: unread + 1, Thread.last_at: now}).where(Thread.id == thread.id).execute()
    if (thread.requester_muted if side == WORKER else thread.worker_muted):
        return row  # muted by the reader: counted as unread in /messages, no notice
    requester = User.get_by_id(thread.requester_id)
    if side == WORKER:
        to, sender = thread.requester_id, worker_alias(thread.requester_id, thread.worker_id)
    else:
        to, sender = thread.worker_id, requester_alias(requester)
    emit("message.received", user_id=to, now=now, thread_id=thread.id, message_id=row.id, side=side,
         sender=sender, text=text, hit_id=hit.id if hit else None, title=hit.title if hit else None,
         flagged=flagged, file_kind=row.file_kind, file_id=row.file_id)
    return row


def check_ask(*, worker_id: int, hit_id: int) -> Hit:
    """Before the worker types: the HIT they may ask about (open, or one they worked on), and
    not a requester who blocked them."""
    hit = Hit.get_or_none(Hit.id == hit_id)
    if hit is None or hit.requester_id == worker_id:
        raise NotAllowed()
    if hit.status != HitStatus.OPEN and not _worked_for(hit.requester_id, worker_id):
        raise StaleAction(N_("This HIT is no longer open."))
    if WorkerBlock.select().where((WorkerBlock.requester == hit.requester_id)
                                  & (WorkerBlock.worker == worker_id)).exists():
        raise WorkerBlocked()
    safety.check_not_blocked(worker_id, hit.requester_id)
    return hit


def ask(*, worker_id: int, hit_id: int, text: str | None, now: datetime, file: dict | None = None) -> Message:
    """A worker writes to the requester of a HIT, the HIT attached."""
    text, file = _body(text, file)
    with tx():
        hit = check_ask(worker_id=worker_id, hit_id=hit_id)
        _check_cap(worker_id, WORKER, now)
        return _post(_thread(worker_id, hit.requester_id, now), WORKER, text, hit, now, file)


def check_message_worker(*, requester_id: int, assignment_id: int) -> Assignment:
    """The assignment a requester's ✉️ Message names must be work done for them."""
    a = Assignment.get_or_none(Assignment.id == assignment_id)
    if a is None or Hit.get_by_id(a.hit_id).requester_id != requester_id:
        raise NotAllowed()
    if safety.blocked(a.worker_id, requester_id):
        raise safety.WorkerUnreachable()
    return a


def message_worker(*, requester_id: int, assignment_id: int, text: str | None, now: datetime,
                   file: dict | None = None) -> Message:
    """A requester writes to the worker of one of their assignments (from a review card)."""
    text, file = _body(text, file)
    with tx():
        a = check_message_worker(requester_id=requester_id, assignment_id=assignment_id)
        _check_cap(requester_id, REQUESTER, now)
        return _post(_thread(a.worker_id, requester_id, now), REQUESTER, text, Hit.get_by_id(a.hit_id), now, file)


def write_to_worker(*, requester_id: int, worker_id: int, text: str, now: datetime) -> Message:
    """A requester starts (or continues) a thread with a worker: only one who worked for them."""
    text = _text(text)
    with tx():
        if worker_id == requester_id or not _worked_for(requester_id, worker_id):
            raise NotAllowed(N_("You can only message workers who worked on your HITs."))
        if safety.blocked(worker_id, requester_id):
            raise safety.WorkerUnreachable()
        _check_cap(requester_id, REQUESTER, now)
        return _post(_thread(worker_id, requester_id, now), REQUESTER, text, None, now)


def check_reply(*, user_id: int, thread_id: int) -> str:
    """Before the reply is typed: the caller's side in the thread (NotAllowed if none)."""
    thread, side = safety.side_in(thread_id, user_id)
    if side == WORKER and WorkerBlock.select().where((WorkerBlock.requester == thread.requester_id)
                                                     & (WorkerBlock.worker == user_id)).exists():
        raise WorkerBlocked()
    if safety.blocked(thread.worker_id, thread.requester_id):
        if side == WORKER:
            raise safety.RequesterBlockedByYou()
        raise safety.WorkerUnreachable()
    return side


def reply(*, user_id: int, thread_id: int, text: str | None, now: datetime, file: dict | None = None) -> Message:
    """Either side answers in their thread, any number of turns."""
    text, file = _body(text, file)
    with tx():
        side = check_reply(user_id=user_id, thread_id=thread_id)
        _check_cap(user_id, side, now)
        return _post(Thread.get_by_id(thread_id), side, text, None, now, file)


@dataclass(frozen=True)
class ThreadView:
    thread_id: int
    side: str  # the reader's
    counterpart: str  # the other side's alias
    messages: list[tuple[str, str, datetime, str | None]]  # (side, text, at, HIT title), oldest first
    marks: list[tuple[str | None, bool]] = ()  # per message: its file kind ("p", "d") and whether it was flagged
    muted: bool = False  # the reader's side
    blocked: bool = False  # the worker blocked the requester


def open_thread(*, user_id: int, thread_id: int, now: datetime) -> ThreadView:
    """The last messages of a thread, marked read for the reader."""
    with tx():
        thread, side = safety.side_in(thread_id, user_id)
        unread = Thread.worker_unread if side == WORKER else Thread.requester_unread
        Thread.update({unread: 0}).where(Thread.id == thread.id).execute()
        rows = list(Message.select(Message, Hit.title).join(Hit, join_type=JOIN.LEFT_OUTER, on=(Message.hit == Hit.id))
                    .where(Message.thread == thread.id).order_by(Message.id.desc()).limit(SHOWN).objects())
        counterpart = (requester_alias(User.get_by_id(thread.requester_id)) if side == WORKER
                       else worker_alias(thread.requester_id, thread.worker_id))
        rows.reverse()
        return ThreadView(thread.id, side, counterpart,
                          [(r.side, r.text, r.created_at, getattr(r, "title", None)) for r in rows],
                          [(r.file_kind, r.flagged) for r in rows],
                          thread.worker_muted if side == WORKER else thread.requester_muted,
                          safety.blocked(thread.worker_id, thread.requester_id))


def _written_by(user_id: int):
    return Message.select(Message.id).join(Thread).where(
        ((Thread.worker == user_id) & (Message.side == WORKER)) | ((Thread.requester == user_id) & (Message.side == REQUESTER)))


def export_of(*, user_id: int) -> list[dict]:
    """The person's messages, both ways, for their data export (the other side by alias only)."""
    rows = (Message.select(Message, Thread).join(Thread)
            .where((Thread.worker == user_id) | (Thread.requester == user_id)).order_by(Message.id))
    out = []
    for m in rows:
        mine = (m.side == WORKER) == (m.thread.worker_id == user_id)
        other = (requester_alias(User.get_by_id(m.thread.requester_id)) if m.thread.worker_id == user_id
                 else worker_alias(m.thread.requester_id, m.thread.worker_id))
        out.append({"thread_id": m.thread_id, "with": other, "from_me": mine, "text": m.text,
                    "hit_id": m.hit_id, "created_at": m.created_at.isoformat(),
                    **({"file": {"p": "photo", "d": "document"}[m.file_kind], "file_name": m.file_name}
                       if m.file_kind else {})})
    return out


def erase_of(*, user_id: int) -> int:
    """A deleted account's own words and files go (the caller's transaction); the other side's stay theirs."""
    return (Message.update(text="", file_kind=None, file_id=None, file_name=None)
            .where(Message.id.in_(_written_by(user_id))).execute())
