"""The MTurk requester API's own rows: API keys and the HITs it made."""
from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.hits.tables import Hit
from core.quals.tables import QualificationType
from core.users.tables import User


class ApiKey(BaseModel):
    """A requester's access key for the API. The secret is not stored: it is derived from the
    key id and salt with the server key (core.secretkey), so a copy of the database alone
    can neither sign requests nor show a secret again."""

    user = ForeignKeyField(User, backref="api_keys", on_delete="CASCADE")
    access_key_id = CharField(max_length=32, unique=True)
    salt = CharField(max_length=32)
    request_key = CharField(max_length=64, unique=True)  # the press that made it: a double tap makes one
    created_at = UTCDateTimeField()
    revoked_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("user", "revoked_at"), False),)

class MturkHit(BaseModel):
    """A HIT made through the API: its UniqueRequestToken, annotation, the Question XML as
    sent, and how hitbot's question keys and options map back to MTurk's identifiers."""

    hit = ForeignKeyField(Hit, primary_key=True, backref="mturk", on_delete="CASCADE")
    requester = ForeignKeyField(User, on_delete="CASCADE")
    request_token = CharField(max_length=64, null=True)
    annotation = TextField(null=True)
    description = TextField(default="")  # the Description as sent (the HIT's own adds the form's overview)
    question = TextField(default="")
    # {hitbot question key: {"id": QuestionIdentifier, "selections": {option text: SelectionIdentifier}}}
    identifiers = JSONField(default=dict)
    created_at = UTCDateTimeField()
    type_id = CharField(max_length=64, null=True)  # its HITTypeId, for notification settings (migration 12)

    class Meta:
        # NULL tokens never collide (SQLite and PostgreSQL alike): HITs made without one are free.
        indexes = ((("requester", "request_token"), True),)


class MturkHitType(BaseModel):
    """A HIT type made by CreateHITType: what CreateHITWithHITType fills a HIT with. The id is a
    digest of the properties (api.ids.hit_type_id), so the same properties give the same id."""

    type_id = CharField(max_length=64, unique=True)
    requester = ForeignKeyField(User, on_delete="CASCADE")
    title = CharField(max_length=128)
    description = TextField()
    keywords = TextField(default="")  # as sent: comma separated
    reward = CharField(max_length=20)  # as sent: "0.50"
    duration_s = IntegerField()
    auto_approve_s = IntegerField(null=True)
    created_at = UTCDateTimeField()
    # QualificationRequirements as hitbot's spec entries ({"name", "comparator", "value", "guard"}), migration 12
    requirements = JSONField(default=list)


class MturkHitState(BaseModel):
    """MTurk's review status of a HIT (Reviewing, set by UpdateHITReviewStatus) and DeleteHIT's
    disposal: a disposed HIT leaves the API's listings; its money records stay."""

    hit = ForeignKeyField(Hit, primary_key=True, on_delete="CASCADE")
    requester = ForeignKeyField(User, on_delete="CASCADE")
    reviewing = BooleanField(default=False)
    disposed_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("requester", "disposed_at"), False),)


class MturkQualType(BaseModel):
    """What MTurk keeps about a qualification type beyond hitbot's name and description (a type
    made in chat has no row: Active, no keywords)."""

    qtype = ForeignKeyField(QualificationType, primary_key=True, on_delete="CASCADE")
    keywords = TextField(default="")
    active = BooleanField(default=True)  # QualificationTypeStatus Active / Inactive
    retry_delay_s = BigIntegerField(null=True)


class MturkNotification(BaseModel):
    """UpdateNotificationSettings: where the events of one HIT type's HITs are POSTed."""

    requester = ForeignKeyField(User, on_delete="CASCADE")
    hit_type_id = CharField(max_length=64)
    transport = CharField(max_length=8)
    destination = TextField()
    version = CharField(max_length=16)
    access_key_id = CharField(max_length=32)  # the key whose secret signs the POSTs (the one that set this up)
    event_types = JSONField(default=list)
    active = BooleanField(default=True)
    updated_at = UTCDateTimeField()

    class Meta:
        indexes = ((("requester", "hit_type_id"), True),)
