"""Send slots shared by every worker process: each slot is scheduled from the previous one.

A key (one chat, or the whole bot) has a *next free moment*. Reserving takes the slot at
`max(now, next free)` and moves the next free moment to that slot plus the interval, in one
atomic step. The caller then waits until its slot and sends. So reservations for a key are
exactly `interval_ms` apart however long callers take to make them or to get to the send:
the time spent claiming a slot never adds to the spacing (a limiter that only takes a key
when the previous one has expired pays that time on every message).

Contract of a `SlotLimiter` (every implementation: `RedisSlots`, `StubSlots`, and any other
backend, e.g. PostgreSQL for RabbitMQ without Redis):

- `reserve(key, interval_ms, *, not_before_ms=0, max_wait_ms=None) -> float | None`
  atomically: `slot = max(now + not_before_ms, next_free[key])` (a key never seen, or
  forgotten, is free now). If `max_wait_ms` is given and `slot - now > max_wait_ms`, nothing
  changes and the answer is None. Otherwise `next_free[key] = slot + interval_ms` and the
  answer is `slot - now`: milliseconds (>= 0, may have a fraction) to wait before sending.
- `hold(key, ms)`: `next_free[key] = max(next_free[key], now + ms)` (Telegram's retry_after).
- `free_in(key) -> float`: `max(0, next_free[key] - now)` in milliseconds; reserves nothing.
- `now` comes from one clock every process shares (Redis: the server's TIME; a database: its
  server clock), never the caller's, so workers on different machines agree. Implementations
  may take an injected clock for tests.
- A key whose next free moment has passed may be forgotten (a TTL): it means "free now".
- A backend that cannot answer raises; it never returns a wait it did not reserve.
- Optionally `reserve_pair(key, interval_ms, other, other_interval_ms, *, max_wait_ms) -> (bool, float)`
  (the bot's slot and a chat's at that same moment, in one atomic step and one round trip):
  `slot = max(now, next_free[key])`; if `slot - now > max_wait_ms`, or `next_free[other] > slot`
  (the chat is not free by then), nothing changes and the answer is `(False, ms)`, ms until it is
  worth asking again; otherwise `next_free[key] = slot + interval_ms`,
  `next_free[other] = slot + other_interval_ms` and the answer is `(True, slot - now)`. A busy chat so
  costs the bot no slot. `reserve_pair(slots, ...)` below does it with `reserve` and `free_in` (three
  steps) for a backend without it.

`slots_for(jobs)` picks the process's limiter: `jobs.slots` when the Jobs carries one, Redis
when it has a Redis client, otherwise one in-process `StubSlots` (a single worker process only).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

US = 1000  # microseconds per millisecond: slots are kept in µs so whole-ms intervals add up exactly


class SlotLimiter(Protocol):
    def reserve(self, key: str, interval_ms: float, *, not_before_ms: float = 0,
                max_wait_ms: float | None = None) -> float | None: ...

    def hold(self, key: str, ms: float) -> None: ...

    def free_in(self, key: str) -> float: ...


# KEYS[1]: the key. ARGV: interval µs, not-before µs, max wait µs (-1: none), now µs ('' : the server's TIME).
# Returns {reserved 0|1, wait µs}. Lua numbers are doubles: µs since 1970 (~1.8e15) stay exact.
_RESERVE = """
local now
if ARGV[4] ~= '' then now = tonumber(ARGV[4]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local slot = math.max(now + tonumber(ARGV[2]), tonumber(redis.call('GET', KEYS[1]) or 0))
local max_wait = tonumber(ARGV[3])
if max_wait >= 0 and slot - now > max_wait then return {0, tostring(slot - now)} end
local nxt = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
return {1, tostring(slot - now)}
"""

# KEYS[1]: the key. ARGV: hold µs, now µs (or ''). Never moves the next free moment earlier.
_HOLD = """
local now
if ARGV[2] ~= '' then now = tonumber(ARGV[2]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local nxt = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or 0))
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
return 1
"""

# KEYS[1]: the key. ARGV: now µs (or ''). Returns µs until the key is free.
_FREE_IN = """
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000000 + tonumber(t[2]) end
return tostring(math.max(0, tonumber(redis.call('GET', KEYS[1]) or 0) - now))
"""


# KEYS: the bot's key, the chat's. ARGV: bot interval µs, chat interval µs, max wait µs, now µs (or '').
# Returns {reserved 0|1, µs}: the wait before the slot, or (refused) until it is worth asking again.
_RESERVE_PAIR = """
local now
if ARGV[4] ~= '' then now = tonumber(ARGV[4]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or 0))
local max_wait = tonumber(ARGV[3])
if slot - now > max_wait then return {0, tostring(slot - now - max_wait)} end
local chat = tonumber(redis.call('GET', KEYS[2]) or 0)
if chat > slot then return {0, tostring(chat - now)} end
local nxt = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
nxt = slot + tonumber(ARGV[2])
redis.call('SET', KEYS[2], string.format('%.0f', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
return {1, tostring(slot - now)}
"""


class RedisSlots:
    """Slots in Redis, one Lua script per call (atomic, one round trip), on the server's clock.
    `clock` (milliseconds) replaces the server's clock, for tests."""

    def __init__(self, client, *, clock: Callable[[], float] | None = None) -> None:
        self.client = client
        self.clock = clock
        self._reserve = client.register_script(_RESERVE)
        self._hold = client.register_script(_HOLD)
        self._free_in = client.register_script(_FREE_IN)
        self._pair = client.register_script(_RESERVE_PAIR)

    def _now(self) -> str:
        return "" if self.clock is None else str(round(self.clock() * US))

    def reserve(self, key: str, interval_ms: float, *, not_before_ms: float = 0,
                max_wait_ms: float | None = None) -> float | None:
        max_wait = -1 if max_wait_ms is None else round(max_wait_ms * US)
        ok, wait_us = self._reserve(keys=[key], args=[round(interval_ms * US), round(max(0, not_before_ms) * US),
                                                      max_wait, self._now()])
        return float(wait_us) / US if ok else None

    def hold(self, key: str, ms: float) -> None:
        self._hold(keys=[key], args=[round(max(0, ms) * US), self._now()])

    def free_in(self, key: str) -> float:
        return float(self._free_in(keys=[key], args=[self._now()])) / US

    def reserve_pair(self, key: str, interval_ms: float, other: str, other_interval_ms: float, *,
                     max_wait_ms: float) -> tuple[bool, float]:
        ok, us = self._pair(keys=[key, other], args=[round(interval_ms * US), round(other_interval_ms * US),
                                                     round(max_wait_ms * US), self._now()])
        return bool(ok), float(us) / US


class StubSlots:
    """Slots in this process (a lock and a dict): for tests, and a broker without Redis in one
    process. `clock` returns milliseconds (default: the monotonic clock)."""

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or (lambda: time.monotonic() * 1000)
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, interval_ms: float, *, not_before_ms: float = 0,
                max_wait_ms: float | None = None) -> float | None:
        with self._lock:
            now = self.clock()
            slot = max(now + max(0, not_before_ms), self._next.get(key, now))
            if max_wait_ms is not None and slot - now > max_wait_ms:
                return None
            if len(self._next) > 10_000:  # forget keys that are free anyway (the TTL of the Redis keys)
                self._next = {k: v for k, v in self._next.items() if v > now}
            self._next[key] = slot + interval_ms
            return slot - now

    def hold(self, key: str, ms: float) -> None:
        with self._lock:
            now = self.clock()
            self._next[key] = max(self._next.get(key, now), now + max(0, ms))

    def free_in(self, key: str) -> float:
        with self._lock:
            return max(0.0, self._next.get(key, 0.0) - self.clock())

    def reserve_pair(self, key: str, interval_ms: float, other: str, other_interval_ms: float, *,
                     max_wait_ms: float) -> tuple[bool, float]:
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(key, now))
            if slot - now > max_wait_ms:
                return False, slot - now - max_wait_ms
            chat = self._next.get(other, now)
            if chat > slot:
                return False, chat - now
            if len(self._next) > 10_000:
                self._next = {k: v for k, v in self._next.items() if v > now}
            self._next[key], self._next[other] = slot + interval_ms, slot + other_interval_ms
            return True, slot - now


