"""Migration 6 adds the core browse indexes to a database created before them, once."""
from __future__ import annotations

import pytest

from core.db import db
from core.migrations import SchemaVersion, current_version, migrate


def _hit_indexes() -> set[str]:
    return {index.name for index in db.get_indexes("hit")}


def test_migration_6_adds_the_newest_browse_index_to_an_older_database(database):
    assert "hit_status_id" in _hit_indexes()
    # The database as a deploy from before migration 6 left it.
    db.execute_sql('DROP INDEX "hit_status_id"')
    SchemaVersion.delete().where(SchemaVersion.version == 6).execute()

    assert 6 in migrate()
    assert "hit_status_id" in _hit_indexes()
    assert migrate() == []  # a second deploy finds nothing to do
    assert current_version() >= 6


@pytest.mark.parametrize("sort", ["newest", "reward", "hourly", "available", "rating"])
def test_every_browse_sort_has_an_index_that_starts_with_status(database, sort):
    from core.services.browse import SORTS

    column = SORTS[sort].column_name
    wanted = ["status", column]
    indexed = [ix.columns for ix in db.get_indexes("hit")]
    assert any(cols[:2] == wanted for cols in indexed), (sort, indexed)
