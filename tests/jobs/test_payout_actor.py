"""The payout actor: requested -> processing -> paid | failed, once, whatever happens."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from dramatiq import Worker

from core.models import Payout, PayoutStatus as P
from core.payments import accounts
from jobs.payouts import actor as payout_actor
from jobs.payouts.actor import process_payout, requeue_stuck, run_payout
from jobs.payouts.providers import (
    Outcome,
    PermanentPayoutError,
    SandboxProvider,
    TransientPayoutError,
    read_sandbox_log,
)
from tests.conftest import NOW
from tests.invariants import check_invariants
from tests.jobs.payout_helpers import ScriptedProvider, events, stub_broker, withdraw, worker_with


def available(user_id: int) -> int:
    return accounts.balances(user_id=user_id).available_cents


def test_a_payout_is_paid_and_the_worker_told(database, tmp_path):
    w = worker_with(10_00)
    payout = withdraw(w.id, 7_50)
    sandbox = SandboxProvider(tmp_path / "log.jsonl")
    assert run_payout(payout.id, provider=sandbox, now=NOW, max_attempts=3) == "paid"
    paid = Payout.get_by_id(payout.id)
    assert paid.status == P.PAID and paid.provider_ref.startswith("sbx_") and paid.attempts == 1
    b = accounts.balances(user_id=w.id)
    assert (b.available_cents, b.payout_pending_cents, b.paid_out_cents) == (2_50, 0, 7_50)
    assert events("payout.paid") == [{"payout_id": payout.id, "amount_cents": 7_50}]
    assert [e["amount_cents"] for e in read_sandbox_log(tmp_path / "log.jsonl")] == [7_50]
    check_invariants()


def test_running_twice_pays_once(database, tmp_path):
    w = worker_with(5_00)
    payout = withdraw(w.id)
    sandbox = SandboxProvider(tmp_path / "log.jsonl")
    assert run_payout(payout.id, provider=sandbox, now=NOW, max_attempts=3) == "paid"
    assert run_payout(payout.id, provider=sandbox, now=NOW, max_attempts=3) == "skipped"
    assert len(read_sandbox_log(tmp_path / "log.jsonl")) == 1
    assert len(events("payout.paid")) == 1
    check_invariants()


def test_settling_a_started_payout_pays_once_and_tells_the_relay_after_its_commit(database, monkeypatch):
    """PostgreSQL settles a started payout in one statement of its own (its close, posting and event
    commit together); SQLite in a transaction. Either way: once, and the relay hears of it once."""
    from core import outbox
    from core.models import LedgerTxn, OutboxEvent

    w = worker_with(6_00)
    payout = withdraw(w.id, 4_00)
    handed: list[list[int]] = []
    monkeypatch.setattr(outbox, "_listeners", [handed.append])
    started = accounts.start_payout(payout_id=payout.id, now=NOW)
    assert accounts.settle_payout(payout_id=payout.id, now=NOW, provider_ref="ref-1", started=started) is True
    assert accounts.settle_payout(payout_id=payout.id, now=NOW, provider_ref="ref-2", started=started) is False
    paid = Payout.get_by_id(payout.id)
    assert (paid.status, paid.provider_ref) == (P.PAID, "ref-1")
    (event,) = OutboxEvent.select().where(OutboxEvent.kind == "payout.paid")
    assert handed == [[event.id]] and event.payload == {"payout_id": payout.id, "amount_cents": 4_00}
    assert LedgerTxn.select().where(LedgerTxn.key == f"paid:{payout.id}").count() == 1
    b = accounts.balances(user_id=w.id)
    assert (b.available_cents, b.payout_pending_cents, b.paid_out_cents) == (2_00, 0, 4_00)
    check_invariants()


def test_a_settle_that_would_overdraw_the_payout_account_changes_nothing(database):
    from core.errors import InsufficientFunds
    from core.models import Account, LedgerTxn, OutboxEvent

    w = worker_with(6_00)
    payout = withdraw(w.id, 4_00)
    started = accounts.start_payout(payout_id=payout.id, now=NOW)
    # Money that left the payout account some other way (it never should): settling must not take it below zero.
    Account.update(balance_cents=1_00).where(Account.code == f"payout:{w.id}").execute()
    with pytest.raises(InsufficientFunds):
        accounts.settle_payout(payout_id=payout.id, now=NOW, provider_ref="ref-1", started=started)
    assert Payout.get_by_id(payout.id).status == P.PROCESSING
    assert LedgerTxn.select().where(LedgerTxn.key == f"paid:{payout.id}").count() == 0
    assert OutboxEvent.select().where(OutboxEvent.kind == "payout.paid").count() == 0
    assert Account.get(Account.code == f"payout:{w.id}").balance_cents == 1_00


def test_transient_errors_retry_with_the_same_key_then_pay(database):
    w = worker_with(5_00)
    payout = withdraw(w.id)
    provider = ScriptedProvider(TransientPayoutError("HTTP 503"), TransientPayoutError("timeout"),
                                Outcome("paid", "tx-1"))
    for _ in range(2):
        with pytest.raises(TransientPayoutError):
            run_payout(payout.id, provider=provider, now=NOW, max_attempts=5)
        assert Payout.get_by_id(payout.id).status == P.PROCESSING
        assert available(w.id) == 0  # the money stays on its way out while we retry
    assert run_payout(payout.id, provider=provider, now=NOW, max_attempts=5) == "paid"
    assert {c.key for c in provider.calls} == {payout.key}
    assert Payout.get_by_id(payout.id).provider_ref == "tx-1"
    check_invariants()


def test_permanent_refusal_gives_the_money_back_and_says_why(database):
    w = worker_with(5_00)
    payout = withdraw(w.id, 3_00)
    provider = ScriptedProvider(PermanentPayoutError("IBAN not valid"))
    assert run_payout(payout.id, provider=provider, now=NOW, max_attempts=5) == "failed"
    failed = Payout.get_by_id(payout.id)
    assert failed.status == P.FAILED and failed.failure_reason == "IBAN not valid"
    assert available(w.id) == 5_00
    assert events("payout.failed") == [{"payout_id": payout.id, "amount_cents": 3_00, "reason": "IBAN not valid"}]
    assert run_payout(payout.id, provider=ScriptedProvider(), now=NOW, max_attempts=5) == "skipped"
    check_invariants()


def test_exhausted_retries_fail_the_payout_with_money_back(database):
    w = worker_with(5_00)
    payout = withdraw(w.id)
    provider = ScriptedProvider(*[TransientPayoutError("HTTP 503")] * 3)
    for _ in range(2):
        with pytest.raises(TransientPayoutError):
            run_payout(payout.id, provider=provider, now=NOW, max_attempts=3)
    assert run_payout(payout.id, provider=provider, now=NOW, max_attempts=3) == "failed"
    failed = Payout.get_by_id(payout.id)
    assert failed.status == P.FAILED and "after 3 tries" in failed.failure_reason
    assert available(w.id) == 5_00
    assert len(provider.calls) == 3
    check_invariants()


def test_pending_payout_waits_in_processing(database):
    w = worker_with(5_00)
    payout = withdraw(w.id)
    assert run_payout(payout.id, provider=ScriptedProvider(Outcome("pending")), now=NOW, max_attempts=3) == "pending"
    assert Payout.get_by_id(payout.id).status == P.PROCESSING
    assert accounts.balances(user_id=w.id).payout_pending_cents == 5_00
    check_invariants()


def test_two_workers_racing_on_one_payout_pay_once(database, tmp_path):
    w = worker_with(9_00)
    payouts = [withdraw(w.id, 3_00) for _ in range(3)]
    log = tmp_path / "log.jsonl"
    results: list[str] = []

    def run(p: Payout) -> None:
        provider = SandboxProvider(log)  # each worker process has its own provider object
        try:
            results.append(run_payout(p.id, provider=provider, now=NOW, max_attempts=3))
        finally:
            from core.db import db
            db.close()

    threads = [threading.Thread(target=run, args=(p,)) for p in payouts for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count("paid") == 3 and set(results) <= {"paid", "skipped"}
    assert sorted(e["payout_id"] for e in read_sandbox_log(log)) == sorted(p.id for p in payouts)
    assert len(events("payout.paid")) == 3
    assert accounts.balances(user_id=w.id).paid_out_cents == 9_00
    check_invariants()


def test_requeue_stuck_sends_only_payouts_nobody_is_working_on(database):
    broker = stub_broker(process_payout)
    w = worker_with(20_00)
    fresh = withdraw(w.id, 2_00, now=NOW)
    lost = withdraw(w.id, 2_00, now=NOW - timedelta(minutes=5))  # requested, never enqueued
    busy = withdraw(w.id, 2_00, now=NOW)
    accounts.start_payout(payout_id=busy.id, now=NOW - timedelta(seconds=30))  # processing, recent
    dead = withdraw(w.id, 2_00, now=NOW)
    accounts.start_payout(payout_id=dead.id, now=NOW - timedelta(hours=1))  # its worker died
    done = withdraw(w.id, 2_00, now=NOW - timedelta(hours=2))
    accounts.settle_payout(payout_id=done.id, now=NOW - timedelta(hours=2), provider_ref="x")
    assert requeue_stuck(now=NOW) == 2
    queued = [m.args[0] for m in _messages(broker, "payouts")]
    assert sorted(queued) == sorted([lost.id, dead.id])
    assert fresh.id not in queued and busy.id not in queued


def _messages(broker, queue):
    from dramatiq import Message

    q = broker.queues[queue]
    out = []
    while not q.empty():
        out.append(Message.decode(q.get_nowait()))
    return out


def test_actor_on_a_broker_retries_flaky_provider_until_every_payout_is_paid(database, tmp_path, monkeypatch):
    broker = stub_broker(process_payout)
    log = tmp_path / "log.jsonl"
    sandbox = SandboxProvider(log, failure_rate=0.5)
    monkeypatch.setattr(payout_actor, "provider", lambda: sandbox)
    monkeypatch.setitem(process_payout.options, "min_backoff", 5)
    monkeypatch.setitem(process_payout.options, "max_backoff", 20)
    monkeypatch.setenv("HITBOT_PAYOUT_MAX_ATTEMPTS", "100")
    from core.config import get_settings
    get_settings.cache_clear()
    try:
        w = worker_with(30_00)
        payouts = [withdraw(w.id, 1_00) for _ in range(20)]
        for p in payouts:
            process_payout.send(p.id)
        worker = Worker(broker, worker_timeout=50, worker_threads=4)
        worker.start()
        try:
            broker.join("payouts", timeout=60_000)
            worker.join()
        finally:
            worker.stop()
    finally:
        get_settings.cache_clear()
    assert {Payout.get_by_id(p.id).status for p in payouts} == {P.PAID}
    assert sorted(e["payout_id"] for e in read_sandbox_log(log)) == sorted(p.id for p in payouts)
    assert max(Payout.get_by_id(p.id).attempts for p in payouts) > 1  # retries really happened
    assert accounts.balances(user_id=w.id).available_cents == 10_00
    check_invariants()
