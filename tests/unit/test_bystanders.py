"""Calls that change one person's rows leave everyone else's alone (issue 23).

Each test has bystanders in the database (tests/bystanders.py): another requester, her HIT,
workers with approved, submitted and half-done work, answers, balances and auto-withdraw
orders. A query that lost its WHERE (or read the wrong user's row) shows up here."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.models import Answer, Assignment, AssignmentStatus as S, Entry, Payout, Question, User
from core.payments import accounts, payouts
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.bystanders import BEA_THRESHOLD, BO_THRESHOLD, Bystanders
from tests.conftest import ADMIN_ID

pytestmark = pytest.mark.usefixtures("database")


def _answer(assignment, worker_id, now, animal="dog", notes=None):
    for q in Question.select().where(Question.hit == assignment.hit_id).order_by(Question.position):
        if q.key == "animal":
            work.save_answer(worker_id=worker_id, assignment_id=assignment.id, question_id=q.id, value=animal, now=now)
        elif q.key == "notes" and notes:
            work.save_answer(worker_id=worker_id, assignment_id=assignment.id, question_id=q.id, value=notes, now=now)


def _answers(assignment_id: int) -> list:
    return sorted((a.question.key, a.value) for a in Answer.select().where(Answer.assignment == assignment_id))


def test_the_bystanders_are_what_they_claim(bystanders: Bystanders):
    b = bystanders
    assert f.available(b.requester.id) == 100_00 - 4 * 60  # 4 slots of 50 + 10 fee
    assert f.available(b.bo.id) == 50
    assert [a.status for a in Assignment.select().where(Assignment.hit == b.hit.id).order_by(Assignment.id)] == [
        S.APPROVED, S.SUBMITTED, S.ACCEPTED, S.RETURNED]
    assert Answer.select().join(Assignment).where(Assignment.hit == b.hit.id).count() == 6
    assert b.hit.available == 1  # Ray's slot came back
    assert payouts.auto_withdraw_threshold(user_id=b.bo.id) == BO_THRESHOLD
    assert payouts.auto_withdraw_threshold(user_id=b.requester.id) == BEA_THRESHOLD
    assert (User.get_by_id(b.bo.id).approved_n, User.get_by_id(b.requester.id).reviews_n) == (1, 1)


def test_taking_back_a_returned_hit_clears_only_that_workers_answers(bystanders: Bystanders, now):
    r, w = f.requester(), f.user("Wanda")
    h = f.hit(r.id, assignments=3)
    joe, joes = bystanders.join(h.id)
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    _answer(a, w.id, now, animal="dog", notes="a big one")
    work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=1))
    before = bystanders.snapshot()

    again = work.accept(worker_id=w.id, hit_id=h.id, now=now + timedelta(minutes=2))

    assert again.id == a.id  # the same row, taken back
    assert (again.status, again.current_q, again.decided_at) == (S.ACCEPTED, 0, None)
    assert again.accepted_at == now + timedelta(minutes=2)
    assert again.deadline == now + timedelta(minutes=12)  # a fresh 10 minutes
    assert _answers(a.id) == []  # a clean form for Wanda
    assert _answers(joes.id) == [("animal", "cat")]  # Joe's half-done work on the same HIT is kept
    assert Assignment.get_by_id(joes.id).status == S.ACCEPTED
    bystanders.assert_untouched(before)


def test_turning_auto_withdraw_off_ends_only_that_users_order(bystanders: Bystanders, now):
    w = f.user("Wanda")
    payouts.set_auto_withdraw(user_id=w.id, threshold_cents=3_00, now=now)
    before = bystanders.snapshot()

    assert payouts.set_auto_withdraw(user_id=w.id, threshold_cents=0, now=now) is None

    assert payouts.auto_withdraw_threshold(user_id=w.id) is None
    assert payouts.auto_withdraw_threshold(user_id=bystanders.bo.id) == 5_00
    bystanders.assert_untouched(before)


def test_changing_a_threshold_changes_only_that_users_order(bystanders: Bystanders, now):
    w = f.user("Wanda")
    before = bystanders.snapshot()
    order = payouts.set_auto_withdraw(user_id=w.id, threshold_cents=3_00, now=now)
    assert (order.user_id, order.threshold_cents) == (w.id, 3_00)
    order = payouts.set_auto_withdraw(user_id=w.id, threshold_cents=7_50, now=now + timedelta(hours=1))
    assert (order.user_id, order.threshold_cents, order.updated_at) == (w.id, 7_50, now + timedelta(hours=1))
    assert payouts.auto_withdraw_threshold(user_id=w.id) == 7_50
    bystanders.assert_untouched(before)


def test_a_threshold_is_read_from_the_users_own_order(bystanders: Bystanders, now):
    w, other = f.user("Wanda"), f.user("Otto")
    payouts.set_auto_withdraw(user_id=w.id, threshold_cents=3_00, now=now)
    assert payouts.auto_withdraw_threshold(user_id=w.id) == 3_00
    assert payouts.auto_withdraw_threshold(user_id=bystanders.bo.id) == 5_00
    assert payouts.auto_withdraw_threshold(user_id=bystanders.bee.id) is None  # no order of her own
    assert payouts.auto_withdraw_threshold(user_id=other.id) is None


def test_someone_elses_low_threshold_does_not_withdraw_my_money(bystanders: Bystanders, now):
    w = f.user("Wanda")
    accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=6_00, reason="test", now=now, key="w6")
    before = bystanders.snapshot()

    # Bo's order is at $5.00; Wanda has $6.00 and no order: nothing happens to her money.
    assert payouts.maybe_auto_withdraw(user_id=w.id, now=now) is None
    # Her own order above her balance: still nothing.
    payouts.set_auto_withdraw(user_id=w.id, threshold_cents=6_01, now=now)
    assert payouts.maybe_auto_withdraw(user_id=w.id, now=now) is None
    assert f.available(w.id) == 6_00
    assert Payout.select().count() == 0

    # Reached: all of it, for her alone.
    payouts.set_auto_withdraw(user_id=w.id, threshold_cents=6_00, now=now)
    payout = payouts.maybe_auto_withdraw(user_id=w.id, now=now)
    assert (payout.worker_id, payout.amount_cents) == (w.id, 6_00)
    assert f.available(w.id) == 0
    bystanders.assert_untouched(before)


def test_the_sweep_withdraws_only_for_orders_that_were_reached(bystanders: Bystanders, now):
    w, below = f.user("Wanda"), f.user("Vic")
    for who, cents in ((w, 2_50), (below, 1_99)):
        accounts.credit(admin_id=ADMIN_ID, user_id=who.id, amount_cents=cents, reason="test", now=now,
                        key=f"c{who.id}")
        payouts.set_auto_withdraw(user_id=who.id, threshold_cents=2_00, now=now)
    before = bystanders.snapshot()

    result = payouts.auto_withdraw_sweep(now=now)

    assert result.checked == 1
    assert [(p.worker_id, p.amount_cents) for p in Payout.select()] == [(w.id, 2_50)]
    assert result.payout_ids == [Payout.get().id]
    assert (f.available(w.id), f.available(below.id)) == (0, 1_99)
    bystanders.assert_untouched(before)


def _submitted(r, now, *, workers=1):
    return f.submitted(r.id, workers, now)


def test_approving_counts_for_that_worker_and_requester_only(bystanders: Bystanders, now):
    r = f.requester()
    (a,) = _submitted(r, now)
    before = bystanders.snapshot()

    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(minutes=31))

    w, req = User.get_by_id(a.worker_id), User.get_by_id(r.id)
    assert (w.approved_n, w.rejected_n, w.submitted_n) == (1, 0, 1)
    assert (req.reviews_n, req.review_s_total) == (1, 30 * 60)  # submitted at +1 min, decided at +31
    assert f.available(a.worker_id) == 50
    bystanders.assert_untouched(before)


def test_rejecting_counts_for_that_worker_and_requester_only(bystanders: Bystanders, now):
    r = f.requester()
    (a,) = _submitted(r, now)
    before = bystanders.snapshot()

    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now + timedelta(minutes=11))

    w, req = User.get_by_id(a.worker_id), User.get_by_id(r.id)
    assert (w.approved_n, w.rejected_n) == (0, 1)
    assert (req.reviews_n, req.review_s_total) == (1, 10 * 60)
    assert f.available(a.worker_id) == 0
    bystanders.assert_untouched(before)


def test_reversing_a_rejection_moves_that_workers_counters_only(bystanders: Bystanders, now):
    r = f.requester()
    (a,) = _submitted(r, now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now + timedelta(minutes=11))
    before = bystanders.snapshot()

    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=2))

    w, req = User.get_by_id(a.worker_id), User.get_by_id(r.id)
    assert (w.approved_n, w.rejected_n) == (1, 0)
    assert (req.reviews_n, req.review_s_total) == (1, 10 * 60)  # a reversal is not a second review
    assert f.available(a.worker_id) == 50
    bystanders.assert_untouched(before)


def test_a_bonus_pays_that_worker_only(bystanders: Bystanders, now):
    r = f.requester(10_00)
    (a,) = _submitted(r, now)
    before = bystanders.snapshot()
    start = f.available(r.id)

    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=1_00, reason="Great", now=now, key="b1")

    assert f.available(a.worker_id) == 1_00
    assert f.available(r.id) == start - 1_20  # $1.00 and the 20 % fee
    bystanders.assert_untouched(before)


# ------------------------------------------------------------------ payout upkeep
# The auto-withdraw sweep's bounds and order, the key that makes one payout per balance, and
# which payouts count as stuck (core.payments.payouts). Literal cases.

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


def test_a_payout_processing_exactly_as_long_as_the_limit_counts_as_stuck(admin, now):
    w = f.user()
    _credit(w.id, 5_00, now, "w")
    p = accounts.withdraw(worker_id=w.id, now=now, key="p", amount_cents=1_00)
    accounts.start_payout(payout_id=p.id, now=now)
    assert payouts.stuck_payouts(now=now + timedelta(minutes=15), requested_s=60, processing_s=15 * 60,
                                 limit=10) == [p.id]
    assert payouts.stuck_payouts(now=now + timedelta(minutes=15) - timedelta(seconds=1), requested_s=60,
                                 processing_s=15 * 60, limit=10) == []
