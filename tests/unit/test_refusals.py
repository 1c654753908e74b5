"""Every refusal of accept, approve, reject, bonus and withdraw (issue 23): the error a person
gets, its exact message, and that nothing changed (every row of every table as it was,
bystanders included)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import (
    AlreadyAccepted,
    HitUnavailable,
    InsufficientFunds,
    NotAllowed,
    NotFound,
    PayoutTooSmall,
    StaleAction,
    ValidationFailed,
    WorkerBlocked,
)
from core.hits import manage
from core.models import Answer, Assignment, AssignmentStatus as S, Hit, LedgerTxn, Payout, User
from core.payments import accounts, payouts
from core.review import commands as review
from core.work import commands as work, queries as work_queries
from tests import factories as f
from tests.bystanders import Bystanders
from tests.conftest import ADMIN_ID
from tests.dbstate import unchanged

pytestmark = pytest.mark.usefixtures("database")


def refused(error: type[Exception], message: str | None = None):
    """`with refused(E, "text"): call()` - the call raises E with exactly that message and leaves
    every table as it was."""
    import contextlib

    @contextlib.contextmanager
    def check():
        with unchanged():
            with pytest.raises(error) as raised:
                yield raised
        if message is not None:
            assert raised.value.message == message

    return check()


# ------------------------------------------------------------------ accept

def test_accept_refuses_a_hit_that_does_not_exist(now):
    w = f.user()
    with refused(NotFound, "This HIT doesn't exist or is no longer available."):
        work.accept(worker_id=w.id, hit_id=987_654, now=now)


def test_accept_refuses_someone_who_never_started_the_bot(now):
    r = f.requester()
    h = f.hit(r.id)
    with refused(NotFound, "Please send /start first."):
        work.accept(worker_id=555_555, hit_id=h.id, now=now)


def test_accept_refuses_the_requesters_own_hit(now):
    r = f.requester()
    h = f.hit(r.id)
    with refused(NotAllowed, "You can't work on your own HIT."):
        work.accept(worker_id=r.id, hit_id=h.id, now=now)


def test_accept_refuses_a_banned_worker(bystanders: Bystanders, now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    User.update(banned=True).where(User.id == w.id).execute()
    with refused(WorkerBlocked, "You can't take work from this requester."):
        work.accept(worker_id=w.id, hit_id=h.id, now=now)
    # Being banned is that worker's: the others still take work.
    assert work.accept(worker_id=bystanders.bee.id, hit_id=h.id, now=now).status == S.ACCEPTED


def test_accept_refuses_a_worker_the_requester_blocked(bystanders: Bystanders, now):
    r, w, other = f.requester(), f.user(), f.user()
    old = f.hit(r.id)
    a = work.accept(worker_id=w.id, hit_id=old.id, now=now)
    work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now)
    review.block_worker(requester_id=r.id, worker_id=w.id, reason="spam", now=now)
    h = f.hit(r.id)
    with refused(WorkerBlocked, "You can't take work from this requester."):
        work.accept(worker_id=w.id, hit_id=h.id, now=now)
    # The block is between these two only: another worker takes this requester's work, and the
    # blocked worker takes another requester's.
    assert work.accept(worker_id=other.id, hit_id=h.id, now=now).status == S.ACCEPTED
    elsewhere = f.hit(f.requester().id)
    assert work.accept(worker_id=w.id, hit_id=elsewhere.id, now=now).status == S.ACCEPTED


def test_a_block_by_one_requester_does_not_stop_work_for_another(bystanders: Bystanders, now):
    # Bea blocked Bix; Rita did not, so Bix takes Rita's HIT.
    r = f.requester()
    h = f.hit(r.id)
    assert work.accept(worker_id=bystanders.bix.id, hit_id=h.id, now=now).status == S.ACCEPTED
    beas = f.hit(bystanders.requester.id)
    with refused(WorkerBlocked):
        work.accept(worker_id=bystanders.bix.id, hit_id=beas.id, now=now)


def test_accept_refuses_an_expired_hit_from_its_expiry_on(now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id, lifetime="1h")
    assert h.expires_at == now + timedelta(hours=1)
    with refused(HitUnavailable, "Sorry, this HIT just filled up or expired. Try another one!"):
        work.accept(worker_id=w.id, hit_id=h.id, now=now + timedelta(hours=1))
    assert work.accept(worker_id=w.id, hit_id=h.id, now=now + timedelta(minutes=59, seconds=59)).status == S.ACCEPTED


def test_accept_refuses_a_full_hit_and_a_closed_one(now):
    r, w1, w2 = f.requester(), f.user(), f.user()
    h = f.hit(r.id, assignments=1)
    work.accept(worker_id=w1.id, hit_id=h.id, now=now)
    with refused(HitUnavailable, "Sorry, this HIT just filled up or expired. Try another one!"):
        work.accept(worker_id=w2.id, hit_id=h.id, now=now)
    closed = f.hit(r.id)
    manage.close_hit(hit_id=closed.id, requester_id=r.id, now=now)
    with refused(HitUnavailable, "Sorry, this HIT just filled up or expired. Try another one!"):
        work.accept(worker_id=w2.id, hit_id=closed.id, now=now)


@pytest.mark.parametrize("step", ["accepted", "submitted", "approved", "rejected", "expired"])
def test_accept_refuses_a_hit_the_worker_already_worked_on(step, now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    if step != "accepted" and step != "expired":
        q = [q for q in work_queries.questions_of(a) if q.key == "animal"][0]
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="cat", now=now)
        work.submit(worker_id=w.id, assignment_id=a.id, now=now)
    if step == "approved":
        review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    elif step == "rejected":
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=now)
    elif step == "expired":
        work.expire_assignment(assignment_id=a.id, now=now + timedelta(minutes=10))
    with refused(AlreadyAccepted, "You have already worked on this HIT."):
        work.accept(worker_id=w.id, hit_id=h.id, now=now + timedelta(minutes=11))


# ------------------------------------------------------------------ approve and reject

@pytest.fixture
def case(now):
    """Rita's HIT with one submission waiting (submitted at now + 1 min), and Otto, another requester."""
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    return r, a, f.requester(name="Otto")


