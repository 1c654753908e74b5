"""Assignments (a worker's hold on one HIT slot) and their answers."""
from __future__ import annotations

from peewee import BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.hits.tables import Hit, Question
from core.users.tables import User


class AssignmentStatus:
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    EXPIRED = "expired"
    REVISING = "revising"  # the requester asked for a revision; the worker may change answers (core.review.revisions)

    ACTIVE = (ACCEPTED, SUBMITTED)
    HOLDING_SLOT = (ACCEPTED, SUBMITTED, REVISING, APPROVED, REJECTED)

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
