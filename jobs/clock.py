"""The clock: APScheduler 3 runs the sweeps, but only in the process holding the leader lock.

With Redis the lock is a key set with NX and a time-to-live and renewed well before it runs
out; a second clock process polls for it and takes over within the TTL plus one poll when
the leader dies. Without Redis (RabbitMQ on PostgreSQL) it is a PostgreSQL advisory lock
held by a connection of the clock's own: it lasts while that session does, and the server
frees it when the leader's connection goes. Each sweep is bounded and settles every item by a conditional update,
so even an overlap at hand-over (or a clock that lost the lock mid-sweep) does no harm."""
from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from core.config import Settings
from core.errors import ConfigError
from jobs.metrics import IS_LEADER, OUTBOX_BACKLOG, PAYOUTS, QUEUE_DEPTH, SWEEPS

log = logging.getLogger(__name__)

_RENEW = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0"""
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0"""


class LeaderLock:
    """One holder at a time across processes; the holder must renew within ttl_ms."""

    def __init__(self, client, key: str, *, ttl_ms: int) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = ttl_ms
        self.token = f"{uuid.uuid4().hex}"
        self._valid_until = 0.0  # monotonic; we hold the lock until then for sure
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def held(self) -> bool:
        return time.monotonic() < self._valid_until

    def refresh(self) -> bool:
        """Take the lock if free, renew it if ours. A Redis error keeps a holder in charge
        only until its last lease runs out (nobody else can take it before then)."""
        started = time.monotonic()
        try:
            ok = bool(self._renew(keys=[self.key], args=[self.token, self.ttl_ms])) or bool(
                self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        except Exception as exc:
            log.warning("leader lock unreachable: %s", type(exc).__name__)
            return self.held
        self._valid_until = started + self.ttl_ms / 1000 * 0.9 if ok else 0.0
        return ok

    def release(self) -> None:
        try:
            self._release(keys=[self.key], args=[self.token])
        except Exception:
            pass
        self._valid_until = 0.0

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


class PgLeaderLock:
    """One holder at a time across processes: a session-level pg_try_advisory_lock on a dedicated
    connection (not the pool's, which hands connections around). Renewing checks the session is
    alive; a lost connection means a lost lock (the server frees it), so we stop leading at once."""

    def __init__(self, key: str, *, ttl_ms: int) -> None:
        self.key = key
        self.ttl_ms = ttl_ms
        # Advisory locks take a bigint and are per database, so the key names it within this one.
        self.lock_id = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
        self._conn = None
        self._owned = False
        self._mutex = threading.Lock()  # the scheduler's threads may overlap at stop
        self._valid_until = 0.0

    @property
    def held(self) -> bool:
        return time.monotonic() < self._valid_until

    @property
    def token(self) -> str | None:
        return None if self._conn is None else str(_backend_pid(self._conn))

    def _query(self, sql: str, params: tuple = ()) -> object:
        if self._conn is None:
            from peewee import PostgresqlDatabase

            from core.db import db

            # The process's database and driver, but a connection outside its pool (autocommit).
            self._conn = PostgresqlDatabase._connect(db.obj)
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]
        finally:
            cursor.close()

    def refresh(self) -> bool:
        started = time.monotonic()
        with self._mutex:
            try:
                if self._owned:
                    ok = self._query("SELECT 1") == 1
                else:
                    ok = self._owned = bool(self._query("SELECT pg_try_advisory_lock(%s)", (self.lock_id,)))
            except Exception as exc:
                log.warning("leader lock unreachable: %s", type(exc).__name__)
                self._drop()
                return False
        self._valid_until = started + self.ttl_ms / 1000 * 0.9 if ok else 0.0
        return ok

    def _drop(self) -> None:
        conn, self._conn, self._owned, self._valid_until = self._conn, None, False, 0.0
        if conn is not None:
            try:
                conn.close()  # closing the session frees its advisory locks
            except Exception:
                pass

    def release(self) -> None:
        with self._mutex:
            if self._owned and self._conn is not None:
                try:
                    self._query("SELECT pg_advisory_unlock(%s)", (self.lock_id,))
                except Exception:
                    pass
            self._drop()

    def holder(self) -> str | None:
        """The backend pid of the session holding the lock (compare with `token`)."""
        from core.db import db

        unsigned = self.lock_id & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks splits a bigint key into two oids
        found = db.execute_sql("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                               "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                               "AND classid::bigint = %s AND objid::bigint = %s",
                               (unsigned >> 32, unsigned & 0xFFFF_FFFF)).fetchone()
        return None if found is None else str(found[0])


def _backend_pid(conn) -> int:
    info = getattr(conn, "info", None)  # both drivers: connection.info.backend_pid
    return info.backend_pid


def leader_lock(jobs, *, ttl_ms: int):
    """Redis's lock when the process has Redis, else PostgreSQL's; SQLite alone has neither."""
    from core.db import is_sqlite

    if jobs.redis is not None:
        return LeaderLock(jobs.redis, jobs.key("clock:leader"), ttl_ms=ttl_ms)
    if not is_sqlite():
        return PgLeaderLock(jobs.key("clock:leader"), ttl_ms=ttl_ms)
    raise ConfigError("The clock's leader lock needs Redis or PostgreSQL: with RabbitMQ as the broker, "
                      "set DATABASE_URL to a postgresql:// URL (or REDIS_URL to a redis:// one).")


@dataclass(frozen=True)
class Sweep:
    name: str
    every_s: float
    run: Callable[[datetime], int]


