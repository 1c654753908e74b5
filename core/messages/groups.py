"""Group messages (issue 18; MTurk's NotifyWorkers): a requester sends one text to everyone who
worked on one of their HITs or batches, or to everyone holding one of their qualifications.

Each recipient gets it as a message in their own thread with the requester (Reply works as in any
thread) and never learns who else got it. Each copy is a `message.received` outbox notice, so the
jobs worker delivers them at Telegram's pace (jobs.delivery); as they finish, `delivered` asks for
the requester's progress card (core.cards, kind "group") to be edited: "Sent 120/450", then the end
count. Muted threads and blocked pairs are skipped (`skipped`, the one predicate to extend).
Capped: HITBOT_GROUP_MESSAGES_PER_DAY sends and HITBOT_GROUP_RECIPIENTS_PER_DAY recipients a day."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from core import cards
from core.config import get_settings
from core.db import tx
from core.errors import NotAllowed, ValidationFailed
from core.messages import safety
from core.messages.commands import MAX_TEXT, REQUESTER, _thread, requester_alias
from core.messages.group_tables import GroupRecipient, GroupSend
from core.models import (
    Assignment,
    Batch,
    Hit,
    Message,
    OutboxEvent,
    QualificationGrant,
    QualificationType,
    RequesterBlock,
    Thread,
    User,
    WorkerBlock,
)
from core.outbox import emit
from core.texts import N_

TARGETS = ("hit", "batch", "qual")
CARD = "group"  # core.cards object kind and card kind of the progress message
STEPS = 10  # the progress card is edited at most this many times (and once at the end)
MAX_RECIPIENTS = 10_000  # one send, whatever the caps


class GroupCapReached(ValidationFailed):
    """Raised when a requester's group messages of the last 24 hours reached a daily cap."""


@dataclass(frozen=True)
class Audience:
    """Who a group message would reach: before the text is typed, and as the prompt says it."""

    target: str
    target_id: int
    name: str  # the HIT's title, the batch's, or the qualification's name
    recipients: int
    skipped: int  # muted or blocked threads


@dataclass(frozen=True)
class Progress:
    group_id: int
    name: str
    total: int
    done: int  # notices finished (sent, or the worker blocked the bot)
    skipped: int

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def _workers(requester_id: int, target: str, target_id: int) -> tuple[str, list[int]]:
    """The target's name and its workers' user ids (NotAllowed: not the requester's)."""
    if target == "hit":
        hit = Hit.get_or_none(Hit.id == target_id)
        if hit is None or hit.requester_id != requester_id:
            raise NotAllowed()
        query, name = Assignment.select(Assignment.worker).where(Assignment.hit == hit.id), hit.title
    elif target == "batch":
        batch = Batch.get_or_none(Batch.id == target_id)
        if batch is None or batch.requester_id != requester_id:
            raise NotAllowed()
        query = (Assignment.select(Assignment.worker).join(Hit, on=(Assignment.hit == Hit.id))
                 .where(Hit.batch == batch.id))
        name = batch.title
    elif target == "qual":
        qtype = QualificationType.get_or_none(QualificationType.id == target_id)
        if qtype is None or qtype.owner_id != requester_id:
            raise NotAllowed()
        query = QualificationGrant.select(QualificationGrant.worker.alias("worker_id")).where(
            QualificationGrant.qtype == qtype.id)
        name = qtype.name
    else:
        raise NotAllowed()
    ids = sorted({row.worker_id for row in query.distinct().limit(MAX_RECIPIENTS + 1)} - {requester_id})
    if len(ids) > MAX_RECIPIENTS:
        raise ValidationFailed(N_("A group message reaches at most {max} workers."), max=MAX_RECIPIENTS)
    return name, ids


def skipped(requester_id: int, worker_ids: list[int]) -> set[int]:
    """Workers a group message leaves out: their thread with the requester is muted on their side,
    they blocked the requester (core.messages.safety's RequesterBlock), or the requester blocked them."""
    if not worker_ids:
        return set()
    out = {t.worker_id for t in Thread.select(Thread.worker).where(
        (Thread.requester == requester_id) & Thread.worker.in_(worker_ids) & Thread.worker_muted)}
    out |= {b.worker_id for b in RequesterBlock.select(RequesterBlock.worker).where(
        (RequesterBlock.requester == requester_id) & RequesterBlock.worker.in_(worker_ids))}
    out |= {b.worker_id for b in WorkerBlock.select(WorkerBlock.worker).where(
        (WorkerBlock.requester == requester_id) & WorkerBlock.worker.in_(worker_ids))}
    return out


def _audience(requester_id: int, target: str, target_id: int) -> tuple[Audience, list[int]]:
    name, ids = _workers(requester_id, target, target_id)
    left_out = skipped(requester_id, ids)
    to = [w for w in ids if w not in left_out]
    return Audience(target, target_id, name, len(to), len(left_out)), to


def audience(*, requester_id: int, target: str, target_id: int, now: datetime, prefs=None) -> Audience:
    """📣 Message workers pressed: who it would reach (refused if nobody, or a cap is reached).
    `prefs(prefs, audience)`: the bot's conversation state, stored in the same transaction."""
    with tx():
        found, to = _audience(requester_id, target, target_id)
        if not to:
            raise ValidationFailed(N_("Nobody to message: no worker of this is reachable (muted, blocked or none yet)."))
        _check_caps(requester_id, len(to), now)
        if prefs is not None:
            from core.users.commands import get_user, write_prefs

            user = get_user(requester_id)
            write_prefs(user, prefs(dict(user.prefs or {}), found))
        return found


