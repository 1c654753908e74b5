"""Interactive latency through the real processes: `hitbot sandbox` (bot, jobs, clock and the
Telegram emulator, on SQLite) with N workers pressing Accept, an answer and Submit at once, then
the requester pressing Approve on every submission as it appears. Reports how long a press waits for
its callback answer, p50/p99, as the emulator saw it (from the press until the bot's answer came) and
as this client did; how long until the chat shows the next step's button; and how far the last chat
change lags behind the last answer (the sends the rate limiter paces).

    python -m bench.load_bench [--users 50] [--port 8795]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

REQUESTER = 900_000_001
FIRST_WORKER = 920_000_000
WAIT_S = 120  # a hang guard per step
UNANSWERED: list[str] = []
CLIENT_WAITS: list[float] = []


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def seed(data_dir: str, users: int) -> int:
    """A funded requester and one HIT with a slot per worker, in the sandbox's own database."""
    from core.db import db, init_db
    from core.hits import publishing
    from core.migrations import migrate
    from core.payments import accounts
    from core.users import commands as users_

    now = datetime.now(UTC)
    init_db(f"sqlite:///{data_dir}/hitbot.sqlite3")
    migrate()
    users_.register(user_id=REQUESTER, first_name="Load requester", now=now)
    accounts.topup(user_id=REQUESTER, amount_cents=users * 20 + 1000, charge_id="bench-load", now=now)
    spec = {"title": "Label a photo", "description": "Say what is in the picture.", "reward": "0.10",
            "keywords": ["images"], "assignments": users, "duration": "30m", "lifetime": "7d",
            "questions": [{"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog"]}]}
    hit_id = publishing.publish_hit(requester_id=REQUESTER, spec=spec, now=now - timedelta(seconds=5)).id
    db.close()
    return hit_id


async def _button(client: httpx.AsyncClient, user: int, prefix: str, taken: set[str]) -> tuple[int, str]:
    """Wait until the user's chat shows a button whose data starts with `prefix` (not pressed yet)."""
    version = 0
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        chat = (await client.get(f"/sandbox/api/users/{user}/chat",
                                 params={"after_version": version, "timeout": 10})).json()
        version = chat["version"]
        for m in reversed(chat["messages"]):
            for row in m.get("buttons") or []:
                for b in row:
                    data = b.get("callback_data") or ""
                    if data.startswith(prefix) and data not in taken:
                        return m["message_id"], data
    raise TimeoutError(f"user {user}: no {prefix} button")


async def _press(client: httpx.AsyncClient, user: int, prefix: str, waits: list[float], taken: set[str],
                 seen: Callable[[float], None] | None = None) -> float:
    """Press the button once it shows (`seen` is told when), and time the press until its answer; returns when
    the press began."""
    message_id, data = await _button(client, user, prefix, taken)
    if seen is not None:
        seen(time.perf_counter())
    taken.add(data)
    started = time.perf_counter()
    got = (await client.post(f"/sandbox/api/users/{user}/press",
                             json={"message_id": message_id, "callback_data": data})).json()
    done = time.perf_counter()
    if not got.get("answered"):  # the emulator stopped waiting for the answer: counted, at least that long
        UNANSWERED.append(data)
    # The wait as the emulator (Telegram's side) saw it; this client's own round trip and event loop
    # (50 people in one process, each re-reading its chat on every change) come on top: CLIENT_WAITS.
    waits.append(got["answered_ms"] / 1000 if got.get("answered_ms") is not None else done - started)
    CLIENT_WAITS.append(done - started)
    return started


