"""A process moving money (approve and pay, withdraw, bonus, top-up) is SIGKILLed at every
point of the operation (before each BEGIN, statement and COMMIT, and just after it returned)
and at random moments of a busy loop. After each kill the invariants hold, and a retry with
the same idempotency key completes the operation exactly once, on SQLite and on PostgreSQL."""
from __future__ import annotations

import multiprocessing
import random
import signal
import time
from collections import Counter

import pytest

from core import ledger
from core.db import db
from core.errors import StaleAction
from core.models import Assignment, AssignmentStatus as S, Bonus, LedgerTxn, Payout
from core.payments import accounts
from core.review import commands as review
from tests import factories as f
from tests.conftest import ADMIN_ID
from tests.integration import crash_child
from tests.invariants import check_invariants

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]

REWARD = 50  # cents; 60 a slot with the fee


@pytest.fixture(scope="module")
def forkserver():
    """Children fork from a server that has core imported: a kill round costs milliseconds."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.integration.crash_child", "core.review.commands",
                                    "core.payments.accounts"])
    return context


def _in_child(context, url: str, fn, kwargs: dict, kill_at: int) -> int:
    child = context.Process(target=crash_child.run, args=(url, fn, kwargs, kill_at))
    child.start()
    child.join(timeout=60)
    assert child.exitcode is not None, "the child hung"
    return child.exitcode


def _calls_made(fn, kwargs: dict) -> int:
    """How many database calls (BEGIN, statements, COMMIT) one run of the operation makes, on a new
    connection as the child's is (PostgreSQL: its first run of a planned statement PREPAREs it)."""
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
    with crash_child.Points() as points:
        fn(**kwargs)
    return points.count



def _retry(fn, kwargs: dict) -> str:
    try:
        moved = fn(**kwargs)
    except StaleAction:
        return "already done"
    return "already done" if moved is False else "done by the retry"  # top-ups answer False for a used key


def test_approve_killed_at_every_point_pays_exactly_once_after_a_retry(database, forkserver, now):
    r = f.requester()
    warm_up, calibration, *subs = f.submitted(r.id, 40, now)
    review.approve(requester_id=r.id, assignment_id=warm_up.id, now=now)  # creates the fees account
    n = _calls_made(review.approve, {"requester_id": r.id, "assignment_id": calibration.id, "now": now})
    points = list(range(1, n + 2))  # every call, and just after the operation returned
    assert len(points) <= len(subs), n
    random.Random(1).shuffle(points)
    retries: Counter[str] = Counter()

    for kill_at, a in zip(points, subs):
        kwargs = {"requester_id": r.id, "assignment_id": a.id, "now": now}
        assert _in_child(forkserver, database, review.approve, kwargs, kill_at) == -signal.SIGKILL
        check_invariants()
        retries[_retry(review.approve, kwargs)] += 1
        check_invariants()
        assert Assignment.get_by_id(a.id).status == S.APPROVED
        assert LedgerTxn.select().where(LedgerTxn.key == f"approve:{a.id}").count() == 1
        assert f.available(a.worker_id) == REWARD, kill_at
        assert _retry(review.approve, kwargs) == "already done"  # and a third press changes nothing
        assert f.available(a.worker_id) == REWARD

    # Every kill up to and including COMMIT left nothing behind (the retry paid); the kill after
    # the operation returned left it paid (the retry found it done).
    assert retries == {"done by the retry": n, "already done": 1}
    assert ledger.balance(ledger.fees()) == 10 * (len(points) + 2)


