"""The HIT life cycle through core services, with the money it moves."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger, sweeps
from core.errors import (
    AlreadyAccepted,
    DeadlinePassed,
    HitUnavailable,
    IncompleteAnswers,
    InsufficientFunds,
    NotAllowed,
    StaleAction,
    ValidationFailed,
)
from core.hits import manage
from core.models import Assignment, Hit, OutboxEvent, Question
from core.payments import accounts
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("database")


def answer_all(assignment, worker_id, now):
    for q in Question.select().where(Question.hit == assignment.hit_id).order_by(Question.position):
        if q.kind == "choice":
            work.save_answer(worker_id=worker_id, assignment_id=assignment.id, question_id=q.id, value="dog", now=now)


def submitted(now, cents: int | None = None, **hit):
    """A requester's one-slot HIT, accepted, answered and submitted by a worker: (r, w, a)."""
    r, w = (f.requester(cents) if cents is not None else f.requester()), f.user()
    hit = f.hit(r.id, **{"assignments": 1, **hit})
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    answer_all(a, w.id, now)
    work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    return r, w, a


def test_publish_moves_rewards_and_fees_into_escrow(now):
    r = f.requester(10_00)
    hit = f.hit(r.id, reward="0.50", assignments=3)
    # 3 x (50 + 20% fee = 10) = 180 cents.
    assert hit.fee_cents == 10
    assert ledger.balance(ledger.available(r.id)) == 10_00 - 180
    assert ledger.balance(ledger.escrow(hit.id)) == 180
    assert OutboxEvent.select().where(OutboxEvent.kind == "hits.published").count() == 1
    check_invariants()


def test_publish_refuses_short_balance_and_says_how_much_is_missing(now):
    r = f.requester(1_00)
    with pytest.raises(InsufficientFunds, match=r"\$0\.80 missing"):
        f.hit(r.id, reward="0.50", assignments=3)
    assert Hit.select().count() == 0
    assert ledger.balance(ledger.available(r.id)) == 1_00
    check_invariants()


def test_full_cycle_pays_worker_and_platform(now):
    r = f.requester()
    w = f.user("Wanda")
    hit = f.hit(r.id, reward="0.50", assignments=1)
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    assert a.deadline == now + timedelta(minutes=10)
    assert Hit.get_by_id(hit.id).available == 0
    answer_all(a, w.id, now)
    work.submit(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=2))
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=1))
    assert ledger.balance(ledger.available(w.id)) == 50
    assert ledger.balance(ledger.fees()) == 10
    assert ledger.balance(ledger.escrow(hit.id)) == 0
    kinds = [e.kind for e in OutboxEvent.select().order_by(OutboxEvent.id)]
    assert "submission.received" in kinds and "assignment.approved" in kinds and "hit.completed" in kinds
    b = accounts.balances(user_id=w.id)
    assert (b.available_cents, b.earned_cents) == (50, 50)
    check_invariants()


def test_approve_twice_pays_once(now):
    r, w, a = submitted(now)
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    with pytest.raises(StaleAction):
        review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    assert ledger.balance(ledger.available(w.id)) == 50
    check_invariants()


def test_reject_needs_reason_refunds_and_can_be_reversed_within_30_days(now):
    r, w, a = submitted(now, cents=10_00)
    with pytest.raises(ValidationFailed, match="reason"):
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="  ", now=now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now)
    assert ledger.balance(ledger.available(r.id)) == 10_00
    assert Assignment.get_by_id(a.id).feedback == "Wrong animal"
    with pytest.raises(StaleAction):
        review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=31))
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=29))
    assert ledger.balance(ledger.available(w.id)) == 50
    assert ledger.balance(ledger.available(r.id)) == 10_00 - 60
    check_invariants()


def test_someone_elses_assignment_is_not_allowed_and_changes_nothing(now):
    r, other, w = f.requester(), f.requester(), f.user()
    hit = f.hit(r.id, assignments=1)
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    with pytest.raises(NotAllowed):
        work.submit(worker_id=other.id, assignment_id=a.id, now=now)
    answer_all(a, w.id, now)
    work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    with pytest.raises(NotAllowed):
        review.approve(requester_id=other.id, assignment_id=a.id, now=now)
    with pytest.raises(NotAllowed):
        manage.close_hit(requester_id=other.id, hit_id=hit.id, now=now)
    assert Assignment.get_by_id(a.id).status == "submitted"
    check_invariants()


def test_accept_rules(now):
    r, w1, w2 = f.requester(), f.user(), f.user()
    hit = f.hit(r.id, assignments=1)
    with pytest.raises(NotAllowed):
        work.accept(worker_id=r.id, hit_id=hit.id, now=now)
    work.accept(worker_id=w1.id, hit_id=hit.id, now=now)
    with pytest.raises(AlreadyAccepted):
        work.accept(worker_id=w1.id, hit_id=hit.id, now=now)
    with pytest.raises(HitUnavailable):
        work.accept(worker_id=w2.id, hit_id=hit.id, now=now)
    check_invariants()


