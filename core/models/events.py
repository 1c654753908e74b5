from __future__ import annotations

from peewee import BigIntegerField, CharField, IntegerField

from core.models.base import BaseModel, JSONField, UTCDateTimeField


class OutboxEvent(BaseModel):
    """Something someone should hear about, written in the transaction that caused it.
    The jobs relay delivers it; core never sends anything itself."""

    kind = CharField(max_length=32)
    user_id = BigIntegerField(null=True)  # the person to tell, if any
    payload = JSONField(default=dict)
    created_at = UTCDateTimeField()
    enqueued_at = UTCDateTimeField(null=True)
    done_at = UTCDateTimeField(null=True)
    attempts = IntegerField(default=0)
    last_error = CharField(max_length=255, null=True)
    # A worker sending it holds it until then (migration 5), so two copies of the queue
    # message never send twice; a crashed sender's lease runs out and the sweep retries.
    lease_until = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("done_at", "id"), False), (("user_id", "created_at"), False))
