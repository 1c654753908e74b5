"""Payout upkeep (core.services.payouts): the auto-withdraw sweep's bounds and order, the key
that makes one payout per balance, and which payouts count as stuck. Literal cases."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.models import Entry, Payout
from core.services import accounts, payouts
from tests import factories as f
from tests.conftest import ADMIN_ID

pytestmark = pytest.mark.usefixtures("database")


def _credit(user_id: int, cents: int, now, key: str) -> None:
    accounts.credit(admin_id=ADMIN_ID, user_id=user_id, amount_cents=cents, reason="test", now=now, key=key)


@pytest.fixture
def admin(now):
    return f.user("Admin", user_id=ADMIN_ID)


def test_an_auto_withdrawal_is_keyed_by_the_balances_latest_movement(admin, now):
    w, other = f.user(), f.user()
    payouts.set_auto_withdraw(user_id=w.id, threshold_cents=1_00, now=now)
    _credit(w.id, 1_50, now, "w1")
    latest = Entry.select().where(Entry.account == ledger.available(w.id).id).order_by(Entry.id.desc()).get()
    _credit(other.id, 5_00, now, "o1")  # a later movement of someone else's money
    payout = payouts.maybe_auto_withdraw(user_id=w.id, now=now)
    assert payout.key == f"payout:auto:{w.id}:{latest.id}"
    assert payout.amount_cents == 1_50


def test_the_sweep_takes_a_balance_that_exactly_reaches_the_threshold(admin, now):
    w = f.user()
    _credit(w.id, 2_00, now, "w")
    payouts.set_auto_withdraw(user_id=w.id, threshold_cents=2_00, now=now)
    result = payouts.auto_withdraw_sweep(now=now)
    assert result.checked == 1
    assert [p.amount_cents for p in Payout.select()] == [2_00]


def test_the_sweep_is_bounded_and_goes_in_user_order(admin, now):
    # Registered in the opposite order of their ids, so their accounts are too.
    late, early = f.user(user_id=9_002), f.user(user_id=9_001)
    for w in (late, early):
        _credit(w.id, 3_00, now, f"c{w.id}")
        payouts.set_auto_withdraw(user_id=w.id, threshold_cents=1_00, now=now)

    first = payouts.auto_withdraw_sweep(now=now, limit=1)
    assert first.checked == 1
    assert [p.worker_id for p in Payout.select()] == [9_001]
    second = payouts.auto_withdraw_sweep(now=now, limit=1)
    assert second.checked == 1
    assert [p.worker_id for p in Payout.select().order_by(Payout.id)] == [9_001, 9_002]
    assert payouts.auto_withdraw_sweep(now=now).checked == 0


def test_the_sweep_without_a_limit_uses_the_configured_batch(admin, now, monkeypatch):
    from core.config import get_settings

    people = [f.user() for _ in range(3)]
    for w in people:
        _credit(w.id, 1_00, now, f"c{w.id}")
        payouts.set_auto_withdraw(user_id=w.id, threshold_cents=1_00, now=now)
    monkeypatch.setenv("HITBOT_SWEEP_BATCH", "2")
    get_settings.cache_clear()
    try:
        assert payouts.auto_withdraw_sweep(now=now).checked == 2
        assert payouts.auto_withdraw_sweep(now=now, limit=5).checked == 1
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_stuck_payouts_are_the_quiet_open_ones_oldest_first(admin, now):
    w = f.user()
    _credit(w.id, 50_00, now, "w")
    t0 = now

    def payout(key: str, minutes_ago: int):
        return accounts.withdraw(worker_id=w.id, now=t0 - timedelta(minutes=minutes_ago), key=key, amount_cents=1_00)

    fresh = payout("fresh", 1)  # requested a minute ago: its job is on the way
    lost = payout("lost", 10)  # requested 10 min ago, never started
    edge = payout("edge", 5)  # exactly at the 5-minute mark
    working = payout("working", 60)
    accounts.start_payout(payout_id=working.id, now=t0 - timedelta(minutes=20))  # processing for 20 min
    busy = payout("busy", 60)
    accounts.start_payout(payout_id=busy.id, now=t0 - timedelta(minutes=2))  # processing, recent news
    paid = payout("paid", 90)
    accounts.settle_payout(payout_id=paid.id, now=t0 - timedelta(minutes=80), provider_ref="ok")
    failed = payout("failed", 90)
    accounts.fail_payout(payout_id=failed.id, now=t0 - timedelta(minutes=85), reason="no")

    found = payouts.stuck_payouts(now=t0, requested_s=5 * 60, processing_s=15 * 60, limit=10)

    assert found == [working.id, lost.id, edge.id]  # by last change: -20, -10, -5 min
    assert fresh.id not in found and busy.id not in found
    assert payouts.stuck_payouts(now=t0, requested_s=5 * 60, processing_s=15 * 60, limit=2) == [working.id, lost.id]
    assert payouts.stuck_payouts(now=t0, requested_s=30 * 60, processing_s=30 * 60, limit=10) == []


def test_stuck_payouts_changed_at_the_same_moment_go_in_id_order(admin, now):
    w = f.user()
    _credit(w.id, 10_00, now, "w")
    ids = [accounts.withdraw(worker_id=w.id, now=now, key=f"k{i}", amount_cents=1_00).id for i in range(3)]
    assert payouts.stuck_payouts(now=now + timedelta(hours=1), requested_s=60, processing_s=60, limit=10) == ids
