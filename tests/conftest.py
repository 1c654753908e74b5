"""Shared fixtures. The same suite runs on SQLite (default) and on PostgreSQL when
TEST_DATABASE_URL is set; on an embedded Redis, or a real one when TEST_REDIS_URL is set."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest


from core.config import get_settings
from core.db import db, init_db, is_sqlite
from core.migrations import migrate, seed
from core.models import ALL_MODELS
from tests.pgdb import private_database

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
ADMIN_ID = 999_000_001

TEST_ENV = {
    "HITBOT_ADMINS": str(ADMIN_ID),
    "HITBOT_CURRENCY": "USD",
    "HITBOT_FEE_PERCENT": "20",
    "HITBOT_MIN_PAYOUT_CENTS": "100",
    # As in production on PostgreSQL, where every process must share one (SQLite alone could make it).
    "HITBOT_SECRET_KEY": "test-suite-secret-key-0123456789abcdef0123",
}


@pytest.fixture(scope="session", autouse=True)
def _test_env(tmp_path_factory: pytest.TempPathFactory):
    old = {k: os.environ.get(k) for k in [*TEST_ENV, "HITBOT_DATA_DIR", "DATABASE_URL"]}
    os.environ.update(TEST_ENV)
    os.environ["HITBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    os.environ.pop("DATABASE_URL", None)
    get_settings.cache_clear()
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()


def database_url(tmp_dir) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir}/test.sqlite3"


@pytest.fixture(scope="session")
def _schema(tmp_path_factory: pytest.TempPathFactory, _test_env) -> str:
    url = database_url(tmp_path_factory.mktemp("db"))
    drop = None
    if url.startswith("postgres"):
        url, drop = private_database(url)
    init_db(url)
    migrate()
    yield url
    if drop is not None:
        drop()


def _wipe() -> None:
    tables = [m._meta.table_name for m in ALL_MODELS]
    if is_sqlite():
        with db.atomic():
            for name in reversed(tables):
                db.execute_sql(f'DELETE FROM "{name}"')
    else:
        # DELETE and a sequence reset, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new files for
        # 46 tables cost 165-185 ms a test (about 6 minutes of the suite) against 20-30 ms.
        with db.atomic():
            db.execute_sql("".join(f'DELETE FROM "{name}";' for name in reversed(tables)))
            db.execute_sql(_RESTART_SEQUENCES)
    seed()


_RESTART_SEQUENCES = ("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                      " WHERE c.relkind = 'S' AND n.nspname = current_schema()")


@pytest.fixture
def database(_schema: str) -> str:
    """A clean, migrated database for one test; yields its URL."""
    _wipe()
    yield _schema
    db.close()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def bystanders(database, now):
    """People and work the test does not touch, in the database first (tests/bystanders.py):
    take `bystanders.snapshot()` before the call under test, `assert_untouched()` after."""
    from tests.bystanders import Bystanders

    return Bystanders.create(now)
