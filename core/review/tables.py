"""What review leaves behind: bonuses, blocks, ratings, control-answer scores and appeals."""
from __future__ import annotations

from peewee import BigIntegerField, CharField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.numbers import percent
from core.users.tables import User
from core.work.tables import Assignment


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
    created_at = UTCDateTimeField()  # a requester's stars can change for 7 days from then (core.review.ratings)
    # A worker's optional Turkopticon-style taps after the stars (w2r only), 1-5 each.
    pay = IntegerField(null=True)
    fairness = IntegerField(null=True)
    communication = IntegerField(null=True)
    speed = IntegerField(null=True)

    class Meta:
        indexes = ((("assignment", "direction"), True), (("ratee", "direction"), False))

class GoldStat(BaseModel):
    """A worker's record on one requester's control questions (the per-requester skill)."""

    requester = ForeignKeyField(User, on_delete="CASCADE")
    worker = ForeignKeyField(User, on_delete="CASCADE")
    seen = IntegerField(default=0)
    correct = IntegerField(default=0)

    class Meta:
        indexes = ((("requester", "worker"), True),)

    @property
    def skill(self) -> int:
        return percent(self.correct, self.seen) or 0

class Appeal(BaseModel):
    """A rejected worker's one appeal, and what the requester decided."""

    assignment = ForeignKeyField(Assignment, backref="appeals", unique=True, on_delete="CASCADE")
    message = TextField()
    created_at = UTCDateTimeField()
    outcome = CharField(max_length=10, null=True)  # approved | kept
    decided_at = UTCDateTimeField(null=True)

class Revision(BaseModel):
    """A requester's request that the worker revise a submission (numbered per assignment: the cap).

    While it is open (closed_at null) the assignment is 'revising': the worker's changes wait here in
    `draft` (question id -> value, None to clear) and reach the answers only on resubmission, so a
    window that passes leaves the submission exactly as it was."""

    assignment = ForeignKeyField(Assignment, backref="revisions", on_delete="CASCADE")
    n = IntegerField()  # 1, 2, ... within its assignment
    note = TextField()
    requested_at = UTCDateTimeField()
    window_ends_at = UTCDateTimeField()
    auto_approve_left_s = IntegerField(null=True)  # what the auto-approval had left when it was paused
    draft = JSONField(default=dict)
    closed_at = UTCDateTimeField(null=True)
    outcome = CharField(max_length=12, null=True)  # resubmitted | lapsed

    class Meta:
        indexes = ((("assignment", "n"), True), (("closed_at", "window_ends_at"), False))