def test_return_frees_the_slot_and_can_be_taken_back(now):
    r, w1, w2 = f.requester(), f.user(), f.user()
    hit = f.hit(r.id, assignments=1)
    a = work.accept(worker_id=w1.id, hit_id=hit.id, now=now)
    work.return_assignment(worker_id=w1.id, assignment_id=a.id, now=now)
    assert Hit.get_by_id(hit.id).available == 1
    again = work.accept(worker_id=w1.id, hit_id=hit.id, now=now)
    assert again.id == a.id and again.status == "accepted"
    with pytest.raises(HitUnavailable):
        work.accept(worker_id=w2.id, hit_id=hit.id, now=now)
    check_invariants()


def test_submit_needs_required_answers_and_the_deadline(now):
    r, w = f.requester(), f.user()
    hit = f.hit(r.id)
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    with pytest.raises(IncompleteAnswers, match="question 1"):
        work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    answer_all(a, w.id, now)
    with pytest.raises(DeadlinePassed):
        work.submit(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=11))
    check_invariants()


def test_bonus_from_balance_with_fee_and_key(now):
    r, w, a = submitted(now, cents=10_00)
    with pytest.raises(ValidationFailed):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=100, reason="", now=now, key="b1")
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=100, reason="Great work", now=now, key="b1")
    with pytest.raises(StaleAction):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=100, reason="Great work", now=now, key="b1")
    assert ledger.balance(ledger.available(w.id)) == 100
    assert ledger.balance(ledger.available(r.id)) == 10_00 - 60 - 120
    check_invariants()


def test_sweeps_expire_auto_approve_and_close(now):
    r, w1, w2 = f.requester(), f.user(), f.user()
    hit = f.hit(r.id, assignments=3, lifetime="1h", auto_approve="1d")
    a1 = work.accept(worker_id=w1.id, hit_id=hit.id, now=now)
    a2 = work.accept(worker_id=w2.id, hit_id=hit.id, now=now)
    answer_all(a2, w2.id, now)
    work.submit(worker_id=w2.id, assignment_id=a2.id, now=now)
    assert sweeps.remind(now=now + timedelta(minutes=8, seconds=30)) == 1
    assert sweeps.remind(now=now + timedelta(minutes=9)) == 0
    later = now + timedelta(minutes=11)
    assert sweeps.expire_assignments(now=later) == 1
    assert sweeps.expire_assignments(now=later) == 0
    assert Assignment.get_by_id(a1.id).status == "expired"
    assert sweeps.expire_hits(now=now + timedelta(hours=2)) == 1
    # Two unheld slots refunded; the submitted one stays in escrow until reviewed.
    assert ledger.balance(ledger.escrow(hit.id)) == 60
    assert sweeps.auto_approve(now=now + timedelta(days=1, minutes=1)) == 1
    assert sweeps.auto_approve(now=now + timedelta(days=2)) == 0
    assert Assignment.get_by_id(a2.id).auto_approved
    assert ledger.balance(ledger.escrow(hit.id)) == 0
    check_invariants()


def test_expire_early_refunds_unused_and_late_return_refunds_too(now):
    r, w = f.requester(10_00), f.user()
    hit = f.hit(r.id, assignments=3)
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    assert manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now) == 120
    assert manage.close_hit(requester_id=r.id, hit_id=hit.id, now=now) is None
    work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now)
    assert ledger.balance(ledger.available(r.id)) == 10_00
    check_invariants()


def test_add_assignments_and_extend(now):
    r, w = f.requester(10_00), f.user()
    hit = f.hit(r.id, assignments=1, lifetime="1h")
    manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=2, now=now, key="k1")
    with pytest.raises(StaleAction):
        manage.add_assignments(requester_id=r.id, hit_id=hit.id, count=2, now=now, key="k1")
    h = manage.extend_hit(requester_id=r.id, hit_id=hit.id, extra_s=3600, now=now)
    assert (h.max_assignments, h.available) == (3, 3)
    assert h.expires_at == now + timedelta(hours=2)
    check_invariants()


def test_withdraw_and_payout_settlement(now):
    r, w, a = submitted(now, cents=10_00, reward="2.00")
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    p = accounts.withdraw(worker_id=w.id, now=now, key="w1")
    with pytest.raises(StaleAction):
        accounts.withdraw(worker_id=w.id, now=now, key="w1")
    assert accounts.balances(user_id=w.id).payout_pending_cents == 200
    assert accounts.start_payout(payout_id=p.id, now=now) is not None
    assert accounts.settle_payout(payout_id=p.id, now=now, provider_ref="x") is True
    assert accounts.settle_payout(payout_id=p.id, now=now, provider_ref="x") is False
    assert accounts.fail_payout(payout_id=p.id, now=now, reason="late") is False
    b = accounts.balances(user_id=w.id)
    assert (b.available_cents, b.payout_pending_cents, b.paid_out_cents) == (0, 0, 200)
    check_invariants()


def test_failed_payout_returns_money(now):
    r, w = f.requester(10_00), f.user()
    accounts.credit(admin_id=f.ADMIN_ID, user_id=w.id, amount_cents=500, reason="seed", now=now, key="c9")
    p = accounts.withdraw(worker_id=w.id, now=now, key="w2", amount_cents=300)
    assert accounts.fail_payout(payout_id=p.id, now=now, reason="bank said no") is True
    assert accounts.balances(user_id=w.id).available_cents == 500
    check_invariants()
