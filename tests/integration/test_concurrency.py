"""Races settled by the database, on SQLite (a file) and PostgreSQL (TEST_DATABASE_URL):
many threads with their own connections, and spawned processes opening the same database.

After every race the money and capacity invariants hold (ledger sums to zero, no
negative balance, escrow equals unpaid work, never more holders than slots)."""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest

from core import ledger
from core.hits import manage, publishing
from core.models import Assignment, AssignmentStatus as S, Bonus, Hit, LedgerTxn, Payout, Question, User
from core.payments import accounts
from core.review import commands as review, quality, queries as review_queries
from core.work import commands as work
from tests import factories as f
from tests.conftest import ADMIN_ID
from tests.invariants import check_invariants

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]

REWARD = 50  # cents; with the 20% fee a slot costs 60



def test_200_workers_racing_for_10_slots_get_exactly_10(race, now):
    r = f.requester()
    hit = f.hit(r.id, reward="0.50", assignments=10)
    workers = [f.user() for _ in range(200)]

    outcomes = race([(work.accept, {"worker_id": w.id, "hit_id": hit.id, "now": now}) for w in workers])

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"ok": 10, "HitUnavailable": 190}
    assert all("filled up" in message for kind, message in outcomes if kind != "ok")
    accepted = {a.worker_id for a in Assignment.select()}
    assert accepted == {w.id for w, (kind, _) in zip(workers, outcomes) if kind == "ok"}
    assert Assignment.select().where(Assignment.status == S.ACCEPTED).count() == 10
    assert Hit.get_by_id(hit.id).available == 0
    assert ledger.balance(ledger.escrow(hit.id)) == 10 * 60  # nothing refunded or paid by the race
    check_invariants()


def test_one_worker_pressing_accept_50_times_at_once_holds_one_slot(race, now):
    r, w = f.requester(), f.user()
    hit = f.hit(r.id, reward="0.50", assignments=10)

    outcomes = race([(work.accept, {"worker_id": w.id, "hit_id": hit.id, "now": now})] * 50)

    assert Counter(kind for kind, _ in outcomes) == {"ok": 1, "AlreadyAccepted": 49}
    assert Assignment.select().count() == 1
    assert Hit.get_by_id(hit.id).available == 9
    check_invariants()


