"""The sandbox emulator's speed and footprint: Bot API calls/s, how fast a user's message
reaches a long-polling bot, the round trip through the real hitbot bot (what a person in
the web chat waits), and memory per stored message.

    python -m bench.sandbox_bench [--calls 3000] [--round-trips 100] [--no-write]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import threading
import time
import tracemalloc

import httpx

from bench import write_section
from sandbox.server import SandboxServer
from sandbox.state import FloodControl, World

TOKEN = "900000001:bench"


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


async def bot_api_calls(url: str, calls: int, concurrency: int) -> dict:
    """sendMessage as fast as a bot with `concurrency` requests in flight can send."""
    async with httpx.AsyncClient(base_url=f"{url}/bot{TOKEN}", timeout=30,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        await client.post("/getMe")
        latencies: list[float] = []
        todo = iter(range(calls))

        async def one_worker() -> None:
            for i in todo:
                started = time.perf_counter()
                resp = await client.post("/sendMessage", json={"chat_id": 1 + i % 50, "text": f"message {i}"})
                assert resp.status_code == 200, resp.text
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one_worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"calls": calls, "per_s": calls / elapsed, "p50": _pct(latencies, 50), "p99": _pct(latencies, 99)}


async def update_delivery(url: str, n: int) -> dict:
    """A user's message posted to the test-client API until a waiting getUpdates returns it."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        offset = 0
        latencies = []
        for i in range(n):
            poll = asyncio.create_task(client.post(f"/bot{TOKEN}/getUpdates", json={"offset": offset, "timeout": 10}))
            await asyncio.sleep(0.005)  # the poll is waiting before the message is sent
            started = time.perf_counter()
            await client.post("/sandbox/api/users/1/messages", json={"text": f"hi {i}"})
            updates = (await poll).json()["result"]
            latencies.append(time.perf_counter() - started)
            offset = updates[-1]["update_id"] + 1
    return {"n": n, "p50": _pct(latencies, 50), "p99": _pct(latencies, 99)}


def bot_round_trips(n: int) -> dict:
    """/help sent as a user until the real bot's answer is in the chat (SQLite, no jobs)."""
    from bot.app import build_application
    from core.config import get_settings
    from core.db import init_db
    from core.migrations import migrate
    from hitbot.run import serve_bot

    with tempfile.TemporaryDirectory() as tmp, SandboxServer(flood_control=False) as server:
        os.environ.update({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": server.url, "HITBOT_DATA_DIR": tmp,
                           "HITBOT_LOG_LEVEL": "WARNING"})
        os.environ.pop("DATABASE_URL", None)
        get_settings.cache_clear()
        settings = get_settings()
        init_db(settings.effective_database_url())
        migrate()
        stop, ready = threading.Event(), threading.Event()
        app = build_application(settings)
        thread = threading.Thread(target=lambda: asyncio.run(serve_bot(settings, stop, application=app, ready=ready)))
        thread.start()
        ready.wait(30)
        http = httpx.Client(base_url=server.url, timeout=30)
        http.post("/sandbox/api/users", json={"id": 42, "first_name": "Bench"})
        latencies = []
        try:
            for _ in range(n):
                version = http.get("/sandbox/api/users/42/chat").json()["version"]
                started = time.perf_counter()
                http.post("/sandbox/api/users/42/messages", json={"text": "/help"})
                while True:  # the user's own message bumps the version first; wait for the bot's
                    chat = http.get("/sandbox/api/users/42/chat",
                                    params={"after_version": version, "timeout": 10}).json()
                    version = chat["version"]
                    if chat["messages"][-1]["from_bot"]:
                        break
                latencies.append(time.perf_counter() - started)
        finally:
            stop.set()
            server.release_pollers()
            thread.join(30)
            http.close()
    return {"n": n, "p50": _pct(latencies, 50), "p99": _pct(latencies, 99),
            "mean": statistics.mean(latencies) * 1000}


def memory_per_message(n: int) -> float:
    """Bytes the emulator keeps per stored bot message (tracemalloc, Python objects only)."""
    world = World(FloodControl(enabled=False))
    world.upsert_user(1, "Mem", None, "en")
    chat = world.chats[1]
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    markup = {"inline_keyboard": [[{"text": "Approve", "callback_data": "r:apv:1"},
                                   {"text": "Reject", "callback_data": "r:rej:1"}]]}
    for i in range(n):
        world.add_message(chat, from_bot=True, text=f"Submission #{i} " + "x" * 200, html=None, markup=markup)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    return grown / n


async def _emulator_figures(calls: int, deliveries: int) -> tuple[dict, dict, dict]:
    with SandboxServer(flood_control=False) as server:
        for uid in range(1, 51):
            httpx.post(f"{server.url}/sandbox/api/users", json={"id": uid, "first_name": f"U{uid}"})
        one = await bot_api_calls(server.url, calls, 1)
        many = await bot_api_calls(server.url, calls, 16)
        delivery = await update_delivery(server.url, deliveries)
    return one, many, delivery


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--round-trips", type=int, default=100)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)

    one, many, delivery = asyncio.run(_emulator_figures(args.calls, args.deliveries))
    trips = bot_round_trips(args.round_trips)
    per_msg = memory_per_message(10_000)
    body = f"""## Sandbox emulator

`python -m bench.sandbox_bench` on {platform.machine()}, {os.cpu_count()} CPUs (shared),
Python {platform.python_version()}; the emulator serves from a thread of the benchmark process over loopback HTTP,
flood control off.

| what | n | rate | p50 ms | p99 ms |
|---|---:|---:|---:|---:|
| sendMessage, 1 request in flight | {one['calls']} | {one['per_s']:.0f}/s | {one['p50']:.2f} | {one['p99']:.2f} |
| sendMessage, 16 in flight | {many['calls']} | {many['per_s']:.0f}/s | {many['p50']:.2f} | {many['p99']:.2f} |
| user message → waiting getUpdates returns it | {delivery['n']} | | {delivery['p50']:.2f} | {delivery['p99']:.2f} |
| `/help` typed → hitbot's answer in the chat (real bot, SQLite) | {trips['n']} | | {trips['p50']:.1f} | {trips['p99']:.1f} |

Memory: about **{per_msg / 1024:.1f} KiB per stored message** (a 220-character text with two
buttons; 10,000 messages measured with tracemalloc). Chats live in memory for the life of
the sandbox process.
"""
    print(body)
    if not args.no_write:
        write_section("sandbox", body)
        print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
