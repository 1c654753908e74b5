"""`hitbot api` as its own process (the Procfile's `api` role): answers boto3 against the shared
database, keeps secrets out of its log, and stops on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.conftest import TEST_SECRET_KEY, Requester, create_args

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class _Endpoint:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/mturk"


@pytest.mark.slow
def test_hitbot_api_process(database, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update({"PYTHONPATH": str(ROOT), "HITBOT_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database,
                "HITBOT_SECRET_KEY": TEST_SECRET_KEY, "HITBOT_LOG_FORMAT": "json"})
    log = (tmp_path / "api.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "hitbot.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not _listening(port) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert _listening(port), (tmp_path / "api.log").read_text()
        rita = Requester(_Endpoint(port), 10_00)
        assert rita.client.get_account_balance()["AvailableBalance"] == "10.00"
        assert rita.client.create_hit(**create_args(MaxAssignments=1))["HIT"]["HITStatus"] == "Assignable"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    text = (tmp_path / "api.log").read_text()
    assert rita.secret not in text and TEST_SECRET_KEY not in text
    assert "hitbot api started" in text and "MTurk API stopped" in text
