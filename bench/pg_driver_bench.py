"""psycopg2 against psycopg 3 under peewee 4's pooled PostgreSQL database: the per-statement
costs hitbot's updates are made of, the two drivers interleaved round by round on one server.

    python -m bench.pg_driver_bench --pg postgresql://postgres@127.0.0.1:5432/test [--no-write]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timezone

from peewee import BigIntegerField, CharField, Model
from playhouse.pool import PooledPostgresqlDatabase

OPS = 300
ROUNDS = 9
DRIVERS = {"psycopg2": False, "psycopg 3": True}


def _database(url: str, psycopg3: bool) -> PooledPostgresqlDatabase:
    return PooledPostgresqlDatabase(url, max_connections=4, prefer_psycopg3=psycopg3)


def _model(database):
    class Row(Model):
        name = CharField()
        cents = BigIntegerField()

        class Meta:
            table_name = "driver_bench_row"

    Row.bind(database)
    return Row


def _time(fn, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - started) / n * 1e6


def run(url: str) -> dict[str, dict[str, list[float]]]:
    dbs = {name: _database(url, p3) for name, p3 in DRIVERS.items()}
    models = {name: _model(d) for name, d in dbs.items()}
    first = next(iter(models.values()))
    first.create_table()
    first.insert_many([{"name": f"row {i}", "cents": i} for i in range(1000)]).execute()
    out: dict[str, dict[str, list[float]]] = {n: {"pk": [], "commit": [], "rows200": []} for n in DRIVERS}
    for r in range(ROUNDS):
        order = list(models.items())
        for name, Row in order if r % 2 else order[::-1]:  # alternate who goes first
            database = dbs[name]
            with database.connection_context():
                out[name]["pk"].append(_time(lambda i: Row.get_by_id(1 + i % 1000), OPS))

                def commit(i: int) -> None:
                    with database.atomic():
                        Row.update(cents=Row.cents + 1).where(Row.id == 1 + i % 1000).execute()
                out[name]["commit"].append(_time(commit, OPS))
                out[name]["rows200"].append(_time(lambda i: list(Row.select().limit(200).dicts()), OPS // 10))
    for d in dbs.values():
        d.close_all()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pg_driver_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", required=True, metavar="URL")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    from bench import write_section
    from tests.pgdb import private_database

    url, drop = private_database(args.pg, "hitbot_driver_bench")
    try:
        result = run(url)
    finally:
        drop()
    load = os.getloadavg()[0]
    lines = [f"peewee 4 pooled PostgreSQL, {OPS} operations a run, {ROUNDS} runs interleaved, "
             f"load average {load:.1f} on {os.cpu_count()} CPUs ({datetime.now(timezone.utc):%Y-%m-%d}). "
             "µs per operation, median (min-max) of the runs.", "",
             "| driver | get by id | UPDATE + commit | SELECT 200 rows |", "|---|---|---|---|"]
    for name, figures in result.items():
        cells = [f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})" for v in figures.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("pg_driver", "## PostgreSQL driver (bench/pg_driver_bench.py)\n\n" + body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
