"""Auto-withdraw: a worker's threshold turns a growing balance into a payout, once."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import NotFound, ValidationFailed
from core.models import Payout
from core.payments import accounts
from core.payments.payouts import (
    auto_withdraw_sweep,
    auto_withdraw_threshold,
    maybe_auto_withdraw,
    set_auto_withdraw,
)
from tests import factories
from tests.conftest import ADMIN_ID, NOW
from tests.dbstate import snapshot
from tests.invariants import check_invariants
from tests.jobs.payout_helpers import events, worker_with


def credit(user_id: int, cents: int, key: str) -> None:
    accounts.credit(admin_id=ADMIN_ID, user_id=user_id, amount_cents=cents, reason="work", now=NOW, key=key)


@pytest.mark.parametrize("threshold", [99, -5, 100 * 100_000 + 1])
def test_threshold_out_of_range_is_refused_with_the_range(database, threshold):
    w = worker_with(0)
    before = snapshot()
    with pytest.raises(ValidationFailed, match=r"from \$1\.00 to .*or 0 to turn auto-withdraw off"):
        set_auto_withdraw(user_id=w.id, threshold_cents=threshold, now=NOW)
    assert snapshot() == before


def test_unknown_user_cannot_set_a_threshold(database):
    with pytest.raises(NotFound):
        set_auto_withdraw(user_id=123, threshold_cents=5_00, now=NOW)


def test_set_change_and_turn_off(database):
    w = worker_with(0)
    set_auto_withdraw(user_id=w.id, threshold_cents=5_00, now=NOW)
    set_auto_withdraw(user_id=w.id, threshold_cents=8_00, now=NOW)
    assert auto_withdraw_threshold(user_id=w.id) == 8_00
    set_auto_withdraw(user_id=w.id, threshold_cents=0, now=NOW)
    assert auto_withdraw_threshold(user_id=w.id) is None


def test_balance_reaching_the_threshold_withdraws_it_all_once(database):
    w = worker_with(0)
    factories.user("Admin", user_id=ADMIN_ID)
    set_auto_withdraw(user_id=w.id, threshold_cents=5_00, now=NOW)
    credit(w.id, 3_00, "a")
    assert maybe_auto_withdraw(user_id=w.id, now=NOW) is None  # below the threshold
    credit(w.id, 2_50, "b")
    payout = maybe_auto_withdraw(user_id=w.id, now=NOW)
    assert payout is not None and payout.amount_cents == 5_50
    assert maybe_auto_withdraw(user_id=w.id, now=NOW) is None  # balance now 0
    assert Payout.select().count() == 1
    assert events("payout.requested") == [{"payout_id": payout.id, "amount_cents": 5_50}]
    check_invariants()


def test_callers_racing_on_one_balance_make_one_payout(database):
    """The credit hook and the clock can both look at one balance at once."""
    import threading

    from core.db import db

    w = worker_with(6_00)
    set_auto_withdraw(user_id=w.id, threshold_cents=5_00, now=NOW)
    made = []

    def run() -> None:
        try:
            made.append(maybe_auto_withdraw(user_id=w.id, now=NOW))
        finally:
            db.close()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len([p for p in made if p is not None]) == 1
    assert Payout.select().count() == 1 and Payout.get().amount_cents == 6_00
    check_invariants()


def test_money_coming_back_after_a_failed_payout_is_withdrawn_again(database):
    w = worker_with(6_00)
    set_auto_withdraw(user_id=w.id, threshold_cents=5_00, now=NOW)
    first = maybe_auto_withdraw(user_id=w.id, now=NOW)
    accounts.fail_payout(payout_id=first.id, now=NOW, reason="bank down")
    again = maybe_auto_withdraw(user_id=w.id, now=NOW)
    assert again is not None and again.id != first.id and again.amount_cents == 6_00
    check_invariants()


def test_no_order_no_payout(database):
    w = worker_with(50_00)
    assert maybe_auto_withdraw(user_id=w.id, now=NOW) is None
    assert Payout.select().count() == 0


def test_clock_sweep_finds_every_worker_due_and_only_them(database):
    due = [worker_with(10_00) for _ in range(3)]
    below = worker_with(2_00)
    no_order = worker_with(10_00)
    for w in due:
        set_auto_withdraw(user_id=w.id, threshold_cents=10_00, now=NOW)
    set_auto_withdraw(user_id=below.id, threshold_cents=5_00, now=NOW)
    result = auto_withdraw_sweep(now=NOW, limit=2)  # bounded: two per run
    assert result.checked == 2 and len(result.payout_ids) == 2
    result = auto_withdraw_sweep(now=NOW + timedelta(minutes=1))
    assert len(result.payout_ids) == 1
    assert auto_withdraw_sweep(now=NOW + timedelta(minutes=2)).payout_ids == []
    owners = {p.worker_id for p in Payout.select()}
    assert owners == {w.id for w in due}
    assert below.id not in owners and no_order.id not in owners
    check_invariants()


@pytest.fixture
def batch_of_two(monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("HITBOT_SWEEP_BATCH", "2")
    get_settings.cache_clear()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_workers_due_but_unpayable_do_not_starve_the_rest_of_the_clock_sweep(database, batch_of_two):
    """More due workers holding only top-ups (never withdrawn) than one run checks: later runs
    must go on past them, or the earner after them is never paid."""
    from jobs.clock import default_sweeps

    prepaid_only = [factories.user(f"Topper{i}") for i in range(3)]
    for i, w in enumerate(prepaid_only):
        accounts.topup(user_id=w.id, amount_cents=20_00, charge_id=f"charge-{i}", now=NOW)
        set_auto_withdraw(user_id=w.id, threshold_cents=5_00, now=NOW)
    earner = worker_with(7_00)
    assert earner.id > max(w.id for w in prepaid_only)  # last in the sweep's order
    set_auto_withdraw(user_id=earner.id, threshold_cents=5_00, now=NOW)
    sweep = {s.name: s for s in default_sweeps(batch_of_two, None)}["auto_withdraw"]
    made = [sweep.run(NOW + timedelta(minutes=i)) for i in range(3)]
    assert [(p.worker_id, p.amount_cents) for p in Payout.select()] == [(earner.id, 7_00)]
    assert sum(made) == 1
    # a full round later it starts again from the beginning and still pays nobody twice
    assert [sweep.run(NOW + timedelta(minutes=3 + i)) for i in range(3)] == [0, 0, 0]
    assert Payout.select().count() == 1
    check_invariants()


def test_money_arriving_queues_the_check_that_withdraws(database):
    from dramatiq import Message

    from core.models import OutboxEvent
    from jobs import relay
    from jobs.payouts.actor import check_auto_withdraw, process_payout
    from tests.jobs.payout_helpers import stub_broker

    broker = stub_broker(process_payout, check_auto_withdraw)
    w = worker_with(0)
    factories.user("Admin", user_id=ADMIN_ID)
    set_auto_withdraw(user_id=w.id, threshold_cents=5_00, now=NOW)
    credit(w.id, 6_00, "paid-work")
    event = OutboxEvent.get((OutboxEvent.kind == "balance.credited") & (OutboxEvent.user_id == w.id))
    # the route table sends money-moving events to the check, beside their notice
    assert all(relay._check_auto_withdraw in relay.routes_for(kind) for kind in
               ("assignment.approved", "bonus.paid", "balance.credited", "appeal.decided"))
    relay._check_auto_withdraw(event)  # what the relay does right after the commit
    rejected_appeal = OutboxEvent(kind="appeal.decided", user_id=w.id, payload={"approved": False})
    relay._check_auto_withdraw(rejected_appeal)  # no money moved: no check
    queue = broker.queues["payouts"]
    sent = [Message.decode(queue.get_nowait()) for _ in range(queue.qsize())]
    assert [(m.actor_name, m.args) for m in sent] == [("check_auto_withdraw", (w.id,))]
    check_auto_withdraw.fn(*sent[0].args)
    assert [p.amount_cents for p in Payout.select()] == [6_00]
    check_invariants()
