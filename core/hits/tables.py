"""HITs, their questions and batches, and the requester's drafts."""
from __future__ import annotations

from peewee import (
    SQL,
    BigIntegerField,
    BooleanField,
    CharField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from core.db import BaseModel, JSONField, UTCDateTimeField
from core.users.tables import User

QUESTION_KINDS = ("choice", "multi", "text", "number", "rating", "photo", "document", "voice", "location")
# A web task (HTMLQuestion, ExternalQuestion): one question answered by the task page's form, not in chat;
# not among the kinds a requester picks in chat.
WEB_KIND = "web"

FILE_KINDS = ("photo", "document", "voice")

class HitStatus:
    OPEN = "open"
    CLOSED = "closed"  # expired, ended early, or finished

class Batch(BaseModel):
    requester = ForeignKeyField(User, backref="batches", on_delete="CASCADE")
    title = CharField(max_length=128)
    rows_n = IntegerField(default=0)
    created_at = UTCDateTimeField()

class HitGroup(BaseModel):
    """HITs of one type, shown as one entry in /browse (issue #17): every HIT of a batch, the API's
    HITs of one HITType, or identical HITs published one by one (core.hits.groups.group_key).
    What browse sorts and filters on is kept here, so its pages stay keyset-paged over groups."""

    key = CharField(max_length=64, unique=True)
    requester = ForeignKeyField(User, backref="hit_groups", on_delete="CASCADE")
    reward_cents = BigIntegerField()
    duration_s = IntegerField()
    newest_hit_id = BigIntegerField(default=0)  # the "newest" sort: the latest HIT published into it
    expires_at = UTCDateTimeField()  # its latest HIT's; a group past it has nothing open
    available = IntegerField(default=0)  # slots nobody holds, for the "most available" sort
    work_n = IntegerField(default=0)  # submissions over all its HITs, and their work time
    work_s_total = BigIntegerField(default=0)
    estimated_s = IntegerField(null=True)  # the requester's own estimate of the work time (spec's estimated_time)
    hourly_cents = BigIntegerField()  # from real times once 3 exist; before, from the estimate or the full duration
    requester_score = IntegerField(default=0)
    created_at = UTCDateTimeField()

    class Meta:
        indexes = (  # one per sort, walked in order; a group past expires_at is skipped as it is met
            (("newest_hit_id", "id"), False),
            (("reward_cents", "id"), False),
            (("hourly_cents", "id"), False),
            (("available", "id"), False),
            (("requester_score", "id"), False),
        )

    @property
    def hourly_is_estimate(self) -> bool:
        """Whether hourly_cents comes from real work times (3 submissions or more)."""
        return self.work_n >= 3


class Hit(BaseModel):
    requester = ForeignKeyField(User, backref="hits", on_delete="CASCADE")
    batch = ForeignKeyField(Batch, backref="hits", null=True, on_delete="SET NULL")
    batch_row = JSONField(null=True)  # the CSV row a batch HIT was made from
    title = CharField(max_length=128)
    description = TextField(default="")
    keywords = CharField(max_length=256, default="")  # lower-case, space separated
    attachment = TextField(null=True)
    reward_cents = BigIntegerField()
    fee_cents = BigIntegerField()  # per assignment, fixed at publish time
    max_assignments = IntegerField()
    available = IntegerField()  # slots nobody holds yet
    duration_s = IntegerField()
    auto_approve_s = IntegerField()
    created_at = UTCDateTimeField()
    expires_at = UTCDateTimeField()
    status = CharField(max_length=8, default=HitStatus.OPEN)
    # Pay transparency: worker-seconds actually spent, and the derived hourly rate.
    work_n = IntegerField(default=0)
    work_s_total = BigIntegerField(default=0)
    hourly_cents = BigIntegerField()  # floor (reward over full duration) until real times exist
    requester_score = IntegerField(default=0)  # requester rating x100, for the rating sort
    has_requirements = BooleanField(default=False)
    group = ForeignKeyField(HitGroup, backref="hits", null=True, on_delete="SET NULL", index=False)
    language = CharField(max_length=16, null=True)  # what its texts are written in ("es", "pt-BR"); None: unsaid

    class Meta:
        indexes = (
            (("group", "status", "available", "id"), False),
            (("status", "created_at", "id"), False),
            (("status", "reward_cents", "id"), False),
            (("status", "hourly_cents", "id"), False),
            (("status", "available", "id"), False),
            (("status", "requester_score", "id"), False),
            (("status", "expires_at"), False),
        )

    @property
    def unit_cost_cents(self) -> int:
        return self.reward_cents + self.fee_cents

    @property
    def hourly_is_estimate(self) -> bool:
        return self.work_n >= 3

# Migration 6. The "newest" browse walks open HITs in id order. A partial index, because with
# (status, id) PostgreSQL still prefers the primary key and filters every closed HIT in the way
# (a finished 50k-row batch: 5 ms -> 0.06 ms); SQLite uses it as well.
Hit.add_index(Hit.index(Hit.id, name="hit_open_id").where(SQL(f"status = '{HitStatus.OPEN}'")))

class Question(BaseModel):
    hit = ForeignKeyField(Hit, backref="questions", on_delete="CASCADE")
    position = IntegerField()
    key = CharField(max_length=32)
    kind = CharField(max_length=16)
    prompt = TextField()
    options = JSONField(null=True)  # choice / multi
    required = BooleanField(default=True)
    min_value = DoubleField(null=True)  # number: value bounds; text: length bounds
    max_value = DoubleField(null=True)
    gold = JSONField(null=True)  # a control answer, never shown to workers

    class Meta:
        indexes = ((("hit", "position"), True), (("hit", "key"), True))

class DraftStatus:
    EDITING = "editing"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

class HitDraft(BaseModel):
    """Rows are kept after publishing or cancelling: the id is the publish idempotency key,
    so it must never be reused (SQLite may reuse the largest rowid after a delete)."""

    user = ForeignKeyField(User, backref="drafts", on_delete="CASCADE")
    status = CharField(max_length=10, default=DraftStatus.EDITING)
    step = CharField(max_length=16)  # what the bot asked for last
    data = JSONField(default=dict)  # the HIT spec so far (same keys as a spec file)
    work = JSONField(default=dict)  # the question or edit in progress
    hit_id = BigIntegerField(null=True)  # set when published
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        indexes = ((("user", "status"), False),)
