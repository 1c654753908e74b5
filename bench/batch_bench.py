"""Batch publish: one 5,000-row batch through core.hits.publishing.publish_batch (the call the
Publish button and the batch actor make), timed, with its SQL statements counted.

    python -m bench.batch_bench [--pg URL] [--rows N] [--runs 3] [--no-write]

Each run publishes a fresh batch for a fresh requester into the same database (which keeps
the earlier runs' HITs, as production would). Statements are every call of the database's
`execute_sql` (savepoints included, BEGIN/COMMIT not), as bench.bot_bench counts them."""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone

from bench import open_database

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
TEMPLATE = {
    "title": "Which animal is ${name}?",
    "description": "Look at ${url}",
    "keywords": ["animals", "images"],
    "reward": "${price}",
    "assignments": 2,
    "duration": "5m",
    "lifetime": "2d",
    "questions": [{"id": "animal", "kind": "choice", "prompt": "What is ${name}?", "options": ["cat", "dog", "bird"]}],
}
# Before the bulk inserts: issue 21's seconds for 5,000 rows, and statements per row (this bench at f4a4b23).
BEFORE = {"sqlite": (4.2, 7.0), "postgresql": (8.5, 7.0)}
# This bench at f4a4b23 on the same shared machine, 2026-12-01 (SQLite only): seconds, load average then.
BEFORE_HERE = {"sqlite": "26.4 s (one run, load average 2.6 at the start, 4.1 at the end)"}
TARGET_S = {"sqlite": 1.5, "postgresql": 3.0}
# Where a batch's time goes (cProfile and time per statement kind, 2026-12-01, load about 5): not re-measured by the bench.
PROFILE = {
    "sqlite": ("Profile (0.42 s run): 55 statements, 80 ms of SQL (10 INSERTs into hit 52 ms, the FTS5 trigger's row "
               "per HIT included; question 10 ms; entry 7 ms; account 6 ms; 12 balance UPDATEs 3 ms); the rest is "
               "Python: validating each row's spec (pydantic and the value checks) about half of it, filling the "
               "placeholders, building the 5,000 escrow accounts' objects (ledger.open_escrows), each row's group "
               "key. The group trigger fires on UPDATE only, so the INSERTs do not fire it; one UPDATE sets the "
               "batch's group counters."),
    "postgresql": ("Profile (1.40 s run): 55 statements, 0.86 s of SQL (10 INSERTs into hit 495 ms: the browse "
                   "indexes' and pg_trgm's upkeep; question 139 ms; entry 77 ms; account 74 ms; 12 balance "
                   "UPDATEs 60 ms), the rest the same Python as on SQLite."),
}
# The bulk inserts' earlier runs (this bench, 2026-12-01, a loaded machine): seconds min / median / max, load then.
BULK_BEFORE = {"sqlite": "6.11 / 6.49 / 10.01 (load average 20.8 at the start, 19.7 at the end)",
               "postgresql": "8.91 / 11.48 / 11.77 (load average 19.4 at the start, 17.0 at the end)"}


class Counter:
    """Counts statements through the database's execute_sql while active."""

    def __init__(self) -> None:
        self.n = 0

    def __enter__(self) -> Counter:  # noqa: PYI034
        from core.db import db

        original = db.obj.execute_sql

        def counted(*args, **kwargs):
            self.n += 1
            return original(*args, **kwargs)

        db.obj.execute_sql = counted
        return self

    def __exit__(self, *exc: object) -> None:
        from core.db import db

        vars(db.obj).pop("execute_sql", None)


def publish_row_by_row(*, requester_id: int, title: str, template: dict, rows: list[dict], now: datetime,
                       key: str, progress) -> object:
    """publish_batch as it was before the bulk inserts (f4a4b23): each HIT, its questions and its
    escrow account written one by one, each escrow credited by its own UPDATE. For the same-load
    comparison only."""
    from core import ledger
    from core.db import tx
    from core.hits import publishing as p
    from core.models import Batch, Hit, Question

    specs = p.expand_batch(template, rows)
    costs = [p.cost_of(spec) for spec, _ in specs]
    total = sum(c.total_cents for c in costs)
    with tx():
        requester = p._active_requester(requester_id)
        batch = Batch.create(requester=requester.id, title=title, rows_n=len(specs), created_at=now)
        legs = [(ledger.available(requester.id), -total)]
        for i, ((spec, row), cost) in enumerate(zip(specs, costs), start=1):
            hit = Hit.create(**p._hit_row(requester, spec, cost, now, batch=batch, row=row, has_requirements=False))
            Question.insert_many(p._question_rows(hit.id, spec)).execute()
            legs.append((ledger.escrow(hit.id), cost.total_cents))
            if i % 50 == 0 or i == len(specs):
                progress(i, len(specs))
        ledger.post(key=f"batch:{key}", kind="publish", legs=legs, now=now, memo="bench")
    return batch


