"""What a decision leaves behind (issue 23): decision times and feedback (also of a reversal),
the auto/reversed flags the worker's notice shows, the HIT's completion, and the review-time
statistics that requesters' reputations are built from. Expected values are literals."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.notices import render
from core import ledger
from core.models import Appeal, Assignment, AssignmentStatus as S, OutboxEvent
from core.review import appeals, commands as review, reputation
from core.work import commands as work, queries as work_queries
from tests import factories as f
from tests.bystanders import Bystanders

pytestmark = pytest.mark.usefixtures("database")

TITLE = "“Label the photo”"


def events(kind: str) -> list[OutboxEvent]:
    return list(OutboxEvent.select().where(OutboxEvent.kind == kind).order_by(OutboxEvent.id))


def notice(kind: str) -> str:
    (event,) = events(kind)
    return render(event).text


@pytest.fixture
def case(now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)  # submitted at now + 1 min
    return r, a


def test_an_approval_records_its_time_and_feedback_and_says_so(case, now):
    r, a = case
    done = review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=2), feedback=" Thanks! ")
    assert (done.status, done.decided_at, done.feedback, done.auto_approved) == (
        S.APPROVED, now + timedelta(hours=2), "Thanks!", False)
    (event,) = events("assignment.approved")
    assert event.user_id == a.worker_id
    assert {k: event.payload[k] for k in ("assignment_id", "amount_cents", "auto", "reversed")} == {
        "assignment_id": a.id, "amount_cents": 50, "auto": False, "reversed": False}
    assert notice("assignment.approved").splitlines()[:2] == [
        f"✅ Your work on {TITLE} was approved: <b>+$0.50</b>.", "Feedback: Thanks!"]


def test_an_automatic_approval_says_so(case, now):
    r, a = case
    due = Assignment.get_by_id(a.id).auto_approve_at
    done = review.approve(requester_id=None, assignment_id=a.id, now=due)
    assert (done.auto_approved, done.decided_at, done.feedback) == (True, due, None)
    (event,) = events("assignment.approved")
    assert (event.payload["auto"], event.payload["reversed"]) == (True, False)
    assert notice("assignment.approved").splitlines()[0] == (
        f"✅ Your work on {TITLE} was approved (approved automatically): <b>+$0.50</b>.")


def test_a_reversal_is_a_new_decision_paid_by_the_requester(case, now):
    r, a = case
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now + timedelta(hours=1))
    requester_before, fees_before = f.available(r.id), ledger.balance(ledger.fees())
    escrow_before = ledger.balance(ledger.escrow(a.hit_id))

    done = review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=3),
                          feedback="Sorry, you were right")

    assert (done.status, done.decided_at, done.feedback, done.auto_approved) == (
        S.APPROVED, now + timedelta(days=3), "Sorry, you were right", False)
    assert f.available(a.worker_id) == 50
    assert requester_before - f.available(r.id) == 60  # reward and fee, from her balance
    assert ledger.balance(ledger.fees()) - fees_before == 10
    assert ledger.balance(ledger.escrow(a.hit_id)) == escrow_before == 0  # refunded at the rejection
    (event,) = events("assignment.approved")
    assert (event.payload["auto"], event.payload["reversed"], event.payload["amount_cents"]) == (False, True, 50)
    assert notice("assignment.approved").splitlines()[:2] == [
        f"✅ Your work on {TITLE} was approved (the earlier rejection was reversed): <b>+$0.50</b>.",
        "Feedback: Sorry, you were right"]


def test_a_reversal_without_new_feedback_keeps_the_old_reason(case, now):
    r, a = case
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now)
    done = review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=1))
    assert (done.feedback, done.decided_at) == ("Wrong animal", now + timedelta(days=1))


def test_a_reversal_answers_the_open_appeal(bystanders: Bystanders, case, now):
    r, a = case
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now)
    appeals.appeal(worker_id=a.worker_id, assignment_id=a.id, message="It was a cat", now=now + timedelta(hours=1))
    # Another appeal, on another requester's rejection, stays open.
    (b,) = f.submitted(bystanders.requester.id, 1, now)
    review.reject(requester_id=bystanders.requester.id, assignment_id=b.id, feedback="no", now=now)
    appeals.appeal(worker_id=b.worker_id, assignment_id=b.id, message="Please look again", now=now)

    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=2))

    mine = Appeal.get(Appeal.assignment == a.id)
    assert (mine.outcome, mine.decided_at) == ("approved", now + timedelta(hours=2))
    other = Appeal.get(Appeal.assignment == b.id)
    assert (other.outcome, other.decided_at) == (None, None)


def test_a_rejection_notice_gives_the_reason_and_says_if_a_rule_decided(now):
    r = f.requester()
    a, b = f.submitted(r.id, 2, now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Blurry", now=now)
    review.reject(requester_id=r.id, assignment_id=b.id, feedback="Control answer wrong", now=now, auto=True)
    first, second = events("assignment.rejected")
    assert (first.payload["auto"], second.payload["auto"]) == (False, True)
    assert (first.user_id, first.payload["assignment_id"], first.payload["hit_id"], first.payload["feedback"]) == (
        a.worker_id, a.id, a.hit_id, "Blurry")
    assert render(first).text.splitlines()[:3] == [
        f"❌ Your work on {TITLE} was rejected.", "Reason: Blurry",
        "You think that's wrong? You can appeal; the requester can still approve it."]
    assert render(second).text.splitlines()[:2] == [
        f"❌ Your work on {TITLE} was rejected automatically by the requester's quality rule.",
        "Reason: Control answer wrong"]
    done = Assignment.get_by_id(a.id)
    assert (done.status, done.decided_at, done.feedback) == (S.REJECTED, now, "Blurry")


def test_the_hit_is_complete_when_every_slot_is_approved(now):
    r = f.requester()
    a, b = f.submitted(r.id, 2, now)
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    assert events("hit.completed") == []
    review.approve(requester_id=r.id, assignment_id=b.id, now=now)
    (done,) = events("hit.completed")
    assert (done.user_id, done.payload["hit_id"]) == (r.id, a.hit_id)


def test_a_rejected_slot_keeps_the_hit_from_completing(now):
    r = f.requester()
    a, b = f.submitted(r.id, 2, now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=now)
    review.approve(requester_id=r.id, assignment_id=b.id, now=now)
    assert events("hit.completed") == []
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)  # reversed: now all approved
    assert len(events("hit.completed")) == 1


# ------------------------------------------------------------------ statistics

def test_requester_statistics_from_decisions(now):
    r = f.requester()
    # Three submissions, each worked 1 minute (accepted at now, submitted at now + 1 min).
    a, b, c = f.submitted(r.id, 3, now)
    f.hit(r.id)  # a second HIT, no work yet
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(minutes=11))  # waited 10 min
    review.approve(requester_id=r.id, assignment_id=b.id, now=now + timedelta(minutes=31))  # 30 min
    review.reject(requester_id=r.id, assignment_id=c.id, feedback="no", now=now + timedelta(hours=2, minutes=1))  # 2 h
    review.rate_requester(worker_id=a.worker_id, assignment_id=a.id, stars=5, now=now + timedelta(hours=3))
    review.rate_requester(worker_id=c.worker_id, assignment_id=c.id, stars=2, now=now + timedelta(hours=3))

    s = reputation.requester_stats(user_id=r.id)

    assert s == reputation.RequesterStats(
        hits_n=2,
        decided_n=3,
        approval_rate_pct=67,  # 2 of 3, rounded half up
        avg_review_s=(10 * 60 + 30 * 60 + 120 * 60) // 3,  # 3200 s
        effective_hourly_cents=3000,  # 2 x 50 cents for 2 minutes of work = $30.00 an hour
        rating_avg=3.5,
        rating_n=2,
    )
    assert s.avg_review_s == 3200


def test_a_reversal_moves_the_approval_rate_but_not_the_review_time(now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=now + timedelta(minutes=5))
    assert (reputation.requester_stats(user_id=r.id).approval_rate_pct, reputation.requester_stats(user_id=r.id).avg_review_s) \
        == (0, 4 * 60)
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=1))
    s = reputation.requester_stats(user_id=r.id)
    assert (s.decided_n, s.approval_rate_pct, s.avg_review_s) == (1, 100, 4 * 60)
    assert reputation.worker_stats(user_id=a.worker_id) == reputation.WorkerStats(
        approved_n=1, rejected_n=0, submitted_n=1, approval_rate_pct=100)


def test_statistics_of_someone_with_no_decisions(now):
    r = f.requester()
    f.submitted(r.id, 1, now)
    assert reputation.requester_stats(user_id=r.id) == reputation.RequesterStats(
        hits_n=1, decided_n=0, approval_rate_pct=None, avg_review_s=None, effective_hourly_cents=None,
        rating_avg=None, rating_n=0)
    w = f.user()
    assert reputation.worker_stats(user_id=w.id) == reputation.WorkerStats(0, 0, 0, None)


def test_worker_statistics_count_each_decision(now):
    r = f.requester()
    w = f.user()
    hits = [f.hit(r.id, assignments=1) for _ in range(3)]
    for i, h in enumerate(hits):
        a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
        q = [q for q in work_queries.questions_of(a) if q.key == "animal"][0]
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="cat", now=now)
        work.submit(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=2))
        if i < 2:
            review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(minutes=5))
        else:
            review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=now + timedelta(minutes=5))
    assert reputation.worker_stats(user_id=w.id) == reputation.WorkerStats(
        approved_n=2, rejected_n=1, submitted_n=3, approval_rate_pct=67)


# ------------------------------------------------------------------ bonus records

def test_a_bonus_shows_on_the_workers_statement_and_earnings(case, now):
    from core.payments import accounts

    r, a = case
    reason = "Exceptional work on the hard photos. " * 8  # 296 characters
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=75, reason=reason, now=now, key="b" * 100)
    (line,) = accounts.statement(user_id=a.worker_id)
    assert (line.kind, line.amount_cents, line.memo, line.created_at) == ("bonus", 75, reason.strip()[:200], now)
    b = accounts.balances(user_id=a.worker_id)
    assert (b.available_cents, b.earned_cents) == (75, 75)
    spent = accounts.balances(user_id=r.id)
    assert (spent.spent_cents, spent.fees_cents) == (75 + 15, 15)


def test_a_bonus_key_is_bounded():
    with pytest.raises(ValueError) as error:
        review.bonus(requester_id=1, assignment_id=1, amount_cents=5, reason="thanks", now=None, key="k" * 101)
    assert str(error.value) == "bonus needs an idempotency key"
    with pytest.raises(ValueError, match="^bonus needs an idempotency key$"):
        review.bonus(requester_id=1, assignment_id=1, amount_cents=5, reason="thanks", now=None, key="")


def test_a_bonus_tells_the_worker_and_refreshes_the_card_that_shows_the_work(case, now):
    from core import cards

    r, a = case
    cards.remember(object_kind="assignment", object_id=a.id, chat_id=r.id, message_id=77, card_kind="submission",
                   now=now)
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=75, reason="Great eye", now=now, key="b1")
    (event,) = events("bonus.paid")
    assert (event.user_id, event.payload) == (a.worker_id, {"assignment_id": a.id, "hit_id": a.hit_id,
                                                            "title": "Label the photo", "amount_cents": 75,
                                                            "reason": "Great eye"})
    assert render(event).text == f"🎁 Bonus <b>+$0.75</b> for your work on {TITLE}.\nFrom the requester: Great eye"
    (refresh,) = events("cards.refresh")
    assert (refresh.user_id, refresh.payload, refresh.created_at) == (None, {"object": "assignment", "id": a.id}, now)


def test_a_bonus_that_takes_the_balance_below_the_warning_level_warns_once(now):
    # $5.00 is the warning level; 5.60 - 0.50 - 0.10 fee = 5.00 (not below), then 4.40 (below).
    r = f.requester(60 + 5_60)
    (a,) = f.submitted(r.id, 1, now)
    assert f.available(r.id) == 5_60
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=50, reason="thanks", now=now, key="b1")
    assert (f.available(r.id), events("balance.low")) == (5_00, [])
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=50, reason="thanks", now=now, key="b2")
    (low,) = events("balance.low")
    assert (low.user_id, low.payload) == (r.id, {"available_cents": 4_40, "threshold_cents": 5_00})


# ------------------------------------------------------------------ what the statements say

def test_statements_name_each_decisions_movement(now):
    from core.payments import accounts

    r = f.requester(10_00)
    title = "Count the cats " + "x" * 113  # the longest title, 128 characters
    a, b = f.submitted(r.id, 2, now, title=title)
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(minutes=5))
    review.reject(requester_id=r.id, assignment_id=b.id, feedback="no", now=now + timedelta(minutes=6))
    (paid,) = accounts.statement(user_id=a.worker_id)
    assert (paid.kind, paid.amount_cents, paid.created_at) == ("approve", 50, now + timedelta(minutes=5))
    assert paid.memo == f"HIT {a.hit_id}: {title}"
    refund = accounts.statement(user_id=r.id)[0]
    assert (refund.kind, refund.amount_cents, refund.memo) == ("refund", 60, f"rejected work on HIT {b.hit_id}")
    review.approve(requester_id=r.id, assignment_id=b.id, now=now + timedelta(days=1))  # reversed
    reversal = accounts.statement(user_id=r.id)[0]
    assert (reversal.kind, reversal.amount_cents) == ("approve", -60)
    assert accounts.statement(user_id=b.worker_id)[0].amount_cents == 50


@pytest.mark.parametrize("decision", ["approve", "reject", "auto"])
def test_a_decision_refreshes_the_submission_card_and_the_review_summary(case, decision, now):
    from core import cards

    r, a = case
    other_r = f.requester()
    cards.remember(object_kind="assignment", object_id=a.id, chat_id=r.id, message_id=1, card_kind="submission",
                   now=now)
    cards.remember(object_kind="review_queue", object_id=r.id, chat_id=r.id, message_id=2, card_kind="review",
                   now=now)
    cards.remember(object_kind="review_queue", object_id=other_r.id, chat_id=other_r.id, message_id=3,
                   card_kind="review", now=now)
    when = Assignment.get_by_id(a.id).auto_approve_at if decision == "auto" else now + timedelta(minutes=3)
    if decision == "reject":
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=when)
    else:
        review.approve(requester_id=None if decision == "auto" else r.id, assignment_id=a.id, now=when)
    refreshed = [(e.payload, e.created_at) for e in events("cards.refresh")]
    assert refreshed == [({"object": "assignment", "id": a.id}, when), ({"object": "review_queue", "id": r.id}, when)]


def test_review_time_counts_from_the_submission_and_never_below_zero(now):
    r = f.requester()
    a, b = f.submitted(r.id, 2, now)  # submitted at now + 1 min
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(minutes=1))  # at once
    review.approve(requester_id=r.id, assignment_id=b.id, now=now)  # a clock a minute behind
    s = reputation.requester_stats(user_id=r.id)
    assert (s.decided_n, s.avg_review_s) == (2, 0)


# ------------------------------------------------------------------ lock order (PostgreSQL)

@pytest.mark.skipif(not __import__("os").environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="row locks: SQLite's single writer lock already serialises decisions")
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_two_people_deciding_each_others_work_at_once_do_not_deadlock(decision, monkeypatch, now):
    """Ann approves (or rejects) Ben's work while Ben decides Ann's. Each decision updates the
    worker's counters, then the requester's: without taking both rows in id order first, the two
    would hold one row each and wait for the other's. A barrier between the two updates makes
    that interleaving happen every run (it gives up after a moment when the other decision is
    rightly waiting on the first row)."""
    import threading

    from tests.integration.racing import run_threads

    ann, ben = f.requester(name="Ann"), f.requester(name="Ben")
    (of_ben,) = f.submitted(ann.id, 1, now)  # Ann's HIT, a new worker's submission ...
    (of_ann,) = f.submitted(ben.id, 1, now)
    # ... and make the workers each other: Ben did Ann's HIT, Ann did Ben's.
    Assignment.update(worker=ben.id).where(Assignment.id == of_ben.id).execute()
    Assignment.update(worker=ann.id).where(Assignment.id == of_ann.id).execute()
    between = threading.Barrier(2, timeout=2)
    real = review._count_review

    def count_review_after_the_other_started(*args):
        try:
            between.wait()
        except threading.BrokenBarrierError:
            pass  # the other decision is waiting on our first row: that is the point of the lock order
        return real(*args)

    monkeypatch.setattr(review, "_count_review", count_review_after_the_other_started)
    call = review.approve if decision == "approve" else review.reject
    extra = {} if decision == "approve" else {"feedback": "no"}
    outcomes = run_threads([(call, {"requester_id": ann.id, "assignment_id": of_ben.id, "now": now, **extra}),
                            (call, {"requester_id": ben.id, "assignment_id": of_ann.id, "now": now, **extra})],
                           threads=2)
    assert outcomes == [("ok", ""), ("ok", "")]
    assert {a.status for a in Assignment.select()} == {S.APPROVED if decision == "approve" else S.REJECTED}
