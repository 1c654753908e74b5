"""`hitbot worker --processes N`: N processes consume the queues; SIGTERM stops them all cleanly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobs.actors import noop
from jobs.clock import leader_lock
from tests.jobs.conftest import health, redis_only, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


@pytest.mark.slow
@redis_only  # reads the queue's Redis keys
def test_worker_processes_drain_the_queue_and_stop_on_sigterm(database, jobs, redis_url, namespace):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database, "REDIS_URL": redis_url,
           "HITBOT_REDIS_NAMESPACE": namespace, "HITBOT_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "hitbot.cli", "worker", "--processes", "2", "--threads", "2"],
                            cwd=ROOT, env=env)
    try:
        assert wait_until(lambda: len(_children(proc.pid)) == 2, 60), "expected two worker processes"
        children = _children(proc.pid)
        for _ in range(200):
            noop.send()
        queue, msgs = f"{namespace}:default", f"{namespace}:default.msgs"
        assert wait_until(lambda: jobs.redis.llen(queue) == 0 and jobs.redis.hlen(msgs) == 0, 90), "not drained"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert time.monotonic() - started < 40
        for child in children:
            assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text().lower()
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_hitbot_clock_leads_reports_it_and_lets_go_on_sigterm(database, jobs, redis_url, namespace):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database, "REDIS_URL": redis_url,
           "HITBOT_REDIS_NAMESPACE": namespace, "HITBOT_LOG_LEVEL": "WARNING"}
    # -X faulthandler: a clock that does not stop is sent SIGABRT and prints every thread's stack
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "hitbot.cli", "clock",
                             "--metrics-port", str(port)], cwd=ROOT, env=env)
    lock = leader_lock(jobs, ttl_ms=1000)  # a probe of the clock's lock (Redis key or PostgreSQL advisory lock)
    try:
        assert wait_until(lambda: (health(port) or {}).get("clock_leader") is True, 60), "never led"
        assert lock.holder() is not None
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(45)  # its stop is bounded: 25 s for the sweeps and the lock, 10 s for the broker
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            proc.wait(10)
            pytest.fail("the clock did not stop within 45 s of SIGTERM (its threads' stacks are above)")
        assert code == 0
        assert lock.holder() is None, "the leader lock was not released (a standby would wait for it)"
    finally:
        if proc.poll() is None:
            proc.kill()
