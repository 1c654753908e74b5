"""Core benchmarks: durable commits per second, accept throughput under contention, browse
latency as the number of open HITs grows (1k, 10k, 100k), browse when every HIT has 10
qualification requirements, and the query plans behind it.

    python -m bench.core_bench [--pg URL] [--quick] [--no-write] [--commits-only]

Without --pg it uses a fresh SQLite file in a temporary directory; with --pg it creates
a private database on that server and drops it afterwards. HITs for the browse figures
are bulk-loaded (publishing 100k HITs through the service would measure publishing);
accepts and browses go through the real services."""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from bench import open_database

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
WORKER_ID = 1
REQUESTERS = 500
WORDS = ("images", "labels", "audio", "survey", "receipts", "translation", "sentiment", "address", "moderation",
         "transcribe", "categorize", "faces", "products", "street", "handwriting", "medical", "tweets", "maps")


# ---------------------------------------------------------------- setup

def analyze() -> None:
    from core.db import db

    db.execute_sql("ANALYZE")


# ---------------------------------------------------------------- accept throughput

def _users(ids: range, now: datetime) -> None:
    from core.db import db
    from core.models import User

    with db.atomic():
        for start in range(ids.start, ids.stop, 500):
            User.insert_many([{"id": i, "first_name": f"w{i}", "created_at": now, "prefs": {}}
                              for i in range(start, min(start + 500, ids.stop))]).execute()


_next_user = [10_000_000]


