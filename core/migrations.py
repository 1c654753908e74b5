"""Schema versions. `hitbot migrate` applies what is missing, in order, and records it.

A new migration is appended to MIGRATIONS with the next number; it receives a peewee
SchemaMigrator and must only add (tables, columns, indexes) so old code keeps running
during a rolling deploy."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from peewee import BigIntegerField, CharField, DatabaseError, IntegerField
from playhouse.migrate import SchemaMigrator

from core import models as m
from core.db import db, is_sqlite, tx
from core.hits import search
from core.models import BaseModel, JSONField, QualificationType, SystemQual, UTCDateTimeField

log = logging.getLogger(__name__)


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    applied_at = UTCDateTimeField()


def _initial(migrator: SchemaMigrator) -> None:
    db.create_tables([m.User, m.Batch, m.HitGroup, m.Hit, m.Question, m.Assignment, m.Answer, m.Bonus, m.WorkerBlock, m.Rating,
                      m.Account, m.LedgerTxn, m.Entry, m.Payout, m.OutboxEvent, m.QualificationType,
                      m.QualificationGrant, m.HitRequirement], safe=True)
    seed()


def seed() -> None:
    """Rows every database has: the system qualification types."""
    now = datetime.now(timezone.utc)
    descriptions = {
        SystemQual.APPROVAL_RATE: "Share of your decided work that was approved (%)",
        SystemQual.APPROVED_COUNT: "Number of your approved assignments",
        SystemQual.COUNTRY: "The country set in your profile",
        SystemQual.ACCOUNT_AGE_DAYS: "Days since you joined hitbot",
        SystemQual.WORKER_RATING: "Requesters' average stars for your work (1-5)",
        SystemQual.SPEAKS: "Your hitbot language and the languages in your /profile",
    }
    for key, text in descriptions.items():
        QualificationType.get_or_create(
            system=key, defaults={"name": key.replace("_", " "), "description": text, "created_at": now}
        )


def _quality(migrator: SchemaMigrator) -> None:
    db.create_tables([m.QualTest, m.QualTestAttempt, m.GoldStat, m.Appeal], safe=True)


def _drafts(migrator: SchemaMigrator) -> None:
    db.create_tables([m.HitDraft], safe=True)


def _alerts(migrator: SchemaMigrator) -> None:
    db.create_tables([m.AlertSub, m.AlertSent, m.AlertCursor], safe=True)
    # Start the alert sweep at the newest HIT: what was published before alerts existed is not news.
    newest = m.Hit.select(m.Hit.id).order_by(m.Hit.id.desc()).scalar() or 0
    m.AlertCursor.get_or_create(name="hits", defaults={"last_hit_id": newest})


def _payouts(migrator: SchemaMigrator) -> None:
    db.create_tables([m.AutoWithdraw], safe=True)


def _delivery(migrator: SchemaMigrator) -> None:
    """Notification delivery state: the sender's lease on an outbox row."""
    table = m.OutboxEvent._meta.table_name
    if "lease_until" not in {c.name for c in db.get_columns(table)}:  # tables made by _initial have it
        from playhouse.migrate import migrate as run

        run(migrator.add_column(table, "lease_until", UTCDateTimeField(null=True)))


def _core_indexes(migrator: SchemaMigrator) -> None:
    """Indexes declared in the models since their tables were created (IF NOT EXISTS: a new
    database already has them from its CREATE TABLE step), and on PostgreSQL the keyword
    search indexes."""
    for model in (m.Hit,):
        model._schema.create_indexes(safe=True)
    if not is_sqlite():
        _keyword_search_indexes()


def _keyword_search_indexes() -> None:
    """Trigram indexes, so a keyword search (ILIKE '%word%') need not scan every open HIT
    (100k open HITs, a word none has: 70 ms -> 2 ms). pg_trgm is a trusted extension since
    PostgreSQL 13, so the database owner may create it; without it search still works."""
    try:
        with db.atomic():  # a savepoint: a refusal must not abort the migration
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        log.warning("pg_trgm is not available (%s); keyword search will scan open HITs", error)
        return
    for column in ("title", "keywords"):
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "hit_open_{column}_trgm" ON "hit" '
                       f"USING gin (\"{column}\" gin_trgm_ops) WHERE status = 'open'")


def _cards(migrator: SchemaMigrator) -> None:
    """Which chat messages show which object, so a change can edit them (convention 14)."""
    db.create_tables([m.ChatCard], safe=True)


def _mturk_api(migrator: SchemaMigrator) -> None:
    """The MTurk-compatible API: requesters' access keys, and what it keeps about its HITs."""
    db.create_tables([m.ApiKey, m.MturkHit], safe=True)