def reserve_pair(slots: SlotLimiter, key: str, interval_ms: float, other: str, other_interval_ms: float, *,
                 max_wait_ms: float) -> tuple[bool, float]:
    """`slots.reserve_pair` (see the module docstring), or the same answer in three steps for a
    backend without it: there a chat taken between the steps costs the bot's slot."""
    own = getattr(slots, "reserve_pair", None)
    if own is not None:
        return own(key, interval_ms, other, other_interval_ms, max_wait_ms=max_wait_ms)
    busy = slots.free_in(other)
    if busy > 0:
        return False, busy
    wait = slots.reserve(key, interval_ms, max_wait_ms=max_wait_ms)
    if wait is None:
        return False, max(slots.free_in(key) - max_wait_ms, 0.0)
    if slots.reserve(other, other_interval_ms, not_before_ms=wait, max_wait_ms=wait) is None:
        return False, slots.free_in(other)
    return True, wait


_lock = threading.Lock()
_redis: dict[int, tuple[object, RedisSlots]] = {}  # id(client) -> (client, its slots): scripts registered once
_local_slots = StubSlots()


def slots_for(jobs) -> SlotLimiter:
    """The limiter shared by every process of this deployment (see the module docstring)."""
    own = getattr(jobs, "slots", None)
    if own is not None:
        return own
    client = getattr(jobs, "redis", None)
    if client is None:
        return _local_slots
    with _lock:
        held = _redis.get(id(client))
        if held is None or held[0] is not client:
            held = _redis[id(client)] = (client, RedisSlots(client))
        return held[1]


