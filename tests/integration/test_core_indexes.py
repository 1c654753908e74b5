"""Migration 6 adds the core browse index to a database created before it, once; every
browse sort has an index that yields open HITs in its order."""
from __future__ import annotations

import pytest

from core.db import db
from core.migrations import SchemaVersion, current_version, migrate
from core.services.browse import SORTS


def _hit_indexes() -> dict[str, list[str]]:
    return {index.name: index.columns for index in db.get_indexes("hit")}


def test_migration_6_adds_the_newest_browse_index_to_an_older_database(database):
    assert "hit_open_id" in _hit_indexes()
    # The database as a deploy from before migration 6 left it.
    db.execute_sql('DROP INDEX "hit_open_id"')
    SchemaVersion.delete().where(SchemaVersion.version == 6).execute()

    assert 6 in migrate()
    assert _hit_indexes()["hit_open_id"] == ["id"]
    assert migrate() == []  # a second deploy finds nothing to do
    assert current_version() >= 6


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_every_browse_sort_has_an_index_over_open_hits_in_its_order(database, sort):
    column = SORTS[sort].column_name
    indexes = _hit_indexes()
    if sort == "newest":
        assert indexes["hit_open_id"] == ["id"]  # partial: WHERE status = 'open'
    else:
        assert any(cols[:3] == ["status", column, "id"] for cols in indexes.values()), (sort, indexes)
