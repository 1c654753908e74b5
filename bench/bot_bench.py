"""Bot benchmark: updates per second one bot process handles for a worker's mix
(/browse, preview, Accept, a choice answer, a typed answer, Submit) over the in-process
fake Telegram, beside the same process's rate for a trivial echo handler. The ratio is
the figure: how much of the bot's budget hitbot's own work (core services, database,
views) takes. Also p50/p99 latency per update kind.

    python -m bench.bot_bench [--pg URL] [--sessions N] [--no-write]

Updates are fed one at a time through Application.process_update (PTB's default, no
concurrent updates); the time counted is the time inside process_update. Echo is timed between
the mix's sessions in the same loop (interleaved), so a run's ratio is taken under one load."""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
REQUESTER_ID = 900_000_001
FIRST_WORKER = 910_000_000
QUESTIONS = [
    {"id": "animal", "kind": "choice", "prompt": "Which animal is in the photo?", "options": ["cat", "dog", "bird"]},
    {"id": "notes", "kind": "text", "prompt": "Describe it in a few words", "max_length": 200},
]
KINDS = ("browse", "preview", "accept", "answer (button)", "answer (typed)", "submit")


# Before issue 21's first slice (commit 9f1686a, the same counter, --sessions 300): SQL statements and
# transactions per update kind, and the mix's rate and ratio to echo then, per database. Kept to be
# printed beside today's figures (the counts are the same on both databases).
BASELINE = {
    "counts": {"browse": (6, 1), "preview": (11, 0), "accept": (23, 3), "answer (button)": (23, 3),
               "answer (typed)": (27, 3), "submit": (24, 2)},
    "sqlite": {"rate": 45, "echo": 1624, "ratio": 0.028, "load": 4.8},
    "pg": {"rate": 25, "echo": 1035, "ratio": 0.024, "load": 5.6},
}
# The interleaved bench's first figures (commit 9cf3ff8's code: one core call and <= 8 statements per
# update, queries compiled by peewee on every call, each core call on a worker thread): ratio
# min/median/max of 3 runs of 300 sessions, and the load average at the start and the end.
INTERLEAVED_BEFORE = {
    "sqlite": {"ratio": (0.053, 0.055, 0.059), "p99_ms": (50.34, 64.12, 70.76), "load": (1.1, 6.6)},
    "pg": {"ratio": (0.030, 0.031, 0.033), "p99_ms": (83.97, 95.35, 123.27), "load": (6.8, 7.6)},
}

# The figures of commit 395a78b (the code before durable=False commits, the joined browse list, the
# one-statement reputation and card moves, the cached row maps and formats), 3 runs of 300 sessions.
PREVIOUS = {
    "sqlite": {"ratio": (0.089, 0.090, 0.091), "p99_ms": (3.35, 3.36, 4.07), "load": (1.1, 1.1),
               "counts": {"browse": (6, 1), "preview": (7, 0), "accept": (8, 2), "answer (button)": (5, 1),
                          "answer (typed)": (8, 2), "submit": (8, 1)}},
    "pg": {"ratio": (0.046, 0.047, 0.048), "p99_ms": (6.17, 6.72, 7.08), "load": (0.9, 1.1)},
}


# The same machine, the same hour: the code of 395a78b and of 150a876 (this change before PostgreSQL's
# planned statements) alternating, one run of 300 sessions each, 3 pairs per database (load average 2.6-5.5).
AB = {
    "sqlite": {"before": (0.088, 0.091, 0.091), "after": (0.125, 0.126, 0.129), "load": "3.2-5.5"},
    "pg": {"before": (0.056, 0.057, 0.061), "after": (0.071, 0.072, 0.077), "load": "2.6-5.2"},
}


