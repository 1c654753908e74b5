"""A clock process for tests: `python -m tests.jobs.clock_child DB_URL REDIS_URL NAMESPACE LOG`.
Runs the real sweeps on short intervals and appends `<pid> <sweep> <items>` to LOG after each run."""
from __future__ import annotations

import dataclasses
import os
import sys
import threading


def main() -> None:
    db_url, redis_url, namespace, log_path = sys.argv[1:5]
    from core.config import load_settings
    from core.db import init_db
    from hitbot.cli import _stop_on_signals
    from jobs.broker import setup_broker
    from jobs.clock import Clock, default_sweeps

    init_db(db_url)
    settings = load_settings()
    jobs = setup_broker(settings, url=redis_url, namespace=namespace)
    sweeps = [dataclasses.replace(s, every_s=0.3) for s in default_sweeps(settings, jobs)]
    lock = threading.Lock()

    def record(name: str, n: int) -> None:
        with lock, open(log_path, "a") as f:
            f.write(f"{os.getpid()} {name} {n}\n")

    clock = Clock(settings, jobs, sweeps=sweeps, lock_ttl_s=2, on_run=record)
    stop = _stop_on_signals()  # hitbot's own handler (one that set the event itself could deadlock)
    clock.start()
    print("ready", flush=True)
    stop.wait()
    clock.stop()


if __name__ == "__main__":
    main()
