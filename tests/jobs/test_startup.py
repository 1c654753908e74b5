"""Start-up as an operator sees it: `hitbot bot` / `hitbot run` as processes against the sandbox
emulator. Telegram down then up (it waits, one line per try, then starts), a refused token, a
database that refuses us, a schema newer than the code: one clear line each, exit status 78."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.migrations import LATEST
from sandbox.server import SandboxServer
from tests.jobs.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "HITBOT_", "DATABASE_", "REDIS_"))}
    env.update({"PYTHONPATH": str(ROOT), "HITBOT_DATA_DIR": str(tmp_path / "data"), "HITBOT_LOG_LEVEL": "INFO",
                "HITBOT_LOG_FORMAT": "human", "TELEGRAM_BOT_TOKEN": "123456:STARTTOKEN"})
    env.update(extra)
    return env


class Output:
    """A process's combined output, read line by line in the background."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def matching(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _start(command: str, env: dict[str, str]) -> tuple[subprocess.Popen, Output]:
    proc = subprocess.Popen([sys.executable, "-m", "hitbot.cli", command], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, Output(proc)


def _finish(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


@pytest.mark.slow
def test_run_waits_for_telegram_then_starts_with_a_banner(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc, out = _start("run", _env(tmp_path, TELEGRAM_API_URL=url))
    server = None
    try:
        assert wait_until(lambda: len(out.matching("Telegram is unreachable")) >= 2, 30), out.text
        first, second = out.matching("Telegram is unreachable")[:2]
        assert f"Telegram is unreachable at {url} (connection refused); retrying in 1 s" in first
        assert "retrying in 2 s" in second
        assert "Traceback" not in out.text and proc.poll() is None

        server = SandboxServer(port=port, flood_control=False).start()  # Telegram comes up
        assert wait_until(lambda: server.world.calls["getUpdates"] > 0, 30), out.text
        assert wait_until(lambda: out.matching("hitbot run started as @"), 10), out.text
        banner = out.text.split("hitbot run started as @", 1)[1]
        for fact in ("database  SQLite", "broker    embedded Redis", "data dir", str(tmp_path / "data")):
            assert fact in banner, out.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(45) == 0
    finally:
        _finish(proc)
        if server is not None:
            server.stop()
    assert "Traceback" not in out.text
    assert "STARTTOKEN" not in out.text
    assert not out.matching("Adding job tentatively"), "APScheduler's INFO lines reached the log"


@pytest.mark.slow
def test_a_token_telegram_refuses_stops_the_bot_with_one_line_and_status_78(tmp_path):
    with SandboxServer(flood_control=False) as server:
        proc, out = _start("bot", _env(tmp_path, TELEGRAM_API_URL=server.url, TELEGRAM_BOT_TOKEN="not-a-token"))
        try:
            assert proc.wait(60) == 78
        finally:
            _finish(proc)
    time.sleep(0.2)  # the reader thread drains the pipe
    problems = [line for line in out.lines if "refuses the bot token" in line]
    assert len(problems) == 1, out.text
    assert "401" in problems[0] and "@BotFather" in problems[0]
    assert "Traceback" not in out.text and "not-a-token" not in out.text


@pytest.mark.slow
@pytest.mark.parametrize("command", ["bot", "run"])
def test_a_database_that_refuses_the_connection_stops_with_one_line(command, tmp_path):
    with SandboxServer(flood_control=False) as server:
        url = f"postgresql://hitbot:hunter2@127.0.0.1:{_free_port()}/hitbot"
        done = subprocess.run([sys.executable, "-m", "hitbot.cli", command], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, env=_env(tmp_path, TELEGRAM_API_URL=server.url, DATABASE_URL=url))
    assert done.returncode == 78, done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    problem = [line for line in lines if "refuses the connection" in line]
    assert len(problem) == 1 and "connection refused" in problem[0] and "DATABASE_URL" in problem[0], lines
    assert "Traceback" not in done.stderr and "hunter2" not in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", ["bot", "run", "migrate"])
def test_a_schema_newer_than_the_code_stops_with_one_line(command, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "hitbot.sqlite3")
    with db:
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at DATETIME NOT NULL)")
        db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, '2030-01-01 00:00:00')",
                   (LATEST + 1,))
    db.close()
    with SandboxServer(flood_control=False) as server:
        done = subprocess.run([sys.executable, "-m", "hitbot.cli", command], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, env=_env(tmp_path, TELEGRAM_API_URL=server.url))
        assert server.world.calls["getUpdates"] == 0
    assert done.returncode == 78, done.stderr
    problem = [line for line in done.stderr.splitlines() if "newer than this hitbot" in line]
    assert len(problem) == 1 and f"version {LATEST + 1}" in problem[0], done.stderr
    assert "Traceback" not in done.stderr
