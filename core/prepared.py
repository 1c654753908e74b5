"""Hot queries built once. peewee compiles a query to SQL on every execution (about 130 µs a
statement, most of a bot update's time); a Prepared query is written as peewee with named
placeholders (`param`), compiled once per database dialect, then run with new values through
execute_sql, its rows mapped back to models by peewee's own cursor wrappers.

    _BY_ID = Prepared(lambda: User.select().where(User.id == param("id")))
    user = _BY_ID.first(id=42)

`durable=False` is the one-statement form of core.db.tx(durable=False), for a statement run on its
own (autocommit) whose loss in a power loss or OS crash a re-run repairs: on PostgreSQL its commit
does not wait for the WAL to reach the disk (`synchronous_commit` off for that one statement, sent
with it: no BEGIN, no COMMIT; a flush is about 2.7 ms on the bench machine's disk). A later durable
commit flushes it too (the WAL is written in order). Inside a transaction it runs as written: the
setting would cover the whole transaction. It must not move money or emit an event.

`planned=True`: on PostgreSQL the statement is prepared on each connection once (PREPARE)
and then run with EXECUTE, so the server plans it once rather than on every call (the preview's
joins: 1.6 ms a call planned each time, 0.5 ms prepared, on the bench machine). Only for statements
whose every parameter takes its type from where it stands (compared with a column, a LIMIT):
PostgreSQL reads a parameter with no such place (a bare selected value) as text.
"""
from __future__ import annotations

import itertools
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from peewee import Field, Insert, Query, Select, Value

from core.db import RELAXED_COMMIT, db, is_sqlite


class _Slot:
    __slots__ = ("convert", "name")

    def __init__(self, name: str, convert: Callable[[Any], Any] | None) -> None:
        self.name, self.convert = name, convert


def param(name: str, field: Field | None = None) -> Value:
    """A placeholder for the value `name`, converted as `field` converts (JSON, UTC datetimes)."""
    return Value(_Slot(name, field.db_value if field is not None else None), converter=False, unpack=False)


# Which planned statements each PostgreSQL connection has prepared (a server-side name lasts as long as
# its session, whatever its transaction does); a connection that is closed and dropped leaves by itself.
_PREPARED_ON: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_PREPARED_LOCK = threading.Lock()
_NAMES = itertools.count(1)


def _numbered(sql: str) -> str:
    """psycopg2's %s placeholders as PREPARE's $1, $2, ... (a literal %% stays one %)."""
    n = itertools.count(1)
    return re.sub(r"%%|%s", lambda m: "%" if m.group(0) == "%%" else f"${next(n)}", sql)


# A cursor wrapper's own state, left out of the column map kept between executions.
_PER_CURSOR = frozenset({"cursor", "count", "index", "initialized", "populated", "row_cache"})