def test_50_concurrent_approvals_of_one_submission_pay_once(race, now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    before = f.available(r.id)

    outcomes = race([(review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": now})] * 50)

    assert Counter(kind for kind, _ in outcomes) == {"ok": 1, "StaleAction": 49}
    assert f.available(a.worker_id) == REWARD
    assert ledger.balance(ledger.fees()) == 10
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == 1
    assert Assignment.get_by_id(a.id).status == S.APPROVED
    assert f.available(r.id) == before  # paid from escrow, not twice from anywhere
    check_invariants()


def test_approve_all_racing_single_approvals_and_the_sweep_pays_each_submission_once(race, now):
    r = f.requester()
    subs = f.submitted(r.id, 10, now, auto_approve="1h")
    hit_id = subs[0].hit_id
    calls = [(review_queries.approve_all, {"requester_id": r.id, "hit_id": hit_id, "up_to_id": subs[-1].id,
                                         "now": now})] * 3
    for a in subs:
        calls += [(review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": now})] * 3
        calls.append((review.approve, {"requester_id": None, "assignment_id": a.id, "now": now + timedelta(days=1)}))
    random.Random(7).shuffle(calls)

    outcomes = race(calls)

    assert {kind for kind, _ in outcomes} <= {"ok", "StaleAction"}
    assert all(f.available(a.worker_id) == REWARD for a in subs)
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == 10
    assert Assignment.select().where(Assignment.status == S.APPROVED).count() == 10
    assert ledger.balance(ledger.escrow(hit_id)) == 0
    assert ledger.balance(ledger.fees()) == 10 * 10
    check_invariants()


def test_approve_racing_reject_decides_once_and_moves_the_money_once(race, now):
    r = f.requester()
    subs = f.submitted(r.id, 6, now)
    before = f.available(r.id)
    calls = []
    for a in subs:
        calls += [(review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": now})] * 4
        calls += [(review.reject, {"requester_id": r.id, "assignment_id": a.id, "feedback": "Wrong animal",
                                   "now": now})] * 4
    random.Random(11).shuffle(calls)

    race(calls)

    approved = [a for a in subs if Assignment.get_by_id(a.id).status == S.APPROVED]
    rejected = [a for a in subs if Assignment.get_by_id(a.id).status == S.REJECTED]
    assert len(approved) + len(rejected) == 6
    assert all(f.available(a.worker_id) == REWARD for a in approved)
    assert all(f.available(a.worker_id) == 0 for a in rejected)
    assert f.available(r.id) == before + 60 * len(rejected)  # each rejection refunds its slot once
    assert ledger.balance(ledger.escrow(subs[0].hit_id)) == 0
    check_invariants()


def test_concurrent_withdrawals_and_credits_never_overdraw(race, now):
    f.user("Admin", user_id=ADMIN_ID)
    w = f.user()
    accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=10_00, reason="start", now=now, key="start")
    rng = random.Random(3)
    withdrawals = [(accounts.withdraw, {"worker_id": w.id, "now": now, "key": f"w{i}",
                                        "amount_cents": None if i % 8 == 0 else rng.randint(100, 300)})
                   for i in range(40)]
    credits = [(accounts.credit, {"admin_id": ADMIN_ID, "user_id": w.id, "amount_cents": 50, "reason": "race",
                                  "now": now, "key": f"c{i}"}) for i in range(20)]
    calls = withdrawals + credits
    rng.shuffle(calls)

    outcomes = race(calls)

    refused = [(kind, msg) for (fn, _), (kind, msg) in zip(calls, outcomes) if fn is accounts.withdraw and kind != "ok"]
    # Refusals are the friendly balance errors, never a crash or a lock timeout.
    assert {kind for kind, _ in refused} <= {"InsufficientFunds", "ValidationFailed", "PayoutTooSmall"}
    assert refused, "40 withdrawals of up to $3 from $20 at most: some must be refused"
    assert all(kind == "ok" for (fn, _), (kind, _) in zip(calls, outcomes) if fn is accounts.credit)
    paid_out = sum(p.amount_cents for p in Payout.select())
    ok_withdrawals = sum(1 for (fn, _), (kind, _) in zip(calls, outcomes) if fn is accounts.withdraw and kind == "ok")
    assert Payout.select().count() == ok_withdrawals
    assert f.available(w.id) >= 0
    assert f.available(w.id) + paid_out == 10_00 + 20 * 50
    assert ledger.balance(ledger.payout_pending(w.id)) == paid_out
    check_invariants()


def test_racing_bonuses_with_one_key_pay_one_bonus(race, now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    before = f.available(r.id)
    same = [(review.bonus, {"requester_id": r.id, "assignment_id": a.id, "amount_cents": 50,
                            "reason": "Great work", "now": now, "key": "thanks"})] * 30
    distinct = [(review.bonus, {"requester_id": r.id, "assignment_id": a.id, "amount_cents": 50,
                                "reason": "Great work", "now": now, "key": f"extra{i}"}) for i in range(5)]
    calls = same + distinct
    random.Random(5).shuffle(calls)

    outcomes = race(calls)

    same_kinds = Counter(kind for (_, kw), (kind, _) in zip(calls, outcomes) if kw["key"] == "thanks")
    assert same_kinds == {"ok": 1, "StaleAction": 29}
    assert all(kind == "ok" for (_, kw), (kind, _) in zip(calls, outcomes) if kw["key"] != "thanks")
    assert Bonus.select().count() == 6
    assert f.available(a.worker_id) == 6 * 50
    assert f.available(r.id) == before - 6 * 60  # 50 + 20% fee each
    check_invariants()


def test_closing_a_hit_while_workers_accept_return_and_time_out_keeps_escrow_exact(race, now):
    r = f.requester(200_00)
    hit = f.hit(r.id, reward="0.50", assignments=30)
    held = [work.accept(worker_id=f.user().id, hit_id=hit.id, now=now) for _ in range(20)]
    later = now + timedelta(minutes=11)  # past the 10-minute assignment deadline
    calls = [(work.accept, {"worker_id": f.user().id, "hit_id": hit.id, "now": now}) for _ in range(30)]
    calls += [(work.return_assignment, {"worker_id": a.worker_id, "assignment_id": a.id, "now": now}) for a in held[:10]]
    calls += [(work.expire_assignment, {"assignment_id": a.id, "now": later}) for a in held[10:]]
    calls += [(manage.add_assignments, {"requester_id": r.id, "hit_id": hit.id, "count": 2, "now": now,
                                        "key": f"more{i}"}) for i in range(3)]
    calls += [(manage.close_hit, {"requester_id": r.id, "hit_id": hit.id, "now": now})] * 3
    random.Random(13).shuffle(calls)

    outcomes = race(calls)

    assert {kind for kind, _ in outcomes} <= {"ok", "HitUnavailable", "StaleAction"}
    closed = Hit.get_by_id(hit.id)
    assert (closed.status, closed.available) == ("closed", 0)
    # Escrow keeps exactly the slots still held by someone working; every other cent went back.
    active = Assignment.select().where((Assignment.hit == hit.id) & (Assignment.status == S.ACCEPTED)).count()
    assert ledger.balance(ledger.escrow(hit.id)) == active * 60
    spent = ledger.balance(ledger.escrow(hit.id))
    assert f.available(r.id) == 200_00 - spent
    check_invariants()


def test_ratings_racing_submissions_the_quality_rule_rejects(race, now):
    """A rating locks the requester, then their open HITs; a submission locks its HIT, then
    (when the requester's control-answer rule rejects it) the requester. Neither may deadlock."""
    r = f.requester(200_00)
    quality.set_policy(requester_id=r.id, min_accuracy=60, min_gold=1, action="reject")
    raters = f.submitted(r.id, 8, now)
    for a in raters:
        review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    template = f.spec(title="Label ${name}", assignments=12)
    batch = publishing.publish_batch(requester_id=r.id, title="gold", template=template,
                                     rows=[{"name": "img1", "_gold_animal": "dog"}], now=now)
    (gold_hit,) = list(batch.hits)
    question = Question.get((Question.hit == gold_hit.id) & (Question.key == "animal"))
    wrong = []
    for _ in range(12):
        w = f.user()
        a = work.accept(worker_id=w.id, hit_id=gold_hit.id, now=now)
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=question.id, value="cat", now=now)
        wrong.append(a)
    calls = [(work.submit, {"worker_id": a.worker_id, "assignment_id": a.id, "now": now}) for a in wrong]
    calls += [(review.rate_requester, {"worker_id": a.worker_id, "assignment_id": a.id, "stars": 1 + i % 5,
                                       "now": now}) for i, a in enumerate(raters)]
    random.Random(17).shuffle(calls)

    outcomes = race(calls)

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert all(Assignment.get_by_id(a.id).status == S.REJECTED for a in wrong)
    requester = User.get_by_id(r.id)
    assert requester.rating_n == 8 and requester.rating_sum == sum(1 + i % 5 for i in range(8))
    assert Hit.get_by_id(gold_hit.id).requester_score == round(requester.rating_avg * 100)
    assert f.available(r.id) == 200_00 - 8 * 60  # the rejected slots' escrow is back (the HIT stays open)
    check_invariants()


def test_two_users_approving_each_others_work_at_once(race, now):
    """Each is the other's worker, so their approvals update the two users in opposite orders
    (worker, then requester); the counters and the money still come out exact."""
    x, y = f.requester(100_00, name="Xena"), f.requester(100_00, name="Yuri")
    calls = []
    for owner, worker in ((x, y), (y, x)):
        others = [f.user() for _ in range(9)]
        hit = f.hit(owner.id, reward="0.50", assignments=10)
        question = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
        for w in [worker, *others]:
            a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
            work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=question.id, value="cat", now=now)
            work.submit(worker_id=w.id, assignment_id=a.id, now=now)
            calls += [(review.approve, {"requester_id": owner.id, "assignment_id": a.id, "now": now})] * 3
    random.Random(19).shuffle(calls)

    outcomes = race(calls)

    assert Counter(kind for kind, _ in outcomes) == {"ok": 20, "StaleAction": 40}
    assert User.get_by_id(x.id).approved_n == 1 and User.get_by_id(y.id).approved_n == 1
    assert User.get_by_id(x.id).reviews_n == 10 and User.get_by_id(y.id).reviews_n == 10
    check_invariants()
