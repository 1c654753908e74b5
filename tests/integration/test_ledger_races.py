"""The ledger's races on the real PostgreSQL (issue 23): several connections insert the same
idempotency key (or, after all finding none, create the same account) at once. One wins; every
other waits on the unique index until the winner commits, then must report "already done" (the
key: its INSERT ... ON CONFLICT DO NOTHING inserts nothing) or use the winner's row (the account:
after the IntegrityError) without aborting its own transaction.

A barrier just before the insert holds every thread until all have reached it, so the losing
branch is taken every run, not by luck. SQLite cannot interleave like this: its
write transactions take the database lock up front (BEGIN IMMEDIATE), so the threads would
wait for each other at the barrier forever; there tests/unit/payments/test_ledger_properties.py replays
the same interleavings in one connection."""
from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest

from core import ledger
from core.db import tx
from core.models import Account, LedgerTxn, OutboxEvent
from core.payments import accounts
from core.review import commands as review
from tests import factories as f
from tests.conftest import ADMIN_ID
from tests.integration.racing import run_threads
from tests.invariants import check_invariants

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("database"),
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite serialises writers with BEGIN IMMEDIATE, "
                              "so two posts of one key never interleave there"),
]

THREADS = 8


class HoldBeforeInsert:
    """Stands in for one of core.ledger's statements (compiled once, core.prepared): every call of
    `method` waits until all THREADS threads have reached it; a lookup (`first`) looks before it waits
    (all look, find nothing, then all create), an insert waits, then inserts. `shared`: another hold
    whose barrier and count this one uses."""

    def __init__(self, model, method: str, shared: HoldBeforeInsert | None = None) -> None:
        self.model, self.method, self.shared = model, method, shared
        self.barrier = threading.Barrier(THREADS, timeout=30)
        self.calls = 0
        self.lock = threading.Lock()

    def __getattr__(self, name):
        real = getattr(self.model, name)
        if name != self.method:
            return real
        hold = self.shared or self

        def held(*args, **kwargs):
            result = real(*args, **kwargs) if self.method == "first" else None
            with hold.lock:
                hold.calls += 1
            hold.barrier.wait()
            return result if self.method == "first" else real(*args, **kwargs)

        return held


class HoldPostings(HoldBeforeInsert):
    """Holds every posting's key insert at one barrier: on PostgreSQL the key's row goes in the
    posting's one statement (core.ledger._posting, one per shape of posting)."""

    def __init__(self, monkeypatch) -> None:
        super().__init__(None, "execute")
        self._monkeypatch, self._real = monkeypatch, ledger._posting
        monkeypatch.setattr(ledger, "_posting", lambda *shape: HoldBeforeInsert(self._real(*shape), "execute", self))

    def release(self) -> None:
        self._monkeypatch.setattr(ledger, "_posting", self._real)


def test_concurrent_posts_of_one_key_move_the_money_once_and_all_report_done(monkeypatch, now):
    w = f.user()
    world, avail = ledger.world(), ledger.available(w.id)  # accounts exist: only the key races
    hold = HoldPostings(monkeypatch)
    moved: list[bool] = []

    def post() -> None:
        with tx():
            moved.append(ledger.post(key="topup:race", kind="topup", legs=[(world, -250), (avail, 250)], now=now))

    outcomes = run_threads([(post, {})] * THREADS, threads=THREADS)

    assert outcomes == [("ok", "")] * THREADS  # nobody failed: the losers were told "already posted"
    assert hold.calls == THREADS  # every one reached the insert together
    assert sorted(moved) == [False] * (THREADS - 1) + [True]
    hold.release()
    assert LedgerTxn.select().where(LedgerTxn.key == "topup:race").count() == 1
    assert f.available(w.id) == 250
    check_invariants()