# The worker-thread hop, measured with --hop both (sessions alternate between core calls on a
# worker thread and inline in the event loop, in the same runs; ratio min/median/max of 3 runs).
HOP = {  # 2026-12-03, commits 39e9d8a (PostgreSQL) and 65b41d0 (both), 3 runs of 300 sessions each
    "sqlite": {"sessions": 300, "load": "0.2-0.5", "thread": (0.126, 0.132, 0.140), "inline": (0.162, 0.163, 0.168),
               "thread_p99": (6.95, 7.25, 7.78), "inline_p99": (6.48, 6.83, 7.20)},
    "pg": {"sessions": 300, "load": "0.3-0.9", "thread": (0.091, 0.093, 0.095), "inline": (0.094, 0.095, 0.098),
           "thread_p99": (8.04, 9.95, 11.55), "inline_p99": (7.78, 9.71, 10.97)},
}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def seed(sessions: int, hits: int) -> list[int]:
    from core.hits import publishing
    from core.payments import accounts
    from core.users import commands as users

    users.register(user_id=REQUESTER_ID, first_name="Bench requester", now=NOW)
    per_hit = -(-(sessions + 1) // hits)  # +1: the untimed session that counts SQL statements
    accounts.topup(user_id=REQUESTER_ID, amount_cents=hits * per_hit * 20 + 1000, charge_id="bench-bot", now=NOW)
    ids = []
    for i in range(hits):
        spec = {"title": f"Label photo set {i}", "description": "Say what is in the picture.", "reward": "0.10",
                "keywords": ["images"], "assignments": per_hit, "duration": "30m", "lifetime": "7d",
                "questions": QUESTIONS}
        ids.append(publishing.publish_hit(requester_id=REQUESTER_ID, spec=spec, now=NOW - timedelta(minutes=i)).id)
    return ids


_ONE_RELAXED = "SET LOCAL SYNCHRONOUS_COMMIT TO OFF;"


class _StatementCounter:
    """Counts the SQL statements run through the database (its execute_sql, which every peewee
    query and savepoint goes through) and the transactions begun (begin, and a write statement run
    outside any transaction, which commits on its own), while in use. BEGIN and
    COMMIT themselves are not counted as statements (SQLite sends BEGIN through execute_sql,
    PostgreSQL does not), so the figure is the same kind on both databases; nor is the commit setting
    of a transaction that does not wait for the disk (core.db.tx durable=False: SQLite's PRAGMA
    before and after it, in-process; PostgreSQL's SET LOCAL, one round trip)."""

    def __init__(self) -> None:
        self.n = 0
        self.transactions = 0
        self.relaxed = 0  # of them, those that commit without waiting for the disk (core.db.tx durable=False)
        self._seen_relaxed = False
        self.trace: list[str] | None = None  # the statements themselves, with --trace

    def reset(self) -> None:
        self.n = self.transactions = self.relaxed = 0
        if self.trace is not None:
            self.trace.clear()

    def __enter__(self) -> _StatementCounter:
        from core.db import db

        from core.db import _relaxed as relaxed_flag

        self._db = database = db.obj
        execute_sql, begin = database.execute_sql, database.begin

        def counted_execute_sql(sql, *args, **kwargs):
            head = sql.lstrip().upper()
            alone_relaxed = head.startswith(_ONE_RELAXED)  # core.prepared durable=False, on its own
            if alone_relaxed:
                head = head[len(_ONE_RELAXED):].lstrip()
            # Not counted: a statement's PREPARE, once per connection (core.prepared planned=True).
            if head and not head.startswith(("BEGIN", "COMMIT", "PRAGMA SYNCHRONOUS", "SET LOCAL SYNCHRONOUS_COMMIT",
                                             "PREPARE")):
                self.n += 1
                if head.startswith(("INSERT", "UPDATE", "DELETE")) and not database.in_transaction():
                    self.transactions += 1  # a write outside any transaction is one of its own (autocommit)
                    self.relaxed += alone_relaxed
                if getattr(relaxed_flag, "on", False) and not self._seen_relaxed:
                    self.relaxed, self._seen_relaxed = self.relaxed + 1, True
                if self.trace is not None:
                    self.trace.append(sql)
            return execute_sql(sql, *args, **kwargs)

        def counted_begin(*args, **kwargs):
            self.transactions += 1
            self._seen_relaxed = False
            return begin(*args, **kwargs)

        database.execute_sql, database.begin = counted_execute_sql, counted_begin
        return self

    def __exit__(self, *exc: object) -> None:
        del self._db.execute_sql, self._db.begin  # the class's methods again


async def run_interleaved(sessions: int, hit_ids: list[int], runs: int = 3, trace: bool = False,
                          hop: str | None = None, profile: str | None = None) -> dict:
    """`runs` rounds of `sessions` worker sessions; after each session, as many echo updates as the
    session had, timed in the same loop, so both rates are taken under the same load."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from bot.app import build_application
    from bot.runtime import core_on_thread
    from core.config import load_settings
    from core.models import Assignment, Question
    from tests.fakes.telegram import BotHarness, FakeTelegram, TgUser

    tg = FakeTelegram()
    settings = load_settings(telegram_bot_token="123:BENCH", telegram_api_url="http://fake.invalid")
    app = build_application(settings, request=tg, rate_limit=False, clock=lambda: NOW)
    echo_tg = FakeTelegram()
    echo_app = (ApplicationBuilder().token("123:BENCH").base_url("http://fake.invalid/bot").request(echo_tg)
                .get_updates_request(echo_tg).build())

    async def echo(update: Update, context) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    echo_app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await echo_app.initialize()
    bot, echo_bot = BotHarness(app, tg), BotHarness(echo_app, echo_tg)
    first_q = {h: Question.get((Question.hit == h) & (Question.position == 0)).id for h in hit_ids}
    times: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, tuple[int, int]] = {}
    counter = _StatementCounter()
    if trace:
        counter.trace = []
    counting = False

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()

    async def step(kind: str, update) -> None:
        counter.reset()
        if profiler is not None and not counting:
            profiler.enable()
        started = time.perf_counter()
        await update
        if profiler is not None:
            profiler.disable()
        if counting:
            queries[kind] = (counter.n, counter.transactions, counter.relaxed)
            if counter.trace is not None:
                print(f"--- {kind}: {counter.n} statements, {counter.transactions} transactions")
                print("\n".join(f"    {sql[:200]}" for sql in counter.trace))
        else:
            times[kind].append(time.perf_counter() - started)
            if hop == "both":
                by_hop["thread" if step_n % 2 == 0 else "inline"].append(time.perf_counter() - started)

    async def session(n: int) -> None:
        if hop == "both":  # alternate sessions, so both ways are timed under the same load
            core_on_thread(n % 2 == 0)
        elif hop is not None:
            core_on_thread(hop == "thread")
        w = TgUser(FIRST_WORKER + n, f"W{n}")
        hit = hit_ids[n % len(hit_ids)]
        await bot.text(w, "/start")  # registration, not counted
        await step("browse", bot.text(w, "/browse"))
        await step("preview", bot.press(w, f"b:v:{hit}:0"))
        await step("accept", bot.press(w, f"w:acc:{hit}"))
        a = Assignment.get((Assignment.worker == w.id) & (Assignment.hit == hit))
        await step("answer (button)", bot.press(w, f"w:ch:{a.id}:{first_q[hit]}:1"))
        await step("answer (typed)", bot.text(w, "A brown dog on a sofa"))
        await step("submit", bot.press(w, f"w:sub:{a.id}"))
        if Assignment.get_by_id(a.id).status != "submitted":
            raise SystemExit(f"session {n} did not end submitted: {Assignment.get_by_id(a.id).status}")

    results = []
    by_hop: dict[str, list[float]] = defaultdict(list)
    step_n = 0
    per_kind: dict[str, list[float]] = defaultdict(list)
    echo_n = 0
    try:
        for run in range(runs):
            times.clear()
            echo_times: list[float] = []
            for n in range(sessions):
                step_n = run * sessions + n
                await session(step_n)
                for _ in range(len(KINDS)):
                    started = time.perf_counter()
                    await echo_bot.text(TgUser(FIRST_WORKER + echo_n % 50, "E"), f"hello {echo_n}")
                    echo_times.append(time.perf_counter() - started)
                    echo_n += 1
            every = [t for ts in times.values() for t in ts]
            for kind, ts in times.items():
                per_kind[kind].extend(ts)
            results.append({"updates": len(every), "rate": len(every) / sum(every),
                            "p50_ms": _pct(every, 50) * 1000, "p99_ms": _pct(every, 99) * 1000,
                            "echo_updates": len(echo_times), "echo_rate": len(echo_times) / sum(echo_times),
                            "echo_p50_ms": _pct(echo_times, 50) * 1000, "echo_p99_ms": _pct(echo_times, 99) * 1000,
                            "load": os.getloadavg()[0]})
            results[-1]["ratio"] = results[-1]["rate"] / results[-1]["echo_rate"]
            for way, ts in by_hop.items():
                results[-1][f"{way}_ratio"] = (len(ts) / sum(ts)) / results[-1]["echo_rate"]
                results[-1][f"{way}_p99_ms"] = _pct(ts, 99) * 1000
            by_hop.clear()
        counting = True  # one more session, untimed, counting each update's SQL statements
        with counter:
            await session(runs * sessions)
    finally:
        await app.shutdown()
        await echo_app.shutdown()
        if profiler is not None:
            profiler.dump_stats(profile)
    return {"runs": results,
            "per": {k: (_pct(v, 50) * 1000, _pct(v, 99) * 1000, *queries.get(k, (0, 0, 0))) for k, v in per_kind.items()}}


def _spread(runs: list[dict], key: str) -> tuple[float, float, float]:
    values = sorted(r[key] for r in runs)
    return values[0], statistics.median(values), values[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bot_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a private database is created on it)")
    parser.add_argument("--sessions", type=int, default=300, help="worker sessions of 6 updates each, per run")
    parser.add_argument("--runs", type=int, default=3, help="runs (min/median/max are reported)")
    parser.add_argument("--hits", type=int, default=30, help="open HITs the sessions spread over")
    parser.add_argument("--trace", action="store_true", help="print the SQL of each counted update")
    parser.add_argument("--hop", choices=("thread", "inline", "both"),
                        help="core calls on a worker thread, inline in the loop, or alternating sessions of each")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the timed worker updates only (run with --hop inline to see core calls)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="hitbot-botbench-")
    os.environ.setdefault("HITBOT_DATA_DIR", workdir)
    from bench.core_bench import open_database

    _, drop = open_database(args.pg, workdir)
    db_name = "PostgreSQL" if args.pg else "SQLite (WAL, file)"
    logging_off()
    try:
        hit_ids = seed(args.sessions * args.runs, args.hits)
        out = asyncio.run(run_interleaved(args.sessions, hit_ids, args.runs, args.trace, args.hop,
                                           args.profile))
    finally:
        drop()
    runs = out["runs"]
    load_end = os.getloadavg()[0]
    print(f"database: {db_name}; load average {load:.1f} at the start, {load_end:.1f} at the end")
    for i, r in enumerate(runs, 1):
        print(f"run {i}: echo {r['echo_rate']:.0f} updates/s, worker mix {r['rate']:.0f} updates/s "
              f"(p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms), ratio {r['ratio']:.3f}, load {r['load']:.1f}")
    mid = sorted(runs, key=lambda r: r["ratio"])[len(runs) // 2]
    print(f"echo: {mid['echo_updates']} updates, {mid['echo_rate']:.0f} updates/s, p50 {mid['echo_p50_ms']:.2f} ms, "
          f"p99 {mid['echo_p99_ms']:.2f} ms")
    print(f"worker mix: {mid['updates']} updates, {mid['rate']:.0f} updates/s, p50 {mid['p50_ms']:.2f} ms, "
          f"p99 {mid['p99_ms']:.2f} ms; ratio to echo {mid['ratio']:.3f}")
    lo, med, hi = _spread(runs, "ratio")
    print(f"ratio min/median/max: {lo:.3f} / {med:.3f} / {hi:.3f}")
    if args.hop == "both":
        for way in ("thread", "inline"):
            print(f"core calls {way}: ratio {' / '.join(f'{v:.3f}' for v in _spread(runs, way + '_ratio'))}, "
                  f"p99 {' / '.join(f'{v:.2f}' for v in _spread(runs, way + '_p99_ms'))} ms (min / median / max)")
    for kind, (p50, p99, sql, txs, relaxed) in out["per"].items():
        print(f"  {kind:<16} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  {sql:3d} SQL statements  {txs} transactions "
              f"({relaxed} not waiting for the disk)")
    if not args.no_write:
        from bench import write_section

        before = BASELINE["counts"]
        lately = PREVIOUS["sqlite"]["counts"]
        rows = "\n".join(f"| {k} | {p50:.2f} | {p99:.2f} | {before.get(k, ('?', '?'))[0]} "
                         f"| {lately.get(k, ('?', '?'))[0]} | {sql} | {before.get(k, ('?', '?'))[1]} "
                         f"| {lately.get(k, ('?', '?'))[1]} | {txs} | {relaxed} |"
                         for k, (p50, p99, sql, txs, relaxed) in out["per"].items())
        spread = "\n".join(
            f"| {label} | {' / '.join(fmt.format(v) for v in _spread(runs, key))} |"
            for label, key, fmt in (("echo updates/s", "echo_rate", "{:.0f}"), ("worker mix updates/s", "rate", "{:.0f}"),
                                    ("worker mix p50 ms", "p50_ms", "{:.2f}"), ("worker mix p99 ms", "p99_ms", "{:.2f}"),
                                    ("**ratio worker mix / echo**", "ratio", "**{:.3f}**")))
        then = BASELINE["pg" if args.pg else "sqlite"]
        was = INTERLEAVED_BEFORE["pg" if args.pg else "sqlite"]
        last = PREVIOUS["pg" if args.pg else "sqlite"]
        hop = HOP["pg" if args.pg else "sqlite"]
        ab = AB["pg" if args.pg else "sqlite"]
        target = 0.08 if args.pg else 0.12
        body = f"""## Bot: one process, worker mix vs echo ({db_name})

`python -m bench.bot_bench{' --pg URL' if args.pg else ''} --sessions {args.sessions} --runs {len(runs)}` on
{platform.machine()}, {os.cpu_count()} CPUs shared with other work (1-minute load average {load:.1f} at the start,
{load_end:.1f} at the end), Python {platform.python_version()}; updates fed one at a time through
`Application.process_update` over the in-process fake Telegram (no network), counting the time inside it.
Interleaved: after each worker session (6 updates) the same process times 6 echo updates in the same loop,
so each run's ratio is taken under the same load. {len(runs)} runs of {args.sessions} sessions:

| figure | min / median / max |
|---|---:|
{spread}

Targets (issue 21): ratio ≥ {target} ({'PostgreSQL' if args.pg else 'SQLite'}), p99 ≤ 10 ms per update.

Before issue 21's first slice (commit 9f1686a, same counter, echo and mix in separate phases, load average
{then['load']}): worker mix {then['rate']} updates/s against echo's {then['echo']}, **ratio {then['ratio']:.3f}**.
Interleaved, before the hot queries were built once (commit 9cf3ff8, load average {was['load'][0]} to
{was['load'][1]}): ratio {' / '.join(f'{v:.3f}' for v in was['ratio'])}, p99 {' / '.join(f'{v:.1f}' for v in was['p99_ms'])} ms.
Commit 395a78b (this bench, 3 runs of 300 sessions, load average {last['load'][0]} to {last['load'][1]}, a quieter
machine: echo ran 4-5x faster than today): ratio {' / '.join(f'{v:.3f}' for v in last['ratio'])}, p99 {' / '.join(f'{v:.2f}' for v in last['p99_ms'])} ms.