class Prepared:
    """A query built by `build` (called once per dialect, so it may ask core.db.is_sqlite)."""

    def __init__(self, build: Callable[[], Query], *, durable: bool = True, planned: bool = False) -> None:
        self._build = build
        self._durable = durable
        self._planned = f"hitbot_q{next(_NAMES)}" if planned else None  # its server-side name
        self._compiled: dict[type, tuple[Query, str, list[tuple[_Slot | None, Any]], bool]] = {}
        self._row_maps: dict[type, dict[str, Any]] = {}  # the cursor wrapper's column map, per dialect

    def _get(self) -> tuple[Query, str, list[tuple[_Slot | None, Any]], bool]:
        database = db.obj
        found = self._compiled.get(type(database))
        if found is None:
            query = self._build()
            if isinstance(query, Insert) and query._returning is None and database.returning_clause \
                    and query.table._primary_key and query._on_conflict is None:
                query = query.returning(query.table._primary_key)
            returning = bool(getattr(query, "_returning", None))
            if isinstance(query, Insert) and isinstance(query._insert, dict):  # (not an INSERT ... SELECT)
                given = {getattr(k, "name", k) for k in query._insert}
                frozen = [f.name for f, v in query.get_default_data().items() if callable(v) and f.name not in given]
                if frozen:  # a default computed at compile time would be the same in every row
                    raise ValueError(f"give {', '.join(frozen)} explicitly in a prepared insert")
            sql, params = query.sql()
            slots = [(p, None) if isinstance(p, _Slot) else (None, p) for p in params]
            found = self._compiled[type(database)] = (query, sql, slots, returning)
        return found

    def execute(self, **values: Any):
        """Run it; the DB-API cursor."""
        _, sql, slots, _ = self._get()
        params = [fixed if slot is None else
                  (values[slot.name] if slot.convert is None else slot.convert(values[slot.name]))
                  for slot, fixed in slots]
        if is_sqlite():
            return db.execute_sql(sql, params)
        if self._planned is not None:
            sql = self._planned_run(sql, len(params))
        if not self._durable and db.transaction_depth() == 0:
            # A multi-statement query runs as one implicit transaction: SET LOCAL lasts for this statement.
            sql = RELAXED_COMMIT + sql
        return db.execute_sql(sql, params)

    def _planned_run(self, sql: str, n_params: int) -> str:
        """The EXECUTE of this statement, PREPAREd first on this connection if it is not yet."""
        name = self._planned
        connection = db.connection()
        with _PREPARED_LOCK:
            done = _PREPARED_ON.setdefault(connection, set())
            fresh = name not in done
        if fresh:  # once per connection (a transaction's deferred BEGIN goes out with it)
            db.execute_sql(f"PREPARE {name} AS {_numbered(sql)}")
            with _PREPARED_LOCK:
                done.add(name)
        return f"EXECUTE {name}({', '.join(['%s'] * n_params)})" if n_params else f"EXECUTE {name}"

    def rows(self, **values: Any) -> list:
        """A SELECT's (or a RETURNING clause's) rows as peewee would give them (models with their joined models)."""
        query = self._get()[0]
        assert isinstance(query, Select) or getattr(query, "_returning", None)
        wrapper = query._get_cursor_wrapper(self.execute(**values))
        kind = type(db.obj)
        row_map = self._row_maps.get(kind)
        if row_map is not None:
            # peewee maps the cursor's columns to models and converters on every execution (a third of a
            # small query's time); the SQL is fixed, so the map is too.
            vars(wrapper).update(row_map)
            wrapper.initialized = True
            return list(wrapper)
        before = dict(vars(wrapper))
        rows = list(wrapper)
        if wrapper.initialized:
            self._row_maps[kind] = {k: v for k, v in vars(wrapper).items()
                                    if k not in _PER_CURSOR and (k not in before or before[k] is not v)}
        return rows

    def first(self, **values: Any) -> Any:
        rows = self.rows(**values)
        return rows[0] if rows else None

    def scalar(self, **values: Any) -> Any:
        row = self.execute(**values).fetchone()
        return row[0] if row else None

    def rowcount(self, **values: Any) -> int:
        """An UPDATE's, DELETE's or INSERT's count of rows changed."""
        return db.rows_affected(self.execute(**values))

    def insert(self, **values: Any) -> int:
        """An INSERT's new primary key."""
        returning = self._get()[3]
        cursor = self.execute(**values)
        return cursor.fetchone()[0] if returning else cursor.lastrowid

    def inserted_ids(self, **values: Any) -> list[int]:
        """A many-row INSERT's new primary keys, in row order."""
        returning = self._get()[3]
        cursor = self.execute(**values)
        if returning:
            return [row[0] for row in cursor.fetchall()]
        # SQLite names the last row's id; one statement's rows take consecutive ones (the next after the
        # largest, no AUTOINCREMENT gaps).
        n = db.rows_affected(cursor)
        return list(range(cursor.lastrowid - n + 1, cursor.lastrowid + 1))

    def inserted(self, **values: Any) -> int | None:
        """An INSERT ... SELECT's new primary key, None when its SELECT gave no row (one row at most)."""
        returning = self._get()[3]
        cursor = self.execute(**values)
        if returning:
            row = cursor.fetchone()
            return row[0] if row else None
        return cursor.lastrowid if db.rows_affected(cursor) else None