def test_approve_and_reject_refuse_someone_elses_submission(case, now):
    r, a, otto = case
    for call in (lambda: review.approve(requester_id=otto.id, assignment_id=a.id, now=now),
                 lambda: review.reject(requester_id=otto.id, assignment_id=a.id, feedback="no", now=now),
                 lambda: review.approve(requester_id=r.id, assignment_id=987_654, now=now),
                 lambda: review.reject(requester_id=r.id, assignment_id=987_654, feedback="no", now=now)):
        with refused(NotAllowed, "This button is no longer valid."):
            call()


def test_a_decided_submission_is_not_decided_again(case, now):
    r, a, _ = case
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    with refused(StaleAction, "This submission is already approved."):
        review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    with refused(StaleAction, "This submission is already approved."):
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="changed my mind", now=now)
    with refused(StaleAction, "This submission is already approved."):
        review.approve(requester_id=None, assignment_id=a.id, now=now + timedelta(days=30))


def test_a_rejected_submission_is_not_rejected_again_nor_auto_approved(case, now):
    r, a, _ = case
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="wrong", now=now)
    with refused(StaleAction, "This submission is already rejected."):
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="still wrong", now=now)
    with refused(StaleAction, "This submission is already rejected."):
        review.approve(requester_id=None, assignment_id=a.id, now=now + timedelta(days=30))


def test_work_not_yet_submitted_cannot_be_decided(now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    with refused(StaleAction, "This submission is already accepted."):
        review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    with refused(StaleAction, "This submission is already accepted."):
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=now)


