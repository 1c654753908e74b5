"""The clock: APScheduler 3 runs the sweeps, but only in the process holding the leader lock.

The lock is a Redis key set with NX and a time-to-live and renewed well before it runs
out; a second clock process polls for it and takes over within the TTL plus one poll when
the leader dies. Each sweep is bounded and settles every item by a conditional update,
so even an overlap at hand-over (or a clock that lost the lock mid-sweep) does no harm."""
from __future__ import annotations

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


class Clock:
    """Runs `sweeps` on their intervals while this process is the leader."""

    def __init__(self, settings: Settings, jobs, *, sweeps: list[Sweep] | None = None,
                 clock: Callable[[], datetime] = utcnow, lock_ttl_s: float | None = None,
                 on_run: Callable[[str, int], None] | None = None) -> None:
        self.settings = settings
        self.jobs = jobs
        self.clock = clock
        if jobs.redis is None:
            raise ConfigError("The clock's leader lock needs Redis: set REDIS_URL to a redis:// URL "
                              "(with RabbitMQ as the broker, Redis is still needed for the clock).")
        self.sweeps = sweeps if sweeps is not None else default_sweeps(settings, jobs)
        ttl_ms = int((lock_ttl_s or settings.clock_lock_ttl_s) * 1000)
        self.lock = LeaderLock(jobs.redis, jobs.key("clock:leader"), ttl_ms=ttl_ms)
        self.on_run = on_run
        self.scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
        self._was_leader = False
        self._stopping = threading.Event()

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
        self.scheduler.shutdown(wait=True)  # lets a running sweep finish
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
        if self._stopping.is_set() or not self.lock.held:
            return
        try:
            n = sweep.run(self.clock())
        except Exception:
            log.exception("sweep %s failed", sweep.name)  # the next interval tries again
            return
        finally:
            _release_db()
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
