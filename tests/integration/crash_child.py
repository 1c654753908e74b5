"""The process test_crash_money kills: it runs one money operation against the test
database and SIGKILLs itself just before its `kill_at`-th database call (BEGIN, a
statement, COMMIT), or, with kill_at one past the last call, right after the
operation returned. Started from a forkserver that has core imported already."""
from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from core.db import db, init_db
from core.errors import HitbotError

HOOKED = ("begin", "execute_sql", "commit")


class Points:
    """Counts the database calls an operation makes; optionally dies at one of them."""

    def __init__(self, kill_at: int | None = None) -> None:
        self.kill_at = kill_at
        self.count = 0
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> "Points":
        database = db.obj
        for name in HOOKED:
            original = getattr(database, name)
            self._saved[name] = original
            setattr(database, name, self._wrap(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self._saved:
            vars(db.obj).pop(name, None)  # back to the class's own method

    def _wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            return original(*args, **kwargs)

        return counted

    def tick(self) -> None:
        self.count += 1
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def run(url: str, fn: Callable[..., Any], kwargs: dict, kill_at: int) -> None:
    """Exit code 0: the operation finished; 3: it raised hitbot's own error; -9: killed."""
    init_db(url)
    points = Points(kill_at)
    with points:
        try:
            fn(**kwargs)
        except HitbotError:
            os._exit(3)
    points.tick()  # one past the last call: done, but the caller never heard back
    os._exit(0)


def run_loop(url: str, calls: list[tuple[Callable[..., Any], dict]], ready: Any, progress: Any) -> None:
    """Run the calls one after another, counting them in `progress`, until the parent kills
    this process at some moment."""
    init_db(url)
    db.connect(reuse_if_open=True)
    ready.set()
    for fn, kwargs in calls:
        try:
            fn(**kwargs)
        except HitbotError:
            pass
        progress.value += 1
    os._exit(0)
