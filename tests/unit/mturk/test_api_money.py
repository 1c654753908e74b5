"""The MTurk API's money paths in core (core.mturk.commands: ApproveAssignment, RejectAssignment,
SendBonus), issue 23: who may, what moves (the cents written out: a 0.50 reward at the suite's
20 % fee costs 60 escrowed, 50 to the worker, 10 to the platform), what a refusal leaves
(nothing), and that bystanders' rows stay as they were."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import DuplicateRequest, InsufficientFunds, NotAllowed, StaleAction, ValidationFailed
from core.models import Assignment, AssignmentStatus as S, Bonus, User
from core.mturk import commands as mturk
from core.payments import accounts
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.bystanders import Bystanders
from tests.conftest import ADMIN_ID
from tests.dbstate import unchanged
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("database")

OVERRIDE_NEEDED = ("This assignment was rejected; to approve it anyway (and pay the worker), "
                   "pass OverrideRejection=True, within 30 days of the rejection.")


def refused(error: type[Exception], message: str | None = None):
    """`with refused(E, "text"): call()`: raises E with exactly that message, every table as it was."""
    import contextlib

    @contextlib.contextmanager
    def check():
        with unchanged(), pytest.raises(error) as raised:
            yield raised
        if message is not None:
            assert raised.value.message == message

    return check()


def money(r, a, fees_before: int = 0) -> tuple[int, int, int, int]:
    """(requester available, HIT escrow, worker available, platform fees since `fees_before`)."""
    return (f.available(r.id), ledger.balance(ledger.escrow(a.hit_id)), f.available(a.worker_id),
            ledger.balance(ledger.fees()) - fees_before)


def fees() -> int:
    return ledger.balance(ledger.fees())


def one_submitted(now, cents: int = 10_00):
    r = f.requester(cents)
    (a,) = f.submitted(r.id, 1, now)
    return r, a


# ------------------------------------------------------------------ who may, and what is an assignment

def test_another_requesters_assignment_is_refused_and_nothing_moves(bystanders: Bystanders, now):
    r, a = one_submitted(now)
    otto = f.requester(10_00, name="Otto")
    before = bystanders.snapshot()
    for call in (lambda: mturk.approve(requester_id=otto.id, assignment_id=a.id, now=now),
                 lambda: mturk.approve(requester_id=otto.id, assignment_id=a.id, now=now, override_rejection=True),
                 lambda: mturk.reject(requester_id=otto.id, assignment_id=a.id, feedback="No", now=now),
                 lambda: mturk.send_bonus(requester_id=otto.id, assignment_id=a.id, amount_cents=25, reason="Hi",
                                          worker=mturk.worker_ref(otto.id, a.worker_id), now=now, token="t1")):
        with refused(NotAllowed, "This button is no longer valid."):
            call()
    # Nor the bystander requester's submission, through the owner of another HIT.
    bix = Assignment.get((Assignment.hit == bystanders.hit.id) & (Assignment.worker == bystanders.bix.id))
    with refused(NotAllowed):
        mturk.approve(requester_id=r.id, assignment_id=bix.id, now=now)
    with refused(NotAllowed):
        mturk.assignment_of(requester_id=r.id, assignment_id=10**9)
    bystanders.assert_untouched(before)


def test_work_in_progress_is_not_an_assignment_yet(now):
    r = f.requester(10_00)
    hit = f.hit(r.id, assignments=1)
    w = f.user()
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
    # The chat's review would call this "already accepted"; MTurk shows no such assignment at all.
    for call in (lambda: mturk.approve(requester_id=r.id, assignment_id=a.id, now=now),
                 lambda: mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="No", now=now),
                 lambda: mturk.send_bonus(requester_id=r.id, assignment_id=a.id, amount_cents=25, reason="Hi",
                                          worker=mturk.worker_ref(r.id, w.id), now=now)):
        with refused(NotAllowed):
            call()
    work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now)
    with refused(NotAllowed):
        mturk.assignment_of(requester_id=r.id, assignment_id=a.id)


def test_assignment_of_gives_the_submission_and_its_hit(now):
    r, a = one_submitted(now)
    got, hit = mturk.assignment_of(requester_id=r.id, assignment_id=a.id)
    assert (got.id, got.status, hit.id) == (a.id, S.SUBMITTED, a.hit_id)


def test_worker_ids_are_stable_per_requester_and_hide_the_telegram_id():
    # Requesters store these: under one secret key they must never change between releases.
    assert mturk.worker_ref(7, 8) == mturk.worker_ref(7, 8) == "AP3KHWYSJ2UJ6H"
    assert mturk.worker_ref(9, 8) == "A4T7JAAEWGELYW"
    assert mturk.worker_ref(7, 9) != mturk.worker_ref(7, 8)


# ------------------------------------------------------------------ ApproveAssignment

def test_approve_pays_from_escrow_once_with_the_fee(bystanders: Bystanders, now):
    r, a = one_submitted(now)
    fees0 = fees()  # the bystanders' approval paid a fee before
    assert money(r, a, fees0) == (10_00 - 60, 60, 0, 0)
    before = bystanders.snapshot()

    got = mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=1), feedback="Thanks!")

    assert (got.id, got.status, got.feedback, got.decided_at) == (a.id, S.APPROVED, "Thanks!", now + timedelta(hours=1))
    assert money(r, a, fees0) == (10_00 - 60, 0, 50, 10)
    with refused(StaleAction, "This assignment is already approved."):
        mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=2))
    with refused(StaleAction, "This assignment is already approved."):
        mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(hours=2), override_rejection=True)
    assert User.get_by_id(a.worker_id).approved_n == 1
    bystanders.assert_untouched(before)
    check_invariants()


def test_override_rejection_is_not_needed_for_a_submission(now):
    r, a = one_submitted(now)
    mturk.approve(requester_id=r.id, assignment_id=a.id, now=now, override_rejection=True)
    assert money(r, a) == (10_00 - 60, 0, 50, 10)


def test_a_rejection_is_approved_only_with_override_rejection(now):
    r, a = one_submitted(now)
    mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now)
    with refused(StaleAction, OVERRIDE_NEEDED):
        mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=1))
    with refused(StaleAction, OVERRIDE_NEEDED):
        mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=1), override_rejection=False)


def test_override_rejection_pays_once_from_the_requesters_balance_with_the_fee(bystanders: Bystanders, now):
    r, a = one_submitted(now)
    fees0 = fees()  # the bystanders' approval paid a fee before
    mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now)
    assert money(r, a, fees0) == (10_00, 0, 0, 0)  # the rejection gave the escrow back
    before = bystanders.snapshot()

    got = mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=3),
                        feedback="Sorry, you were right", override_rejection=True)

    assert (got.status, got.feedback, got.decided_at) == (S.APPROVED, "Sorry, you were right", now + timedelta(days=3))
    assert money(r, a, fees0) == (10_00 - 60, 0, 50, 10)  # 50 to the worker, 10 fee, from available
    worker = User.get_by_id(a.worker_id)
    assert (worker.approved_n, worker.rejected_n) == (1, 0)
    with refused(StaleAction, "This assignment is already approved."):
        mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=3), override_rejection=True)
    bystanders.assert_untouched(before)
    check_invariants()


def test_override_rejection_after_30_days_or_beyond_the_balance_changes_nothing(now):
    r, a = one_submitted(now, cents=60)  # exactly the HIT's escrow: the reversal needs 60 more
    mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong animal", now=now)
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=1, reason="for trying", now=now, key="b")
    assert f.available(r.id) == 58  # 60 back, 1 cent bonus and its 1 cent minimum fee
    with refused(InsufficientFunds):
        mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=1), override_rejection=True)
    with refused(StaleAction, "Rejections can only be reversed within 30 days."):
        mturk.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=30, seconds=1),
                      override_rejection=True)


# ------------------------------------------------------------------ RejectAssignment

def test_reject_refunds_the_escrow_to_the_requester(bystanders: Bystanders, now):
    r, a = one_submitted(now)
    fees0 = fees()  # the bystanders' approval paid a fee before
    before = bystanders.snapshot()

    got = mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="The animal is a dog.",
                       now=now + timedelta(hours=1))

    assert (got.status, got.feedback, got.decided_at) == (S.REJECTED, "The animal is a dog.", now + timedelta(hours=1))
    assert money(r, a, fees0) == (10_00, 0, 0, 0)
    with refused(StaleAction, "This submission is already rejected."):
        mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="Again", now=now)
    bystanders.assert_untouched(before)
    check_invariants()


def test_an_approved_assignment_is_not_rejected(now):
    r, a = one_submitted(now)
    mturk.approve(requester_id=r.id, assignment_id=a.id, now=now)
    with refused(StaleAction, "This submission is already approved."):
        mturk.reject(requester_id=r.id, assignment_id=a.id, feedback="Changed my mind", now=now)


# ------------------------------------------------------------------ SendBonus

def bonus(r, a, now, **kw):
    args = {"requester_id": r.id, "assignment_id": a.id, "worker": mturk.worker_ref(r.id, a.worker_id),
            "amount_cents": 25, "reason": "Great description", "now": now}
    args.update(kw)
    return mturk.send_bonus(**args)


def test_a_bonus_pays_the_worker_with_the_fee_from_the_requesters_balance(bystanders: Bystanders, now):
    r, a = one_submitted(now)
    fees0 = fees()  # the bystanders' approval paid a fee before
    before = bystanders.snapshot()

    row = bonus(r, a, now, token="bonus-1")

    assert (row.assignment_id, row.amount_cents, row.fee_cents, row.reason) == (a.id, 25, 5, "Great description")
    assert money(r, a, fees0) == (10_00 - 60 - 30, 60, 25, 5)  # 25 and its 5 cent fee; the escrow untouched
    bystanders.assert_untouched(before)
    check_invariants()


def test_two_send_bonus_with_one_token_pay_once(now):
    r, a = one_submitted(now)
    bonus(r, a, now, token="bonus-1")
    with refused(DuplicateRequest, "A bonus was already sent with this UniqueRequestToken; it was not paid again."):
        bonus(r, a, now, token="bonus-1")
    # Even for another amount: the token is the request, whatever it says.
    with refused(DuplicateRequest):
        bonus(r, a, now, token="bonus-1", amount_cents=99)
    assert money(r, a) == (10_00 - 60 - 30, 60, 25, 5)
    assert Bonus.select().count() == 1


def test_different_tokens_and_no_token_each_pay(now):
    r, a = one_submitted(now)
    bonus(r, a, now, token="bonus-1")
    bonus(r, a, now, token="bonus-2")
    bonus(r, a, now)
    bonus(r, a, now)
    assert f.available(a.worker_id) == 4 * 25
    assert f.available(r.id) == 10_00 - 60 - 4 * 30
    assert len({b.key for b in Bonus.select()}) == 4


def test_a_token_is_the_requesters_own(now):
    # Two requesters who both name their first bonus "b1" each pay it.
    r, a = one_submitted(now)
    q, b = one_submitted(now)
    bonus(r, a, now, token="b1")
    bonus(q, b, now, token="b1")
    assert (f.available(a.worker_id), f.available(b.worker_id)) == (25, 25)
    assert (f.available(r.id), f.available(q.id)) == (10_00 - 60 - 30, 10_00 - 60 - 30)


def test_a_bonus_beyond_the_balance_is_refused_and_its_token_stays_unused(now):
    r, a = one_submitted(now, cents=60 + 29)  # the HIT's escrow, and a cent less than 25 + 5
    with refused(InsufficientFunds):
        bonus(r, a, now, token="bonus-1")
    accounts.credit(admin_id=ADMIN_ID, user_id=r.id, amount_cents=1, reason="top-up", now=now, key="top")
    bonus(r, a, now, token="bonus-1")  # the refused request did not use the token up
    assert (f.available(r.id), f.available(a.worker_id)) == (0, 25)


def test_a_bonus_needs_the_worker_who_did_the_assignment(now):
    r = f.requester(10_00)
    a, other = f.submitted(r.id, 2, now)
    message = "That WorkerId did not do this assignment."
    with refused(ValidationFailed, message):
        bonus(r, a, now, worker=mturk.worker_ref(r.id, other.worker_id))
    with refused(ValidationFailed, message):  # the worker's id as another requester sees them
        bonus(r, a, now, worker=mturk.worker_ref(r.id + 1, a.worker_id))
    with refused(ValidationFailed, message):  # the Telegram id is not a WorkerId
        bonus(r, a, now, worker=str(a.worker_id))


@pytest.mark.parametrize("token", ["", "x" * 65])
def test_a_token_has_1_to_64_characters(token, now):
    r, a = one_submitted(now)
    with refused(ValidationFailed, "UniqueRequestToken must have 1 to 64 characters."):
        bonus(r, a, now, token=token)


def test_a_token_of_1_and_of_64_characters_is_taken(now):
    r, a = one_submitted(now)
    bonus(r, a, now, token="x")
    bonus(r, a, now, token="x" * 64)
    assert f.available(a.worker_id) == 50


@pytest.mark.parametrize("step", ["approved", "rejected"])
def test_a_bonus_on_decided_work_pays(step, now):
    r, a = one_submitted(now)
    decide = mturk.approve if step == "approved" else mturk.reject
    decide(requester_id=r.id, assignment_id=a.id, now=now, **({"feedback": "No"} if step == "rejected" else {}))
    bonus(r, a, now, token="t")
    assert f.available(a.worker_id) == (50 + 25 if step == "approved" else 25)
