"""Follow-up work offers (migration 21): a requester's private HIT for chosen workers, drafted
from one of their HITs, then published behind an automatic private qualification."""
from __future__ import annotations

from peewee import BigIntegerField, CharField, ForeignKeyField

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.hits.tables import Hit
from core.quals.tables import QualificationType
from core.users.tables import User


class FollowupOffer(BaseModel):
    """A draft until Publish (status "draft" -> "published", once, by a conditional update)."""

    DRAFT, PUBLISHED = "draft", "published"

    requester = ForeignKeyField(User, backref="followup_offers", on_delete="CASCADE")
    template = ForeignKeyField(Hit, on_delete="CASCADE")  # the HIT whose spec is copied
    workers = JSONField(default=list)  # the chosen workers' user ids, first the card's
    reward_cents = BigIntegerField(null=True)  # set once the requester typed it
    status = CharField(max_length=10, default=DRAFT)
    hit = ForeignKeyField(Hit, null=True, on_delete="SET NULL", backref="followup_of")  # the private HIT
    qtype = ForeignKeyField(QualificationType, null=True, on_delete="SET NULL")  # its private qualification
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("requester", "created_at"), False),)