def holders_audience(*, requester_id: int, name: str, now: datetime, prefs=None) -> Audience:
    """`/qual message NAME`: the holders of the requester's qualification of that name, as `audience`."""
    from core.quals.commands import type_by_name

    with tx():
        qtype = type_by_name(owner_id=requester_id, name=name)
        return audience(requester_id=requester_id, target="qual", target_id=qtype.id, now=now, prefs=prefs)


def _check_caps(requester_id: int, recipients: int, now: datetime) -> None:
    s = get_settings()
    since = now - timedelta(days=1)
    recent = GroupSend.select(fn.COUNT(GroupSend.id), fn.COALESCE(fn.SUM(GroupSend.total), 0)).where(
        (GroupSend.requester == requester_id) & (GroupSend.created_at > since))
    sends, people = recent.scalar(as_tuple=True)
    if sends >= s.group_messages_per_day:
        raise GroupCapReached(N_("You have sent {cap} group messages in the last 24 hours, the most allowed. "
                                 "Try again later."), cap=s.group_messages_per_day)
    if int(people) + recipients > s.group_recipients_per_day:
        raise GroupCapReached(N_("This would reach {n} workers; {left} more can get group messages from you in "
                                 "the next 24 hours."), n=recipients,
                              left=max(0, s.group_recipients_per_day - int(people)))


def send(*, requester_id: int, target: str, target_id: int, text: str | None, now: datetime, chat_id: int,
         message_id: int, prefs=None) -> Progress:
    """Write the text into each reachable worker's thread and queue its notice; the chat message
    (chat_id, message_id) becomes the progress card. One transaction: all copies or none."""
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise ValidationFailed(N_("A message has 1 to {max_text} characters."), max_text=MAX_TEXT)
    with tx():
        # The requester's row lock queues two sends at once, so both can't pass the caps.
        User.update(id=User.id).where(User.id == requester_id).execute()
        found, to = _audience(requester_id, target, target_id)
        if not to:
            raise ValidationFailed(N_("Nobody to message: no worker of this is reachable (muted, blocked or none yet)."))
        _check_caps(requester_id, len(to), now)
        group = GroupSend.create(requester=requester_id, target=target, target_id=target_id, text=text,
                                 total=len(to), skipped=found.skipped, created_at=now)
        sender = requester_alias(User.get_by_id(requester_id))
        flagged_link = safety.has_link(text)
        for worker_id in to:
            thread = _thread(worker_id, requester_id, now)
            first = not Message.select().where(Message.thread == thread.id).exists()
            row = Message.create(thread=thread.id, side=REQUESTER, text=text, created_at=now,
                                 flagged=flagged_link and first)
            Thread.update({Thread.worker_unread: Thread.worker_unread + 1, Thread.last_at: now}).where(
                Thread.id == thread.id).execute()
            event = emit("message.received", user_id=worker_id, now=now, thread_id=thread.id, message_id=row.id,
                         side=REQUESTER, sender=sender, text=text, hit_id=None, title=None, flagged=row.flagged,
                         file_kind=None, file_id=None, group_id=group.id)
            GroupRecipient.create(group=group.id, message=row.id, event_id=event.id)
        cards.remember(object_kind=CARD, object_id=group.id, chat_id=chat_id, message_id=message_id, card_kind=CARD,
                       now=now)
        if prefs is not None:
            from core.users.commands import get_user, write_prefs

            user = get_user(requester_id)
            write_prefs(user, prefs(dict(user.prefs or {})))
        return Progress(group.id, found.name, group.total, 0, group.skipped)


def progress(*, group_id: int) -> Progress:
    """How far a group message's delivery is (what its card shows)."""
    group = GroupSend.get_by_id(group_id)
    done = (GroupRecipient.select().join(OutboxEvent, on=(GroupRecipient.event_id == OutboxEvent.id))
            .where((GroupRecipient.group == group.id) & OutboxEvent.done_at.is_null(False)).count())
    name, _ids = _name_of(group)
    return Progress(group.id, name, group.total, done, group.skipped)


def _name_of(group: GroupSend) -> tuple[str, None]:
    if group.target == "hit":
        row = Hit.get_or_none(Hit.id == group.target_id)
        return (row.title if row else f"HIT #{group.target_id}"), None
    if group.target == "batch":
        row = Batch.get_or_none(Batch.id == group.target_id)
        return (row.title if row else f"#{group.target_id}"), None
    row = QualificationType.get_or_none(QualificationType.id == group.target_id)
    return (row.name if row else f"#{group.target_id}"), None


def delivered(*, event_id: int, now: datetime) -> bool:
    """A notice finished (jobs.delivery): if it was a group copy and the delivery crossed the next
    tenth (or finished), emit one cards.refresh for the progress card. True if it did."""
    row = GroupRecipient.get_or_none(GroupRecipient.event_id == event_id)
    if row is None:
        return False
    with tx():
        p = progress(group_id=row.group_id)
        step = STEPS if p.finished else STEPS * p.done // max(1, p.total)
        # One refresh per step, whoever finished the notice that crossed it (conditional update).
        if not GroupSend.update(shown_step=step).where((GroupSend.id == p.group_id)
                                                      & (GroupSend.shown_step < step)).execute():
            return False
        return cards.changed(CARD, p.group_id, now=now)
