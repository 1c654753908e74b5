"""The database handle, set up late by whichever process starts (peewee DatabaseProxy)."""
from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from peewee import Database, DatabaseProxy, DateTimeField, Model, SqliteDatabase, TextField
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase

db = DatabaseProxy()
log = logging.getLogger(__name__)

# Called after the outermost tx() commits / rolls back (e.g. the outbox relay's fast path).
# Hooks must be quick and must not raise; an error is logged and never undoes the commit.
_after_commit: list[Callable[[], None]] = []
_after_rollback: list[Callable[[], None]] = []


def on_commit(fn: Callable[[], None]) -> None:
    if fn not in _after_commit:
        _after_commit.append(fn)


def on_rollback(fn: Callable[[], None]) -> None:
    if fn not in _after_rollback:
        _after_rollback.append(fn)


def _run_hooks(hooks: list[Callable[[], None]]) -> None:
    for fn in hooks:
        try:
            fn()
        except Exception:
            log.exception("transaction hook %s failed", getattr(fn, "__qualname__", fn))

# WAL with synchronous=full: every commit is on disk before it returns, so a top-up or an
# approval a person was told about survives a power loss or an OS crash (with NORMAL the last
# commits before one can roll back; WAL+NORMAL is consistent, not durable).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 30_000,
    "synchronous": "full",
    "cache_size": -32_000,
}


def init_db(url: str, *, pool_size: int = 20) -> Database:
    """Open the database named by URL and bind the proxy to it. `pool_size` caps this
    process's PostgreSQL connections (several processes share the server's limit)."""
    scheme = urlparse(url).scheme
    if scheme.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        database = connect(url, pragmas=SQLITE_PRAGMAS, timeout=30, check_same_thread=False)
    elif scheme.startswith("postgres"):
        if "+pool" not in scheme:
            url = url.replace(scheme, scheme + "+pool", 1)
        database = connect(url, max_connections=pool_size, stale_timeout=300, timeout=30)
    else:
        database = connect(url)
    db.initialize(database)
    return database


def release() -> None:
    """Hand this thread's pooled connection back. Pools key connections by thread, so a
    thread that dies (or idles in an executor) without this keeps its connection forever."""
    if isinstance(db.obj, PooledDatabase) and not db.is_closed() and db.transaction_depth() == 0:
        db.close()


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


@contextlib.contextmanager
def tx() -> Iterator[None]:
    """One service call, one transaction. SQLite takes the write lock up front so that
    concurrent writers queue on busy_timeout instead of failing on lock upgrade."""
    outermost = db.transaction_depth() == 0
    try:
        if is_sqlite() and outermost:
            with db.atomic("IMMEDIATE"):
                yield
        else:
            with db.atomic():
                yield
    except BaseException:
        if outermost:
            _run_hooks(_after_rollback)
        raise
    if outermost:
        _run_hooks(_after_commit)


def for_update(query):
    """SELECT ... FOR UPDATE where the database has it; SQLite's write lock already serialises."""
    return query if is_sqlite() else query.for_update()


# The base of every table (each area keeps its own in core/<area>/tables.py; core.models is their one face).
class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class JSONField(TextField):
    """JSON stored as text: portable across SQLite and PostgreSQL."""

    def db_value(self, value: object) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def python_value(self, value: str | None) -> object:
        return None if value is None else json.loads(value)


class UTCDateTimeField(DateTimeField):
    """Naive UTC in the database, aware UTC in Python."""

    def db_value(self, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: object) -> datetime | None:
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value
