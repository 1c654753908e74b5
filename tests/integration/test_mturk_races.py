"""The MTurk API's money paths racing (issue 23), on SQLite and on PostgreSQL (TEST_DATABASE_URL):
threads with their own connections, let go at once. Whatever the interleaving, a rejected
assignment approved with OverrideRejection is paid once, and a UniqueRequestToken pays one bonus."""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest

from core import ledger
from core.models import Assignment, AssignmentStatus as S, Bonus
from core.mturk import commands as mturk
from core.review import commands as review
from tests import factories as f
from tests.integration.racing import run_threads
from tests.invariants import check_invariants

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]


def test_override_rejections_racing_each_other_and_the_chat_reversal_pay_once(now):
    r = f.requester(10_00)
    subs = f.submitted(r.id, 4, now)
    for a in subs:
        mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now)
    later = now + timedelta(days=1)
    calls = []
    for a in subs:
        calls += [(mturk.approve, {"requester_id": r.id, "assignment_id": a.id, "now": later,
                                   "override_rejection": True})] * 3
        calls += [(review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": later})] * 2
    random.Random(23).shuffle(calls)

    outcomes = run_threads(calls, threads=8)

    assert Counter(kind for kind, _ in outcomes) == {"ok": 4, "StaleAction": 16}
    assert all(Assignment.get_by_id(a.id).status == S.APPROVED for a in subs)
    assert [f.available(a.worker_id) for a in subs] == [50, 50, 50, 50]
    assert f.available(r.id) == 10_00 - 4 * 60  # the refunds went back out, once each
    assert ledger.balance(ledger.fees()) == 4 * 10
    check_invariants()


def test_send_bonus_racing_with_one_token_pays_once(now):
    r = f.requester(10_00)
    (a,) = f.submitted(r.id, 1, now)
    args = {"requester_id": r.id, "assignment_id": a.id, "worker": mturk.worker_ref(r.id, a.worker_id),
            "amount_cents": 25, "reason": "Great", "now": now, "token": "bonus-1"}

    outcomes = run_threads([(mturk.send_bonus, args)] * 10, threads=10)

    assert Counter(kind for kind, _ in outcomes) == {"ok": 1, "DuplicateRequest": 9}
    assert Bonus.select().count() == 1
    assert (f.available(a.worker_id), f.available(r.id)) == (25, 10_00 - 60 - 30)
    check_invariants()