Same machine, same hour (load average {ab['load']}), the code before and after alternating, one run each
(min / median / max of 3): ratio {' / '.join(f'{v:.3f}' for v in ab['before'])} (395a78b) against
{' / '.join(f'{v:.3f}' for v in ab['after'])} (150a876{', before the planned statements' if args.pg else ''}).

SQL statements (every statement through the database's `execute_sql`, savepoints included, BEGIN/COMMIT
and a relaxed commit's setting not) and write transactions (those begun, and a write statement run on
its own), per update kind, counted over one extra untimed session (latencies over all runs); "before" is
commit 9f1686a, "395a78b" the code before this change; "relaxed": of the transactions, those that do not
wait for the disk:

| update kind | p50 ms | p99 ms | statements before | 395a78b | now | transactions before | 395a78b | now | relaxed |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{rows}

Each worker update kind is one core call: one transaction that reads the assignment with its HIT and the
worker's row in one statement, the questions with their answers in another, writes, and stores the
awaiting-input wait in the same transaction. An answer by button (and a skip, Back) shows the next
question in the pressed message, so that message's card is written in the same transaction too (and not
at all when it already is the live card). Accept and a typed answer show the question in a new message,
whose id Telegram gives only after the send: remembering it is one further statement on its own (the
assignment's live card moves to the new message; an assignment Accept just created gets its first card),
so those two kinds still commit twice. /browse ends a pending prompt in its own transaction (no preload
read) and reads each group's next HIT and web-task flag in the list query; a preview reads the
requester's HIT count, decisions and ratings in one statement. On PostgreSQL, BEGIN goes out with a
transaction's first statement (core.db), one round trip fewer each, and the hot reads are prepared once
per connection (core.prepared `planned=True`: PREPARE, then EXECUTE), so the server plans them once: the
preview's read took 1.6 ms planned on every call and 0.5 ms prepared.

**Commits that do not wait for the disk.** A person's own progress, which they see at once and nobody else
is told of (an answer saved, moving through the questions, a browse page, which message is the live card),
commits with `tx(durable=False)`: SQLite `synchronous=NORMAL` for that commit, PostgreSQL
`synchronous_commit` off. An application crash loses none of it; a power loss or an OS crash may take back
the last such commits, whole, and never one a durable commit followed (both logs are written in order).
Money and outbox events refuse to ride in one (core.db.require_durable): accept (a slot, the API's events)
and submit (the requester is told) wait for the disk as before. On this shared disk a waiting commit cost
1.2-3.0 ms (SQLite FULL; 0.1 ms with NORMAL) and 2.6 ms (PostgreSQL; 0.6-0.9 ms off) when measured, more
than the rest of an update.
The worker mix's queries are built once (core/prepared.py: peewee queries with named placeholders,
compiled to SQL once per dialect, run with new values, rows mapped back by peewee with the column map of
its first execution); amounts and durations are formatted once per value and language.

**The worker-thread hop, decided** (`--hop both`: sessions alternate between core calls on a worker
thread and inline in the event loop, in the same runs; {hop['sessions']} sessions × 3, load average
{hop['load']}): ratio thread {' / '.join(f'{v:.3f}' for v in hop['thread'])} vs inline
{' / '.join(f'{v:.3f}' for v in hop['inline'])}, p99 thread {' / '.join(f'{v:.2f}' for v in hop['thread_p99'])} ms vs
inline {' / '.join(f'{v:.2f}' for v in hop['inline_p99'])} ms (min / median / max). One update at a time the hop
only costs: a hand-over to a thread and back (about 0.1 ms with a no-op) and the GIL's turns, 2-20 % of the
ratio. Core calls stay on threads (a pool of 16, bot/runtime.py `CORE_THREADS`): the bot handles
different chats at once (bot/processor.py), and on a thread a slow core call (a 5,000-row batch, a
results export, an SQLite write waiting on another process's lock for up to busy_timeout) holds up only
its own chat, where inline it would stall every chat and every press's answer (bench/load_bench.py, 50
people at once); on PostgreSQL the threads also overlap the chats' round trips to the server. `bot.runtime.core_on_thread(False)` switches to inline for measuring."""
        write_section("bot", body, part="pg" if args.pg else "sqlite")
        print("BENCHMARKS.md updated")
    return 0


def logging_off() -> None:
    import logging

    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
