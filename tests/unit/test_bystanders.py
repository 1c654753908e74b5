"""Calls that change one person's rows leave everyone else's alone (issue 23).

Each test has bystanders in the database (tests/bystanders.py): another requester, her HIT,
workers with approved, submitted and half-done work, answers, balances and auto-withdraw
orders. A query that lost its WHERE (or read the wrong user's row) shows up here."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Answer, Assignment, AssignmentStatus as S, Payout, Question, User
from core.services import accounts, payouts, review, work
from tests import factories as f
from tests.bystanders import BEA_THRESHOLD, BO_THRESHOLD, Bystanders, bystanders  # noqa: F401 (a fixture)
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
    assert f.available(b.requester.id) == 100_00 - 3 * 60  # 3 slots of 50 + 10 fee
    assert f.available(b.bo.id) == 50
    assert [a.status for a in Assignment.select().where(Assignment.hit == b.hit.id).order_by(Assignment.id)] == [
        S.APPROVED, S.SUBMITTED, S.ACCEPTED]
    assert Answer.select().join(Assignment).where(Assignment.hit == b.hit.id).count() == 5
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
