from __future__ import annotations

from peewee import CharField, ForeignKeyField, IntegerField, TextField

from core.models.base import BaseModel, JSONField, UTCDateTimeField
from core.models.quals import QualificationType
from core.models.users import User
from core.models.work import Assignment
from core.numbers import percent


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