async def drive(url: str, hit_id: int, users: int) -> dict:
    limits = httpx.Limits(max_connections=users * 2 + 10)
    async with httpx.AsyncClient(base_url=url, timeout=WAIT_S, limits=limits) as client:
        people = [REQUESTER] + [FIRST_WORKER + i for i in range(users)]
        for uid in people:
            (await client.post("/sandbox/api/users", json={"id": uid, "first_name": f"U{uid % 1000}"})).raise_for_status()
        await asyncio.gather(*(client.post(f"/sandbox/api/users/{w}/messages", json={"text": f"/start hit_{hit_id}"})
                               for w in people[1:]))
        waits: dict[str, list[float]] = {"accept": [], "answer": [], "submit": [], "approve": []}
        # From a press until the chat shows the next step's button (what the press did, not only its answer).
        shown: dict[str, list[float]] = {"accept": [], "answer": []}
        last = [0.0]

        async def worker(w: int) -> None:
            taken: set[str] = set()
            before: tuple[str, float] | None = None
            for kind, prefix in (("accept", f"w:acc:{hit_id}"), ("answer", "w:ch:"), ("submit", "w:sub:")):
                def seen(at: float, before=before) -> None:
                    if before is not None:
                        shown[before[0]].append(at - before[1])
                started = await _press(client, w, prefix, waits[kind], taken, seen)
                before = (kind, started)
                last[0] = max(last[0], time.perf_counter())

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in people[1:]))
        taken: set[str] = set()
        await client.post(f"/sandbox/api/users/{REQUESTER}/messages", json={"text": "/review"})

        async def approve() -> None:
            await _press(client, REQUESTER, "r:apv:", waits["approve"], taken)
            last[0] = max(last[0], time.perf_counter())

        # The requester presses Approve on each submission card as it appears, several at once.
        for _ in range(users):
            await approve()
        pressed = time.perf_counter() - started
        # The chats settle: the last change (notifications, card edits) after the last answer.
        version = (await client.get("/sandbox/api/changes", params={"since": 0, "timeout": 0})).json()["version"]
        last_change = last[0]
        while True:
            got = (await client.get("/sandbox/api/changes", params={"since": version, "timeout": 5})).json()
            if got["version"] == version:
                break
            version, last_change = got["version"], time.perf_counter()
    every = [t for ts in waits.values() for t in ts]
    return {"presses": len(every), "p50": _pct(every, 50), "p99": _pct(every, 99), "seconds": pressed,
            "per": {k: (_pct(v, 50), _pct(v, 99)) for k, v in waits.items() if v},
            "shown": {k: (_pct(v, 50), _pct(v, 99)) for k, v in shown.items() if v},
            "edit_lag_s": last_change - last[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--port", type=int, default=8795)
    parser.add_argument("--profile", action="store_true",
                        help="where each press waits before its answer, by handler (from the bot's log)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    data_dir = tempfile.mkdtemp(prefix="hitbot-loadbench-")
    env = {**os.environ, "HITBOT_DATA_DIR": data_dir, "HITBOT_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if args.profile:
        env["HITBOT_PROFILE_UPDATES"] = "1"
    os.environ.update({"HITBOT_DATA_DIR": data_dir})
    os.environ.pop("DATABASE_URL", None)
    os.makedirs(f"{data_dir}/sandbox", exist_ok=True)
    hit_id = seed(f"{data_dir}/sandbox", args.users)  # where hitbot sandbox keeps its database
    log = open(f"{data_dir}/sandbox.log", "w")  # noqa: SIM115 - closed with the process below
    proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "hitbot"), "sandbox",
                             "--port", str(args.port), "--tasks-port", str(args.port + 1)], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/sandbox/api/users", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        out = asyncio.run(drive(url, hit_id, args.users))
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    print(f"hitbot sandbox (SQLite), {args.users} users, load average {load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"callback answer over {out['presses']} presses in {out['seconds']:.1f} s: "
          f"p50 {out['p50']:.0f} ms, p99 {out['p99']:.0f} ms ({len(UNANSWERED)} not answered in the emulator's wait); last chat change {out['edit_lag_s']:.1f} s after the last answer")
    for kind, (p50, p99) in out["per"].items():
        print(f"  {kind:<8} p50 {p50:6.0f} ms  p99 {p99:6.0f} ms")
    print(f"the same presses timed by this client (its own round trip and event loop on top): "
          f"p50 {_pct(CLIENT_WAITS, 50):.0f} ms, p99 {_pct(CLIENT_WAITS, 99):.0f} ms")
    print("from a press until its chat shows the next step's button:")
    for kind, (p50, p99) in out["shown"].items():
        print(f"  {kind:<8} p50 {p50:6.0f} ms  p99 {p99:6.0f} ms")
    if args.profile:
        print_profile(f"{data_dir}/sandbox.log")
    return 0


# What the bot logs per press with HITBOT_PROFILE_UPDATES=1 (bot.runtime), in ms: started (its turn
# in its chat came), answer_sent / answered (the callback answer's HTTP call began / returned), all
# from the update's arrival; call (core calls, end to end), pool_wait (for a worker thread),
# writer_lock (for this process's SQLite writer lock), core (running).
PROFILE_FIELDS = ("started", "call", "pool_wait", "writer_lock", "core", "answer_sent", "answered")


def print_profile(log_path: str) -> None:
    rows: dict[str, dict[str, list[float]]] = {}
    with open(log_path) as log:
        for line in log:
            try:
                message = json.loads(line).get("msg", "")
            except ValueError:
                continue
            if not message.startswith("profile "):
                continue
            name, *pairs = message.split()[1:]
            got = rows.setdefault(name, {})
            for pair in pairs:
                k, _, v = pair.partition("=")
                got.setdefault(k, []).append(float(v) / 1000)
    print("where a press waits, ms from its arrival in the bot (p50 / p99):")
    for name, fields in rows.items():
        n = max(len(v) for v in fields.values())
        shown = "  ".join(f"{k} {_pct(fields[k], 50):.0f}/{_pct(fields[k], 99):.0f}" for k in PROFILE_FIELDS
                          if k in fields)
        print(f"  {name:<10} n={n:<4} {shown}")


if __name__ == "__main__":
    sys.exit(main())
