"""Qualifications, quality control and reputation in core (issue 8)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import NotAllowed, NotQualified, StaleAction, ValidationFailed
from core.hits import publishing
from core.models import Appeal, Assignment, OutboxEvent, QualificationGrant, Question, User, WorkerBlock
from core.quals import commands as quals
from core.review import appeals, commands as review, quality, reputation
from core.review.aggregation import dawid_skene, majority_vote
from core.work import browse, commands as work
from tests import factories as f
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("database")


def do(worker_id, hit_id, now, value="dog", submit=True):
    a = work.accept(worker_id=worker_id, hit_id=hit_id, now=now)
    for question in Question.select().where(Question.hit == hit_id).order_by(Question.position):
        if question.kind == "choice":
            work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=question.id, value=value, now=now)
    if submit:
        work.submit(worker_id=worker_id, assignment_id=a.id, now=now + timedelta(seconds=60))
    return Assignment.get_by_id(a.id)


def test_majority_vote_and_agreement_on_a_known_set():
    assert majority_vote(["cat", "dog", "cat", "cat"]) == ("cat", 75)
    assert majority_vote([["a", "b"], ["a", "b"], ["a"]]) == (["a", "b"], 67)
    assert majority_vote(["x", "y"]) == ("x", 50)  # ties: first seen
    assert majority_vote([]) == (None, 0)


def test_dawid_skene_beats_majority_when_workers_are_systematically_wrong():
    # Worked example: 40 items; two careful workers (one errs on every 5th item), one worker who
    # always answers the opposite, one who does so 3 times in 4, and a spammer who always says "a".
    truth = {i: "ab"[(i * 7) % 3 % 2] for i in range(40)}
    flip = {"a": "b", "b": "a"}
    triples = []
    for i, t in truth.items():
        triples += [(i, "good", t), (i, "flip1", flip[t]), (i, "flip2", flip[t] if i % 4 else t),
                    (i, "good2", t if i % 5 else flip[t]), (i, "spam", "a")]
    mv = {i: majority_vote([l for j, _, l in triples if j == i])[0] for i in truth}
    ds = dawid_skene(triples)
    mv_right = sum(mv[i] == truth[i] for i in truth)
    ds_right = sum(ds[i][0] == truth[i] for i in truth)
    assert mv_right < 36  # majority vote is fooled on many items
    assert ds_right == 40
    assert all(0.5 < ds[i][1] <= 1.0 for i in truth)


def test_custom_qualification_grant_guards_accept_with_reason(now):
    r, w = f.requester(), f.user()
    qt = quals.create_type(owner_id=r.id, name="Bird expert", now=now)
    with pytest.raises(ValidationFailed):
        quals.create_type(owner_id=r.id, name="Bird expert", now=now)
    with pytest.raises(ValidationFailed):
        quals.create_type(owner_id=r.id, name="approval rate", now=now)
    hit = f.hit(r.id, qualifications=[{"name": "Bird expert", "comparator": ">=", "value": 3}])
    with pytest.raises(NotQualified, match="needs Bird expert >= 3, you have none"):
        work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    other = f.requester()
    with pytest.raises(NotAllowed):
        quals.grant(owner_id=other.id, qtype_id=qt.id, worker_id=w.id, value=5, now=now)
    quals.grant(owner_id=r.id, qtype_id=qt.id, worker_id=w.id, value=2, now=now)
    with pytest.raises(NotQualified, match="you have 2"):
        work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    quals.grant(owner_id=r.id, qtype_id=qt.id, worker_id=w.id, value=4, now=now)
    assert work.accept(worker_id=w.id, hit_id=hit.id, now=now).status == "accepted"
    assert quals.revoke(owner_id=r.id, qtype_id=qt.id, worker_id=w.id, now=now)


def test_qualification_test_auto_grants_score_and_enforces_cooldown(now):
    r, w = f.requester(), f.user()
    test = quals.create_test(owner_id=r.id, name="Birds quiz", now=now, retake_after_s=3600, questions=[
        {"prompt": "Which one flies?", "options": ["penguin", "sparrow"], "answer": "sparrow"},
        {"prompt": "Which one swims?", "options": ["penguin", "sparrow"], "answer": "penguin"},
    ])
    attempt = quals.start_test(worker_id=w.id, test_id=test.id, now=now)
    quals.answer_test(worker_id=w.id, attempt_id=attempt.id, position=0, option=1, now=now)
    with pytest.raises(StaleAction):  # a double tap on the first question counts once
        quals.answer_test(worker_id=w.id, attempt_id=attempt.id, position=0, option=0, now=now)
    done = quals.answer_test(worker_id=w.id, attempt_id=attempt.id, position=1, option=1, now=now)
    assert done.score == 50
    grant = QualificationGrant.get((QualificationGrant.qtype == test.qtype_id) & (QualificationGrant.worker == w.id))
    assert grant.value == 50
    with pytest.raises(StaleAction, match="retake"):
        quals.start_test(worker_id=w.id, test_id=test.id, now=now + timedelta(minutes=30))
    again = quals.start_test(worker_id=w.id, test_id=test.id, now=now + timedelta(hours=2))
    quals.answer_test(worker_id=w.id, attempt_id=again.id, position=0, option=1, now=now)
    quals.answer_test(worker_id=w.id, attempt_id=again.id, position=1, option=0, now=now)
    assert QualificationGrant.get_by_id(grant.id).value == 100
    # The score is usable as a requirement.
    hit = f.hit(r.id, qualifications=[{"name": "Birds quiz", "comparator": ">=", "value": 80}])
    assert work.accept(worker_id=w.id, hit_id=hit.id, now=now).status == "accepted"


def test_gold_accuracy_becomes_skill_and_auto_blocks_below_threshold(now):
    r = f.requester(100_00)
    w_good, w_bad = f.user(), f.user()
    quality.set_policy(requester_id=r.id, min_accuracy=60, min_gold=2, action="block")
    template = f.spec(title="Label ${name}", assignments=2)
    rows = [{"name": f"img{i}", "_gold_animal": "dog"} for i in range(3)]
    batch = publishing.publish_batch(requester_id=r.id, title="gold", template=template, rows=rows, now=now)
    hits = list(batch.hits)
    do(w_good.id, hits[0].id, now, "dog")
    do(w_good.id, hits[1].id, now, "dog")
    assert quality.skill(requester_id=r.id, worker_id=w_good.id) == 100
    first = do(w_bad.id, hits[0].id, now, "cat")
    assert first.status == "submitted"  # one control answer is too few to judge
    second = do(w_bad.id, hits[1].id, now, "cat")
    assert quality.skill(requester_id=r.id, worker_id=w_bad.id) == 0
    assert second.status == "rejected" and "accuracy is 0%" in second.feedback
    assert WorkerBlock.select().where(WorkerBlock.worker == w_bad.id).exists()
    page = browse.list_open_hits(worker_id=w_bad.id, filters=browse.Filters(), now=now)
    assert page.cards == []  # a blocked worker no longer sees this requester's HITs
    # A skill qualification now exists for the requester's HIT requirements.
    hit = f.hit(r.id, qualifications=[{"name": "gold accuracy", "comparator": ">=", "value": 90}])
    assert hit.has_requirements
    check_invariants()


def test_speed_flag_marks_far_faster_submissions(now):
    r = f.requester(100_00)
    hit = f.hit(r.id, assignments=7, duration="1h")
    workers = [f.user() for _ in range(7)]
    for i, w in enumerate(workers):
        a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
        q = Question.get((Question.hit == hit.id) & (Question.position == 0))
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="cat", now=now)
        took = timedelta(seconds=20) if i == 6 else timedelta(minutes=5 + i)
        work.submit(worker_id=w.id, assignment_id=a.id, now=now + took)
    flags = [quality.speed_flag(assignment_id=a.id) for a in Assignment.select().order_by(Assignment.id)]
    assert flags[:6] == [None] * 6
    assert flags[6] is not None and "faster" in flags[6]


def test_aggregate_hit_majority_and_ds(now):
    r = f.requester(100_00)
    hit = f.hit(r.id, assignments=3)
    for value in ("dog", "dog", "cat"):
        do(f.user().id, hit.id, now, value)
    agg = {a.key: a for a in quality.aggregate_hit(hit_id=hit.id)}
    assert (agg["animal"].answer, agg["animal"].agreement_pct, agg["animal"].answers_n) == ("dog", 67, 3)
    assert agg["animal"].ds_answer == "dog"


def test_appeal_once_then_requester_approves_instead(now):
    r, w = f.requester(10_00), f.user()
    hit = f.hit(r.id, assignments=1)
    a = do(w.id, hit.id, now)
    with pytest.raises(StaleAction):
        appeals.appeal(worker_id=w.id, assignment_id=a.id, message="please", now=now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Blurry", now=now)
    with pytest.raises(NotAllowed):
        appeals.appeal(worker_id=r.id, assignment_id=a.id, message="not mine", now=now)
    with pytest.raises(ValidationFailed):
        appeals.appeal(worker_id=w.id, assignment_id=a.id, message="", now=now)
    ap = appeals.appeal(worker_id=w.id, assignment_id=a.id, message="It was a dog, look again", now=now)
    with pytest.raises(StaleAction):
        appeals.appeal(worker_id=w.id, assignment_id=a.id, message="again", now=now)
    assert OutboxEvent.select().where(OutboxEvent.kind == "appeal.received").count() == 1
    other = f.requester()
    with pytest.raises(NotAllowed):
        appeals.decide(requester_id=other.id, appeal_id=ap.id, approve=True, now=now)
    appeals.decide(requester_id=r.id, appeal_id=ap.id, approve=True, now=now)
    with pytest.raises(StaleAction):
        appeals.decide(requester_id=r.id, appeal_id=ap.id, approve=False, now=now)
    assert Appeal.get_by_id(ap.id).outcome == "approved"
    assert Assignment.get_by_id(a.id).status == "approved"
    assert ledger.balance(ledger.available(w.id)) == 50
    worker = User.get_by_id(w.id)
    assert (worker.approved_n, worker.rejected_n) == (1, 0)
    check_invariants()


def test_ratings_aggregate_into_requester_card(now):
    r = f.requester(100_00)
    hit = f.hit(r.id, assignments=3)
    stars = [5, 4, 2]
    for s in stars:
        w = f.user()
        a = do(w.id, hit.id, now)
        with pytest.raises(StaleAction):  # only after a decision
            review.rate_requester(worker_id=w.id, assignment_id=a.id, stars=s, now=now)
        review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=1))
        with pytest.raises(ValidationFailed):
            review.rate_requester(worker_id=w.id, assignment_id=a.id, stars=6, now=now)
        review.rate_requester(worker_id=w.id, assignment_id=a.id, stars=s, now=now)
        with pytest.raises(StaleAction):
            review.rate_requester(worker_id=w.id, assignment_id=a.id, stars=1, now=now)
    req = User.get_by_id(r.id)
    assert req.rating_n == 3 and req.rating_avg == pytest.approx(11 / 3)
    st = reputation.requester_stats(user_id=r.id)
    assert st.approval_rate_pct == 100 and st.avg_review_s is not None and st.effective_hourly_cents == 3000


def test_block_counts_for_admins_only(now):
    r, w = f.requester(), f.user()
    hit = f.hit(r.id)
    do(w.id, hit.id, now)
    review.block_worker(requester_id=r.id, worker_id=w.id, reason="spam", now=now)
    with pytest.raises(NotAllowed):
        appeals.block_counts(admin_ids=frozenset({1}), admin_id=r.id)
    counts = appeals.block_counts(admin_ids=frozenset({r.id}), admin_id=r.id)
    assert counts["workers"][0][0] == w.id and counts["workers"][0][2] == 1


def test_worker_profile_bounds(now):
    w = f.user()
    quality.set_profile(user_id=w.id, skills=["German", "birds"], interests=["audio"])
    assert quality.profile(user_id=w.id)["skills"] == ["German", "birds"]
    with pytest.raises(ValidationFailed):
        quality.set_profile(user_id=w.id, skills=["x" * 41], interests=[])


def gold_batch(r, now, gold_rows=("A", "D")):
    """A 5-row batch (rows A-E), control answers "dog" on the given rows only."""
    template = f.spec(title="Label ${name}", assignments=1)
    rows = [{"name": n, "_gold_animal": "dog" if n in gold_rows else ""} for n in "ABCDE"]
    batch = publishing.publish_batch(requester_id=r.id, title="gold", template=template, rows=rows, now=now)
    return {h.title[-1]: h for h in batch.hits}


def test_gold_rule_rejects_the_wrong_control_answer_never_the_right_one(now):
    # Issue 13: `/quality 60 2 reject`; a worker answers control row A wrong, then control row D
    # right. D was rejected and A left pending. The failed one is rejected, once the sample is met.
    r, w = f.requester(100_00), f.user()
    quality.set_policy(requester_id=r.id, min_accuracy=60, min_gold=2, action="reject")
    hits = gold_batch(r, now)
    a = do(w.id, hits["A"].id, now, "cat")
    assert Assignment.get_by_id(a.id).status == "submitted"  # one control answer is too few to judge
    b = do(w.id, hits["B"].id, now, "cat")  # no control answer on B: never judged by the rule
    d = do(w.id, hits["D"].id, now, "dog")
    assert quality.skill(requester_id=r.id, worker_id=w.id) == 50
    assert Assignment.get_by_id(d.id).status == "submitted"  # right: never the one rejected
    assert Assignment.get_by_id(b.id).status == "submitted"
    failed = Assignment.get_by_id(a.id)
    assert failed.status == "rejected" and "accuracy is 50%" in failed.feedback
    # The requester still gets the right one to review, and is told of the automatic decision.
    received = [e.payload["assignment_id"] for e in OutboxEvent.select().where(OutboxEvent.kind == "submission.received")]
    assert d.id in received and b.id in received
    told = OutboxEvent.get(OutboxEvent.kind == "quality.rejected")
    assert told.user_id == r.id and told.payload["assignment_id"] == a.id
    worker_told = OutboxEvent.get((OutboxEvent.kind == "assignment.rejected") & (OutboxEvent.user_id == w.id))
    assert worker_told.payload["assignment_id"] == a.id and worker_told.payload["auto"] is True
    # A later right answer acts on nothing; a later wrong one is rejected itself.
    e = do(w.id, hits["E"].id, now, "cat")
    assert Assignment.get_by_id(e.id).status == "submitted"  # no control answer on E
    assert Assignment.select().where(Assignment.status == "rejected").count() == 1
    check_invariants()


def test_gold_rule_waits_for_the_minimum_sample_then_rejects_every_failed_pending_one(now):
    r, w = f.requester(100_00), f.user()
    quality.set_policy(requester_id=r.id, min_accuracy=60, min_gold=3, action="reject")
    hits = gold_batch(r, now, gold_rows="ABCD")
    a = do(w.id, hits["A"].id, now, "cat")
    b = do(w.id, hits["B"].id, now, "cat")
    assert {Assignment.get_by_id(x.id).status for x in (a, b)} == {"submitted"}  # 2 of 3 needed
    c = do(w.id, hits["C"].id, now, "dog")  # 1 of 3 right: 33% < 60%
    assert [Assignment.get_by_id(x.id).status for x in (a, b, c)] == ["rejected", "rejected", "submitted"]
    assert OutboxEvent.select().where(OutboxEvent.kind == "quality.rejected").count() == 2
    check_invariants()


def test_undo_of_an_automatic_rejection_approves_and_pays_exactly_once(now):
    r, w, other = f.requester(100_00), f.user(), f.requester(10_00)
    quality.set_policy(requester_id=r.id, min_accuracy=60, min_gold=2, action="reject")
    hits = gold_batch(r, now)
    a = do(w.id, hits["A"].id, now, "cat")
    do(w.id, hits["D"].id, now, "dog")
    assert Assignment.get_by_id(a.id).status == "rejected"
    before = ledger.balance(ledger.available(r.id))
    with pytest.raises(StaleAction, match="no longer valid"):  # someone else's forged button
        quality.undo_rejection(requester_id=other.id, assignment_id=a.id, now=now)
    with pytest.raises(StaleAction, match="no longer valid"):  # a rejection older than the window
        quality.undo_rejection(requester_id=r.id, assignment_id=a.id, now=now + review.REVERSAL_WINDOW
                               + timedelta(days=1))
    assert Assignment.get_by_id(a.id).status == "rejected" and ledger.balance(ledger.available(w.id)) == 0
    done = quality.undo_rejection(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=1))
    assert Assignment.get_by_id(a.id).status == "approved" and done.hit_title == "Label A"
    hit = hits["A"]
    assert ledger.balance(ledger.available(w.id)) == hit.reward_cents
    assert ledger.balance(ledger.available(r.id)) == before - hit.unit_cost_cents
    with pytest.raises(StaleAction, match="no longer valid"):  # pressed twice
        quality.undo_rejection(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=1))
    assert ledger.balance(ledger.available(w.id)) == hit.reward_cents
    worker = User.get_by_id(w.id)
    assert (worker.approved_n, worker.rejected_n) == (1, 0)
    check_invariants()


def test_auto_block_is_told_to_both_and_undo_unblocks(now):
    r, w = f.requester(100_00), f.user()
    quality.set_policy(requester_id=r.id, min_accuracy=60, min_gold=2, action="block")
    hits = gold_batch(r, now)
    a = do(w.id, hits["A"].id, now, "cat")
    d = do(w.id, hits["D"].id, now, "dog")
    assert [Assignment.get_by_id(x.id).status for x in (a, d)] == ["rejected", "submitted"]
    block = WorkerBlock.get((WorkerBlock.requester == r.id) & (WorkerBlock.worker == w.id))
    told = OutboxEvent.get(OutboxEvent.kind == "quality.blocked")
    assert told.user_id == r.id and told.payload["block_id"] == block.id and told.payload["worker_id"] == w.id
    worker_told = OutboxEvent.get(OutboxEvent.kind == "worker.blocked")
    assert worker_told.user_id == w.id and worker_told.payload["assignment_id"] == a.id
    with pytest.raises(StaleAction, match="no longer valid"):
        quality.undo_block(requester_id=f.requester(0).id, block_id=block.id, now=now)
    with pytest.raises(StaleAction, match="no longer valid"):
        quality.undo_block(requester_id=r.id, block_id=block.id + 1000, now=now)
    quality.undo_block(requester_id=r.id, block_id=block.id, now=now + timedelta(minutes=5))
    assert not WorkerBlock.select().where(WorkerBlock.worker == w.id).exists()
    assert OutboxEvent.get(OutboxEvent.kind == "worker.unblocked").user_id == w.id
    with pytest.raises(StaleAction, match="no longer valid"):
        quality.undo_block(requester_id=r.id, block_id=block.id, now=now)
    # A manual block is not an automatic decision: its id does not undo through this button.
    review.block_worker(requester_id=r.id, worker_id=w.id, reason="spam", now=now)
    manual = WorkerBlock.get(WorkerBlock.worker == w.id)
    with pytest.raises(StaleAction, match="no longer valid"):
        quality.undo_block(requester_id=r.id, block_id=manual.id, now=now)
    check_invariants()
