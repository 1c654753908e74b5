"""Qualification types, grants, HIT requirements and qualification tests."""
from __future__ import annotations

from peewee import BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.hits.tables import Hit
from core.users.tables import User

COMPARATORS = ("<", "<=", ">", ">=", "=", "!=", "exists", "not exists", "in", "not in")

GUARDS = ("discover", "preview", "accept")

class SystemQual:
    """Qualifications hitbot computes from real history; no one grants them."""

    APPROVAL_RATE = "approval_rate"
    APPROVED_COUNT = "approved_count"
    COUNTRY = "country"
    ACCOUNT_AGE_DAYS = "account_age_days"
    WORKER_RATING = "worker_rating"  # requesters' average stars for the worker (core.review.ratings)
    SPEAKS = "speaks"  # the worker's hitbot language and those in their /profile (core.users.languages)

    ALL = (APPROVAL_RATE, APPROVED_COUNT, COUNTRY, ACCOUNT_AGE_DAYS, WORKER_RATING, SPEAKS)

class QualificationType(BaseModel):
    owner = ForeignKeyField(User, null=True, backref="qualification_types", on_delete="CASCADE")
    name = CharField(max_length=64)
    description = TextField(default="")
    system = CharField(max_length=24, null=True, unique=True)
    created_at = UTCDateTimeField()
    # Workers' requests for it are granted at once with this value (None: the requester decides).
    auto_grant_value = IntegerField(null=True)

    class Meta:
        indexes = ((("owner", "name"), True),)

class QualificationGrant(BaseModel):
    qtype = ForeignKeyField(QualificationType, backref="grants", on_delete="CASCADE")
    worker = ForeignKeyField(User, backref="qualifications", on_delete="CASCADE")
    value = IntegerField(default=1)
    granted_at = UTCDateTimeField()

    class Meta:
        indexes = ((("qtype", "worker"), True),)

class HitRequirement(BaseModel):
    hit = ForeignKeyField(Hit, backref="requirements", on_delete="CASCADE")
    qtype = ForeignKeyField(QualificationType, on_delete="CASCADE")
    comparator = CharField(max_length=10)
    values = JSONField(default=list)  # ints, or country codes for the country qualification
    guard = CharField(max_length=8, default="accept")

class QualTest(BaseModel):
    """A short quiz whose score (0-100) is granted as a qualification value."""

    qtype = ForeignKeyField(QualificationType, backref="tests", unique=True, on_delete="CASCADE")
    questions = JSONField()  # [{"prompt", "options": [...], "answer": "..."}]
    retake_after_s = IntegerField(default=86_400)
    created_at = UTCDateTimeField()

class QualTestAttempt(BaseModel):
    test = ForeignKeyField(QualTest, backref="attempts", on_delete="CASCADE")
    worker = ForeignKeyField(User, on_delete="CASCADE")
    answers = JSONField(default=list)
    score = IntegerField(null=True)  # set when finished
    started_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("test", "worker", "started_at"), False),)


class QualificationRequest(BaseModel):
    """A worker asking for a requester's qualification (core.quals.requests). At most one waits per
    worker and type: `waiting` is True while it does and NULL after, and NULLs never collide in the
    unique index."""

    PENDING, GRANTED, REFUSED = "pending", "granted", "refused"

    qtype = ForeignKeyField(QualificationType, backref="requests", on_delete="CASCADE")
    worker = ForeignKeyField(User, on_delete="CASCADE")
    hit = ForeignKeyField(Hit, null=True, on_delete="SET NULL")  # the preview it was asked from
    message = TextField(default="")
    status = CharField(max_length=8, default=PENDING)
    waiting = BooleanField(null=True, default=True)
    value = IntegerField(null=True)  # what was granted
    reason = TextField(default="")  # why it was refused
    decided_by = CharField(max_length=8, default="")  # chat | api | auto
    submitted_at = UTCDateTimeField()
    decided_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("qtype", "worker", "waiting"), True), (("qtype", "status"), False),
                   (("worker", "qtype", "submitted_at"), False))
