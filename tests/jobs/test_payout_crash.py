"""Crash safety: real `hitbot worker` processes are SIGKILLed again and again in the middle of
payouts, and restarted. At the end every payout is paid exactly once: the provider's
idempotency log holds one payment per payout, none is missing, and the ledger balances."""
from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from core.config import get_settings, load_settings
from core.db import db
from core.models import OutboxEvent, Payout, PayoutStatus as P
from core.payments import accounts, destinations
from jobs.broker import setup_broker
from jobs.payouts.actor import process_payout
from jobs.payouts.providers import read_sandbox_log
from tests.conftest import NOW
from tests.invariants import check_invariants
from tests.jobs.conftest import ON_RABBITMQ
from tests.jobs.payout_helpers import withdraw, worker_with
from tests.jobs.payout_procs import RedisServer, WorkerProcess, worker_env

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(ON_RABBITMQ, reason="Redis-specific: its processes share a redis-server of their own")]

PAYOUTS = 150
KILLS = 6


# Issue 19: with payout methods the workers decrypt each destination before paying; they share
# the secret key with the process that encrypted them, as every hitbot process must.
METHODS_ENV = {"HITBOT_PAYOUT_METHODS": "paypal,sepa",
               "HITBOT_SECRET_KEY": "crash-test-secret-key-0123456789abcdef"}
IBAN = "DE89370400440532013000"


def _add_destinations(people) -> None:
    for n, w in enumerate(people):
        method, parts = ("sepa", [IBAN]) if n % 2 else ("paypal", [f"w{n}@example.com"])
        d = destinations.add_destination(user_id=w.id, method=method, parts=parts, now=NOW)
        destinations.confirm_destination(user_id=w.id, destination_id=d.id, now=NOW)


@pytest.mark.parametrize("methods", [False, True], ids=["provider-decides", "with-methods"])
def test_sigkilled_workers_pay_every_payout_exactly_once(database, tmp_path, monkeypatch, request, methods):
    extra = METHODS_ENV if methods else {}
    for k, v in extra.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)  # the next get_settings() reads the restored env
    people = [worker_with(PAYOUTS * 1_00 // 5) for _ in range(5)]
    if methods:
        _add_destinations(people)
    payouts = [withdraw(people[i % 5].id, 1_00) for i in range(PAYOUTS)]
    db.close()
    server = RedisServer(tmp_path)
    data_dir = tmp_path / "data"
    env = worker_env(database_url=database, redis_url=server.url, data_dir=data_dir,
                     HITBOT_PAYOUT_SANDBOX_DELAY_MS="150", HITBOT_PAYOUT_SANDBOX_FAILURE_RATE="0.1",
                     HITBOT_PAYOUT_MAX_ATTEMPTS="100", **extra)
    jobs = setup_broker(load_settings(), url=server.url, namespace="hitbot")  # what `hitbot worker` reads
    workers: list[WorkerProcess] = []
    rng = random.Random(6)
    try:
        workers = [WorkerProcess(env, log=tmp_path / f"worker{i}.log") for i in range(2)]
        kills_mid_work = 0
        per_round = PAYOUTS // KILLS
        for k in range(KILLS):
            for p in payouts[k * per_round:(k + 1) * per_round]:
                process_payout.send(p.id)
            in_flight = _wait_for_work_in_flight(workers, tmp_path)
            time.sleep(rng.uniform(0.0, 0.3))
            victim = k % 2
            workers[victim].kill()
            kills_mid_work += in_flight > 0
            workers[victim] = WorkerProcess(env, log=tmp_path / f"worker{victim}.log")
        # A killed worker's messages come back once its heartbeat is stale (jobs.broker: ~15-30 s).
        deadline = time.monotonic() + 75
        while time.monotonic() < deadline:
            if not Payout.select().where(Payout.status.in_(P.OPEN)).exists():
                break
            db.close()
            _check_alive(workers, tmp_path)
            time.sleep(0.5)
    finally:
        for w in workers:
            w.stop()
        jobs.broker.close()
        server.stop()
    logs = "".join((tmp_path / f"worker{i}.log").read_text(errors="replace")[-3000:] for i in range(2))
    statuses = Counter(p.status for p in Payout.select())
    assert statuses == {P.PAID: PAYOUTS}, (statuses, logs)
    assert kills_mid_work >= KILLS - 1, "the kills must land while payouts are in flight"

    paid_log = read_sandbox_log(data_dir / "sandbox-payouts.jsonl")
    keys = Counter(entry["idempotency_key"] for entry in paid_log)
    assert max(keys.values()) == 1, "a payout was paid twice"
    assert set(keys) == {p.key for p in payouts}, "a payout is missing from the provider's log"
    refs = {entry["idempotency_key"]: entry["reference"] for entry in paid_log}
    assert all(p.provider_ref == refs[p.key] for p in Payout.select())
    assert OutboxEvent.select().where(OutboxEvent.kind == "payout.paid").count() == PAYOUTS
    assert sum(accounts.balances(user_id=w.id).paid_out_cents for w in people) == PAYOUTS * 1_00
    assert max(p.attempts for p in Payout.select()) > 1  # some were interrupted or retried
    check_invariants()
    if methods:
        masked = {p.key: p.destination_masked for p in Payout.select()}
        assert all(entry["destination_masked"] == masked[entry["idempotency_key"]] for entry in paid_log)
        assert {entry["method"] for entry in paid_log} == {"paypal", "sepa"}
        assert IBAN not in (data_dir / "sandbox-payouts.jsonl").read_text()


def _check_alive(workers: list[WorkerProcess], tmp_path) -> None:
    for i, w in enumerate(workers):
        if w.proc.poll() is not None:
            log = (tmp_path / f"worker{i}.log").read_text(errors="replace")[-3000:]
            pytest.fail(f"worker {i} exited by itself (code {w.proc.returncode}):\n{log}")


def _wait_for_work_in_flight(workers: list[WorkerProcess], tmp_path, timeout_s: float = 20) -> int:
    """Wait until some payout is being processed (workers may still be starting on a busy machine)."""
    deadline = time.monotonic() + timeout_s
    while True:
        _check_alive(workers, tmp_path)
        n = Payout.select().where(Payout.status == P.PROCESSING).count()
        db.close()
        if n or time.monotonic() > deadline:
            return n
        time.sleep(0.05)
