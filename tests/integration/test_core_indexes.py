"""Migration 6 adds the core browse index to a database created before it, once; every
browse sort has an index that yields open HITs in its order."""
from __future__ import annotations

import pytest

from core.db import db, is_sqlite
from core.migrations import SchemaVersion, current_version, migrate
from core.work.browse import SORTS


def _hit_indexes() -> dict[str, list[str]]:
    return {index.name: index.columns for index in db.get_indexes("hit")}


def _search_indexes() -> set[str]:
    return set() if is_sqlite() else {"hit_open_title_trgm", "hit_open_keywords_trgm"}  # PostgreSQL's pg_trgm


def test_migration_6_adds_the_browse_indexes_to_an_older_database(database):
    mine = {"hit_open_id", *_search_indexes()}
    assert mine <= set(_hit_indexes())
    # The database as a deploy from before migration 6 left it.
    for name in mine:
        db.execute_sql(f'DROP INDEX "{name}"')
    SchemaVersion.delete().where(SchemaVersion.version == 6).execute()

    assert 6 in migrate()
    assert _hit_indexes()["hit_open_id"] == ["id"]
    assert mine <= set(_hit_indexes())
    assert migrate() == []  # a second deploy finds nothing to do
    assert current_version() >= 6


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_every_browse_sort_has_an_index_over_hit_groups_in_its_order(database, sort):
    """Browse lists HIT groups (issue #17), walked in each sort's index order; a group's HITs are found
    by their own index (group, status, available, id)."""
    column = SORTS[sort].column_name
    groups = {index.name: index.columns for index in db.get_indexes("hit_group")}
    assert any(cols == [column, "id"] for cols in groups.values()), (sort, groups)
    assert ["group_id", "status", "available", "id"] in _hit_indexes().values()


def test_migration_17_puts_every_older_hit_in_a_group(database, now):
    """A database from before HIT groups: a batch's HITs become one group, any other HIT its own; the
    groups' open slots and work times are the HITs'; the trigger keeps them in step from then on."""
    from core.hits import publishing
    from core.models import Hit, HitGroup
    from core.work import commands as work
    from tests import factories as f

    r = f.requester(1_000_00)
    b = publishing.publish_batch(requester_id=r.id, title="photos", template=f.spec(title="P ${n}", assignments=2),
                                 rows=[{"n": str(i)} for i in range(3)], now=now)
    one, two = f.hit(r.id, now=now), f.hit(r.id, now=now)
    Hit.update(work_n=2, work_s_total=100).where(Hit.id == one.id).execute()
    Hit.update(group=None).execute()
    HitGroup.delete().execute()
    SchemaVersion.delete().where(SchemaVersion.version == 17).execute()

    assert 17 in migrate()
    batch_groups = {h.group_id for h in Hit.select().where(Hit.batch == b.id)}
    assert len(batch_groups) == 1 and None not in batch_groups
    assert len({Hit.get_by_id(one.id).group_id, Hit.get_by_id(two.id).group_id} | batch_groups) == 3
    (batch_group,) = batch_groups
    assert HitGroup.get_by_id(batch_group).available == 6
    assert HitGroup.get_by_id(Hit.get_by_id(one.id).group_id).work_n == 2
    work.accept(worker_id=f.user().id, hit_id=Hit.get(Hit.batch == b.id).id, now=now)
    assert HitGroup.get_by_id(batch_group).available == 5
    assert migrate() == []


def test_migration_6_completes_without_pg_trgm_and_search_still_works(database, monkeypatch, caplog, now):
    if is_sqlite():
        pytest.skip("PostgreSQL only: the trigram indexes are PostgreSQL's")
    from core.work.browse import Filters, list_open_hits
    from tests import factories as f

    for name in ("hit_open_id", *_search_indexes()):
        db.execute_sql(f'DROP INDEX "{name}"')
    SchemaVersion.delete().where(SchemaVersion.version == 6).execute()
    real = db.obj.execute_sql

    def no_trgm(sql, *args, **kwargs):  # a server without the extension: a real error, mid-transaction
        if sql.startswith("CREATE EXTENSION"):
            sql = "CREATE EXTENSION IF NOT EXISTS hitbot_no_such_extension"
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", no_trgm)
    assert 6 in migrate()
    monkeypatch.undo()

    assert "hit_open_id" in _hit_indexes() and not _search_indexes() & set(_hit_indexes())
    assert "pg_trgm is not available" in caplog.text
    r, w = f.requester(), f.user()
    hit = f.hit(r.id, title="Transcribe street signs")
    page = list_open_hits(worker_id=w.id, filters=Filters(keyword="street"), now=now)
    assert [c.hit.id for c in page.cards] == [hit.id]
    # A later deploy on a server that has it: put the indexes back for the other tests.
    SchemaVersion.delete().where(SchemaVersion.version == 6).execute()
    migrate()
    assert _search_indexes() <= set(_hit_indexes())
