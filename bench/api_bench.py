"""MTurk API throughput: requests per second for GetAccountBalance and CreateHIT through 1 and
4 `hitbot api` processes, beside the same number of no-op aiohttp processes answering the same
requests on the same machine (the ratio: what hitbot's work costs over HTTP's own).

Each request is signed once with botocore's SigV4 signer and replayed (SigV4 allows that for
15 minutes), so the client's signing is not what is measured. With several processes the
client spreads its requests over their ports, as a load balancer would. Every loop is bounded
(a fixed number of requests) and goes to 127.0.0.1 only.

    python -m bench.api_bench [--requests 2000] [--creates 400] [--processes 1,4] [--concurrency 16]
                              [--pg postgresql://...] [--no-write]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from aiohttp import web

from bench import open_database, write_section

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address this bench sends to
TARGET = "MTurkRequesterServiceV20170117."
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
QUESTION = ('<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/'
            'QuestionForm.xsd"><Question><QuestionIdentifier>tag</QuestionIdentifier><QuestionContent><Text>Tag?'
            '</Text></QuestionContent><AnswerSpecification><FreeTextAnswer><Constraints><Length maxLength="30"/>'
            '</Constraints></FreeTextAnswer></AnswerSpecification></Question></QuestionForm>')
CREATE = {"Title": "Tag the photo", "Description": "One word for what you see.", "Reward": "0.10",
          "MaxAssignments": 1, "AssignmentDurationInSeconds": 600, "LifetimeInSeconds": 86_400, "Question": QUESTION}
MAX_REQUESTS = 100_000


# --- the no-op baseline: an aiohttp process that answers POST /mturk with a fixed body ------------

async def _noop(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=b'{"AvailableBalance": "0.00", "OnHoldBalance": "0.00"}',
                        content_type="application/x-amz-json-1.1")


def serve_noop(port: int) -> None:
    app = web.Application()
    app.router.add_post("/mturk", _noop)
    web.run_app(app, host=HOST, port=port, print=None, access_log=None)


# --- processes ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) == 0


def start(kind: str, n: int, env: dict, logdir: Path) -> tuple[list[subprocess.Popen], list[int]]:
    procs, ports = [], []
    for i in range(n):
        port = _free_port()
        cmd = ([sys.executable, "-m", "hitbot.cli", "api", "--host", HOST, "--port", str(port)] if kind == "hitbot"
               else [sys.executable, "-m", "bench.api_bench", "--noop-server", str(port)])
        log = (logdir / f"{kind}-{i}.log").open("w")
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        ports.append(port)
    deadline = time.monotonic() + 60
    while not all(_listening(p) for p in ports):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            stop(procs)
            raise RuntimeError(f"{kind} processes did not start; see {logdir}")
        time.sleep(0.2)
    return procs, ports


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:  # only the processes this bench started, by their own handles
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# --- signed requests and the load loop ----------------------------------------------------------

def signed(port: int, operation: str, body: dict, key_id: str, secret: str) -> tuple[str, bytes, dict]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"http://{HOST}:{port}/mturk"
    data = json.dumps(body).encode()
    req = AWSRequest(method="POST", url=url, data=data, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + operation})
    SigV4Auth(Credentials(key_id, secret), "mturk-requester", "us-east-1").add_auth(req)
    return url, data, dict(req.headers.items())


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


async def load(requests: list[tuple[str, bytes, dict]], total: int, concurrency: int) -> dict:
    """`total` requests (bounded), `concurrency` in flight, round robin over `requests`."""
    total = min(total, MAX_REQUESTS)
    latencies: list[float] = []
    failures: list[str] = []
    todo = iter(range(total))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def one_worker() -> None:
            for i in todo:
                url, data, headers = requests[i % len(requests)]
                started = time.perf_counter()
                async with session.post(url, data=data, headers=headers) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        failures.append(body[:200].decode(errors="replace"))
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one_worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} of {total} requests failed, e.g. {failures[0]}")
    return {"n": total, "per_s": total / elapsed, "p50": _pct(latencies, 50), "p99": _pct(latencies, 99)}


# --- the run ----------------------------------------------------------------------------------

def _requester(creates: int) -> tuple[int, str, str]:
    from core.mturk import apikeys
    from core.payments import accounts
    from core.users import commands as users

    now = datetime.now(timezone.utc)
    users.register(user_id=900_001, first_name="Bench requester", now=now)
    accounts.topup(user_id=900_001, amount_cents=(creates + 1000) * 20, charge_id="bench-api", now=now)
    key = apikeys.create_key(user_id=900_001, now=now, request_key="bench-api")
    return 900_001, key.access_key_id, key.secret


def run(args: argparse.Namespace, workdir: Path) -> list[dict]:
    from core.config import get_settings
    from core.models import Hit

    os.environ["HITBOT_SECRET_KEY"] = SECRET_KEY
    os.environ["HITBOT_DATA_DIR"] = str(workdir / "data")
    get_settings.cache_clear()
    url, drop = open_database(args.pg, str(workdir))
    rows: list[dict] = []
    try:
        warm = 50
        counts = [int(n) for n in args.processes.split(",")]
        _, key_id, secret = _requester(sum(args.creates + warm * n for n in counts))
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TELEGRAM_API_URL")}
        env.update({"PYTHONPATH": str(ROOT), "DATABASE_URL": url, "HITBOT_API_RATE_PER_S": "10000",
                    "HITBOT_API_BURST": "100000", "HITBOT_LOG_LEVEL": "WARNING"})
        for n in counts:
            for kind in ("noop", "hitbot"):
                procs, ports = start(kind, n, env, workdir)
                try:
                    for operation, body, total in (("GetAccountBalance", {}, args.requests),
                                                   ("CreateHIT", CREATE, args.creates)):
                        reqs = [signed(p, operation, body, key_id, secret) for p in ports]
                        before = Hit.select().count()
                        asyncio.run(load(reqs, warm * n, args.concurrency))
                        got = asyncio.run(load(reqs, total, args.concurrency))
                        if kind == "hitbot" and operation == "CreateHIT":
                            made = Hit.select().count() - before
                            assert made == total + warm * n, (made, total)
                        rows.append({"processes": n, "kind": kind, "operation": operation, **got})
                        print(f"{n} {kind:6} {operation:18} {got['per_s']:8.0f}/s  p50 {got['p50']:.1f} ms  "
                              f"p99 {got['p99']:.1f} ms", flush=True)
                finally:
                    stop(procs)
    finally:
        drop()
    return rows


def table(rows: list[dict], args: argparse.Namespace, db_name: str, load: float) -> str:
    by = {(r["processes"], r["kind"], r["operation"]): r for r in rows}
    lines = [f"## MTurk API: requests per second ({db_name})", "",
             f"`python -m bench.api_bench{' --pg URL' if args.pg else ''}` on {platform.machine()}, {os.cpu_count()} "
             f"CPUs shared by the client, the servers and other work (1-minute load average {load:.1f} at the "
             "start), Python "
             f"{platform.python_version()}; {args.concurrency} requests in flight from one asyncio client "
             f"(pre-signed SigV4, replayed); {args.requests} GetAccountBalance and {args.creates} CreateHIT "
             "(a one-question QuestionForm, one assignment: a HIT row, its question, escrow in the ledger) per "
             "line, after a warm-up. The no-op is an aiohttp process answering the same POST with a fixed body. "
             "With 4 processes the client spreads requests over their ports (as a load balancer would); on 2 "
             "shared cores more processes add no CPU, so the 4-process lines show the cost of contention "
             "(SQLite's one writer, PostgreSQL's connections) rather than scale-out.",
             "", "| processes | operation | no-op req/s | hitbot req/s | hitbot / no-op | hitbot p50 ms | p99 ms |",
             "|---|---|---|---|---|---|---|"]
    for n in sorted({r["processes"] for r in rows}):
        for op in ("GetAccountBalance", "CreateHIT"):
            noop, hit = by.get((n, "noop", op)), by.get((n, "hitbot", op))
            if noop and hit:
                lines.append(f"| {n} | {op} | {noop['per_s']:,.0f} | {hit['per_s']:,.0f} | "
                             f"{hit['per_s'] / noop['per_s']:.0%} | {hit['p50']:.1f} | {hit['p99']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="GetAccountBalance requests per line")
    parser.add_argument("--creates", type=int, default=400, help="CreateHIT requests per line")
    parser.add_argument("--processes", default="1,4", help="process counts, comma separated (default 1,4)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--pg", help="a PostgreSQL server URL (a private database is made and dropped)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--noop-server", type=int, help=argparse.SUPPRESS)  # the baseline's own processes
    args = parser.parse_args(argv)
    if args.noop_server:
        serve_noop(args.noop_server)
        return 0
    load = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="hitbot-api-bench-"))
    try:
        rows = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    db_name = "PostgreSQL" if args.pg else "SQLite (WAL, file)"
    text = table(rows, args, db_name, load)
    print(text)
    if not args.no_write:
        write_section("api", text, part="postgresql" if args.pg else "sqlite")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
