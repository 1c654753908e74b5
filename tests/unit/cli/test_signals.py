"""SIGTERM stops every role, whenever it comes: also while the main thread is inside the stop event's wait."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# The signal lands while the main thread holds the event's lock, as it does for a moment on entering
# and leaving stop.wait() (hitbot clock and worker wait there; `--processes N` and the start-up retries
# enter it every half second). A handler that set the event itself would wait for that lock forever.
_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from hitbot.cli import _stop_on_signals

    stop = _stop_on_signals()
    with stop._cond:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # bytecodes for the handler to run between
            pass
    sys.exit(0 if stop.wait(10) else 3)
""")


def test_sigterm_while_the_main_thread_holds_the_stop_events_lock_still_stops():
    done = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, timeout=30, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_sigint_stops_a_waiting_role_too():
    script = _SCRIPT.replace("SIGTERM", "SIGINT")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=30, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# The kernel hands a process's signal to any thread; Python runs the handler on the main thread once
# that runs bytecode again. A role waiting on the stop event without a timeout never does: it outlived
# SIGTERM (a clock on RabbitMQ in CI, whose broker threads took the signal).
_OTHER_THREAD = textwrap.dedent("""
    import signal, sys, threading
    from hitbot.cli import _stop_on_signals, _until_stopped

    stop = _stop_on_signals()
    threading.Timer(0.3, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGTERM)).start()
    _until_stopped(stop)
    sys.exit(0)
""")


def test_sigterm_taken_by_another_thread_still_stops_the_waiting_role():
    done = subprocess.run([sys.executable, "-c", _OTHER_THREAD], cwd=ROOT, timeout=30, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