def default_sweeps(settings: Settings, jobs) -> list[Sweep]:
    from core import cards, sweeps
    from core.alerts.commands import match_new_hits
    from core.payments.payouts import AutoWithdrawRounds
    from core.review import digests
    from jobs.payouts.actor import requeue_stuck
    from jobs.relay import Relay

    relay = Relay(jobs, requeue_after_s=settings.outbox_requeue_s)
    return [
        Sweep("expire_assignments", 10, lambda now: sweeps.expire_assignments(now=now)),
        Sweep("remind", 15, lambda now: sweeps.remind(now=now)),
        Sweep("auto_approve", 30, lambda now: sweeps.auto_approve(now=now)),
        Sweep("lapse_revisions", 30, lambda now: sweeps.lapse_revisions(now=now)),
        Sweep("expire_hits", 30, lambda now: sweeps.expire_hits(now=now)),
        Sweep("outbox", 10, lambda now: relay.sweep(now=now, limit=settings.sweep_batch)),
        Sweep("review_digest", 300, lambda now: digests.review_digest(now=now)),
        Sweep("forget_cards", 3600, lambda now: cards.forget_old(now=now, limit=settings.sweep_batch)),
        Sweep("alerts", 20, lambda now: match_new_hits(now=now)),
        Sweep("stuck_payouts", 30, lambda now: requeue_stuck(now=now)),
        Sweep("auto_withdraw", 60, AutoWithdrawRounds(limit=settings.sweep_batch)),
    ]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


STOP_GRACE_S = 20.0  # how long SIGTERM waits for running sweeps (a supervisor's own stop timeout is longer)


class Clock:
    """Runs `sweeps` on their intervals while this process is the leader."""

    def __init__(self, settings: Settings, jobs, *, sweeps: list[Sweep] | None = None,
                 clock: Callable[[], datetime] = utcnow, lock_ttl_s: float | None = None,
                 on_run: Callable[[str, int], None] | None = None) -> None:
        self.settings = settings
        self.jobs = jobs
        self.clock = clock
        ttl_ms = int((lock_ttl_s or settings.clock_lock_ttl_s) * 1000)
        self.lock = leader_lock(jobs, ttl_ms=ttl_ms)
        self.sweeps = sweeps if sweeps is not None else default_sweeps(settings, jobs)
        self.on_run = on_run
        self.scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
        self._was_leader = False
        self._stopping = threading.Event()
        self._running = 0  # sweeps in progress, so stop() can wait for them, within STOP_GRACE_S
        self._idle = threading.Condition()

    @property
    def is_leader(self) -> bool:
        return self.lock.held

    def start(self) -> None:
        self.scheduler.add_job(self._heartbeat, "interval", seconds=self.lock.ttl_ms / 3000, id="leader",
                               next_run_time=datetime.now(timezone.utc))
        for sweep in self.sweeps:
            self.scheduler.add_job(self._run, "interval", seconds=sweep.every_s, args=[sweep], id=sweep.name)
        self.scheduler.add_job(self._gauges, "interval", seconds=15, id="gauges")
        self.scheduler.start()
        log.info("clock started", extra={"sweeps": [s.name for s in self.sweeps]})

    def stop(self) -> None:
        self._stopping.set()
        self.scheduler.shutdown(wait=False)
        with self._idle:  # lets a running sweep finish, within bounds: sweeps are idempotent, a cut one rolls back
            if not self._idle.wait_for(lambda: self._running == 0, timeout=STOP_GRACE_S):
                log.warning("clock stopping with %d sweep(s) still running", self._running)
        self.lock.release()
        IS_LEADER.set(0)
        log.info("clock stopped")

    def _heartbeat(self) -> None:
        if self._stopping.is_set():
            return
        leader = self.lock.refresh()
        IS_LEADER.set(1 if leader else 0)
        if leader != self._was_leader:
            log.info("clock is now %s", "the leader" if leader else "standing by")
            self._was_leader = leader
            if leader:  # a new leader sweeps at once instead of waiting a full interval
                for job in self.scheduler.get_jobs():
                    if job.id not in ("leader", "gauges"):
                        job.modify(next_run_time=datetime.now(timezone.utc))

    def _run(self, sweep: Sweep) -> None:
        with self._idle:
            if self._stopping.is_set() or not self.lock.held:
                return
            self._running += 1
        try:
            n = sweep.run(self.clock())
        except Exception:
            log.exception("sweep %s failed", sweep.name)  # the next interval tries again
            return
        finally:
            _release_db()
            with self._idle:
                self._running -= 1
                self._idle.notify_all()
        SWEEPS.labels(sweep.name).inc(n or 0)
        if n:
            log.info("sweep", extra={"sweep": sweep.name, "items": n})
        if self.on_run is not None:
            self.on_run(sweep.name, n or 0)

    def _gauges(self) -> None:
        try:
            from core.models import Payout
            from jobs.relay import backlog

            OUTBOX_BACKLOG.set(backlog())
            for status, n in Payout.select(Payout.status, Payout.id.count()).group_by(Payout.status).tuples():
                PAYOUTS.labels(str(status)).set(n)
            if self.jobs.redis is not None:
                for queue in self.jobs.broker.get_declared_queues():
                    QUEUE_DEPTH.labels(queue).set(self.jobs.redis.hlen(f"{self.jobs.namespace}:{queue}.msgs"))
        except Exception as exc:
            log.debug("gauges skipped: %s", exc)
        finally:
            _release_db()


def _release_db() -> None:
    """Scheduler threads come and go: hand the connection back after each job."""
    from core.db import db

    try:
        if db.obj is not None and not db.is_closed():
            db.close()
    except Exception as exc:
        log.warning("could not release the database connection: %s", exc)
