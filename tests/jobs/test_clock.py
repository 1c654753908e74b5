"""The clock: one leader runs the sweeps; a standby takes over when it dies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from core.models import Assignment, AssignmentStatus as S, Hit, HitStatus, OutboxEvent
from core.work import commands as work
from jobs.clock import LeaderLock, PgLeaderLock
from tests import factories
from tests.conftest import NOW
from tests.invariants import check_invariants
from tests.jobs.conftest import redis_only, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _overdue_work(n_hits: int, per_hit: int, *, at: datetime = NOW) -> list[int]:
    """HITs published `at` (long ago by default) with accepted assignments whose 10 minutes ran out
    (real time is later); each HIT's lifetime is a day from `at`."""
    rita = factories.requester(100_00)
    ids = []
    for _ in range(n_hits):
        hit = factories.hit(rita.id, now=at, assignments=per_hit, duration="10m", lifetime="1d")
        for _ in range(per_hit):
            ids.append(work.accept(worker_id=factories.user().id, hit_id=hit.id, now=at).id)
    return ids


def _start(database: str, redis_url: str, namespace: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "tests.jobs.clock_child", database, redis_url, namespace, str(log)],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def _runs(log: Path) -> list[tuple[int, str, int]]:
    if not log.exists():
        return []
    return [(int(a), b, int(c)) for a, b, c in (line.split() for line in log.read_text().splitlines())]


@pytest.mark.slow
def test_two_clocks_sweep_once_and_the_standby_takes_over(database, jobs, redis_url, namespace, tmp_path):
    assignments = _overdue_work(n_hits=4, per_hit=3)
    log = tmp_path / "runs.log"
    first = _start(database, redis_url, namespace, log)
    second = _start(database, redis_url, namespace, log)
    procs = {first.pid: first, second.pid: second}
    try:
        assert wait_until(lambda: Assignment.select().where(Assignment.status == S.ACCEPTED).count() == 0, 20)
        assert wait_until(lambda: Hit.select().where(Hit.status == HitStatus.OPEN).count() == 0, 20)
        time.sleep(1.5)  # several more rounds on both clocks
        leaders = {pid for pid, _, _ in _runs(log)}
        assert len(leaders) == 1, f"both clocks swept: {leaders}"
        expired = Counter(e.payload["assignment_id"] for e in
                          OutboxEvent.select().where(OutboxEvent.kind == "assignment.expired"))
        assert sorted(expired) == sorted(assignments) and set(expired.values()) == {1}
        assert OutboxEvent.select().where(OutboxEvent.kind == "hit.expired").count() == 4
        check_invariants()

        leader = procs.pop(leaders.pop())
        standby = next(iter(procs.values()))
        leader.send_signal(signal.SIGKILL)
        leader.wait()
        killed_at = time.monotonic()
        assert wait_until(lambda: any(pid == standby.pid for pid, _, _ in _runs(log)), 10), "no takeover"
        takeover_s = time.monotonic() - killed_at
        assert takeover_s < 5, f"standby took {takeover_s:.1f} s"
        # The new leader sweeps every 0.3 s: a HIT already past its lifetime could be ended between the
        # accepts, so this one lives 5 s more (its assignments' 10 minutes ran out long ago).
        more = _overdue_work(n_hits=1, per_hit=2, at=datetime.now(timezone.utc) - timedelta(days=1, seconds=-5))
        assert wait_until(lambda: Assignment.select().where(
            Assignment.id.in_(more) & (Assignment.status == S.ACCEPTED)).count() == 0, 10)
        # The invariants are read in several statements: read them once the new leader has also ended the
        # (overdue) HIT, not while its expire_hits is between the slot and the escrow reads.
        assert wait_until(lambda: Hit.select().where(Hit.status == HitStatus.OPEN).count() == 0, 10)
        check_invariants()
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(15)
    assert second.returncode in (0, -9) and first.returncode in (0, -9)


@redis_only
def test_leader_lock_is_exclusive_and_renewable(jobs):
    a = LeaderLock(jobs.redis, jobs.key("lock"), ttl_ms=500)
    b = LeaderLock(jobs.redis, jobs.key("lock"), ttl_ms=500)
    assert a.refresh() and a.held
    assert not b.refresh() and not b.held
    time.sleep(0.3)
    assert a.refresh()  # renewed: still ours after the first TTL would have run out
    time.sleep(0.3)
    assert not b.refresh()
    a.release()
    assert b.refresh() and b.holder() == b.token


@redis_only
def test_lock_expires_when_its_holder_stops_renewing(jobs):
    a = LeaderLock(jobs.redis, jobs.key("lock2"), ttl_ms=300)
    b = LeaderLock(jobs.redis, jobs.key("lock2"), ttl_ms=300)
    assert a.refresh()
    time.sleep(0.4)
    assert not a.held
    assert b.refresh()


pg_only = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                             reason="the advisory lock is PostgreSQL's")


@pg_only
def test_advisory_leader_lock_is_exclusive_and_renewed_while_its_session_lives(database, namespace):
    a = PgLeaderLock(f"{namespace}:lock", ttl_ms=500)
    b = PgLeaderLock(f"{namespace}:lock", ttl_ms=500)
    try:
        assert a.refresh() and a.held
        assert not b.refresh() and not b.held
        assert a.refresh() and a.holder() == a.token  # renewed: its session is alive and holds it
        assert PgLeaderLock(f"{namespace}:other", ttl_ms=500).holder() is None
        a.release()
        assert a.holder() is None and not a.held
        assert b.refresh() and b.holder() == b.token
    finally:
        a.release()
        b.release()


@pg_only
def test_advisory_leader_lock_goes_with_its_session(database, namespace):
    """A leader whose connection dies loses the lock at once (the server frees it), and knows it."""
    from core.db import db

    a = PgLeaderLock(f"{namespace}:lock", ttl_ms=60_000)
    b = PgLeaderLock(f"{namespace}:lock", ttl_ms=60_000)
    try:
        assert a.refresh()
        db.execute_sql("SELECT pg_terminate_backend(%s)", (int(a.token),))
        assert wait_until(b.refresh, 10), "the lock outlived its session"
        assert not a.refresh() and not a.held
        assert b.holder() == b.token
    finally:
        a.release()
        b.release()
