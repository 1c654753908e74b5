"""Whole-database snapshots, to prove that a refused request changed nothing."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from core.db import db, is_sqlite
from core.models import ALL_MODELS, Account

# Plain SQL: snapshots run around every step of the property tests, so skip the ORM.
_TABLES = [(m._meta.table_name, m._meta.primary_key.column_name) for m in ALL_MODELS]
_SQLITE = [f'SELECT * FROM "{t}" ORDER BY "{pk}"' for t, pk in _TABLES]
# PostgreSQL: one round trip for all tables, each as a JSON array of its rows.
_POSTGRES = "SELECT " + ", ".join(f'(SELECT json_agg(t ORDER BY t."{pk}")::text FROM "{t}" t)' for t, pk in _TABLES)


def snapshot() -> dict[str, list]:
    """Every row of every table, in primary-key order (test databases are small)."""
    if is_sqlite():
        return {t: [tuple(row) for row in db.execute_sql(sql).fetchall()] for (t, _), sql in zip(_TABLES, _SQLITE)}
    row = db.execute_sql(_POSTGRES).fetchone()
    return {t: json.loads(rows) if rows else [] for (t, _), rows in zip(_TABLES, row)}


def balances() -> dict[str, int]:
    return dict(Account.select(Account.code, Account.balance_cents).tuples())


def assert_same(before: dict[str, list], after: dict[str, list]) -> None:
    for table, rows in before.items():
        assert len(after[table]) == len(rows), f"{table}: {len(rows)} rows before, {len(after[table])} after"
        assert after[table] == rows, f"{table} rows changed"


@contextlib.contextmanager
def unchanged() -> Iterator[None]:
    """`with unchanged(), pytest.raises(E): ...` - the call fails and leaves no trace."""
    before = snapshot()
    yield
    assert_same(before, snapshot())
