"""The database handle, set up late by whichever process starts (peewee DatabaseProxy)."""
from __future__ import annotations

import contextlib
import json
import logging
import select
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    Database,
    DatabaseProxy,
    DateTimeField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect, register_database
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase

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


def contains_folded(text: str | None, needle: str) -> bool:
    """SQLite's hitbot_contains(text, needle): `needle` (lower-case) in `text`, any letter's case
    ignored. SQLite's own LIKE and lower() fold ASCII letters only (Кошка is not кошка)."""
    return text is not None and needle in text.lower()


class _PostgresDatabase(PooledPostgresqlDatabase):
    """PostgreSQL, pooled, whose BEGIN (and a relaxed transaction's SET LOCAL) goes out with the
    transaction's first statement: one round trip fewer per transaction (a bot update is a few
    statements, each a round trip). A transaction that ran nothing sends nothing."""

    def _is_closed(self, conn) -> bool:
        """Whether a pooled connection is unfit to hand out, without a round trip (peewee's own check
        sends SELECT 1 on every check-out: one more round trip per core call, 0.2-0.3 ms). An idle
        connection the server ended (a restart, pg_terminate_backend, an idle timeout) has its
        server's goodbye or EOF waiting on its socket; a live one has nothing to read."""
        if conn.closed or self._adapter.txn_status(conn) == self._adapter.txn_unknown:
            return True
        try:
            return _readable(conn.fileno())
        except (OSError, ValueError):
            return True

    def begin(self, isolation_level=None):
        if isolation_level or self._isolation_level:
            return super().begin(isolation_level)
        self.connection()  # opened now (a pooled one, no round trip): opening resets the transaction stack
        _deferred.sql = "BEGIN; "
        return None

    def defer(self, sql: str) -> bool:
        """Send `sql` (ending in "; ") with the next statement, if BEGIN still waits for one."""
        if getattr(_deferred, "sql", None):
            _deferred.sql += sql
            return True
        return False

    def execute_sql(self, sql, params=None):
        pending = getattr(_deferred, "sql", None)
        if not pending:
            return super().execute_sql(sql, params)
        _deferred.sql = None
        try:
            return super().execute_sql(pending + sql, params)
        except Exception:
            # Refused before reaching the server (a value the driver can't send): BEGIN still waits,
            # or a caller that carries on would run the rest of its transaction in autocommit.
            if self._adapter.txn_status(self._state.conn) == self._adapter.txn_idle:
                _deferred.sql = pending
            raise

    def commit(self):
        if getattr(_deferred, "sql", None):  # nothing ran: nothing to commit
            _deferred.sql = None
            return None
        return super().commit()

    def rollback(self):
        if getattr(_deferred, "sql", None):
            _deferred.sql = None
            return None
        return super().rollback()


def _readable(fd: int) -> bool:
    """Something waits to be read on this socket, now (poll: select refuses descriptors above 1023,
    which a busy process with hundreds of HTTP connections reaches)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # Windows has no poll; nor select's limit


# The statements a PostgreSQL transaction of this thread has still to send with its first one.
_deferred = threading.local()
register_database(_PostgresDatabase, "hitbot+postgres")


def init_db(url: str, *, pool_size: int = 20) -> Database:
    """Open the database named by URL and bind the proxy to it. `pool_size` caps this
    process's PostgreSQL connections (several processes share the server's limit)."""
    scheme = urlparse(url).scheme
    if scheme.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        database = connect(url, pragmas=SQLITE_PRAGMAS, timeout=30, check_same_thread=False)
        database.register_function(contains_folded, "hitbot_contains", 2, deterministic=True)
    elif scheme in ("postgres", "postgresql", "postgres+pool", "postgresql+pool"):
        url = url.replace(scheme, "hitbot+postgres", 1)
        database = connect(url, max_connections=pool_size, stale_timeout=300, timeout=30)
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


def connection_idle() -> bool:
    """This thread's connection is open, outside any transaction and fit to reuse (on PostgreSQL
    the driver's own status flag: idle, not in a failed or unknown state). No round trip."""
    if db.obj is None or db.is_closed() or db.transaction_depth() != 0:
        return False
    adapter = getattr(db.obj, "_adapter", None)
    if adapter is None:  # SQLite
        return not db.connection().in_transaction
    return adapter.txn_status(db.connection()) == adapter.txn_idle


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


# This process's SQLite writers (the bot handles chats at once, each core call on a thread) queue
# here and are woken as soon as the writer commits; SQLite's busy handler would poll, sleeping up
# to 100 ms a try. Other processes still queue on busy_timeout.
_sqlite_writer = threading.Lock()


# Set while this thread runs a transaction that commits without waiting for the disk (tx(durable=False)).
_relaxed = threading.local()
# PostgreSQL's form of it, for this transaction alone (sent with its first statement where it can be;
# core.prepared prefixes a relaxed statement of its own with it).
RELAXED_COMMIT = "SET LOCAL synchronous_commit TO OFF; "


