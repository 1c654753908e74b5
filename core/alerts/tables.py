"""Workers' saved filters and which new HITs were pushed to whom."""
from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, ForeignKeyField

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.users.tables import User


class AlertSub(BaseModel):
    """One saved filter (core.work.browse.Filters as a dict); muted ones get nothing."""

    user = ForeignKeyField(User, backref="alerts", on_delete="CASCADE")
    filters = JSONField(default=dict)
    muted = BooleanField(default=False)
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("user",), False), (("muted",), False))

class AlertSent(BaseModel):
    """A new HIT pushed to a worker: at most once per worker and HIT (the unique index
    settles two sweeps racing), and the rows the hourly cap counts."""

    user = ForeignKeyField(User, on_delete="CASCADE")
    hit_id = BigIntegerField()
    alert = ForeignKeyField(AlertSub, null=True, on_delete="SET NULL")
    sent_at = UTCDateTimeField()

    class Meta:
        indexes = ((("user", "hit_id"), True), (("sent_at",), False))

class AlertCursor(BaseModel):
    """How far the alert sweep has looked at published HITs (by id)."""

    name = CharField(max_length=32, primary_key=True)
    last_hit_id = BigIntegerField(default=0)
