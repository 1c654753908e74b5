"""A thread per worker-requester pair and its messages (migration 16); mutes, reports, a worker's
blocks of requesters, flagged first messages and attached files (migration 20)."""
from __future__ import annotations

from peewee import BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, UTCDateTimeField
from core.hits.tables import Hit
from core.users.tables import User


class Thread(BaseModel):
    """The one conversation between a worker and a requester, with each side's unread count."""

    worker = ForeignKeyField(User, backref="worker_threads", on_delete="CASCADE")
    requester = ForeignKeyField(User, backref="requester_threads", on_delete="CASCADE")
    worker_unread = IntegerField(default=0)
    requester_unread = IntegerField(default=0)
    created_at = UTCDateTimeField()
    last_at = UTCDateTimeField()
    worker_muted = BooleanField(default=False)  # that side gets no notices from the thread
    requester_muted = BooleanField(default=False)

    class Meta:
        indexes = ((("worker", "requester"), True), (("requester", "last_at"), False), (("worker", "last_at"), False))


class Message(BaseModel):
    thread = ForeignKeyField(Thread, backref="messages", on_delete="CASCADE")
    side = CharField(max_length=1)  # who wrote it: "w" (the worker) or "r" (the requester)
    text = TextField()
    hit = ForeignKeyField(Hit, null=True, on_delete="SET NULL")  # the HIT it was about, if any
    created_at = UTCDateTimeField()
    flagged = BooleanField(default=False)  # a thread's first message with a link or an @username
    file_kind = CharField(max_length=1, null=True)  # "p" a photo, "d" a document; `text` is its caption
    file_id = CharField(max_length=200, null=True)  # Telegram's file_id: relayed by the bot, never downloaded
    file_name = CharField(max_length=120, null=True)

    class Meta:
        indexes = ((("thread", "id"), False), (("side", "created_at"), False))


class ThreadReport(BaseModel):
    """One side's report of a conversation, open until an admin resolves it."""

    thread = ForeignKeyField(Thread, backref="reports", on_delete="CASCADE")
    side = CharField(max_length=1)  # the reporter's side
    reason = TextField(default="")
    created_at = UTCDateTimeField()
    resolved_at = UTCDateTimeField(null=True)
    resolved_by = IntegerField(null=True)  # the admin's user id

    class Meta:
        indexes = ((("resolved_at", "id"), False), (("thread", "side"), False))


class RequesterBlock(BaseModel):
    """A worker's block of a requester: the worker no longer sees their HITs, and neither can message the other."""

    worker = ForeignKeyField(User, backref="requesters_blocked", on_delete="CASCADE")
    requester = ForeignKeyField(User, backref="blocked_by_workers", on_delete="CASCADE")
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("worker", "requester"), True), (("requester",), False))
