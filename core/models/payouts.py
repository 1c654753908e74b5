from __future__ import annotations

from peewee import BigIntegerField, ForeignKeyField

from core.models.base import BaseModel, UTCDateTimeField
from core.models.users import User


class AutoWithdraw(BaseModel):
    """A worker's standing order: once the available balance reaches the threshold, withdraw it all."""

    user = ForeignKeyField(User, primary_key=True, backref="auto_withdraw", on_delete="CASCADE")
    threshold_cents = BigIntegerField()
    updated_at = UTCDateTimeField()
