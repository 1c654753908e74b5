"""The people: one row per Telegram user who started hitbot."""
from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, IntegerField

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.numbers import percent


class User(BaseModel):
    """A Telegram user; the same person can be a worker and a requester."""

    id = BigIntegerField(primary_key=True)  # Telegram user id
    first_name = CharField(max_length=128, default="")
    username = CharField(max_length=64, null=True)
    language_code = CharField(max_length=16, null=True)
    country = CharField(max_length=2, null=True)  # ISO 3166 alpha-2, set by the worker
    timezone = CharField(max_length=64, default="UTC")
    banned = BooleanField(default=False)  # by an admin
    unreachable = BooleanField(default=False)  # the user blocked the bot
    created_at = UTCDateTimeField()
    # Worker history, kept by the review services (the qualification inputs).
    approved_n = IntegerField(default=0)
    rejected_n = IntegerField(default=0)
    submitted_n = IntegerField(default=0)
    # Requester reputation, kept by the review and rating services.
    reviews_n = IntegerField(default=0)
    review_s_total = BigIntegerField(default=0)
    rating_sum = IntegerField(default=0)
    rating_n = IntegerField(default=0)
    prefs = JSONField(default=dict)  # browse filter, alert settings, review mode

    @property
    def display_name(self) -> str:
        return self.first_name or (f"@{self.username}" if self.username else f"user {self.id}")

    @property
    def approval_rate_pct(self) -> int | None:
        decided = self.approved_n + self.rejected_n
        return percent(self.approved_n, decided)

    @property
    def rating_avg(self) -> float | None:
        return None if self.rating_n == 0 else self.rating_sum / self.rating_n
