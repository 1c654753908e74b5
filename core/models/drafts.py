"""A /newhit in progress, kept in the database so a restart or another replica loses nothing."""
from __future__ import annotations

from peewee import BigIntegerField, CharField, ForeignKeyField

from core.models.base import BaseModel, JSONField, UTCDateTimeField
from core.models.users import User


class DraftStatus:
    EDITING = "editing"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class HitDraft(BaseModel):
    """Rows are kept after publishing or cancelling: the id is the publish idempotency key,
    so it must never be reused (SQLite may reuse the largest rowid after a delete)."""

    user = ForeignKeyField(User, backref="drafts", on_delete="CASCADE")
    status = CharField(max_length=10, default=DraftStatus.EDITING)
    step = CharField(max_length=16)  # what the bot asked for last
    data = JSONField(default=dict)  # the HIT spec so far (same keys as a spec file)
    work = JSONField(default=dict)  # the question or edit in progress
    hit_id = BigIntegerField(null=True)  # set when published
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        indexes = ((("user", "status"), False),)