def test_one_payment_reported_by_several_webhooks_at_once_credits_once(monkeypatch, now):
    w = f.user()
    ledger.world(), ledger.available(w.id)
    hold = HoldPostings(monkeypatch)
    credited: list[bool] = []

    def topup() -> None:
        credited.append(accounts.topup(user_id=w.id, amount_cents=5_00, charge_id="tg-charge-1", now=now))

    outcomes = run_threads([(topup, {})] * THREADS, threads=THREADS)

    hold.release()
    assert outcomes == [("ok", "")] * THREADS
    assert hold.calls == THREADS
    assert sorted(credited) == [False] * (THREADS - 1) + [True]
    assert f.available(w.id) == 5_00
    assert OutboxEvent.select().where(OutboxEvent.kind == "balance.credited").count() == 1  # told once
    check_invariants()


def test_concurrent_approvals_that_all_pass_the_key_check_pay_once(monkeypatch, now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    ledger.available(a.worker_id), ledger.fees()
    # Each approval is its own transaction; the assignment's conditional update lets one through,
    # so here the key race is forced on the ledger alone: THREADS posts of "approve:<id>".
    hold = HoldPostings(monkeypatch)
    hit = a.hit
    moved: list[bool] = []

    def pay() -> None:
        with tx():
            moved.append(ledger.post(key=f"approve:{a.id}", kind="approve",
                                     legs=[(ledger.escrow(hit.id), -hit.unit_cost_cents),
                                           (ledger.available(a.worker_id), hit.reward_cents),
                                           (ledger.fees(), hit.fee_cents)], now=now))

    run_threads([(pay, {})] * THREADS, threads=THREADS)
    hold.release()
    assert sorted(moved) == [False] * (THREADS - 1) + [True]
    assert (f.available(a.worker_id), ledger.balance(ledger.fees())) == (50, 10)
    # The real approval afterwards finds the money already moved and does not move it again.
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(minutes=5))
    assert (f.available(a.worker_id), ledger.balance(ledger.escrow(hit.id))) == (50, 0)


def test_concurrent_first_movements_of_a_new_user_share_one_account(monkeypatch, now):
    w = f.user()
    world = ledger.world()
    # Registering made the account already; take it away (no entries yet) to race its creation.
    Account.delete().where(Account.code == f"available:{w.id}").execute()
    hold = HoldBeforeInsert(ledger._BY_CODE, "first")  # all look, find nothing, then all create
    monkeypatch.setattr(ledger, "_BY_CODE", hold)
    ids: list[int] = []

    def first_credit(i: int) -> None:
        with tx():
            account = ledger.available(w.id)
            ids.append(account.id)
            # The losing creator's transaction goes on (its failed insert was a savepoint).
            assert ledger.post(key=f"first:{i}", kind="topup", legs=[(world, -1), (account, 1)], now=now)

    outcomes = run_threads([(first_credit, {"i": i}) for i in range(THREADS)], threads=THREADS)

    monkeypatch.setattr(ledger, "_BY_CODE", hold.model)
    assert outcomes == [("ok", "")] * THREADS
    assert hold.calls == THREADS
    assert len(set(ids)) == 1 and len(ids) == THREADS
    assert Account.select().where(Account.code == f"available:{w.id}").count() == 1
    assert f.available(w.id) == THREADS
    check_invariants()


def test_an_admin_credit_and_a_topup_racing_for_a_new_users_account(now):
    """Without any barrier: a burst of first credits to brand-new users from many threads."""
    f.user("Admin", user_id=ADMIN_ID)
    people = [f.user() for _ in range(6)]
    calls = []
    for w in people:
        calls += [(accounts.topup, {"user_id": w.id, "amount_cents": 1_00, "charge_id": f"c{w.id}", "now": now})] * 2
        calls += [(accounts.credit, {"admin_id": ADMIN_ID, "user_id": w.id, "amount_cents": 50, "reason": "gift",
                                     "now": now, "key": f"g{w.id}"})] * 2
    outcomes = run_threads(calls, threads=THREADS)
    assert {kind for kind, _ in outcomes} == {"ok"}
    assert [f.available(w.id) for w in people] == [1_50] * 6
    assert Account.select().where(Account.code.startswith("available:")).count() == 7  # the 6 and the admin's
    check_invariants()
