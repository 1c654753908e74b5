"""A thread per worker-requester pair and its messages (migration 16)."""
from __future__ import annotations

from peewee import CharField, ForeignKeyField, IntegerField, TextField

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

    class Meta:
        indexes = ((("worker", "requester"), True), (("requester", "last_at"), False), (("worker", "last_at"), False))


class Message(BaseModel):
    thread = ForeignKeyField(Thread, backref="messages", on_delete="CASCADE")
    side = CharField(max_length=1)  # who wrote it: "w" (the worker) or "r" (the requester)
    text = TextField()
    hit = ForeignKeyField(Hit, null=True, on_delete="SET NULL")  # the HIT it was about, if any
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("thread", "id"), False), (("side", "created_at"), False))