def test_reject_needs_a_reason_of_bounded_length(case, now):
    r, a, _ = case
    with refused(ValidationFailed, "A reason is required."):
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="   ", now=now)
    with refused(ValidationFailed, "A reason can have at most 1000 characters (this has 1001)."):
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="x" * 1001, now=now)
    with refused(ValidationFailed, "Feedback can have at most 1000 characters (this has 1001)."):
        review.approve(requester_id=r.id, assignment_id=a.id, feedback="x" * 1001, now=now)
    assert review.reject(requester_id=r.id, assignment_id=a.id, feedback="x" * 1000, now=now).status == S.REJECTED


def test_the_clock_does_not_approve_before_the_auto_approval_time(case, now):
    r, a, _ = case
    due = Assignment.get_by_id(a.id).auto_approve_at
    assert due == now + timedelta(minutes=1) + timedelta(days=3)  # submitted at +1 min, the 3-day default
    with refused(StaleAction, "This submission was already reviewed."):
        review.approve(requester_id=None, assignment_id=a.id, now=due - timedelta(seconds=1))
    done = review.approve(requester_id=None, assignment_id=a.id, now=due)
    assert (done.status, done.auto_approved, done.decided_at) == (S.APPROVED, True, due)
    assert f.available(a.worker_id) == 50


def test_a_requester_may_approve_before_the_auto_approval_time(case, now):
    r, a, _ = case
    done = review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(minutes=2))
    assert (done.status, done.auto_approved) == (S.APPROVED, False)


def test_a_rejection_can_be_reversed_for_30_days_and_no_longer(case, now):
    r, a, _ = case
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="wrong", now=now)
    with refused(StaleAction, "Rejections can only be reversed within 30 days."):
        review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=30, seconds=1))
    done = review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=30))
    assert done.status == S.APPROVED


def test_a_reversal_the_requester_cannot_pay_changes_nothing(now):
    r = f.requester(60)  # exactly one slot of 50 + 10
    (a,) = f.submitted(r.id, 1, now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="wrong", now=now)  # 60 back
    f.hit(r.id, reward="0.50", assignments=1)  # the 60 spent again
    assert f.available(r.id) == 0
    with refused(InsufficientFunds):
        review.approve(requester_id=r.id, assignment_id=a.id, now=now + timedelta(days=1))
    assert Assignment.get_by_id(a.id).status == S.REJECTED


# ------------------------------------------------------------------ bonus

def test_bonus_refuses_someone_elses_work(case, now):
    r, a, otto = case
    with refused(NotAllowed, "This button is no longer valid."):
        review.bonus(requester_id=otto.id, assignment_id=a.id, amount_cents=50, reason="thanks", now=now, key="k")


@pytest.mark.parametrize("step", ["accepted", "returned", "expired"])
def test_bonus_refuses_work_that_was_not_submitted(step, now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id)
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    if step == "returned":
        work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now)
    elif step == "expired":
        work.expire_assignment(assignment_id=a.id, now=now + timedelta(minutes=10))
    with refused(StaleAction, "Bonuses are for work that was submitted."):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=50, reason="thanks", now=now, key="k")


@pytest.mark.parametrize("step", ["submitted", "approved", "rejected"])
def test_bonus_pays_for_submitted_and_decided_work(case, step, now):
    r, a, _ = case
    if step == "approved":
        review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    elif step == "rejected":
        review.reject(requester_id=r.id, assignment_id=a.id, feedback="no", now=now)
    before_w, before_r = f.available(a.worker_id), f.available(r.id)
    row = review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=25, reason="thanks", now=now, key="k")
    assert (row.amount_cents, row.fee_cents) == (25, 5)
    assert (f.available(a.worker_id) - before_w, before_r - f.available(r.id)) == (25, 30)


@pytest.mark.parametrize("cents", [0, -1, 100_001])
def test_bonus_amount_is_bounded(case, cents, now):
    r, a, _ = case
    with refused(ValidationFailed, "A bonus must be between $0.01 and $1,000.00."):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=cents, reason="thanks", now=now, key="k")


