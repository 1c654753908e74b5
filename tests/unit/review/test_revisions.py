"""Revisions instead of rejections (issue 18): the requester sends work back with a note, the
worker changes answers within the window and resubmits, the requester reviews again. No money
moves until the one approval or rejection; the worker's approval rate does not see revisions."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.models import Answer, Assignment, AssignmentStatus as S, LedgerTxn, OutboxEvent, Question, Revision, User
from core.review import commands as review, queries as review_queries, revisions
from core.sweeps import auto_approve, lapse_revisions
from core.work import commands as work
from tests import factories as f
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("database")

HOUR = timedelta(hours=1)


@pytest.fixture
def case(now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now, auto_approve="2d")  # submitted at now + 1 min, "cat"
    animal = Question.get((Question.hit == a.hit_id) & (Question.key == "animal"))
    notes = Question.get((Question.hit == a.hit_id) & (Question.key == "notes"))
    return r, a, animal, notes


def answers(a) -> dict[str, object]:
    return {q.key: v for q, v in ((Question.get_by_id(x.question_id), x.value)
                                  for x in Answer.select().where(Answer.assignment == a.id))}


def kinds(user_id: int) -> list[str]:
    return [e.kind for e in OutboxEvent.select().where(OutboxEvent.user_id == user_id).order_by(OutboxEvent.id)]


def test_revise_and_resubmit_then_approve_pays_once(case, now):
    r, a, animal, _notes = case
    before = f.available(r.id)
    rev = revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="It is a dog, look again",
                                     now=now + HOUR)
    assert Assignment.get_by_id(a.id).status == S.REVISING
    event = OutboxEvent.select().where(OutboxEvent.kind == "revision.requested").get()
    assert event.user_id == a.worker_id and event.payload["note"] == "It is a dog, look again"
    assert rev.window_ends_at == now + HOUR + timedelta(days=1)  # the operator's default window

    state = revisions.revision_state(worker_id=a.worker_id, assignment_id=a.id, now=now + 2 * HOUR)
    assert state.answers[animal.id] == "cat"  # their own answers come back
    state = revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id,
                                    value="Dog", now=now + 2 * HOUR)
    assert state.answers[animal.id] == "dog" and state.changed == {animal.id}
    assert answers(a) == {"animal": "cat"}  # the submission itself is untouched until resubmitted
    with pytest.raises(ValidationFailed):
        revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id,
                                value="horse", now=now + 2 * HOUR)
    revisions.resubmit(worker_id=a.worker_id, assignment_id=a.id, now=now + 3 * HOUR)

    back = Assignment.get_by_id(a.id)
    assert back.status == S.SUBMITTED and answers(a) == {"animal": "dog"}
    assert back.auto_approve_at == now + 3 * HOUR + timedelta(days=2)  # restarts from the resubmission
    assert kinds(r.id).count("submission.received") == 2  # the first card and the revised one
    assert f.available(r.id) == before and LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == 0

    review.approve(requester_id=r.id, assignment_id=a.id, now=now + 4 * HOUR)
    assert f.available(a.worker_id) == 50
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == 1
    assert ledger.balance(ledger.escrow(a.hit_id)) == 0
    check_invariants()


def test_a_revision_leaves_the_approval_rate_alone(case, now):
    r, a, _animal, _notes = case
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Check the animal", now=now + HOUR)
    worker = User.get_by_id(a.worker_id)
    assert (worker.approved_n, worker.rejected_n, worker.approval_rate_pct) == (0, 0, None)
    revisions.resubmit(worker_id=a.worker_id, assignment_id=a.id, now=now + 2 * HOUR)
    review.approve(requester_id=r.id, assignment_id=a.id, now=now + 3 * HOUR)
    worker = User.get_by_id(a.worker_id)
    assert (worker.approved_n, worker.rejected_n, worker.approval_rate_pct) == (1, 0, 100)


def test_at_most_two_revisions_then_only_approve_or_reject(case, now):
    r, a, _animal, _notes = case
    for n in (1, 2):
        revisions.request_revision(requester_id=r.id, assignment_id=a.id, note=f"Round {n}", now=now + n * HOUR)
        revisions.resubmit(worker_id=a.worker_id, assignment_id=a.id, now=now + n * HOUR + timedelta(minutes=5))
    sub = review_queries.submission(assignment_id=a.id, requester_id=r.id)
    assert sub.revisions_left == 0 and sub.revision.n == 2
    with pytest.raises(StaleAction, match="all the revisions allowed"):
        revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Once more", now=now + 5 * HOUR)
    assert Assignment.get_by_id(a.id).status == S.SUBMITTED and Revision.select().count() == 2
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Still wrong", now=now + 6 * HOUR)
    assert f.available(a.worker_id) == 0
    check_invariants()


def test_the_cap_is_an_operator_setting(case, now, monkeypatch):
    from core.config import get_settings

    monkeypatch.setattr(get_settings(), "max_revisions", 0)
    r, a, _animal, _notes = case
    with pytest.raises(StaleAction):
        revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Fix it", now=now + HOUR)
    assert Assignment.get_by_id(a.id).status == S.SUBMITTED


def test_bad_notes_and_windows_and_foreign_presses_change_nothing(case, now):
    r, a, animal, _notes = case
    other = f.requester()
    for kwargs, error in (({"note": "   "}, ValidationFailed), ({"note": "x" * 1001}, ValidationFailed),
                          ({"note": "ok", "window_s": 60}, ValidationFailed),
                          ({"note": "ok", "window_s": 40 * 86400}, ValidationFailed)):
        with pytest.raises(error):
            revisions.request_revision(requester_id=r.id, assignment_id=a.id, now=now, **kwargs)
    with pytest.raises(NotAllowed):
        revisions.request_revision(requester_id=other.id, assignment_id=a.id, note="mine now", now=now)
    with pytest.raises(NotAllowed):
        revisions.request_revision(requester_id=r.id, assignment_id=999_999, note="forged", now=now)
    assert Revision.select().count() == 0 and Assignment.get_by_id(a.id).status == S.SUBMITTED
    # Not revising: the worker's revise and resubmit presses are stale.
    with pytest.raises(StaleAction):
        revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id, value="dog",
                                now=now)
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Fix it", now=now, window_s=2 * 3600)
    stranger = f.user()
    with pytest.raises(NotAllowed):
        revisions.revise_answer(worker_id=stranger.id, assignment_id=a.id, question_id=animal.id, value="dog",
                                now=now)
    with pytest.raises(NotAllowed):
        revisions.resubmit(worker_id=stranger.id, assignment_id=a.id, now=now)
    with pytest.raises(NotAllowed):  # a question of another HIT
        revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id + 1000,
                                value="dog", now=now)
    with pytest.raises(ValidationFailed):  # a required answer can't be removed
        revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id, value=None,
                                now=now)
    # While revising, the requester can't decide, and a second request is stale.
    for call in (lambda: review.approve(requester_id=r.id, assignment_id=a.id, now=now),
                 lambda: review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=now),
                 lambda: revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="again", now=now)):
        with pytest.raises(StaleAction, match="revising"):
            call()
    # The worker's ordinary answering and submitting presses don't touch a revising assignment.
    with pytest.raises(StaleAction):
        work.save_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id, value="dog", now=now)
    with pytest.raises(StaleAction):
        work.submit(worker_id=a.worker_id, assignment_id=a.id, now=now)
    assert Assignment.get_by_id(a.id).status == S.REVISING and answers(a) == {"animal": "cat"}
    check_invariants()


def test_the_window_passing_gives_back_the_submission_as_it_was(case, now):
    r, a, animal, notes = case
    submitted = Assignment.get_by_id(a.id)
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Fix it", now=now + HOUR,
                               window_s=3 * 3600)
    revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id, value="bird",
                            now=now + 2 * HOUR)
    revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=notes.id, value="half done",
                            now=now + 2 * HOUR)
    assert lapse_revisions(now=now + 3 * HOUR) == 0  # still inside the window
    late = now + HOUR + 3 * HOUR
    with pytest.raises(StaleAction, match="time to revise has passed"):
        revisions.resubmit(worker_id=a.worker_id, assignment_id=a.id, now=late)

    assert lapse_revisions(now=late) == 1
    assert lapse_revisions(now=late) == 0  # a second clock finds nothing
    back = Assignment.get_by_id(a.id)
    assert back.status == S.SUBMITTED and answers(a) == {"animal": "cat"}  # the half-done changes are dropped
    # The auto-approval resumes with what it had left when the revision paused it.
    assert back.auto_approve_at == late + (submitted.auto_approve_at - (now + HOUR))
    assert "revision.lapsed" in kinds(a.worker_id)
    assert kinds(r.id).count("submission.received") == 2  # the requester decides on what was submitted
    assert Revision.get().outcome == "lapsed"
    check_invariants()


def test_auto_approval_waits_while_a_revision_is_open(case, now):
    r, a, animal, _notes = case
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Fix it", now=now + HOUR,
                               window_s=7 * 86400)
    assert auto_approve(now=now + timedelta(days=5)) == 0  # past the original auto-approval date
    assert Assignment.get_by_id(a.id).status == S.REVISING and f.available(a.worker_id) == 0
    revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=animal.id, value="dog",
                            now=now + timedelta(days=5))
    revisions.resubmit(worker_id=a.worker_id, assignment_id=a.id, now=now + timedelta(days=5))
    assert auto_approve(now=now + timedelta(days=6)) == 0  # two days from the resubmission, not from the first
    assert auto_approve(now=now + timedelta(days=7)) == 1
    assert f.available(a.worker_id) == 50 and answers(a) == {"animal": "dog"}
    check_invariants()


def test_resubmitting_needs_every_required_answer_and_can_clear_an_optional_one(now):
    r = f.requester()
    h = f.hit(r.id, assignments=1)
    qs = {q.key: q for q in Question.select().where(Question.hit == h.id)}
    w = f.user()
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=qs["animal"].id, value="cat", now=now)
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=qs["notes"].id, value="blurry", now=now)
    work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Drop the note", now=now)
    state = revisions.revise_answer(worker_id=w.id, assignment_id=a.id, question_id=qs["notes"].id, value=None,
                                    now=now)
    assert qs["notes"].id not in state.answers
    revisions.resubmit(worker_id=w.id, assignment_id=a.id, now=now)
    assert answers(a) == {"animal": "cat"}
    with pytest.raises(StaleAction):  # pressed again
        revisions.resubmit(worker_id=w.id, assignment_id=a.id, now=now)


def test_deleting_the_account_erases_changes_not_yet_resubmitted(now):
    from core.users import privacy

    r = f.requester()
    h = f.hit(r.id, assignments=1, questions=[{"id": "where", "kind": "location", "prompt": "Where are you?"}])
    (q,) = Question.select().where(Question.hit == h.id)
    w = f.user()
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value={"latitude": 1, "longitude": 2},
                     now=now)
    work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Closer please", now=now)
    revisions.revise_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id,
                            value={"latitude": 52.52, "longitude": 13.40}, now=now)
    assert Revision.get().draft == {str(q.id): {"latitude": 52.52, "longitude": 13.4}}
    privacy.delete_account(user_id=w.id, now=now + HOUR)
    assert Revision.get().draft == {}
    assert lapse_revisions(now=now + 2 * timedelta(days=1)) == 1  # the requester still gets to decide
    assert Assignment.get_by_id(a.id).status == S.SUBMITTED
    check_invariants()