@contextlib.contextmanager
def tx(*, durable: bool = True) -> Iterator[None]:
    """One service call, one transaction. SQLite takes the write lock up front so that
    concurrent writers queue on busy_timeout instead of failing on lock upgrade.

    durable=False, for a person's own progress that they see at once and nobody else is told of
    (an answer saved, a question moved on, a browse page, which message is the live card): the commit
    returns before its log reaches the disk (SQLite synchronous=NORMAL for it, PostgreSQL
    synchronous_commit off). An application crash loses nothing; a power loss or an OS crash may take
    back the last such commits, whole, and never one that a durable commit followed. Money and events
    (require_durable) may not ride in it. Inside another transaction the outer one decides."""
    outermost = db.transaction_depth() == 0
    relaxed = outermost and not durable
    try:
        if is_sqlite() and outermost:
            with _sqlite_writer:
                if relaxed:  # SQLite takes the setting only outside a transaction
                    db.execute_sql("PRAGMA synchronous=NORMAL")
                _relaxed.on = relaxed
                try:
                    with db.atomic("IMMEDIATE"):
                        yield
                finally:
                    _relaxed.on = False
                    if relaxed:
                        db.execute_sql(f"PRAGMA synchronous={SQLITE_PRAGMAS['synchronous']}")
        else:
            with db.atomic():
                if relaxed:  # (only the outermost: inside another transaction the outer one decides)
                    if not (isinstance(db.obj, _PostgresDatabase) and db.obj.defer(RELAXED_COMMIT)):
                        db.execute_sql(RELAXED_COMMIT)
                    _relaxed.on = True
                try:
                    yield
                finally:
                    if relaxed:
                        _relaxed.on = False
    except BaseException:
        if outermost:
            _run_hooks(_after_rollback)
        raise
    if outermost:
        _run_hooks(_after_commit)


def require_durable() -> None:
    """Called by what must survive a power loss once a person or another process heard of it (a ledger
    posting, an outbox event): refused inside tx(durable=False), where the commit would not wait."""
    if getattr(_relaxed, "on", False):
        raise RuntimeError("a durable change (money, an event) inside tx(durable=False)")


def for_update(query):
    """SELECT ... FOR UPDATE where the database has it; SQLite's write lock already serialises."""
    return query if is_sqlite() else query.for_update()


# Fields whose db_value leaves a value of these types as it is: insert_rows passes them straight through.
_PLAIN: dict[type, tuple[type, ...]] = {
    IntegerField: (int,), BigIntegerField: (int,), CharField: (str,), TextField: (str,), BooleanField: (bool,),
}
MAX_INSERT_PARAMS = 30_000  # bound parameters per INSERT (SQLite allows 32,766 since 3.32, PostgreSQL 65,535)


def insert_rows(model: type[Model], rows: list[dict], *, ids: bool = True) -> list[int]:
    """Insert rows (dicts of field names, the same keys in each) with multi-row INSERTs whose
    SQL is written once, the values going as parameters: peewee's insert_many compiles every
    value (about 2 µs each, most of a 5,000-HIT batch's time). Call inside tx(). Returns the
    new ids in the rows' order (`ids`): PostgreSQL says (RETURNING; a VALUES list is inserted,
    and its sequence drawn, in order); SQLite gives each new row the largest rowid + 1 and tx()
    holds the write lock, so one INSERT's ids are the consecutive run ending at the last one."""
    if not rows:
        return []
    meta = model._meta
    fields = [meta.fields[name] for name in rows[0]]
    defaults = [(f, d) for f, d in meta.defaults.items() if f.name not in rows[0]]
    fields += [f for f, _ in defaults]
    database = db.obj
    quote = database.quote
    columns = ", ".join(f"{quote[0]}{f.column_name}{quote[1]}" for f in fields)
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    returning = "" if is_sqlite() or not ids else f" RETURNING {quote[0]}{meta.primary_key.column_name}{quote[1]}"
    per = max(1, MAX_INSERT_PARAMS // len(fields))
    given = [(f.name, None if type(f) in _PLAIN and type(rows[0][f.name]) in _PLAIN[type(f)] else f.db_value)
             for f in fields[:len(rows[0])]]
    new_ids: list[int] = []
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        params = []
        for row in chunk:
            params += [row[name] if convert is None else convert(row[name]) for name, convert in given]
            params += [f.db_value(d() if callable(d) else d) for f, d in defaults]
        sql = f"INSERT INTO {quote[0]}{meta.table_name}{quote[1]} ({columns}) VALUES {', '.join([one] * len(chunk))}"
        cursor = database.execute_sql(sql + returning, params)
        if not ids:
            continue
        if is_sqlite():
            new_ids += range(cursor.lastrowid - len(chunk) + 1, cursor.lastrowid + 1)
        else:
            new_ids += [i for (i,) in cursor.fetchall()]
    return new_ids


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