def test_bonus_bounds_are_inclusive(now):
    r = f.requester(2_000_00)
    (a,) = f.submitted(r.id, 1, now)
    assert review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=1, reason="a cent", now=now,
                        key="one").fee_cents == 1
    assert review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=100_000, reason="wow", now=now,
                        key="max").fee_cents == 20_000


def test_bonus_needs_a_reason_funds_and_a_fresh_key(case, now):
    r, a, _ = case
    with refused(ValidationFailed, "A reason is required."):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=50, reason=" ", now=now, key="k")
    with refused(ValueError):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=50, reason="thanks", now=now, key="")
    with refused(InsufficientFunds, "Your balance is too low for this."):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=100_000, reason="thanks", now=now, key="k")
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=50, reason="thanks", now=now, key="k")
    with refused(StaleAction, "This bonus was already paid."):
        review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=50, reason="thanks", now=now, key="k")


# ------------------------------------------------------------------ payouts

def _funded_worker(cents: int, now):
    w = f.user()
    if cents:
        accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=cents, reason="test", now=now, key=f"f{w.id}")
    return w


def test_withdraw_refuses_below_the_minimum_payout(now):
    w = _funded_worker(99, now)
    with refused(PayoutTooSmall, "The minimum payout is $1.00; you have $0.99 available."):
        accounts.withdraw(worker_id=w.id, now=now, key="a")
    rich = _funded_worker(5_00, now)
    with refused(PayoutTooSmall, "The minimum payout is $1.00; you have $5.00 available."):
        accounts.withdraw(worker_id=rich.id, now=now, key="b", amount_cents=99)


def test_withdraw_refuses_more_than_the_balance(now):
    w = _funded_worker(5_00, now)
    with refused(ValidationFailed, "You can withdraw at most $5.00."):
        accounts.withdraw(worker_id=w.id, now=now, key="a", amount_cents=5_01)


def test_withdraw_of_exactly_the_minimum_works(now):
    w = _funded_worker(1_00, now)
    payout = accounts.withdraw(worker_id=w.id, now=now, key="a")
    assert (payout.amount_cents, f.available(w.id)) == (1_00, 0)


def test_withdraw_twice_with_one_key_pays_once(now):
    w = _funded_worker(5_00, now)
    accounts.withdraw(worker_id=w.id, now=now, key="a", amount_cents=2_00)
    with refused(StaleAction, "This withdrawal was already requested."):
        accounts.withdraw(worker_id=w.id, now=now, key="a", amount_cents=2_00)
    assert (Payout.select().count(), f.available(w.id)) == (1, 3_00)


def test_withdraw_refuses_an_unknown_user(now):
    with refused(NotFound, "Please send /start first."):
        accounts.withdraw(worker_id=424_242, now=now, key="a")


@pytest.mark.parametrize("cents", [99, 10_000_001, -5])
def test_auto_withdraw_threshold_is_bounded(cents, now):
    w = f.user()
    with refused(ValidationFailed, "Choose a threshold from $1.00 to $100,000.00, or 0 to turn auto-withdraw off."):
        payouts.set_auto_withdraw(user_id=w.id, threshold_cents=cents, now=now)


def test_auto_withdraw_threshold_bounds_are_inclusive(now):
    w = f.user()
    assert payouts.set_auto_withdraw(user_id=w.id, threshold_cents=1_00, now=now).threshold_cents == 1_00
    assert payouts.set_auto_withdraw(user_id=w.id, threshold_cents=10_000_000, now=now).threshold_cents == 10_000_000
    assert payouts.set_auto_withdraw(user_id=w.id, threshold_cents=None, now=now) is None
    with refused(NotFound, "Please send /start first."):
        payouts.set_auto_withdraw(user_id=424_242, threshold_cents=1_00, now=now)