def _payout_methods(migrator: SchemaMigrator) -> None:
    """Issue 19: workers' payout destinations, and each payout's method, destination and fee."""
    db.create_tables([m.PayoutDestination], safe=True)
    table = m.Payout._meta.table_name
    have = {c.name for c in db.get_columns(table)}  # tables made by _initial have them
    from playhouse.migrate import migrate as run

    new = [("method", CharField(max_length=12, null=True)), ("destination_id", BigIntegerField(null=True)),
           ("destination_masked", CharField(max_length=64, null=True)), ("fee_cents", BigIntegerField(default=0))]
    run(*[migrator.add_column(table, name, field) for name, field in new if name not in have])


def _mturk_hit_types(migrator: SchemaMigrator) -> None:
    """The MTurk API's HIT types (CreateHITType) and HITs' review status and disposal (DeleteHIT)."""
    db.create_tables([m.MturkHitType, m.MturkHitState], safe=True)


def _mturk_quals(migrator: SchemaMigrator) -> None:
    """The MTurk API's qualification types' extras, HIT types' requirements and notification settings."""
    from playhouse.migrate import migrate as run

    db.create_tables([m.MturkQualType, m.MturkNotification], safe=True)
    new = [(m.MturkHitType, "requirements", JSONField(default=list)),
           (m.MturkHit, "type_id", CharField(max_length=64, null=True))]
    for model, name, field in new:  # tables made by the earlier steps on an old schema lack them
        table = model._meta.table_name
        if name not in {c.name for c in db.get_columns(table)}:
            run(migrator.add_column(table, name, field))


def _keyword_fts(migrator: SchemaMigrator) -> None:
    """Issue 21: on SQLite, keyword search from an FTS5 trigram table of open HITs (core.hits.search);
    PostgreSQL has its trigram indexes since migration 6."""
    search.install()


def _tax_and_topups(migrator: SchemaMigrator) -> None:
    """Issue 19: workers' tax details, and payments paid in (refundable, never withdrawable)."""
    db.create_tables([m.TaxDetails, m.TopUp], safe=True)


def _send_slots(migrator: SchemaMigrator) -> None:
    """Telegram send slots for a deployment without Redis (RabbitMQ and PostgreSQL): each key's
    next free moment in µs on the server's clock (jobs.slots.PgSlots). Unused elsewhere.
    UNLOGGED: no WAL, so a reservation's commit waits for no fsync; a crash empties the table,
    which only means "every key is free now" (the slots' contract allows forgetting)."""
    unlogged = "" if is_sqlite() else "UNLOGGED "
    db.execute_sql(f"CREATE {unlogged}TABLE IF NOT EXISTS send_slot "
                   "(key TEXT PRIMARY KEY, next_free_us BIGINT NOT NULL)")


def _messages(migrator: SchemaMigrator) -> None:
    """Issue 18: a thread per worker-requester pair and its messages."""
    db.create_tables([m.Thread, m.Message], safe=True)


def _hit_groups(migrator: SchemaMigrator) -> None:
    """Issue 17: HIT groups. Each HIT names its group; a batch's HITs (per reward and time) are one group,
    an API HIT made with a HITType joins its type's, and any other HIT published before now is a group
    of its own (its spec is not kept to compare)."""
    from playhouse.migrate import migrate as run

    from core.hits import groups

    db.create_tables([m.HitGroup], safe=True)
    table = m.Hit._meta.table_name
    if "group_id" not in {c.name for c in db.get_columns(table)}:
        run(migrator.add_column(table, "group_id", BigIntegerField(null=True)))
    m.Hit._schema.create_indexes(safe=True)
    types = dict(m.MturkHit.select(m.MturkHit.hit, m.MturkHit.type_id).where(m.MturkHit.type_id.is_null(False)).tuples())
    made: dict[str, int] = {}
    last = 0
    while True:  # in chunks, so a big table is not read at once
        hits = list(m.Hit.select().where((m.Hit.id > last) & m.Hit.group.is_null()).order_by(m.Hit.id).limit(1000))
        if not hits:
            break
        for hit in hits:
            origin = (f"batch:{hit.batch_id}" if hit.batch_id else f"type:{types[hit.id]}" if hit.id in types
                      else f"hit:{hit.id}")
            key = groups.legacy_key(hit.requester_id, origin, hit.reward_cents, hit.duration_s)
            if key not in made:
                made[key] = groups.join(key=key, requester_id=hit.requester_id, reward_cents=hit.reward_cents,
                                        duration_s=hit.duration_s, estimated_s=None,
                                        requester_score=hit.requester_score, now=hit.created_at).id
            m.Hit.update(group=made[key]).where(m.Hit.id == hit.id).execute()
            m.HitGroup.update(work_n=m.HitGroup.work_n + hit.work_n,
                              work_s_total=m.HitGroup.work_s_total + hit.work_s_total).where(
                m.HitGroup.id == made[key]).execute()
        last = hits[-1].id
    groups.refresh(list(made.values()))
    groups.install_triggers()
    for group in m.HitGroup.select().where(m.HitGroup.work_n >= groups.MIN_REAL_TIMES):
        group.hourly_cents = group.reward_cents * 3600 * group.work_n // max(1, group.work_s_total)
        group.save()


