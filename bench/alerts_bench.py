"""Worker money and messages: how long the alert sweep takes for a batch of new HITs as
the number of subscribed workers grows, how long the earnings chart takes to render,
and how many notifications per second `bot.notices.render` (delivery's query and the view) turns out.

    python -m bench.alerts_bench [--pg URL] [--quick] [--no-write]

The sweep goes through the real service (core.alerts.commands.match_new_hits); workers
and their saved filters are bulk-loaded (registering 10k users one by one would measure
registration)."""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bench import open_database, write_section

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
REQUESTER_ID = 800_000_001
FIRST_WORKER = 810_000_000
WORDS = ("images", "labels", "audio", "survey", "receipts", "translation", "sentiment", "address")
BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def _wipe() -> None:
    from core.models import AlertCursor, AlertSent, AlertSub, OutboxEvent

    for model in (AlertSent, AlertSub, OutboxEvent, AlertCursor):
        model.delete().execute()


def _workers(n: int) -> None:
    """n workers, each with one or two saved filters (a third of them strict enough to rarely match)."""
    from core.db import db
    from core.models import AlertSub, User

    rng = random.Random(n)
    have = User.select().where(User.id >= FIRST_WORKER).count()
    with db.atomic():
        rows = [{"id": FIRST_WORKER + i, "first_name": f"W{i}", "created_at": NOW - timedelta(days=30)}
                for i in range(have, n)]
        for i in range(0, len(rows), 500):
            User.insert_many(rows[i:i + 500]).execute()
    subs = []
    for i in range(n):
        for _ in range(rng.choice((1, 1, 2))):
            kind = rng.random()
            flt = {"min_reward_cents": 0, "max_duration_s": 0, "min_hourly_cents": 0, "keyword": "",
                   "qualified_only": False}
            if kind < 0.33:
                flt["min_reward_cents"] = rng.choice((5, 10, 20, 50))
            elif kind < 0.66:
                flt["keyword"] = rng.choice(WORDS)
            else:
                flt["min_hourly_cents"] = rng.choice((300, 900, 5000))
            subs.append({"user": FIRST_WORKER + i, "filters": flt, "muted": rng.random() < 0.1, "created_at": NOW})
    with db.atomic():
        for i in range(0, len(subs), 500):
            AlertSub.insert_many(subs[i:i + 500]).execute()


def _publish(n: int, at: datetime) -> None:
    from core.hits import publishing

    rng = random.Random(n)
    for i in range(n):
        spec = {"title": f"Task {i} {rng.choice(WORDS)}", "reward": f"0.{rng.randint(2, 60):02d}",
                "keywords": [rng.choice(WORDS)], "assignments": 1, "duration": f"{rng.choice((2, 5, 10, 30))}m",
                "lifetime": "7d", "questions": [{"id": "q", "kind": "text", "prompt": "Answer"}]}
        publishing.publish_hit(requester_id=REQUESTER_ID, spec=spec, now=at)


def bench_sweep(workers: int, hits: int) -> dict:
    from core.alerts.commands import match_new_hits
    from core.models import AlertCursor, Hit

    _wipe()
    _workers(workers)
    newest = Hit.select(Hit.id).order_by(Hit.id.desc()).scalar() or 0
    AlertCursor.create(name="hits", last_hit_id=newest)
    _publish(hits, NOW)
    started = time.perf_counter()
    sent = match_new_hits(now=NOW, limit=hits)
    took = time.perf_counter() - started
    again = time.perf_counter()
    assert match_new_hits(now=NOW, limit=hits) == 0
    idle = time.perf_counter() - again
    return {"workers": workers, "hits": hits, "alerts": sent, "s": took, "idle_ms": idle * 1000}


def bench_chart(rounds: int) -> dict:
    from bot.views.chart import earnings_png

    days = [(date(2026, 2, 1) + timedelta(days=i), random.randint(0, 5000)) for i in range(30)]
    earnings_png(days)  # warm-up (font cache)
    times, size = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        size = len(earnings_png(days))
        times.append(time.perf_counter() - started)
    return {"p50_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000, "bytes": size}


def bench_render(n: int) -> dict:
    from bot.notices import render
    from core.models import OutboxEvent

    events = list(OutboxEvent.select().where(OutboxEvent.kind == "alert.hit").limit(n))
    started = time.perf_counter()
    for e in events:
        render(e)
    took = time.perf_counter() - started
    return {"events": len(events), "per_s": len(events) / took if took else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL server URL (a private database is created and dropped)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    sizes = (100, 1_000) if args.quick else (1_000, 10_000)
    hits = 50 if args.quick else 200
    with tempfile.TemporaryDirectory() as workdir:
        os.environ.setdefault("HITBOT_DATA_DIR", workdir)
        _, drop = open_database(args.pg, workdir, "hitbot_bench_alerts")
        try:
            from core.payments import accounts
            from core.users import commands as users

            users.register(user_id=REQUESTER_ID, first_name="Bench requester", now=NOW)
            accounts.topup(user_id=REQUESTER_ID, amount_cents=10_000_000, charge_id="bench-alerts", now=NOW)
            sweeps = [bench_sweep(w, hits) for w in sizes]
            rendered = bench_render(2_000)
            chart = bench_chart(10 if args.quick else 30)
        finally:
            if drop:
                drop()
    dbname = "PostgreSQL" if args.pg else "SQLite (WAL, file)"
    from core.config import get_settings

    lines = [f"## Alerts sweep, notification texts, earnings chart ({dbname})", "",
             f"`python -m bench.alerts_bench{' --pg URL' if args.pg else ''}{' --quick' if args.quick else ''}` on "
             f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}; "
             f"alerts capped at {get_settings().alerts_per_hour} per worker per hour.", "",
             "| subscribed workers | new HITs | alerts written | sweep s | ms per HIT | re-run (nothing new) ms |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in sweeps:
        lines.append(f"| {r['workers']:,} | {r['hits']} | {r['alerts']:,} | {r['s']:.2f} | "
                     f"{r['s'] * 1000 / r['hits']:.1f} | {r['idle_ms']:.1f} |")
    lines += ["", f"`notify.render` of alert events: {rendered['per_s']:,.0f}/s ({rendered['events']} events).",
              f"Earnings chart (30 bars, PNG {chart['bytes']:,} bytes): p50 {chart['p50_ms']:.0f} ms, "
              f"max {chart['max_ms']:.0f} ms per render."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("alerts", body, part="pg" if args.pg else "sqlite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