def test_auto_withdraw_runs_once_per_balance(now):
    w = _funded_worker(3_00, now)
    payouts.set_auto_withdraw(user_id=w.id, threshold_cents=2_00, now=now)
    first = payouts.maybe_auto_withdraw(user_id=w.id, now=now)
    assert first.amount_cents == 3_00
    with unchanged():
        assert payouts.maybe_auto_withdraw(user_id=w.id, now=now) is None  # nothing left
    accounts.credit(admin_id=ADMIN_ID, user_id=w.id, amount_cents=2_00, reason="more", now=now, key="more")
    second = payouts.maybe_auto_withdraw(user_id=w.id, now=now)
    assert second.amount_cents == 2_00 and second.id != first.id
    assert Hit.select().count() == 0


def test_accept_refuses_a_worker_who_misses_a_requirement_and_names_each(now):
    from core.errors import NotQualified
    from core.users import commands as users

    r, w = f.requester(), f.user()
    h = f.hit(r.id, qualifications=[{"name": "approved_count", "comparator": ">=", "value": 5},
                                     {"name": "country", "comparator": "in", "value": ["DE", "AT"]}])
    with refused(NotQualified, "You don't meet this HIT's requirements: needs approved HITs >= 5, you have 0; "
                               "needs country in DE, AT, you have none."):
        work.accept(worker_id=w.id, hit_id=h.id, now=now)
    users.set_country(user_id=w.id, country="AT")
    with refused(NotQualified, "You don't meet this HIT's requirements: needs approved HITs >= 5, you have 0."):
        work.accept(worker_id=w.id, hit_id=h.id, now=now)
    open_to_all = f.hit(r.id, qualifications=[{"name": "country", "comparator": "in", "value": ["DE", "AT"]}])
    assert work.accept(worker_id=w.id, hit_id=open_to_all.id, now=now).status == S.ACCEPTED


def _fields(a) -> dict:
    keep = ("status", "accepted_at", "deadline", "submitted_at", "auto_approve_at", "decided_at", "feedback",
            "current_q", "reminded", "auto_approved")
    return {k: getattr(a, k) for k in keep}


FRESH = {"status": S.ACCEPTED, "submitted_at": None, "auto_approve_at": None, "decided_at": None, "feedback": None,
         "current_q": 0, "reminded": False, "auto_approved": False}


def test_an_accepted_assignment_starts_clean_with_the_hits_time_limit(now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id, duration="25m")
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    assert _fields(a) == {**FRESH, "accepted_at": now, "deadline": now + timedelta(minutes=25)}
    assert (a.worker_id, a.hit_id) == (w.id, h.id)
    assert Hit.get_by_id(h.id).available == 2


def test_a_hit_taken_back_after_a_reminder_and_a_return_starts_clean(now):
    from core import sweeps

    r, w = f.requester(), f.user()
    h = f.hit(r.id, duration="10m")
    a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
    q = [q for q in work_queries.questions_of(a) if q.key == "animal"][0]
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="cat", now=now)
    assert sweeps.remind(now=now + timedelta(minutes=9)) == 1
    work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=9))
    assert Assignment.get_by_id(a.id).reminded is True

    later = now + timedelta(hours=1)
    again = work.accept(worker_id=w.id, hit_id=h.id, now=later)

    assert _fields(again) == {**FRESH, "accepted_at": later, "deadline": later + timedelta(minutes=10)}
    assert Hit.get_by_id(h.id).available == 2
    assert sweeps.remind(now=later + timedelta(minutes=9)) == 1  # reminded again this time


def _read_previous_as(stale):
    """For core.work.commands: its read of the worker's earlier assignment (the `previous` row
    joined to the HIT) returns `stale` instead, as if it ran before another tap committed."""
    import builtins

    def fake(obj, name, *default):
        return stale if name == "previous" else builtins.getattr(obj, name, *default)

    return fake