# One statement per reservation: the row's next free moment moves only if the slot is within
# max_wait (the WHERE of ON CONFLICT), else no row comes back. A new key's slot is now + not_before.
_PG_RESERVE = """
INSERT INTO send_slot AS s (key, next_free_us) VALUES (%(key)s, %(now)s + %(not_before)s + %(interval)s)
ON CONFLICT (key) DO UPDATE SET next_free_us = GREATEST(%(now)s + %(not_before)s, s.next_free_us) + %(interval)s
WHERE %(max_wait)s < 0 OR GREATEST(%(now)s + %(not_before)s, s.next_free_us) - %(now)s <= %(max_wait)s
RETURNING s.next_free_us - %(interval)s - %(now)s
"""
_PG_HOLD = """
INSERT INTO send_slot AS s (key, next_free_us) VALUES (%(key)s, %(now)s + %(hold)s)
ON CONFLICT (key) DO UPDATE SET next_free_us = GREATEST(s.next_free_us, EXCLUDED.next_free_us)
"""
_PG_FREE_IN = "SELECT GREATEST(0, next_free_us - %(now)s) FROM send_slot WHERE key = %(key)s"
_PG_FORGET = "DELETE FROM send_slot WHERE next_free_us < %(now)s - 60000000"
# The server's clock read where it is used: the slot after the row's lock is had (a wait for the
# lock must not make the slot earlier than the moment it is given), the wait as the row is returned.
_PG_NOW = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
FORGET_EVERY = 5_000  # reservations between sweeps of keys long free (a chat's row per chat otherwise)


class PgSlots:
    """Slots in PostgreSQL's `send_slot` table (migration 15), on the server's clock: the limiter
    for RabbitMQ without Redis. One upsert per reservation on this thread's connection, called
    outside a transaction (autocommit: the slot is taken for everyone at once, no row lock held).
    `clock` (milliseconds) replaces the server's clock, for tests."""

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock
        self._count = 0

    def _run(self, sql: str, params: dict) -> tuple | None:
        from core.db import db

        if self.clock is None:
            sql = sql.replace("%(now)s", _PG_NOW)
        else:
            params["now"] = round(self.clock() * US)
        cursor = db.execute_sql(sql, params)
        return cursor.fetchone() if cursor.description else None

    def reserve(self, key: str, interval_ms: float, *, not_before_ms: float = 0,
                max_wait_ms: float | None = None) -> float | None:
        not_before = round(max(0, not_before_ms) * US)
        max_wait = -1 if max_wait_ms is None else round(max_wait_ms * US)
        if 0 <= max_wait < not_before:  # no slot can come sooner than not_before
            return None
        self._count += 1
        if self._count % FORGET_EVERY == 0:
            self._run(_PG_FORGET, {})
        row = self._run(_PG_RESERVE, {"key": key, "interval": round(interval_ms * US), "not_before": not_before,
                                      "max_wait": max_wait})
        return None if row is None else float(row[0]) / US

    def hold(self, key: str, ms: float) -> None:
        self._run(_PG_HOLD, {"key": key, "hold": round(max(0, ms) * US)})

    def free_in(self, key: str) -> float:
        row = self._run(_PG_FREE_IN, {"key": key})
        return 0.0 if row is None else float(row[0]) / US
