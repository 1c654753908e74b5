"""Random sequences of marketplace operations keep the money and capacity rules.

A hypothesis state machine plays requesters, workers, the clock and the payout
provider against the real services on a real database. After every step
check_invariants() must hold (the ledger sums to zero, no balance below zero,
escrow = unpaid reward + fee of open work, holders never exceed max assignments).
A step the services refuse (any HitbotError) must leave every row of every table
as it was; a forged button (someone else's HIT or assignment) must be NotAllowed."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from core import ledger, sweeps
from core.db import db
from core.errors import HitbotError, NotAllowed, StaleAction
from core.hits import manage, publishing
from core.migrations import seed
from core.models import (
    ALL_MODELS,
    Account,
    Assignment,
    AssignmentStatus as S,
    Hit,
    HitStatus,
    Payout,
    PayoutStatus,
    Question,
    Revision,
)
from core.money import fee_for
from core.payments import accounts
from core.review import commands as review, revisions
from core.users import commands as users
from core.work import commands as work
from tests.conftest import ADMIN_ID, NOW
from tests.dbstate import assert_same, snapshot
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("database")

REQUESTERS = (7001, 7002)
WORKERS = (8001, 8002, 8003, 8004)
PEOPLE = REQUESTERS + WORKERS  # requesters may take each other's work too
ACTIONS = ("approve", "reject", "bonus", "answer", "submit", "return", "close", "add")


def _spec(reward_cents: int, assignments: int, duration_s: int, lifetime_s: int, auto_s: int) -> dict:
    return {
        "title": "Sort the receipts",
        "reward": f"{reward_cents / 100:.2f}",
        "assignments": assignments,
        "duration": duration_s,
        "lifetime": lifetime_s,
        "auto_approve": auto_s,
        "questions": [
            {"id": "kind", "kind": "choice", "prompt": "Which kind?", "options": ["food", "travel", "other"]},
            {"id": "note", "kind": "text", "prompt": "Anything odd?", "required": False, "max_length": 100},
        ],
    }


def _clear() -> None:
    """Empty every table. Plain DELETEs, children first: on tables this small they are far
    quicker than the TRUNCATE the `database` fixture uses (matters on PostgreSQL)."""
    with db.atomic():
        for model in reversed(ALL_MODELS):
            db.execute_sql(f'DELETE FROM "{model._meta.table_name}"')
    seed()


def _pick(query, index: int):
    """The index-th row of a query (modulo its size), or None when it is empty."""
    rows = list(query)
    return rows[index % len(rows)] if rows else None


def _assignments(status: str | None = None):
    query = Assignment.select().order_by(Assignment.id)
    return query if status is None else query.where(Assignment.status == status)


def _hits(only_open: bool = False):
    query = Hit.select().order_by(Hit.id)
    return query.where(Hit.status == HitStatus.OPEN) if only_open else query


def _avail(user_id: int) -> int:
    return ledger.balance(ledger.available(user_id))


def _other(user_id: int) -> int:
    """Someone who is not `user_id`: the presser of a forged or forwarded button."""
    return next(u for u in PEOPLE if u != user_id)


class Marketplace(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        _clear()  # each example starts from an empty, seeded database
        self.now = NOW
        self.keys = itertools.count(1)
        users.register(user_id=ADMIN_ID, first_name="Admin", now=self.now)
        for uid in PEOPLE:
            users.register(user_id=uid, first_name=f"u{uid}", now=self.now)
        for uid in REQUESTERS:
            accounts.credit(admin_id=ADMIN_ID, user_id=uid, amount_cents=100_00, reason="seed", now=self.now,
                            key=f"seed{uid}")
        # One HIT from the start, so the first steps already have work to act on.
        publishing.publish_hit(requester_id=REQUESTERS[0], spec=_spec(50, 3, 600, 86_400, 3600), now=self.now)
        self.refresh()

    def attempt(self, service, **kwargs):
        """Call a service; if it refuses, nothing at all may have changed."""
        before = snapshot()
        try:
            return service(**kwargs)
        except HitbotError:
            assert_same(before, snapshot())
            return None

    def key(self) -> str:
        return f"k{next(self.keys)}"

    def refresh(self) -> None:
        """What the preconditions look at, read once per step."""
        statuses = {status for (status,) in Assignment.select(Assignment.status).distinct().tuples()}
        open_hits = list(_hits(only_open=True).select(Hit.available).tuples())
        money = {code: cents for code, cents in Account.select(Account.code, Account.balance_cents).tuples()}
        self.has = {
            "assignment": bool(statuses), **{status: status in statuses for status in S.HOLDING_SLOT},
            "open_payout": Payout.select().where(Payout.status.in_(PayoutStatus.OPEN)).exists(),
            "open_hits": len(open_hits),
            "nearly_full": any(available <= 1 for (available,) in open_hits),
            "low_requester": any(money.get(f"available:{r}", 0) < 20_00 for r in REQUESTERS),
            "withdrawable": any(money.get(f"available:{w}", 0) >= 100 for w in WORKERS),
        }

    # --- requesters -------------------------------------------------------------------

    @precondition(lambda self: self.has["open_hits"] < 4)
    @rule(r=st.sampled_from(REQUESTERS), reward=st.integers(1, 400), n=st.integers(1, 4),
          duration=st.sampled_from([120, 600]), lifetime=st.sampled_from([600, 86_400, 7 * 86_400, 30 * 86_400]),
          auto=st.sampled_from([0, 3600, 3 * 86_400]))
    def publish(self, r, reward, n, duration, lifetime, auto):
        before = _avail(r)
        hit = self.attempt(publishing.publish_hit, requester_id=r, spec=_spec(reward, n, duration, lifetime, auto),
                           now=self.now, key=self.key())
        if hit is not None:
            assert _avail(r) == before - n * hit.unit_cost_cents
        else:  # the only reason to refuse this spec is a short balance
            assert before < n * (reward + fee_for(reward, 20))

    @precondition(lambda self: self.has[S.SUBMITTED])
    @rule(i=st.integers(0, 30))
    def approve(self, i):
        self._approve(_pick(_assignments(S.SUBMITTED), i))

    def _approve(self, a: Assignment) -> None:
        hit = Hit.get_by_id(a.hit_id)
        worker_before, fees_before = _avail(a.worker_id), ledger.balance(ledger.fees())
        assert review.approve(requester_id=hit.requester_id, assignment_id=a.id, now=self.now).status == S.APPROVED
        assert _avail(a.worker_id) == worker_before + hit.reward_cents
        assert ledger.balance(ledger.fees()) == fees_before + hit.fee_cents

    @precondition(lambda self: self.has[S.SUBMITTED])
    @rule(i=st.integers(0, 30))
    def reject(self, i):
        self._reject(_pick(_assignments(S.SUBMITTED), i))

    def _reject(self, a: Assignment) -> None:
        hit = Hit.get_by_id(a.hit_id)
        before = _avail(hit.requester_id)
        assert review.reject(requester_id=hit.requester_id, assignment_id=a.id, feedback="Blurry",
                             now=self.now).status == S.REJECTED
        assert _avail(hit.requester_id) == before + hit.unit_cost_cents

    @precondition(lambda self: self.has[S.SUBMITTED])
    @rule(i=st.integers(0, 30), window_h=st.sampled_from([1, 24, 72]))
    def ask_for_revision(self, i, window_h):
        self._ask_revision(_pick(_assignments(S.SUBMITTED), i), window_h)

    def _ask_revision(self, a: Assignment, window_h: int = 24) -> None:
        hit = Hit.get_by_id(a.hit_id)
        before = (_avail(hit.requester_id), _avail(a.worker_id), ledger.balance(ledger.escrow(hit.id)))
        # Refused only past the cap (HITBOT_MAX_REVISIONS): then nothing changed (attempt checks).
        if self.attempt(revisions.request_revision, requester_id=hit.requester_id, assignment_id=a.id,
                        note="Check the kind", window_s=window_h * 3600, now=self.now):
            assert Assignment.get_by_id(a.id).status == S.REVISING
        assert (_avail(hit.requester_id), _avail(a.worker_id), ledger.balance(ledger.escrow(hit.id))) == before

    @precondition(lambda self: self.has[S.REVISING])
    @rule(i=st.integers(0, 30), kind=st.sampled_from(["food", "travel", "other"]))
    def revise_and_resubmit(self, i, kind):
        a = _pick(_assignments(S.REVISING), i)
        q = Question.get((Question.hit == a.hit_id) & (Question.key == "kind"))
        # Refused when the window has passed but the clock has not run yet: nothing changes.
        if self.attempt(revisions.revise_answer, worker_id=a.worker_id, assignment_id=a.id, question_id=q.id,
                        value=kind, now=self.now) is not None:
            self.attempt(revisions.resubmit, worker_id=a.worker_id, assignment_id=a.id, now=self.now)
            assert Assignment.get_by_id(a.id).status == S.SUBMITTED

    @precondition(lambda self: self.has[S.REJECTED])
    @rule(i=st.integers(0, 30))
    def reverse_rejection(self, i):
        a = _pick(_assignments(S.REJECTED), i)
        hit = Hit.get_by_id(a.hit_id)
        requester_before, worker_before = _avail(hit.requester_id), _avail(a.worker_id)
        # May be refused: older than 30 days, or the requester's balance is too low now.
        if self.attempt(review.approve, requester_id=hit.requester_id, assignment_id=a.id, now=self.now):
            # Escrow was refunded at rejection, so the requester's balance pays now.
            assert _avail(hit.requester_id) == requester_before - hit.unit_cost_cents
            assert _avail(a.worker_id) == worker_before + hit.reward_cents

    @precondition(lambda self: self.has["assignment"])
    @rule(i=st.integers(0, 30), cents=st.integers(1, 300))
    def bonus(self, i, cents):
        a = _pick(_assignments(), i)
        hit = Hit.get_by_id(a.hit_id)
        before = _avail(a.worker_id)
        if self.attempt(review.bonus, requester_id=hit.requester_id, assignment_id=a.id, amount_cents=cents,
                        reason="Great notes", now=self.now, key=self.key()) is not None:
            assert _avail(a.worker_id) == before + cents

    # Ending a HIT early is rare next to taking work; only once two HITs are open.
    @precondition(lambda self: self.has["open_hits"] >= 2)
    @rule(i=st.integers(0, 30))
    def close(self, i):
        hit = _pick(_hits(), i)
        before = _avail(hit.requester_id)
        refund = self.attempt(manage.close_hit, hit_id=hit.id, now=self.now, requester_id=hit.requester_id)
        if hit.status == HitStatus.OPEN:
            assert refund == hit.available * hit.unit_cost_cents
            assert _avail(hit.requester_id) == before + refund
        else:
            assert refund is None and _avail(hit.requester_id) == before

    # Requesters add assignments when a HIT (nearly) filled up.
    @precondition(lambda self: self.has["nearly_full"])
    @rule(i=st.integers(0, 30), n=st.integers(1, 3))
    def add_assignments(self, i, n):
        hit = _pick(_hits(only_open=True).where(Hit.available <= 1), i)
        added = self.attempt(manage.add_assignments, requester_id=hit.requester_id, hit_id=hit.id, count=n,
                             now=self.now, key=self.key())
        if added is not None:
            assert (added.max_assignments, added.available) == (hit.max_assignments + n, hit.available + n)

    @precondition(lambda self: self.has["low_requester"])
    @rule(uid=st.sampled_from(PEOPLE), cents=st.integers(1, 30_00))
    def top_up(self, uid, cents):
        before = _avail(uid)
        key = self.key()
        assert accounts.credit(admin_id=ADMIN_ID, user_id=uid, amount_cents=cents, reason="card", now=self.now, key=key)
        # The same top-up delivered twice is credited once.
        assert not accounts.credit(admin_id=ADMIN_ID, user_id=uid, amount_cents=cents, reason="card", now=self.now,
                                   key=key)
        assert _avail(uid) == before + cents

    # --- workers ----------------------------------------------------------------------

    @precondition(lambda self: self.has["open_hits"] >= 1)
    @rule(w=st.sampled_from(PEOPLE), i=st.integers(0, 30), seconds=st.integers(5, 150),
          valid=st.sampled_from([True, True, False]),
          until=st.sampled_from(["approve", "reject", "submitted", "answered", "accepted", "revise"]))
    def work_on(self, w, i, seconds, valid, until):
        """The usual path in one step: take an open HIT, answer it, submit a little later, and
        the requester decides at once; `until` stops part way to leave work in that state."""
        hit = _pick(_hits(only_open=True), i)
        a = self.attempt(work.accept, worker_id=w, hit_id=hit.id, now=self.now)
        if a is None or until == "accepted":
            return
        q = Question.get((Question.hit == hit.id) & (Question.key == "kind"))
        answered = self.attempt(work.save_answer, worker_id=w, assignment_id=a.id, question_id=q.id,
                                value="food" if valid else "a dinosaur", now=self.now)
        assert (answered is not None) == valid
        if until == "answered":
            return
        self.now += timedelta(seconds=seconds)
        # Without an answer it is IncompleteAnswers, past the deadline DeadlinePassed; either way no trace.
        submitted = self.attempt(work.submit, worker_id=w, assignment_id=a.id, now=self.now)
        assert (submitted is not None) == (valid and seconds < hit.duration_s)
        if submitted is not None and until in ("approve", "reject"):
            getattr(self, f"_{until}")(a)
        if submitted is not None and until == "revise":  # sent back at once: later steps revise, lapse or decide
            self._ask_revision(a)

    @precondition(lambda self: self.has["assignment"])
    @rule(i=st.integers(0, 30), action=st.sampled_from(ACTIONS), forged=st.booleans())
    def act_on_any(self, i, action, forged):
        """Any action on any assignment, by its rightful owner or by someone else."""
        a = _pick(_assignments(), i)
        hit = Hit.get_by_id(a.hit_id)
        worker = _other(a.worker_id) if forged else a.worker_id
        requester = _other(hit.requester_id) if forged else hit.requester_id
        q = Question.get((Question.hit == hit.id) & (Question.key == "kind"))
        calls = {
            "approve": (review.approve, {"requester_id": requester, "assignment_id": a.id}),
            "reject": (review.reject, {"requester_id": requester, "assignment_id": a.id, "feedback": "No"}),
            "bonus": (review.bonus, {"requester_id": requester, "assignment_id": a.id, "amount_cents": 5,
                                     "reason": "Thanks", "key": self.key()}),
            "answer": (work.save_answer, {"worker_id": worker, "assignment_id": a.id, "question_id": q.id,
                                          "value": "other"}),
            "submit": (work.submit, {"worker_id": worker, "assignment_id": a.id}),
            "return": (work.return_assignment, {"worker_id": worker, "assignment_id": a.id}),
            "close": (manage.close_hit, {"requester_id": requester, "hit_id": hit.id}),
            "add": (manage.add_assignments, {"requester_id": requester, "hit_id": hit.id, "count": 1,
                                             "key": self.key()}),
        }
        service, kwargs = calls[action]
        if forged:
            before = snapshot()
            with pytest.raises(NotAllowed):
                service(now=self.now, **kwargs)
            assert_same(before, snapshot())
        else:
            self.attempt(service, now=self.now, **kwargs)

    @precondition(lambda self: self.has[S.APPROVED])
    @rule(i=st.integers(0, 30))
    def approve_again(self, i):
        a = _pick(_assignments(S.APPROVED), i)
        before = snapshot()
        with pytest.raises(StaleAction):
            review.approve(requester_id=Hit.get_by_id(a.hit_id).requester_id, assignment_id=a.id, now=self.now)
        assert_same(before, snapshot())

    @precondition(lambda self: self.has["withdrawable"])
    @rule(w=st.sampled_from(WORKERS), all_of_it=st.booleans())
    def withdraw(self, w, all_of_it):
        have = _avail(w)
        amount = None if all_of_it else max(1, have // 2)
        payout = self.attempt(accounts.withdraw, worker_id=w, now=self.now, key=self.key(), amount_cents=amount)
        if payout is not None:
            assert _avail(w) == have - payout.amount_cents
        else:
            assert (amount or have) < 100  # HITBOT_MIN_PAYOUT_CENTS in the tests

    @precondition(lambda self: self.has["open_payout"])
    @rule(i=st.integers(0, 10), paid=st.booleans())
    def provider_answers(self, i, paid):
        payout = _pick(Payout.select().order_by(Payout.id), i)
        started = accounts.start_payout(payout_id=payout.id, now=self.now)
        assert (started is not None) == (payout.status in PayoutStatus.OPEN)
        before = _avail(payout.worker_id)
        if paid:
            settled = accounts.settle_payout(payout_id=payout.id, now=self.now, provider_ref="ref")
            assert _avail(payout.worker_id) == before
        else:
            settled = accounts.fail_payout(payout_id=payout.id, now=self.now, reason="bank said no")
            assert _avail(payout.worker_id) == before + (payout.amount_cents if settled else 0)
        # A payout settles (or fails) exactly once; later answers are no-ops.
        assert settled == (payout.status in PayoutStatus.OPEN)

    # --- the clock --------------------------------------------------------------------

    @rule(seconds=st.sampled_from([30, 400, 3_600, 4 * 86_400]), twice=st.booleans())
    def time_passes(self, seconds, twice):
        self.now += timedelta(seconds=seconds)
        for run in range(2 if twice else 1):  # a second clock (or a retry) must find nothing left
            done = (sweeps.expire_assignments(now=self.now), sweeps.lapse_revisions(now=self.now),
                    sweeps.auto_approve(now=self.now), sweeps.expire_hits(now=self.now))
            if run:
                assert done == (0, 0, 0, 0)
        assert not _assignments(S.ACCEPTED).where(Assignment.deadline <= self.now).exists()
        assert not _assignments(S.SUBMITTED).where(Assignment.auto_approve_at <= self.now).exists()
        assert not _assignments(S.REVISING).join(Revision, on=(Revision.assignment == Assignment.id)).where(
            Revision.closed_at.is_null() & (Revision.window_ends_at <= self.now)).exists()
        assert not _hits(only_open=True).where(Hit.expires_at <= self.now).exists()

    @invariant()
    def money_and_capacity(self):
        check_invariants()
        self.refresh()


def test_random_operation_sequences_keep_the_invariants():
    run_state_machine_as_test(Marketplace, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