def run_once(requester_id: int, rows_n: int, publish=None) -> dict:
    from core.hits import publishing
    from core.models import Hit
    from core.payments import accounts
    from core.users import commands as users

    publish = publish or publishing.publish_batch

    users.register(user_id=requester_id, first_name="Bench requester", now=NOW)
    accounts.topup(user_id=requester_id, amount_cents=rows_n * 2 * 200, charge_id=f"bench-{requester_id}", now=NOW)
    rows = [{"name": f"animal{i}", "url": f"https://ex.com/{i}.jpg", "price": f"0.{5 + i % 10:02d}"}
            for i in range(rows_n)]
    shown: list[int] = []
    with Counter() as counter:
        started = time.perf_counter()
        batch = publish(requester_id=requester_id, title="bench", template=TEMPLATE, rows=rows,
                        now=NOW, key=f"bench:{requester_id}", progress=lambda done, total: shown.append(done))
        elapsed = time.perf_counter() - started
    assert Hit.select().where(Hit.batch == batch.id).count() == rows_n
    assert shown and shown[-1] == rows_n and shown == sorted(shown), shown
    return {"s": elapsed, "statements": counter.n, "progress_calls": len(shown)}


def report(meta: dict, runs: list[dict], rows_n: int, kind: str, before: list[dict]) -> str:
    times = sorted(r["s"] for r in runs)
    per_row = runs[0]["statements"] / rows_n
    before_s, before_per_row = BEFORE[kind]
    name = "SQLite (WAL, file)" if kind == "sqlite" else meta["db"]
    return "\n".join([
        f"## Batch publish ({name})",
        "",
        f"`python -m bench.batch_bench{meta['args']}` on {meta['machine']}, {meta['date']}.",
        "",
        (f"One batch of {rows_n:,} rows (one question, two assignments each) through `publish_batch`: "
         "all HITs, questions and escrow accounts in one transaction, the escrow one ledger transaction, "
         "the progress callback called as rows are written."),
        "",
        PROFILE[kind],
        "",
        "| | seconds (min / median / max of runs) | statements | per row | progress calls |",
        "|---|---|---:|---:|---:|",
        f"| before (row by row), issue 21 | {before_s} | {before_per_row * rows_n:,.0f} | {before_per_row:.1f} | |",
        *([f"| before, this bench here | {BEFORE_HERE[kind]} | 35,016 | 7.0 | 100 |"] if kind in BEFORE_HERE else []),
        *[f"| row by row, between the runs below (same load) | {b['s']:.2f} | {b['statements']:,} "
          f"| {b['statements'] / rows_n:.1f} | {b['progress_calls']} |" for b in before],
        f"| bulk inserts, earlier today | {BULK_BEFORE[kind]} | {53 if kind == 'sqlite' else 52} | {0.011 if kind == 'sqlite' else 0.010:.3f} | 10 |",
        (f"| now (bulk inserts; the template compiled once, each row's cost and group key computed once) | {times[0]:.2f} / {statistics.median(times):.2f} / {times[-1]:.2f} "
         f"| {runs[0]['statements']:,} | {per_row:.3f} | {runs[0]['progress_calls']} |"),
        "",
        (f"Target: {rows_n:,} rows in ≤ {TARGET_S[kind]} s: median {statistics.median(times):.2f} s "
         f"({'met' if statistics.median(times) <= TARGET_S[kind] else 'not met'} at this load)"
         + (f"; row by row / bulk under the same load: {before[0]['s'] / statistics.median(times):.1f}x"
            if before else "") + "."),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.batch_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a private database is created on it)")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before-runs", type=int, default=1, help="row-by-row runs interleaved with the new ones")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="hitbot-bench-")
    os.environ.setdefault("HITBOT_DATA_DIR", workdir)
    os.environ.setdefault("HITBOT_MAX_BATCH_ROWS", str(args.rows))
    os.environ.setdefault("HITBOT_SECRET_KEY", "bench-secret-key-0123456789abcdef0123456789")
    _url, drop = open_database(args.pg, workdir, "hitbot_bench_batch")
    kind = "postgresql" if args.pg else "sqlite"
    try:
        db_name = "PostgreSQL"
        if args.pg:
            from core.db import db

            db_name += " " + db.execute_sql("SHOW server_version").fetchone()[0].split(" ")[0]
        runs, before = [], []
        for i in range(args.runs):
            result = run_once(1000 + i, args.rows)
            runs.append(result)
            print(f"run {i + 1}: {args.rows} rows in {result['s']:.2f} s, {result['statements']} statements "
                  f"({result['statements'] / args.rows:.3f} a row), {result['progress_calls']} progress calls",
                  flush=True)
            if i < args.before_runs:  # the old way between the new runs: both under the same load
                before.append(run_once(2000 + i, args.rows, publish_row_by_row))
                print(f"row by row: {before[-1]['s']:.2f} s, {before[-1]['statements']} statements", flush=True)
    finally:
        drop()
    meta = {"args": (" --pg URL" if args.pg else "") + (f" --rows {args.rows}" if args.rows != 5000 else ""),
            "db": db_name, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs shared, Python {platform.python_version()}, "
                       f"load average {load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end"}
    text = report(meta, runs, args.rows, kind, before)
    print(text)
    if not args.no_write:
        from bench import write_section

        write_section("batch", text, part=kind)
        print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