def test_withdraw_killed_at_every_point_moves_money_exactly_once_after_a_retry(database, forkserver, now):
    f.user("Admin", user_id=ADMIN_ID)
    w = f.user()
    accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=100_00, reason="earnings", now=now, key="e")
    accounts.withdraw(worker_id=w.id, now=now, key="warm-up", amount_cents=100)  # creates the payout account
    n = _calls_made(accounts.withdraw, {"worker_id": w.id, "now": now, "key": "calibration", "amount_cents": 100})
    points = list(range(1, n + 2))
    random.Random(2).shuffle(points)
    retries: Counter[str] = Counter()

    for round_no, kill_at in enumerate(points, start=3):
        kwargs = {"worker_id": w.id, "now": now, "key": f"crash{kill_at}", "amount_cents": 100}
        assert _in_child(forkserver, database, accounts.withdraw, kwargs, kill_at) == -signal.SIGKILL
        check_invariants()
        retries[_retry(accounts.withdraw, kwargs)] += 1
        check_invariants()
        assert Payout.select().where(Payout.key == f"payout:crash{kill_at}").count() == 1
        assert f.available(w.id) == 100_00 - 100 * round_no, kill_at
        assert ledger.balance(ledger.payout_pending(w.id)) == 100 * round_no
        assert _retry(accounts.withdraw, kwargs) == "already done"

    assert retries == {"done by the retry": n, "already done": 1}


