"""Decisions settled by the database, not by what was read a moment earlier (issue 23).

Between a service reading an assignment and its conditional UPDATE, another process may
decide it (PostgreSQL runs them side by side; SQLite's write lock does not let it happen).
These tests replay that interleaving in one connection: the service is handed the row as it
was before the other decision, while the database already holds the new state. The
conditional update must then refuse, and nothing may move twice."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import StaleAction
from core.models import Answer, Assignment, AssignmentStatus as S, Hit, LedgerTxn
from core.services import review, work
from tests import factories as f
from tests.dbstate import unchanged

pytestmark = pytest.mark.usefixtures("database")


class StaleAssignments:
    """core.services.*'s Assignment, but reads of the one row return it as it was at `stale`."""

    def __init__(self, stale: Assignment) -> None:
        self.stale = stale

    def __getattr__(self, name):
        return getattr(Assignment, name)

    def get_by_id(self, pk):
        return self.stale if pk == self.stale.id else Assignment.get_by_id(pk)

    def get_or_none(self, *query):
        found = Assignment.get_or_none(*query)
        return self.stale if found is not None and found.id == self.stale.id else found


@pytest.fixture
def case(now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    return r, Assignment.get_by_id(a.id)  # as read while still submitted


@pytest.mark.parametrize("decided_by", ["approve", "reject"])
def test_the_clock_does_not_approve_what_the_requester_just_decided(case, decided_by, monkeypatch, now):
    r, seen = case
    later = seen.auto_approve_at + timedelta(minutes=1)
    if decided_by == "approve":
        review.approve(requester_id=r.id, assignment_id=seen.id, now=later)
    else:
        review.reject(requester_id=r.id, assignment_id=seen.id, feedback="Wrong", now=later)
    monkeypatch.setattr(review, "Assignment", StaleAssignments(seen))
    with unchanged(), pytest.raises(StaleAction) as error:
        review.approve(requester_id=None, assignment_id=seen.id, now=later)
    assert error.value.message == "This submission was already reviewed."
    monkeypatch.setattr(review, "Assignment", Assignment)
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == (decided_by == "approve")


@pytest.mark.parametrize("decided_by", ["approve", "reject"])
def test_a_second_requester_tap_does_not_decide_again(case, decided_by, monkeypatch, now):
    r, seen = case
    if decided_by == "approve":
        review.approve(requester_id=r.id, assignment_id=seen.id, now=now)
    else:
        review.reject(requester_id=r.id, assignment_id=seen.id, feedback="Wrong", now=now)
    monkeypatch.setattr(review, "Assignment", StaleAssignments(seen))
    with unchanged(), pytest.raises(StaleAction) as error:
        review.approve(requester_id=r.id, assignment_id=seen.id, now=now)
    assert error.value.message == "This submission was already reviewed."
    with unchanged(), pytest.raises(StaleAction) as error:
        review.reject(requester_id=r.id, assignment_id=seen.id, feedback="Wrong", now=now)
    assert error.value.message == "This submission is already submitted."  # what the stale read said


def test_a_reversal_does_not_pay_twice(case, monkeypatch, now):
    r, _ = case
    review.reject(requester_id=r.id, assignment_id=case[1].id, feedback="Wrong", now=now)
    seen = Assignment.get_by_id(case[1].id)  # read while rejected
    review.approve(requester_id=r.id, assignment_id=seen.id, now=now + timedelta(hours=1))  # reversed meanwhile
    monkeypatch.setattr(review, "Assignment", StaleAssignments(seen))
    with unchanged(), pytest.raises(StaleAction) as error:
        review.approve(requester_id=r.id, assignment_id=seen.id, now=now + timedelta(hours=1))
    assert error.value.message == "This submission was already reviewed."
    monkeypatch.setattr(review, "Assignment", Assignment)
    assert f.available(seen.worker_id) == 50


def test_taking_back_a_hit_the_worker_is_already_holding_again(monkeypatch, now):
    """Two taps on Accept after a Return: the first takes the slot back; the second, having read
    the row while it was still returned, must not reset the work in progress."""
    r, w = f.requester(), f.user()
    h = f.hit(r.id, assignments=3)
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now)
    seen = Assignment.get_by_id(a.id)  # returned
    again = work.accept(worker_id=w.id, hit_id=h.id, now=now + timedelta(minutes=1))
    q = [q for q in work.questions_of(again) if q.key == "animal"][0]
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="dog", now=now)

    class StaleLookup(StaleAssignments):
        def get_or_none(self, *query):
            return self.stale

    monkeypatch.setattr(work, "Assignment", StaleLookup(seen))
    with pytest.raises(Exception) as error:
        work.accept(worker_id=w.id, hit_id=h.id, now=now + timedelta(minutes=2))
    monkeypatch.setattr(work, "Assignment", Assignment)
    assert type(error.value).__name__ == "AlreadyAccepted"
    kept = Assignment.get_by_id(a.id)
    assert (kept.status, kept.accepted_at, kept.current_q) == (S.ACCEPTED, now + timedelta(minutes=1), 1)
    assert [x.value for x in Answer.select().where(Answer.assignment == a.id)] == ["dog"]  # the work is kept
    assert Hit.get_by_id(h.id).available == 2  # one slot held, not two
    assert ledger.balance(ledger.escrow(h.id)) == 3 * 60
