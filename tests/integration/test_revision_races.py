"""Revisions racing decisions (issue 18): a revision request, the requester's approval or rejection,
the auto-approval sweep and the window's lapse on the same assignments at once. Whatever wins,
each assignment ends in exactly one payment or one refund (or is still held in escrow while a
revision is open), the ledger sums to zero and no balance goes negative."""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest

from core import ledger
from core.models import Assignment, AssignmentStatus as S, LedgerTxn, Revision, User
from core.review import commands as review, revisions
from core.sweeps import auto_approve, lapse_revisions
from tests import factories as f
from tests.invariants import check_invariants

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]

UNIT = 60  # a 50-cent reward with the 20% fee


def money_moves(a) -> tuple[int, int]:
    paid = LedgerTxn.select().where(LedgerTxn.key == f"approve:{a.id}").count()
    refunded = LedgerTxn.select().where(LedgerTxn.key == f"reject:{a.id}").count()
    return paid, refunded


def test_revision_approval_rejection_and_the_sweep_racing_settle_each_assignment_once(race, now):
    r = f.requester()
    subs = f.submitted(r.id, 8, now, auto_approve="1h")  # the sweep may approve any of them
    before = f.available(r.id)
    later = now + timedelta(hours=2)
    calls = []
    for i, a in enumerate(subs):
        calls += [(revisions.request_revision, {"requester_id": r.id, "assignment_id": a.id,
                                                "note": "Look again", "now": later})] * 3
        calls += [(review.approve, {"requester_id": None, "assignment_id": a.id, "now": later})] * 2
        # Half race the requester's approval, half a rejection (an approval after a rejection
        # is its reversal, a second money move by design, so the two are not mixed here).
        if i % 2:
            calls += [(review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": later})] * 2
        else:
            calls += [(review.reject, {"requester_id": r.id, "assignment_id": a.id, "feedback": "Wrong",
                                       "now": later})] * 2
    calls += [(auto_approve, {"now": later, "limit": 2})] * 2  # the sweep, in small batches
    random.Random(18).shuffle(calls)

    outcomes = race(calls)

    assert {kind for kind, _ in outcomes} <= {"ok", "StaleAction"}
    refunded_cents = 0
    for a in subs:
        status = Assignment.get_by_id(a.id).status
        paid, refunded = money_moves(a)
        revs = Revision.select().where(Revision.assignment == a.id).count()
        if status == S.APPROVED:
            assert (paid, refunded, revs) == (1, 0, 0) and f.available(a.worker_id) == 50
        elif status == S.REJECTED:
            assert (paid, refunded, revs) == (0, 1, 0) and f.available(a.worker_id) == 0
            refunded_cents += UNIT
        else:
            assert status == S.REVISING and (paid, refunded, revs) == (0, 0, 1)
    held = sum(Assignment.get_by_id(a.id).status == S.REVISING for a in subs)
    assert ledger.balance(ledger.escrow(subs[0].hit_id)) == held * UNIT  # revisions keep their escrow
    assert f.available(r.id) == before + refunded_cents
    check_invariants()

    # Every revision then lapses (the sweep, twice at once, racing approvals that must now wait for it):
    # each assignment still ends in one payment.
    end = later + timedelta(days=2)
    calls = [(lapse_revisions, {"now": end})] * 2
    for a in subs:
        if Assignment.get_by_id(a.id).status == S.REVISING:
            calls += [(review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": end})] * 2
    outcomes = race(calls)
    assert {kind for kind, _ in outcomes} <= {"ok", "StaleAction"}
    for a in subs:
        if Assignment.get_by_id(a.id).status == S.SUBMITTED:  # lapsed after the approvals were refused
            review.approve(requester_id=r.id, assignment_id=a.id, now=end)
    for a in subs:
        paid, refunded = money_moves(a)
        assert paid + refunded == 1
        assert Assignment.get_by_id(a.id).status in (S.APPROVED, S.REJECTED)
    assert ledger.balance(ledger.escrow(subs[0].hit_id)) == 0
    check_invariants()


def test_resubmission_racing_the_lapse_and_approvals_pays_once(race, now):
    r = f.requester()
    subs = f.submitted(r.id, 6, now)
    for a in subs:
        revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="Fix it", now=now,
                                   window_s=3600)
    edge = now + timedelta(seconds=3600)
    calls = []
    for a in subs:
        # Just before the window ends for the worker, at its end for the sweep: either may win.
        calls += [(revisions.resubmit, {"worker_id": a.worker_id, "assignment_id": a.id,
                                        "now": edge - timedelta(seconds=1)})] * 3
        calls += [(review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": edge})] * 3
        calls.append((review.approve, {"requester_id": None, "assignment_id": a.id,
                                       "now": edge + timedelta(days=5)}))
    calls += [(lapse_revisions, {"now": edge})] * 3
    random.Random(5).shuffle(calls)

    outcomes = race(calls)

    assert {kind for kind, _ in outcomes} <= {"ok", "StaleAction"}
    assert Counter(kind for (fn, _), (kind, _) in zip(calls, outcomes) if fn is revisions.resubmit)["ok"] <= 6
    for a in subs:
        rev = Revision.get(Revision.assignment == a.id)
        assert rev.outcome in ("resubmitted", "lapsed")  # closed exactly one way
        status = Assignment.get_by_id(a.id).status
        assert status in (S.SUBMITTED, S.APPROVED)
        if status == S.SUBMITTED:
            review.approve(requester_id=r.id, assignment_id=a.id, now=edge)
        assert money_moves(a) == (1, 0) and f.available(a.worker_id) == 50
        assert User.get_by_id(a.worker_id).approved_n == 1 and User.get_by_id(a.worker_id).rejected_n == 0
    assert ledger.balance(ledger.escrow(subs[0].hit_id)) == 0
    check_invariants()
