from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from core.models.base import BaseModel, JSONField, UTCDateTimeField
from core.models.hits import Hit, Question
from core.models.users import User


class AssignmentStatus:
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    EXPIRED = "expired"

    ACTIVE = (ACCEPTED, SUBMITTED)
    HOLDING_SLOT = (ACCEPTED, SUBMITTED, APPROVED, REJECTED)


class Assignment(BaseModel):
    hit = ForeignKeyField(Hit, backref="assignments", on_delete="CASCADE")
    worker = ForeignKeyField(User, backref="assignments", on_delete="CASCADE")
    status = CharField(max_length=10, default=AssignmentStatus.ACCEPTED)
    accepted_at = UTCDateTimeField()
    deadline = UTCDateTimeField()
    submitted_at = UTCDateTimeField(null=True)
    auto_approve_at = UTCDateTimeField(null=True)
    decided_at = UTCDateTimeField(null=True)
    feedback = TextField(null=True)
    current_q = IntegerField(default=0)  # the question the worker is on (chat state)
    reminded = BooleanField(default=False)
    auto_approved = BooleanField(default=False)

    class Meta:
        indexes = (
            (("hit", "worker"), True),
            (("worker", "status"), False),
            (("status", "deadline"), False),
            (("status", "auto_approve_at"), False),
            (("hit", "status"), False),
        )

    @property
    def work_s(self) -> int | None:
        if self.submitted_at is None:
            return None
        return int((self.submitted_at - self.accepted_at).total_seconds())


class Answer(BaseModel):
    assignment = ForeignKeyField(Assignment, backref="answers", on_delete="CASCADE")
    question = ForeignKeyField(Question, on_delete="CASCADE")
    value = JSONField()
    answered_at = UTCDateTimeField()

    class Meta:
        indexes = ((("assignment", "question"), True),)


class Bonus(BaseModel):
    assignment = ForeignKeyField(Assignment, backref="bonuses", on_delete="CASCADE")
    amount_cents = BigIntegerField()
    fee_cents = BigIntegerField()
    reason = TextField()
    key = CharField(max_length=128, unique=True)
    created_at = UTCDateTimeField()


class WorkerBlock(BaseModel):
    """A requester's private block of a worker: the worker no longer sees their HITs."""

    requester = ForeignKeyField(User, backref="blocks_made", on_delete="CASCADE")
    worker = ForeignKeyField(User, backref="blocks_received", on_delete="CASCADE")
    reason = TextField(default="")
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("requester", "worker"), True), (("worker",), False))


class Rating(BaseModel):
    """One star rating, worker->requester or requester->worker, once per assignment."""

    assignment = ForeignKeyField(Assignment, backref="ratings", on_delete="CASCADE")
    rater = ForeignKeyField(User, on_delete="CASCADE")
    ratee = ForeignKeyField(User, backref="ratings_received", on_delete="CASCADE")
    direction = CharField(max_length=3)  # w2r | r2w
    stars = IntegerField()
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("assignment", "direction"), True),)
