"""Real processes for the payout crash test and benchmark: a throwaway redis-server and
`hitbot worker` processes, each started and stopped by its own pid."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def worker_env(*, database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HITBOT_", "TEST_"))}
    env.update({k: v for k, v in os.environ.items() if k in ("HITBOT_ADMINS", "HITBOT_CURRENCY",
                                                            "HITBOT_FEE_PERCENT", "HITBOT_MIN_PAYOUT_CENTS")})
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, HITBOT_DATA_DIR=str(data_dir),
               HITBOT_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT), **extra)
    return env


class WorkerProcess:
    """`hitbot worker --processes 1`: one dramatiq worker process."""

    def __init__(self, env: dict[str, str], *, queues: tuple[str, ...] = ("payouts",), threads: int = 4,
                 log: Path | None = None) -> None:
        cmd = [sys.executable, "-m", "hitbot.cli", "worker", "--processes", "1", "--threads", str(threads)]
        for q in queues:
            cmd += ["--queue", q]
        out = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=out)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.kill()
