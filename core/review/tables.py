"""What review leaves behind: bonuses, blocks, ratings, control-answer scores and appeals."""
from __future__ import annotations

from peewee import BigIntegerField, CharField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, UTCDateTimeField
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
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("assignment", "direction"), True),)

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
