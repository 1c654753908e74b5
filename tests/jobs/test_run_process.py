"""`hitbot run`: bot, worker and clock in one process on the embedded defaults (SQLite and an
embedded Redis), talking to a Bot API over HTTP; healthy, delivering, and stopping on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.jobs.conftest import ON_RABBITMQ, health, wait_until

pytestmark = pytest.mark.skipif(ON_RABBITMQ, reason="Redis-specific: `hitbot run` on its embedded Redis")

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_hitbot_run_serves_delivers_and_stops_on_sigterm(botapi, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"PYTHONPATH": str(ROOT), "HITBOT_DATA_DIR": str(tmp_path / "data"), "HITBOT_LOG_LEVEL": "INFO",
                "TELEGRAM_BOT_TOKEN": "123:RUNTOKEN"})
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "hitbot.cli", "run", "--metrics-port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: (health(port) or {}).get("clock_leader") is True, 60), "never became healthy"
        assert health(port) == {"ok": True, "broker": "up", "clock_leader": True, "worker": "running"}
        assert (tmp_path / "data" / "hitbot.sqlite3").exists()

        # A notification written by another process straight into the outbox (no fast path
        # here): the clock's outbox sweep finds it and the worker sends it.
        db = sqlite3.connect(tmp_path / "data" / "hitbot.sqlite3")
        with db:
            db.execute("INSERT INTO outbox_event (kind, user_id, payload, created_at, attempts) VALUES (?, ?, ?, ?, 0)",
                       ("balance.credited", 4242, json.dumps({"amount_cents": 150, "reason": "welcome"}),
                        "2026-01-01 00:00:00"))
        db.close()
        assert wait_until(lambda: [s.chat_id for s in botapi.sent] == [4242], 30), "the notification never arrived"
        assert "welcome" in botapi.sent[0].text

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(45) == 0
        assert time.monotonic() - started < 45
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    text = (tmp_path / "run.log").read_text()
    assert "RUNTOKEN" not in text, "the bot token reached the logs"
    assert '"msg": "clock stopped"' in text and '"msg": "bot stopped"' in text and '"msg": "worker stopped"' in text
