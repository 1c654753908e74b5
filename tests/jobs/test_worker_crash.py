"""A worker process killed in the middle of a message: the message comes back within about
30 s (heartbeat timeout + maintenance) and the notification is delivered exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dramatiq
import pytest
from dramatiq.middleware import Middleware

from core.db import tx
from core.models import OutboxEvent
from core.outbox import emit
from jobs.delivery import deliver
from tests.conftest import NOW
from tests.jobs.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
CHAT = 9_100


class Seen(Middleware):
    def __init__(self) -> None:
        self.at: list[float] = []

    def before_process_message(self, broker, message) -> None:
        if message.actor_name == "deliver":
            self.at.append(time.monotonic())


@pytest.mark.slow
def test_killed_worker_message_comes_back_and_is_delivered_once(database, jobs, botapi, redis_url, namespace):
    botapi.hang_first.add(CHAT)
    with tx():
        event_id = emit("balance.credited", user_id=CHAT, now=NOW, amount_cents=250, reason="a test").id
    deliver.send(event_id)

    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database, "REDIS_URL": redis_url,
           "HITBOT_REDIS_NAMESPACE": namespace, "HITBOT_LOG_LEVEL": "WARNING"}
    child = subprocess.Popen([sys.executable, "-m", "hitbot.cli", "worker", "--threads", "1"], cwd=ROOT, env=env)
    try:
        assert wait_until(lambda: botapi.hung == [CHAT], 60), "the child worker never sent"  # slow start under load
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        killed_at = time.monotonic()
        # The sender is gone mid-request: its notice is claimed, not done.
        assert OutboxEvent.get_by_id(event_id).done_at is None

        seen = Seen()
        jobs.broker.add_middleware(seen)
        worker = dramatiq.Worker(jobs.broker, worker_threads=2, worker_timeout=100)
        worker.start()
        try:
            assert wait_until(lambda: bool(seen.at), 45), "the killed worker's message never came back"
            back_s = seen.at[0] - killed_at
            assert back_s <= 35, f"took {back_s:.0f} s to come back"
            assert wait_until(lambda: OutboxEvent.get_by_id(event_id).done_at is not None, 60)
        finally:
            worker.stop(timeout=5_000)
    finally:
        if child.poll() is None:
            child.kill()
    assert [s.chat_id for s in botapi.sent] == [CHAT]
    print(f"\nmessage back {back_s:.1f} s after SIGKILL")