def test_two_first_accepts_that_both_found_no_earlier_row_hold_one_slot(monkeypatch, now):
    """The losing one of two simultaneous first taps (each saw no assignment yet) hits the unique
    index; it is told it already has the HIT, and its slot is given back by the rollback."""
    r, w = f.requester(), f.user()
    h = f.hit(r.id, assignments=3)
    work.accept(worker_id=w.id, hit_id=h.id, now=now)

    # accept reads the HIT and the worker's earlier assignment in one query; replay a read that
    # ran before the other tap's insert committed: it found no earlier assignment.
    monkeypatch.setattr(work, "getattr", _read_previous_as(None), raising=False)
    with refused(AlreadyAccepted, "You have already worked on this HIT."):
        work.accept(worker_id=w.id, hit_id=h.id, now=now)
    monkeypatch.undo()
    assert Hit.get_by_id(h.id).available == 2


# ------------------------------------------------------------------ stale reads
# Between a service reading an assignment and its conditional UPDATE, another process may
# decide it (PostgreSQL runs them side by side; SQLite's write lock does not let it happen).
# Replayed in one connection: the service is handed the row as it was before the other
# decision while the database already holds the new state. The conditional update must
# refuse, and nothing may move twice.

class StaleAssignments:
    """the services' Assignment, but reads of the one row return it as it was at `stale`."""

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
def seen_case(now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    return r, Assignment.get_by_id(a.id)  # as read while still submitted


@pytest.mark.parametrize("decided_by", ["approve", "reject"])
def test_the_clock_does_not_approve_what_the_requester_just_decided(seen_case, decided_by, monkeypatch, now):
    r, seen = seen_case
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
def test_a_second_requester_tap_does_not_decide_again(seen_case, decided_by, monkeypatch, now):
    r, seen = seen_case
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


def test_a_reversal_does_not_pay_twice(seen_case, monkeypatch, now):
    r, _ = seen_case
    review.reject(requester_id=r.id, assignment_id=seen_case[1].id, feedback="Wrong", now=now)
    seen = Assignment.get_by_id(seen_case[1].id)  # read while rejected
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
    q = [q for q in work_queries.questions_of(again) if q.key == "animal"][0]
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="dog", now=now)

    monkeypatch.setattr(work, "getattr", _read_previous_as(seen), raising=False)
    with pytest.raises(Exception) as error:
        work.accept(worker_id=w.id, hit_id=h.id, now=now + timedelta(minutes=2))
    monkeypatch.undo()
    assert type(error.value).__name__ == "AlreadyAccepted"
    kept = Assignment.get_by_id(a.id)
    assert (kept.status, kept.accepted_at, kept.current_q) == (S.ACCEPTED, now + timedelta(minutes=1), 1)
    assert [x.value for x in Answer.select().where(Answer.assignment == a.id)] == ["dog"]  # the work is kept
    assert Hit.get_by_id(h.id).available == 2  # one slot held, not two
    assert ledger.balance(ledger.escrow(h.id)) == 3 * 60


# ------------------------------------------------------------------ what accept hands the view

def test_accept_returns_where_the_worker_starts_and_stores_their_wait(now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id, assignments=3)
    seen = {}

    def wait_for(state):  # what the bot stores in the same transaction (the awaited input)
        seen["assignment_id"] = state.assignment.id
        return {"awaiting": f"answer:{state.assignment.id}"}

    state = work.accept_hit(worker_id=w.id, hit_id=h.id, now=now, prefs=wait_for)

    assert state.hit.id == h.id and state.hit.available == 2 == Hit.get_by_id(h.id).available
    assert [q.key for q in state.questions] == ["animal", "notes"]
    assert (state.answers, state.worker.id, state.position, state.total) == ({}, w.id, 0, 2)
    assert User.get_by_id(w.id).prefs.get("awaiting") == f"answer:{seen['assignment_id']}"
    assert state.assignment.id == seen["assignment_id"] == Assignment.get(Assignment.worker == w.id).id