def test_bonus_killed_at_every_point_pays_exactly_once_after_a_retry(database, forkserver, now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    start = f.available(r.id)
    bonus = {"requester_id": r.id, "assignment_id": a.id, "amount_cents": 50, "reason": "Great work", "now": now}
    review.bonus(**bonus, key="warm-up")
    n = _calls_made(review.bonus, {**bonus, "key": "calibration"})
    points = list(range(1, n + 2))
    random.Random(4).shuffle(points)
    retries: Counter[str] = Counter()

    for round_no, kill_at in enumerate(points, start=3):
        kwargs = {**bonus, "key": f"crash{kill_at}"}
        assert _in_child(forkserver, database, review.bonus, kwargs, kill_at) == -signal.SIGKILL
        check_invariants()
        retries[_retry(review.bonus, kwargs)] += 1
        check_invariants()
        assert Bonus.select().where(Bonus.key == f"bonus:crash{kill_at}").count() == 1
        assert f.available(a.worker_id) == 50 * round_no, kill_at
        assert f.available(r.id) == start - 60 * round_no  # 50 and the 20% fee, once
        assert _retry(review.bonus, kwargs) == "already done"

    assert retries == {"done by the retry": n, "already done": 1}


def test_topup_killed_at_every_point_credits_exactly_once_after_a_retry(database, forkserver, now):
    r = f.user()
    accounts.topup(user_id=r.id, amount_cents=500, charge_id="warm-up", now=now)  # creates the world account
    n = _calls_made(accounts.topup, {"user_id": r.id, "amount_cents": 500, "charge_id": "calibration", "now": now})
    points = list(range(1, n + 2))
    random.Random(5).shuffle(points)
    retries: Counter[str] = Counter()

    for round_no, kill_at in enumerate(points, start=3):
        kwargs = {"user_id": r.id, "amount_cents": 500, "charge_id": f"charge{kill_at}", "now": now}
        assert _in_child(forkserver, database, accounts.topup, kwargs, kill_at) == -signal.SIGKILL
        check_invariants()
        retries[_retry(accounts.topup, kwargs)] += 1
        check_invariants()
        assert LedgerTxn.select().where(LedgerTxn.key == f"topup:charge{kill_at}").count() == 1
        assert f.available(r.id) == 500 * round_no, kill_at
        assert _retry(accounts.topup, kwargs) == "already done"

    assert retries == {"done by the retry": n, "already done": 1}


def test_batch_publish_killed_at_every_point_publishes_exactly_once_after_a_retry(database, forkserver, now):
    """The batch actor's publish (bulk inserts, one transaction) dies anywhere: nothing of the
    batch is left half-written, and the redelivered job publishes it once."""
    from core.hits import publishing
    from core.models import Account, AccountKind, Batch, Hit
    from core.money import fee_for

    r = f.requester(5_000_00)
    rows = [{"name": f"n{i}", "price": f"0.{10 + i % 7:02d}"} for i in range(60)]  # two chunks of rows
    template = f.spec(title="Label ${name}", reward="${price}", assignments=1)
    cost = sum(p + fee_for(p, 20) for p in (10 + i % 7 for i in range(60)))
    kwargs = {"requester_id": r.id, "title": "b", "template": template, "rows": rows, "now": now}
    publishing.publish_batch(**kwargs, key="warm-up")
    n = _calls_made(publishing.publish_batch, {**kwargs, "key": "calibration"})
    points = list(range(1, n + 2))
    random.Random(6).shuffle(points)
    retries: Counter[str] = Counter()

    for round_no, kill_at in enumerate(points, start=3):
        key = f"crash{kill_at}"
        assert _in_child(forkserver, database, publishing.publish_batch, {**kwargs, "key": key}, kill_at) \
            == -signal.SIGKILL
        check_invariants()
        assert Hit.select().count() in (60 * (round_no - 1), 60 * round_no)  # all of the batch or none of it
        retries[_retry(publishing.publish_batch, {**kwargs, "key": key})] += 1
        check_invariants()
        assert Batch.select().count() == round_no and Hit.select().count() == 60 * round_no, kill_at
        assert LedgerTxn.select().where(LedgerTxn.key == f"batch:{key}").count() == 1
        assert f.available(r.id) == 5_000_00 - cost * round_no
        assert Account.select().where(Account.kind == AccountKind.ESCROW).count() == 60 * round_no
        assert _retry(publishing.publish_batch, {**kwargs, "key": key}) == "already done"

    assert retries == {"done by the retry": n, "already done": 1}


def test_busy_money_process_killed_at_random_moments_loses_and_doubles_nothing(database, forkserver, now):
    """Kills from outside at random times: inside the driver, mid-network, between operations."""
    f.user("Admin", user_id=ADMIN_ID)
    r = f.requester(500_00)
    subs = f.submitted(r.id, 60, now)
    w = f.user()
    accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=100_00, reason="earnings", now=now, key="e")
    calls = []
    for i, a in enumerate(subs):
        calls.append((review.approve, {"requester_id": r.id, "assignment_id": a.id, "now": now}))
        calls.append((accounts.withdraw, {"worker_id": w.id, "now": now, "key": f"loop{i}", "amount_cents": 100}))
    rng = random.Random(3)
    by_child = by_retry = 0

    for round_start in range(0, len(calls), 10):
        batch = calls[round_start:round_start + 10]
        ready, progress = forkserver.Event(), forkserver.Value("i", 0)
        child = forkserver.Process(target=crash_child.run_loop, args=(database, batch, ready, progress))
        child.start()
        assert ready.wait(30)
        # Somewhere in the batch: after a random number of finished operations, a few ms into the next.
        target, deadline = rng.randrange(len(batch)), time.monotonic() + 30
        while progress.value < target and child.exitcode is None and time.monotonic() < deadline:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.004))
        child.kill()
        child.join(timeout=30)
        check_invariants()
        # A job queue would not know how far the child got: retry the whole batch.
        finished = progress.value
        outcomes = [_retry(fn, kwargs) for fn, kwargs in batch]
        check_invariants()
        # What the child finished stays done once; what it never started is done by the retry;
        # the one it was in the middle of is either, but never twice (the totals below).
        assert set(outcomes[:finished]) <= {"already done"}, (finished, outcomes)
        assert set(outcomes[finished + 1:]) <= {"done by the retry"}, (finished, outcomes)
        by_child += outcomes.count("already done")
        by_retry += outcomes.count("done by the retry")

    assert by_child and by_retry, (by_child, by_retry)
    assert all(Assignment.get_by_id(a.id).status == S.APPROVED for a in subs)
    assert all(f.available(a.worker_id) == REWARD for a in subs)
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == len(subs)
    assert Payout.select().count() == len(subs)
    assert f.available(w.id) == 100_00 - 100 * len(subs)