def bench_accept(threads: int, slots: int) -> dict:
    """`slots` + 20% workers race for one HIT with `slots` slots, spread over `threads` threads."""
    from core.db import db
    from core.errors import HitUnavailable
    from core.hits import publishing
    from core.payments import accounts
    from core.users import commands as users
    from core.work import commands as work

    requester = _next_user[0]
    _next_user[0] += 1
    users.register(user_id=requester, first_name="Bench requester", now=NOW)
    accounts.topup(user_id=requester, amount_cents=slots * 20, charge_id=f"bench-{requester}", now=NOW)
    spec = {"title": "Tag the photo", "description": "One word for what you see.", "reward": "0.10",
            "assignments": slots, "duration": "10m", "lifetime": "1d",
            "questions": [{"id": "tag", "kind": "text", "prompt": "Tag?", "max_length": 30}]}
    hit = publishing.publish_hit(requester_id=requester, spec=spec, now=NOW)
    first = _next_user[0]
    workers = range(first, first + slots + slots // 5)
    _next_user[0] = workers.stop
    _users(workers, NOW)

    queue = iter(workers)
    lock = threading.Lock()
    counts = {"ok": 0, "full": 0}
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def run() -> None:
        ok = full = 0
        try:
            barrier.wait()
            while True:
                with lock:
                    worker = next(queue, None)
                if worker is None:
                    break
                try:
                    work.accept(worker_id=worker, hit_id=hit.id, now=NOW)
                    ok += 1
                except HitUnavailable:
                    full += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            db.close()
            with lock:
                counts["ok"] += ok
                counts["full"] += full

    pool = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if hasattr(db.obj, "close_idle"):
        db.obj.close_idle()
    if failures:
        raise failures[0]
    assert counts["ok"] == slots, counts  # the benchmark is only worth its figure if the race was right
    attempts = counts["ok"] + counts["full"]
    return {"threads": threads, "slots": slots, "accepts_s": counts["ok"] / elapsed,
            "attempts_s": attempts / elapsed}


# ---------------------------------------------------------------- commits

def _set_synchronous(mode: str | None) -> str:
    """SQLite: switch this connection's synchronous mode (None: leave it); returns the mode in force."""
    from core.db import db, is_sqlite

    if not is_sqlite():
        return db.execute_sql("SHOW synchronous_commit").fetchone()[0]
    if mode is not None:
        db.execute_sql(f"PRAGMA synchronous={mode}")
    return {0: "off", 1: "normal", 2: "full", 3: "extra"}[db.execute_sql("PRAGMA synchronous").fetchone()[0]]


def bench_commits(n: int, mode: str | None = None) -> dict:
    """`n` top-ups one after another: each is one write transaction with its ledger entries and
    outbox row, so the rate is what one process's commits cost (fsyncs included)."""
    from core.payments import accounts
    from core.users import commands as users

    user_id = _next_user[0]
    _next_user[0] += 1
    users.register(user_id=user_id, first_name="Bench payer", now=NOW)
    in_force = _set_synchronous(mode)
    started = time.perf_counter()
    for i in range(n):
        accounts.topup(user_id=user_id, amount_cents=100, charge_id=f"bench-commit-{user_id}-{i}", now=NOW)
    elapsed = time.perf_counter() - started
    if mode is not None:
        from core.db import SQLITE_PRAGMAS

        _set_synchronous(str(SQLITE_PRAGMAS["synchronous"]))  # back to what hitbot runs with
    return {"synchronous": in_force, "n": n, "commits_s": n / elapsed, "ms": 1000 * elapsed / n}


def fsync_ms(directory: str, n: int = 300) -> float:
    """What one fsync of a small append costs on the disk under `directory` (what FULL adds)."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        started = time.perf_counter()
        for _ in range(n):
            os.write(fd, b"x" * 64)
            os.fsync(fd)
        return 1000 * (time.perf_counter() - started) / n
    finally:
        os.close(fd)
        os.unlink(path)


def commits_report(meta: dict, rows: list[dict]) -> str:
    from core.db import SQLITE_PRAGMAS

    sqlite = meta["db"].startswith("SQLite")
    lines = [
        f"## Core: durable commits ({meta['db'].split(' ')[0]})",
        "",
        f"`python -m bench.core_bench{meta['args']}` on {meta['db']}, {meta['machine']}, {meta['date']}.",
        "",
        "Top-ups one after another from one thread: each is one write transaction (ledger entries, balance "
        "update, outbox row) and one commit.",
        "",
        "| " + ("synchronous" if sqlite else "synchronous_commit") + " | commits | commits/s | ms per commit |",
        "|---|---:|---:|---:|",
        *[f"| {r['synchronous']}{' (hitbot)' if sqlite and r['synchronous'] == SQLITE_PRAGMAS['synchronous'] else ''}"
          f"{' (the default, kept by hitbot)' if not sqlite else ''}"
          f" | {r['n']} | {r['commits_s']:.0f} | {r['ms']:.2f} |" for r in rows],
    ]
    if sqlite and len(rows) == 2:
        lines += ["", f"FULL / NORMAL: {rows[1]['commits_s'] / rows[0]['commits_s']:.2f} of the commit rate "
                      "(an fsync of the WAL at every commit instead of only at checkpoints). One fsync of a small "
                      f"append costs {meta['fsync_ms']:.2f} ms on this machine's disk; where it costs more "
                      "(a disk that really flushes), FULL costs that much more per commit."]
    return "\n".join(lines)


def measure_commits(n: int) -> list[dict]:
    from core.db import is_sqlite

    if not is_sqlite():
        return [bench_commits(n)]
    return [bench_commits(n, "normal"), bench_commits(n, "full")]


# ---------------------------------------------------------------- browse data

@dataclass
class Loaded:
    open_n: int = 0
    closed_n: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    groups: int = 0  # issue #17: the open HITs in this many HIT groups; 0: each HIT a group of its own
    made: list = field(default_factory=list)  # the groups' (id, requester, reward, duration, hourly, score)


def _make_groups(state: Loaded, now: datetime) -> None:
    """`state.groups` HIT groups (a requester, reward and time each) that grow() spreads the HITs over."""
    from core.db import db
    from core.hits.groups import first_hourly_cents
    from core.models import HitGroup

    rng = state.rng
    rows = []
    for g in range(state.groups):
        reward = rng.choice((5, 10, 10, 25, 50, 75, 100, 150, 300, 1000))
        duration = rng.choice((300, 600, 1800, 3600, 7200))
        rows.append({"key": f"bench:{g}", "requester": rng.randint(2, 1 + REQUESTERS), "reward_cents": reward,
                     "duration_s": duration, "expires_at": now, "requester_score": rng.choice((0, 350, 420, 480, 500)),
                     "hourly_cents": first_hourly_cents(reward, duration, None) + rng.randint(0, 400),
                     "created_at": now})
    with db.atomic():
        for start in range(0, len(rows), 500):
            HitGroup.insert_many(rows[start:start + 500]).execute()
    ids = {g.key: g.id for g in HitGroup.select(HitGroup.id, HitGroup.key).where(HitGroup.key.startswith("bench:"))}
    state.made = [(ids[r["key"]], r["requester"], r["reward_cents"], r["duration_s"], r["hourly_cents"],
                   r["requester_score"]) for r in rows]


def _group_the_rest(now: datetime) -> None:
    """Every HIT without a group becomes a group of its own (the singletons' case), as publishing
    would make it: two statements; then the groups' counts from their HITs."""
    from core.db import db
    from core.hits import groups
    from core.models import Hit, HitGroup

    with db.atomic():
        db.execute_sql("INSERT INTO hit_group (key, requester_id, reward_cents, duration_s, newest_hit_id, expires_at, "
                       "available, work_n, work_s_total, hourly_cents, requester_score, created_at) "
                       "SELECT 'hit:' || CAST(id AS TEXT), requester_id, reward_cents, duration_s, id, expires_at, "
                       "CASE WHEN status = 'open' THEN available ELSE 0 END, 0, 0, hourly_cents, requester_score, "
                       "created_at FROM hit WHERE group_id IS NULL")
        db.execute_sql("UPDATE hit SET group_id = (SELECT g.id FROM hit_group g WHERE g.key = 'hit:' || "
                       "CAST(hit.id AS TEXT)) WHERE group_id IS NULL")
    pooled = [g for (g,) in HitGroup.select(HitGroup.id).where(HitGroup.key.startswith("bench:")).tuples()]
    groups.refresh(pooled)
    assert not Hit.select().where(Hit.group.is_null()).exists()


def load_base(now: datetime) -> None:
    """The browsing worker and the requesters; three requesters have blocked the worker."""
    from core.db import db
    from core.models import User, WorkerBlock

    with db.atomic():
        User.insert(id=WORKER_ID, first_name="Bench worker", country="DE", created_at=now - timedelta(days=400),
                    approved_n=180, rejected_n=4,  # skills and interests: what the "For you" sort ranks by
                    prefs={"profile": {"skills": ["translation", "receipts"], "interests": ["audio"]}}).execute()
    _users(range(2, 2 + REQUESTERS), now - timedelta(days=30))
    with db.atomic():
        for requester in (2, 3, 4):
            WorkerBlock.create(requester=requester, worker=WORKER_ID, reason="", created_at=now)


def grow(state: Loaded, open_target: int, now: datetime) -> None:
    """Add open HITs up to `open_target`, plus closed ones (history: a fifth as many), and
    mark some of the new ones as already done by the worker."""
    from core.db import db
    from core.models import Assignment, Hit, HitStatus

    rng = state.rng
    if state.groups and not state.made:
        _make_groups(state, now)
    todo_open = open_target - state.open_n
    todo_closed = open_target // 5 - state.closed_n
    kinds = [HitStatus.OPEN] * todo_open + [HitStatus.CLOSED] * todo_closed
    rng.shuffle(kinds)
    for start in range(0, len(kinds), 1000):
        rows = []
        for status in kinds[start:start + 1000]:
            reward = rng.choice((5, 10, 10, 25, 50, 75, 100, 150, 300, 1000))
            duration = rng.choice((300, 600, 1800, 3600, 7200))
            slots = rng.randint(1, 50)
            created = now - timedelta(seconds=rng.randint(60, 30 * 86400))
            words = rng.sample(WORDS, 3)
            row = {
                "requester": rng.randint(2, 1 + REQUESTERS), "title": f"{words[0].title()} task {rng.randint(1, 10**6)}",
                "description": "Bench HIT", "keywords": " ".join(words), "reward_cents": reward,
                "fee_cents": max(1, reward // 5), "max_assignments": slots,
                "available": rng.randint(1, slots) if status == HitStatus.OPEN else 0,
                "duration_s": duration, "auto_approve_s": 3 * 86400, "created_at": created,
                "expires_at": now + timedelta(days=rng.randint(1, 14)) if status == HitStatus.OPEN else created,
                "status": status, "work_n": 0, "work_s_total": 0,
                "hourly_cents": reward * 3600 // duration + rng.randint(0, 400),
                "requester_score": rng.choice((0, 350, 420, 480, 500)), "has_requirements": False,
            }
            if state.made:  # a HIT of one of the groups: its requester, reward and time
                gid, requester, reward, duration, hourly, score = rng.choice(state.made)
                row.update(group=gid, requester=requester, reward_cents=reward, fee_cents=max(1, reward // 5),
                           duration_s=duration, hourly_cents=hourly, requester_score=score)
            rows.append(row)
        with db.atomic():
            Hit.insert_many(rows).execute()
    _group_the_rest(now)
    state.open_n, state.closed_n = open_target, state.closed_n + todo_closed
    # The worker did about 1 in 300 of the HITs (they must not show up again).
    max_id = Hit.select(Hit.id).order_by(Hit.id.desc()).scalar()
    done = {a.hit_id for a in Assignment.select(Assignment.hit).where(Assignment.worker == WORKER_ID)}
    picks = {rng.randint(1, max_id) for _ in range(max(1, todo_open // 300))} - done
    with db.atomic():
        Assignment.insert_many([{"hit": h, "worker": WORKER_ID, "status": "approved", "accepted_at": now,
                                 "deadline": now, "submitted_at": now, "decided_at": now} for h in picks]).execute()


def close_a_big_batch(n: int, now: datetime) -> None:
    """A requester's batch of `n` HITs was published last and has just finished: the newest
    rows of the table are all closed, and the open ones sit behind them."""
    from core.db import db
    from core.models import Hit, HitStatus

    rows = [{"requester": 2 + REQUESTERS - 1, "title": f"Batch row {i}", "description": "Bench batch",
             "keywords": "batch", "reward_cents": 10, "fee_cents": 2, "max_assignments": 1, "available": 0,
             "duration_s": 600, "auto_approve_s": 86400, "created_at": now - timedelta(minutes=30),
             "expires_at": now - timedelta(minutes=1), "status": HitStatus.CLOSED, "work_n": 0, "work_s_total": 0,
             "hourly_cents": 60, "requester_score": 0, "has_requirements": False} for i in range(n)]
    for start in range(0, n, 1000):
        with db.atomic():
            Hit.insert_many(rows[start:start + 1000]).execute()
    _group_the_rest(now)


def add_requirements(now: datetime) -> int:
    """Give every open HIT 10 qualification requirements (system and custom, all three
    guards). The worker holds most qualifications; one in five HITs needs one they lack."""
    from core.db import db
    from core.models import Hit, HitStatus, QualificationGrant, QualificationType, SystemQual

    owner = 2
    with db.atomic():
        custom = [QualificationType.create(owner=owner, name=f"skill {i}", created_at=now).id for i in range(8)]
        for qtype in custom[:7]:
            QualificationGrant.create(qtype=qtype, worker=WORKER_ID, value=80, granted_at=now)
    system = {q.system: q.id for q in QualificationType.select().where(QualificationType.system.is_null(False))}
    templates = [
        (system[SystemQual.APPROVAL_RATE], ">=", "[90]", "accept"),
        (system[SystemQual.APPROVED_COUNT], ">=", "[50]", "accept"),
        (system[SystemQual.COUNTRY], "in", '["DE","FR","US"]', "discover"),
        (system[SystemQual.ACCOUNT_AGE_DAYS], ">", "[30]", "preview"),
        *[(q, ">=", "[60]", ("discover", "preview", "accept")[i % 3]) for i, q in enumerate(custom[:5])],
    ]
    union = " UNION ALL ".join(f"SELECT {q} AS qtype_id, '{c}' AS comparator, '{v}' AS vals, '{g}' AS guard"
                               for q, c, v, g in templates)
    param, mod = ("?", "%") if _sqlite() else ("%s", "%%")  # psycopg2 reads a bare % as a placeholder
    with db.atomic():
        db.execute_sql('INSERT INTO hit_requirement (hit_id, qtype_id, comparator, "values", guard) '
                       f"SELECT h.id, t.qtype_id, t.comparator, t.vals, t.guard FROM hit h CROSS JOIN ({union}) t "
                       f"WHERE h.status = {param}", (HitStatus.OPEN,))
        # The tenth: a skill the worker has, or (one HIT in five) one they lack, checked at discovery.
        db.execute_sql('INSERT INTO hit_requirement (hit_id, qtype_id, comparator, "values", guard) '
                       f"SELECT h.id, CASE WHEN h.id {mod} 5 = 0 THEN {custom[7]} ELSE {custom[5]} END, 'exists', '[]', "
                       f"'discover' FROM hit h WHERE h.status = {param}", (HitStatus.OPEN,))
        Hit.update(has_requirements=True).where(Hit.status == HitStatus.OPEN).execute()
    from core.models import HitRequirement

    return HitRequirement.select().count()


def _sqlite() -> bool:
    from core.db import is_sqlite

    return is_sqlite()


# ---------------------------------------------------------------- browse latency

def _scenarios() -> list[tuple[str, dict, int]]:
    """(name, filters, pages deep): what workers do most, first pages and a few deeper."""
    return [
        ("newest", {}, 1),
        ("reward", {"sort": "reward"}, 1),
        ("hourly", {"sort": "hourly"}, 1),
        ("most available", {"sort": "available"}, 1),
        ("requester rating", {"sort": "rating"}, 1),
        ("newest, page 5", {}, 5),
        ("reward >= $1, <= 1h", {"sort": "reward", "min_reward_cents": 100, "max_duration_s": 3600}, 1),
        ("hourly >= $10/h", {"sort": "hourly", "min_hourly_cents": 1000}, 1),
        ("keyword 'images'", {"keyword": "images"}, 1),
        ("for you (3 skills)", {"sort": "foryou"}, 1),
    ]


def _browse_once(filters: dict, pages: int) -> float:
    """Seconds for the last of `pages` pages (the earlier ones give its cursor)."""
    from core.work.browse import Filters, list_open_hits

    cursor = None
    took = 0.0
    for _ in range(pages):
        started = time.perf_counter()
        page = list_open_hits(worker_id=WORKER_ID, filters=Filters(**filters), now=NOW, after=cursor, limit=10)
        took = time.perf_counter() - started
        assert page.cards, "a browse page came back empty"
        cursor = page.next_cursor
    return took


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_browse(repeats: int, scenarios: list[tuple[str, dict, int]] | None = None, rounds: int = 3) -> dict:
    """p50 over every run; p99 of the quietest of `rounds` rounds, as the machine is shared and
    a neighbour's burst says nothing about hitbot's queries."""
    scenarios = scenarios or _scenarios()
    for _, filters, pages in scenarios:
        _browse_once(filters, pages)  # warm the cache: steady state, not the first query after load
    samples: list[float] = []
    p99s: list[float] = []
    per: dict[str, list[float]] = {name: [] for name, _, _ in scenarios}
    for _ in range(rounds):
        this_round = []
        for name, filters, pages in scenarios:
            runs = [_browse_once(filters, pages) * 1000 for _ in range(max(1, repeats // rounds))]
            per[name] += runs
            this_round += runs
        samples += this_round
        p99s.append(_pct(this_round, 0.99))
    return {"p50": _pct(samples, 0.50), "p99": min(p99s), "p99_worst": max(p99s),
            "per": {name: statistics.median(runs) for name, runs in per.items()}, "n": len(samples)}


def bench_rare_keyword(repeats: int) -> dict:
    """A keyword no HIT has: the worst case (a LIKE scan over every open HIT)."""
    runs = []
    from core.work.browse import Filters, list_open_hits

    for _ in range(repeats):
        started = time.perf_counter()
        list_open_hits(worker_id=WORKER_ID, filters=Filters(keyword="zebra-crossing"), now=NOW, limit=10)
        runs.append((time.perf_counter() - started) * 1000)
    return {"p50": _pct(runs, 0.5), "p99": _pct(runs, 0.99)}


SCAN = "the same word by the scan (before)"
KEYWORDS = (("a word no HIT has", "zebra-crossing"), ("a common word", "images"), ("inside a word", "ndwrit"),
            ("two letters", "ta"))


def keyword_report(meta: dict, figures: dict[int, dict[str, dict]]) -> str:
    sizes = sorted(figures)
    names = [name for name, _ in KEYWORDS]
    columns = [f"{n} ('{k}')" for n, k in KEYWORDS]
    if SCAN in figures[sizes[0]]:
        names.append(SCAN)
        columns.append(SCAN)
    return "\n".join([
        f"## Core: keyword search ({meta['db'].split(' ')[0]})",
        "",
        f"`python -m bench.core_bench{meta['args']}` on {meta['db']}, {meta['machine']}, {meta['date']}.",
        "",
        ("One browse page of 10 (`list_open_hits`, newest first) filtered by a keyword, over the same open and "
         "closed HITs as the browse figures; p50 / p99 ms of the runs, p99 the quietest of 3 rounds. "
         "SQLite: a keyword of 3+ characters is looked up in the FTS5 trigram table of open HITs (migration 13); "
         "if it matches at most 500 HITs, only those HITs' groups are looked at (by id: a word no HIT has "
         "reads nothing more), otherwise (and for shorter words) the browse order's index is scanned until a "
         "page is found. Since browse lists HIT groups and until that, a rare word still walked every group "
         "(100,000 open HITs, a word no HIT has: p50 27.2 ms, p99 45.9 ms at load 12.5-14.0; p50 50.5 ms, "
         "p99 51.2 ms at load 2.2-3.4, 2026-12-01). Before migration 13, SQLite scanned for every "
         "keyword: a word no HIT has, 100,000 open HITs, p50 36.0 ms, p99 38.7 ms (2026-11-25, load 2.4; "
         "33-121 ms in other runs); the last column is that scan again, timed right after the others. "
         "PostgreSQL: ILIKE from pg_trgm indexes (migration 6)."),
        "",
        "| open HITs | " + " | ".join(columns) + " |",
        "|---:|" + "---:|" * len(columns),
        *[f"| {n:,} | " + " | ".join(f"{_fmt_ms(figures[n][name]['p50'])} / {_fmt_ms(figures[n][name]['p99'])}"
                                      for name in names) + " |" for n in sizes],
        "",
        (f"Target: a word no HIT has at {sizes[-1]:,} open HITs, p99 < 20 ms: "
         f"{_fmt_ms(figures[sizes[-1]][names[0]]['p99'])} ms."),
    ])


def bench_keywords(repeats: int, rounds: int = 3, only=KEYWORDS) -> dict[str, dict]:
    """Each keyword's page timed `repeats` times in `rounds` rounds; p99 of the quietest round."""
    from core.work.browse import Filters, list_open_hits

    out = {}
    for name, keyword in only:
        list_open_hits(worker_id=WORKER_ID, filters=Filters(keyword=keyword), now=NOW, limit=10)  # warm
        runs, p99s = [], []
        for _ in range(rounds):
            this = []
            for _ in range(max(1, repeats // rounds)):
                started = time.perf_counter()
                list_open_hits(worker_id=WORKER_ID, filters=Filters(keyword=keyword), now=NOW, limit=10)
                this.append((time.perf_counter() - started) * 1000)
            runs += this
            p99s.append(_pct(this, 0.99))
        out[name] = {"p50": _pct(runs, 0.5), "p99": min(p99s), "rounds": rounds}
    return out


def bench_keywords_both(repeats: int) -> dict[str, dict]:
    """bench_keywords, then the word no HIT has by the scan SQLite made before migration 13
    (the trigram table switched off), in the same minute, so both see the same load."""
    from core.db import db
    from core.hits import search

    out = bench_keywords(repeats)
    if _sqlite():
        setattr(db.obj, search._READY, False)
        try:
            out[SCAN] = bench_keywords(repeats, only=KEYWORDS[:1])[KEYWORDS[0][0]]
        finally:
            setattr(db.obj, search._READY, True)
    return out


def plans() -> dict[str, list[str]]:
    """The database's plan for the browse query, per sort."""
    from core.db import db
    from core.models import HitGroup
    from core.work import browse

    out = {}
    for sort in ("newest", "reward", "hourly", "keyword nobody uses"):  # over HIT groups (issue #17)
        column = browse.SORTS.get(sort, HitGroup.newest_hit_id)
        keyword = "" if sort in browse.SORTS else "zebra-crossing"
        query = browse._groups_for(WORKER_ID, NOW, keyword).order_by(column.desc(), HitGroup.id.desc()).limit(11)
        sql, params = query.sql()
        if _sqlite():
            rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            out[sort] = [str(r[-1]) for r in rows]
        else:
            rows = db.execute_sql("EXPLAIN " + sql, params).fetchall()
            out[sort] = [str(r[0]) for r in rows]
    return out


# ---------------------------------------------------------------- report

def _fmt_ms(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def report(meta: dict, accepts: list[dict], browse: dict[int, dict], rare: dict[int, dict], history: dict,
           reqs: dict | None, plan: dict[str, list[str]]) -> str:
    sizes = sorted(browse)
    lines = [
        f"## Core: accept throughput and browse latency ({meta['db'].split(' ')[0]})",
        "",
        f"`python -m bench.core_bench{meta['args']}` on {meta['db']}, {meta['machine']}, {meta['date']}.",
        "",
        "### Accept under contention",
        "",
        "All workers race for one HIT (20% more workers than slots; every slot taken exactly once).",
        "",
        "| threads | slots | accepts/s | attempts/s |",
        "|---:|---:|---:|---:|",
        *[f"| {a['threads']} | {a['slots']} | {a['accepts_s']:.0f} | {a['attempts_s']:.0f} |" for a in accepts],
        "",
        "### Browse latency by open HITs",
        "",
        "One page of 10 through `list_open_hits` (blocked requesters and done HITs excluded), over a mix "
        f"of {len(_scenarios())} sorts and filters, {browse[sizes[0]]['n'] // len(_scenarios())} runs each; "
        "closed HITs (a fifth as many) stay in the table as history. p99 is the quietest of 3 rounds "
        "(the machine is shared); the noisiest round's p99 is in brackets. Per-sort columns are medians in ms.",
        "",
        "| open HITs | p50 ms | p99 ms | " + " | ".join(browse[sizes[0]]["per"]) + " |",
        "|---:|---:|---:|" + "---:|" * len(browse[sizes[0]]["per"]),
    ]
    for n in sizes:
        b = browse[n]
        lines.append(f"| {n:,} | {_fmt_ms(b['p50'])} | {_fmt_ms(b['p99'])} ({_fmt_ms(b['p99_worst'])}) | "
                     + " | ".join(_fmt_ms(v) for v in b["per"].values()) + " |")
    small, big = browse[sizes[0]], browse[sizes[-1]]
    growth_p99 = big["p99"] / small["p99"]
    lines += [
        "",
        f"Growth {sizes[-1]:,} vs {sizes[0]:,} open HITs ({sizes[-1] // sizes[0]}x the table): "
        f"p50 x{big['p50'] / small['p50']:.2f}, p99 x{growth_p99:.2f}.",
        "",
        "A keyword no HIT matches was the worst case (a scan of every open HIT's title and keywords); "
        "SQLite answers it from its FTS5 trigram table (migration 13), PostgreSQL from trigram indexes "
        "(migration 6, when pg_trgm is available): "
        + ", ".join(f"{n:,}: p50 {_fmt_ms(rare[n]['p50'])} ms, p99 {_fmt_ms(rare[n]['p99'])} ms" for n in sizes) + ".",
        "",
        f"After a {history['closed']:,}-HIT batch closed (the newest rows of the table all closed, the open HITs "
        f"behind them): p50 {_fmt_ms(history['p50'])} ms, p99 {_fmt_ms(history['p99'])} ms ("
        + ", ".join(f"{k} {_fmt_ms(v)}" for k, v in history["per"].items()) + " ms median).",
    ]
    if reqs:
        lines += [
            "",
            f"### {reqs['open']:,} open HITs with 10 qualification requirements each",
            "",
            f"{reqs['rows']:,} requirement rows; system and custom qualifications at all three guards; one HIT in "
            "five needs a qualification the worker lacks and is hidden (pages refill).",
            "",
            "| browse | p50 ms | p99 ms |",
            "|---|---:|---:|",
            f"| all HITs the worker may see | {_fmt_ms(reqs['discover']['p50'])} | {_fmt_ms(reqs['discover']['p99'])} |",
            f"| only HITs they qualify for | {_fmt_ms(reqs['qualified']['p50'])} | {_fmt_ms(reqs['qualified']['p99'])} |",
            f"| same HITs without requirements | {_fmt_ms(big['p50'])} | {_fmt_ms(big['p99'])} |",
        ]
    lines += ["", f"<details><summary>Query plans at {sizes[-1]:,} open HITs after the "
              f"{history['closed']:,}-HIT batch closed</summary>", ""]
    for sort, rows in plan.items():
        lines += [f"`{sort}`:", "", "```", *rows, "```", ""]
    lines += ["</details>"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.core_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a private database is created on it)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (1k, 5k, 10k) and fewer runs")
    parser.add_argument("--sizes", help="comma-separated open HIT counts (overrides the defaults)")
    parser.add_argument("--repeats", type=int, help="runs per browse scenario")
    parser.add_argument("--threads", default="1,4,16", help="comma-separated thread counts for accept")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--commits", type=int, help="top-ups for the commit rate (2000; 100 with --quick/--sizes)")
    parser.add_argument("--commits-only", action="store_true", help="measure only the commit rate")
    parser.add_argument("--keyword-only", action="store_true", help="measure only keyword search (after loading)")
    parser.add_argument("--groups", type=int, default=0,
                        help="spread the open HITs over this many HIT groups (issue #17; default: each its own)")
    parser.add_argument("--browse-only", action="store_true", help="measure only browse (after loading)")
    args = parser.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [1_000, 5_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    repeats = args.repeats or (15 if args.quick else 60)
    slots = min(1000, max(20, sizes[0] // 2)) if args.quick or args.sizes else 1000
    thread_counts = [int(t) for t in args.threads.split(",")]
    args.commits = args.commits or (100 if args.quick or args.sizes else 2000)

    load_before = os.getloadavg()[0]
    workdir = tempfile.mkdtemp(prefix="hitbot-bench-")
    os.environ.setdefault("HITBOT_DATA_DIR", workdir)
    url, drop = open_database(args.pg, workdir, "hitbot_bench_core")
    db_name = "PostgreSQL" if args.pg else "SQLite (WAL, file)"
    try:
        if args.pg:
            from core.db import db

            where = urlsplit(args.pg)
            db_name += " " + db.execute_sql("SHOW server_version").fetchone()[0].split(" ")[0] + \
                f" (server {where.hostname}:{where.port or 5432})"
        print(f"database: {db_name}", flush=True)
        if args.keyword_only:
            return _keyword_only(args, db_name, load_before, sizes, repeats)
        if args.browse_only:
            return _browse_only(args, sizes, repeats)
        commits = measure_commits(args.commits)
        for row in commits:
            print(f"commits: synchronous={row['synchronous']}: {row['commits_s']:.0f}/s ({row['ms']:.2f} ms each)",
                  flush=True)
        if args.commits_only:
            return _write_commits(args, db_name, load_before, commits)
        accepts = []
        for threads in thread_counts:
            result = bench_accept(threads, slots)
            accepts.append(result)
            print(f"accept: {threads:>2} threads, {slots} slots: {result['accepts_s']:.0f} accepts/s "
                  f"({result['attempts_s']:.0f} attempts/s)", flush=True)

        load_base(NOW)
        state = Loaded(groups=args.groups)
        browse: dict[int, dict] = {}
        rare: dict[int, dict] = {}
        for n in sizes:
            started = time.perf_counter()
            grow(state, n, NOW)
            analyze()
            print(f"loaded {n:,} open HITs in {time.perf_counter() - started:.1f}s", flush=True)
            browse[n] = bench_browse(repeats)
            rare[n] = bench_rare_keyword(max(3, repeats // 4))
            print(f"browse {n:>7,} open, keyword nobody uses: p50 {rare[n]['p50']:.2f} ms, p99 {rare[n]['p99']:.2f} ms")
            print(f"browse {n:>7,} open: p50 {browse[n]['p50']:.2f} ms, p99 {browse[n]['p99']:.2f} ms; "
                  + ", ".join(f"{k} {v:.2f}" for k, v in browse[n]["per"].items()), flush=True)
        closed_n = sizes[-1] // 2
        close_a_big_batch(closed_n, NOW)
        analyze()
        plan = plans()  # where a wrong plan would hurt most: the newest rows all closed
        history = bench_browse(repeats, [("newest", {}, 1), ("newest, page 5", {}, 5),
                                         ("hourly", {"sort": "hourly"}, 1)])
        history["closed"] = closed_n
        print(f"browse after a {closed_n:,}-HIT batch closed: p50 {history['p50']:.2f} ms, "
              f"p99 {history['p99']:.2f} ms; " + ", ".join(f"{k} {v:.2f}" for k, v in history["per"].items()),
              flush=True)
        for sort, rows in plan.items():
            print(f"plan ({sort}):\n  " + "\n  ".join(rows))

        started = time.perf_counter()
        rows = add_requirements(NOW)
        analyze()
        print(f"added {rows:,} requirements in {time.perf_counter() - started:.1f}s", flush=True)
        reqs = {"open": sizes[-1], "rows": rows,
                "discover": bench_browse(repeats, [("newest", {}, 1), ("reward", {"sort": "reward"}, 1),
                                                   ("newest, page 5", {}, 5)]),
                "qualified": bench_browse(repeats, [("newest", {"qualified_only": True}, 1),
                                                    ("reward", {"sort": "reward", "qualified_only": True}, 1),
                                                    ("newest, page 5", {"qualified_only": True}, 5)])}
        print(f"browse with 10 requirements per HIT: all p50 {reqs['discover']['p50']:.2f} ms, "
              f"p99 {reqs['discover']['p99']:.2f} ms; qualified only p50 {reqs['qualified']['p50']:.2f} ms, "
              f"p99 {reqs['qualified']['p99']:.2f} ms", flush=True)
        growth = browse[sizes[-1]]["p99"] / browse[sizes[0]]["p99"]
        print(f"growth p99 {sizes[-1]:,} vs {sizes[0]:,}: x{growth:.2f}")
    finally:
        drop()

    shown_args = (" --pg URL" if args.pg else "") + (" --quick" if args.quick else "") + (
        f" --sizes {args.sizes}" if args.sizes else "")
    meta = {"args": shown_args, "db": db_name, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "machine": f"{os.cpu_count()} CPUs shared, Python {platform.python_version()}, load average "
                       f"{load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end"}
    text = report(meta, accepts, browse, rare, history, reqs, plan)
    if not args.no_write:
        from bench import write_section

        write_section("core", text, part="postgresql" if args.pg else "sqlite")
        print("BENCHMARKS.md updated")
    return _write_commits(args, db_name, load_before, commits)


def _browse_only(args: argparse.Namespace, sizes: list[int], repeats: int) -> int:
    """Browse latency alone, the HITs in --groups groups (or each its own): printed, not written."""
    load_base(NOW)
    state = Loaded(groups=args.groups)
    for n in sizes:
        started = time.perf_counter()
        grow(state, n, NOW)
        analyze()
        shape = f"in {args.groups:,} groups" if args.groups else "each its own group"
        print(f"loaded {n:,} open HITs ({shape}) in {time.perf_counter() - started:.1f}s", flush=True)
        b = bench_browse(repeats)
        print(f"browse {n:>7,} open ({shape}): p50 {b['p50']:.2f} ms, p99 {b['p99']:.2f} ms "
              f"(noisiest round {b['p99_worst']:.2f}); " + ", ".join(f"{k} {v:.2f}" for k, v in b["per"].items()),
              flush=True)
    return 0


def _keyword_only(args: argparse.Namespace, db_name: str, load_before: float, sizes: list[int], repeats: int) -> int:
    load_base(NOW)
    state = Loaded()
    figures: dict[int, dict[str, dict]] = {}
    loads = []
    for n in sizes:
        grow(state, n, NOW)
        analyze()
        loads.append(os.getloadavg()[0])
        figures[n] = bench_keywords_both(repeats)
        print(f"keywords {n:>7,} open: " + ", ".join(f"{k} p50 {v['p50']:.2f} p99 {v['p99']:.2f}"
                                                      for k, v in figures[n].items()), flush=True)
    shown_args = (" --pg URL" if args.pg else "") + " --keyword-only" + (f" --sizes {args.sizes}" if args.sizes else "")
    meta = {"args": shown_args, "db": db_name, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "machine": f"{os.cpu_count()} CPUs shared, Python {platform.python_version()}, load average "
                       f"{load_before:.1f} at the start, {max(loads):.1f} at most while timing and "
                       f"{os.getloadavg()[0]:.1f} at the end"}
    text = keyword_report(meta, figures)
    print(text)
    if not args.no_write:
        from bench import write_section

        write_section("core", text, part="keyword-postgresql" if args.pg else "keyword-sqlite")
        print("BENCHMARKS.md updated")
    return 0


def _write_commits(args: argparse.Namespace, db_name: str, load_before: float, commits: list[dict]) -> int:
    shown_args = (" --pg URL" if args.pg else "") + " --commits-only" + (
        f" --commits {args.commits}" if args.commits != 2000 else "")
    meta = {"args": shown_args, "db": db_name, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "machine": f"{os.cpu_count()} CPUs shared, Python {platform.python_version()}, load average "
                       f"{load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end"}
    meta["fsync_ms"] = fsync_ms(tempfile.gettempdir())
    text = commits_report(meta, commits)
    print(text)
    if not args.no_write:
        from bench import write_section

        write_section("core", text, part="commits-postgresql" if args.pg else "commits-sqlite")
        print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
