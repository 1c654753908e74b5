"""Group messages (migration 21): one requester text to everyone who worked on a HIT or batch or
holds one of their qualifications, each copy a message in that worker's thread."""
from __future__ import annotations

from peewee import BigIntegerField, CharField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, UTCDateTimeField
from core.messages.tables import Message
from core.users.tables import User


class GroupSend(BaseModel):
    requester = ForeignKeyField(User, backref="group_sends", on_delete="CASCADE")
    target = CharField(max_length=5)  # "hit", "batch" or "qual"
    target_id = BigIntegerField()
    text = TextField()
    total = IntegerField()  # recipients written to
    skipped = IntegerField(default=0)  # muted or blocked threads left out
    shown_step = IntegerField(default=-1)  # the progress step the card last asked to show
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("requester", "created_at"), False),)


class GroupRecipient(BaseModel):
    """One worker's copy: its message in their thread and the outbox notice delivering it."""

    group = ForeignKeyField(GroupSend, backref="recipients", on_delete="CASCADE")
    message = ForeignKeyField(Message, on_delete="CASCADE")
    event_id = BigIntegerField(unique=True)

    class Meta:
        indexes = ((("group", "event_id"), False),)