def _revisions(migrator: SchemaMigrator) -> None:
    """Issue 18: a requester can ask for a revision instead of rejecting (core.review.revisions)."""
    db.create_tables([m.Revision], safe=True)


def _qual_requests(migrator: SchemaMigrator) -> None:
    """Issue 18: workers request a requester's qualification; a type can grant requests automatically."""
    from playhouse.migrate import migrate as run

    table = m.QualificationType._meta.table_name
    if "auto_grant_value" not in {c.name for c in db.get_columns(table)}:
        run(migrator.add_column(table, "auto_grant_value", IntegerField(null=True)))
    db.create_tables([m.QualificationRequest], safe=True)


def _message_safety(migrator: SchemaMigrator) -> None:
    """Issue 18: muted and reported conversations, workers' blocks of requesters, flagged first
    messages and photos/documents in messages."""
    from peewee import BooleanField
    from playhouse.migrate import migrate as run

    for model, columns in ((m.Thread, {"worker_muted": BooleanField(default=False),
                                       "requester_muted": BooleanField(default=False)}),
                           (m.Message, {"flagged": BooleanField(default=False),
                                        "file_kind": CharField(max_length=1, null=True),
                                        "file_id": CharField(max_length=200, null=True),
                                        "file_name": CharField(max_length=120, null=True)})):
        have = {c.name for c in db.get_columns(model._meta.table_name)}
        for name, field in columns.items():
            if name not in have:
                run(migrator.add_column(model._meta.table_name, name, field))
    db.create_tables([m.ThreadReport, m.RequesterBlock], safe=True)


def _ratings(migrator: SchemaMigrator) -> None:
    """Issue 18: requesters rate workers (the worker_rating qualification) and workers rate requesters'
    pay, fairness, communication and speed of review (core.review.ratings)."""
    from playhouse.migrate import migrate as run

    table = m.Rating._meta.table_name
    have = {c.name for c in db.get_columns(table)}
    for name in ("pay", "fairness", "communication", "speed"):
        if name not in have:
            run(migrator.add_column(table, name, IntegerField(null=True)))
    if "rating_ratee_id_direction" not in {i.name for i in db.get_indexes(table)}:
        run(migrator.add_index(table, ("ratee_id", "direction"), False))
    seed()


def _followup_and_groups(migrator: SchemaMigrator) -> None:
    """Issue 18: follow-up work offers and group messages (with their delivery progress)."""
    db.create_tables([m.FollowupOffer, m.GroupSend, m.GroupRecipient], safe=True)


def _hit_language(migrator: SchemaMigrator) -> None:
    """Issue 20: a HIT's language (its spec's `language`) and the `speaks` requirement."""
    from playhouse.migrate import migrate as run

    table = m.Hit._meta.table_name
    if "language" not in {c.name for c in db.get_columns(table)}:
        run(migrator.add_column(table, "language", CharField(max_length=16, null=True)))
    seed()


MIGRATIONS: list[tuple[int, Callable[[SchemaMigrator], None]]] = [
    (1, _initial),
    (2, _quality),
    (3, _drafts),
    (4, _alerts),
    (5, _delivery),
    (6, _core_indexes),
    (7, _payouts),
    (8, _cards),
    (9, _mturk_api),
    (10, _payout_methods),
    (11, _mturk_hit_types),
    (12, _mturk_quals),
    (13, _keyword_fts),
    (14, _tax_and_topups),
    (15, _send_slots),
    (16, _messages),  # 15 is another slice's
    (17, _hit_groups),
    (18, _revisions),
    (19, _qual_requests),
    (20, _message_safety),
    (21, _ratings),
    (22, _followup_and_groups),  # 21 is the ratings slice's
    (23, _hit_language),
]

LATEST = MIGRATIONS[-1][0]


def current_version() -> int:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select().order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def migrate() -> list[int]:
    """Bring the schema to LATEST. Safe to run again; returns the versions applied."""
    db.create_tables([SchemaVersion], safe=True)
    migrator = SchemaMigrator.from_database(db.obj)
    applied = []
    for version, step in MIGRATIONS:
        with tx():
            if SchemaVersion.get_or_none(SchemaVersion.version == version) is not None:
                continue
            step(migrator)
            SchemaVersion.create(version=version, applied_at=datetime.now(timezone.utc))
            applied.append(version)
    return applied
