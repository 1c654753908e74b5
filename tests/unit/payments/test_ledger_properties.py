"""The ledger (core.ledger) by itself and under random use (issue 23).

Literal cases for post/balance/accounts; hypothesis properties: random postings and random
sequences of publish, approve, reject, bonus and payout keep every transaction summing to zero,
every kept balance equal to its entries and no user's balance below zero. The interleavings
that only a concurrent caller produces (someone else created the account, or posted the same
key, between our check and our insert) are replayed here on any database; the real races are
in tests/integration/test_ledger_races.py."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from peewee import fn

from core import ledger, outbox
from core.db import db, tx
from core.errors import HitbotError, InsufficientFunds
from core.hits import publishing
from core.migrations import seed
from core.models import (
    ALL_MODELS,
    Account,
    AccountKind,
    Assignment,
    AssignmentStatus as S,
    Entry,
    LedgerTxn,
    OutboxEvent,
    Question,
)
from core.payments import accounts
from core.review import commands as review
from core.users import commands as users
from core.work import commands as work
from tests import factories as f
from tests.conftest import ADMIN_ID, NOW
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("database")


def _entries(key: str) -> list[tuple[str, int]]:
    return sorted((e.account.code, e.amount_cents) for e in
                  Entry.select(Entry, Account).join(Account).switch(Entry).join(LedgerTxn)
                  .where(LedgerTxn.key == key))


def _unbalanced_txns() -> list:
    return list(Entry.select(Entry.txn, fn.SUM(Entry.amount_cents)).group_by(Entry.txn)
                .having(fn.SUM(Entry.amount_cents) != 0).tuples())


def _user(uid: int) -> int:
    users.register(user_id=uid, first_name=f"u{uid}", now=NOW)
    return uid


# ------------------------------------------------------------------ accounts

def test_accounts_are_named_typed_and_made_once():
    uid = _user(4242)
    a = ledger.available(uid)
    assert (a.code, a.kind, a.user_id, a.hit_id, a.allow_negative, a.balance_cents) == (
        "available:4242", AccountKind.AVAILABLE, 4242, None, False, 0)
    p = ledger.payout_pending(uid)
    assert (p.code, p.kind, p.user_id) == ("payout:4242", AccountKind.PAYOUT, 4242)
    e = ledger.escrow(77)
    assert (e.code, e.kind, e.user_id, e.hit_id, e.allow_negative) == ("escrow:77", AccountKind.ESCROW, None, 77, False)
    fees, world = ledger.fees(), ledger.world()
    assert (fees.code, fees.kind, fees.allow_negative) == ("fees", AccountKind.FEES, False)
    assert (world.code, world.kind, world.allow_negative) == ("world", AccountKind.WORLD, True)
    assert ledger.available(uid).id == a.id and ledger.escrow(77).id == e.id and ledger.world().id == world.id
    assert Account.select().where(Account.code.in_(["available:4242", "payout:4242", "escrow:77"])).count() == 3


def test_an_account_someone_else_created_meanwhile_is_used(monkeypatch):
    """A racing creator won between our look-up and our insert: we use their account, and our
    transaction goes on (the failed insert was in a savepoint)."""
    ledger.world(), ledger.available(_user(4342))  # other accounts first: the right one is not the first row
    uid = _user(4343)
    theirs = ledger.available(uid)

    class LookUpMissed:  # our look-up (compiled once in core.ledger) ran before their insert committed
        calls = 0

        def first(self, **params):
            self.calls += 1
            return None

    missed, real = LookUpMissed(), ledger._BY_CODE
    with tx():
        monkeypatch.setattr(ledger, "_BY_CODE", missed)
        ours = ledger.available(uid)
        monkeypatch.setattr(ledger, "_BY_CODE", real)
        assert missed.calls == 1  # the look-up really was the one that missed
        ledger.post(key="after-race", kind="topup", legs=[(ledger.world(), -5), (ours, 5)], now=NOW)
    assert ours.id == theirs.id
    assert Account.select().where(Account.code == "available:4343").count() == 1
    assert ledger.balance(ledger.available(uid)) == 5


# ------------------------------------------------------------------ post

def test_post_moves_money_once_per_key():
    uid = _user(5001)
    with tx():
        assert ledger.post(key="k1", kind="topup", legs=[(ledger.world(), -250), (ledger.available(uid), 250)],
                           now=NOW, memo="first") is True
    with tx():
        assert ledger.post(key="k1", kind="topup", legs=[(ledger.world(), -999), (ledger.available(uid), 999)],
                           now=NOW, memo="retry") is False
    txn = LedgerTxn.get(LedgerTxn.key == "k1")
    assert (txn.kind, txn.memo, txn.created_at) == ("topup", "first", NOW)
    assert _entries("k1") == [("available:5001", 250), ("world", -250)]
    assert ledger.balance(ledger.available(uid)) == 250
    assert ledger.balance(ledger.world()) == -250


def test_post_keeps_no_zero_legs_and_cuts_long_memos():
    uid = _user(5002)
    with tx():
        ledger.post(key="z", kind="topup", legs=[(ledger.world(), -10), (ledger.available(uid), 10), (ledger.fees(), 0)],
                    now=NOW, memo="m" * 600)
    assert _entries("z") == [("available:5002", 10), ("world", -10)]
    assert LedgerTxn.get(LedgerTxn.key == "z").memo == "m" * 500


def test_a_transaction_that_does_not_balance_is_refused():
    uid = _user(5003)
    with pytest.raises(ValueError, match="ledger transaction 'bad' does not balance"), tx():
        ledger.post(key="bad", kind="topup", legs=[(ledger.world(), -10), (ledger.available(uid), 11)], now=NOW)
    assert LedgerTxn.select().where(LedgerTxn.key == "bad").count() == 0
    with tx():  # nothing at all is a balanced no-op, still recorded against its key
        assert ledger.post(key="empty", kind="topup", legs=[(ledger.available(uid), 0)], now=NOW) is True
    assert _entries("empty") == []


def test_a_balance_may_reach_zero_but_not_below():
    uid, other = _user(5004), _user(5005)
    with tx():
        ledger.post(key="in", kind="topup", legs=[(ledger.world(), -100), (ledger.available(uid), 100)], now=NOW)
    with pytest.raises(InsufficientFunds), tx():
        ledger.post(key="over", kind="bonus", legs=[(ledger.available(uid), -101), (ledger.available(other), 101)],
                    now=NOW)
    assert LedgerTxn.select().where(LedgerTxn.key == "over").count() == 0  # the caller rolled back
    assert (ledger.balance(ledger.available(uid)), ledger.balance(ledger.available(other))) == (100, 0)
    with tx():
        assert ledger.post(key="all", kind="bonus",
                           legs=[(ledger.available(uid), -100), (ledger.available(other), 100)], now=NOW)
    assert (ledger.balance(ledger.available(uid)), ledger.balance(ledger.available(other))) == (0, 100)


def test_an_overdraft_on_any_leg_refuses_the_whole_transaction():
    a, b, c = _user(5006), _user(5007), _user(5008)
    with tx():
        ledger.post(key="in", kind="topup", legs=[(ledger.world(), -100), (ledger.available(a), 100)], now=NOW)
    # a's leg is fine, b's (0 -> -1) is not: the order of legs does not matter.
    for i, legs in enumerate(([(ledger.available(a), -50), (ledger.available(b), -1), (ledger.available(c), 51)],
                              [(ledger.available(b), -1), (ledger.available(c), 51), (ledger.available(a), -50)])):
        with pytest.raises(InsufficientFunds), tx():
            ledger.post(key=f"mixed{i}", kind="bonus", legs=legs, now=NOW)
    assert [ledger.balance(ledger.available(u)) for u in (a, b, c)] == [100, 0, 0]


def test_the_platform_accounts_keep_no_balance_column_and_world_may_go_negative():
    uid = _user(5009)
    with tx():
        ledger.post(key="t", kind="topup", legs=[(ledger.world(), -300), (ledger.available(uid), 300)], now=NOW)
        ledger.post(key="f", kind="bonus", legs=[(ledger.available(uid), -30), (ledger.fees(), 30)], now=NOW)
    assert Account.get(Account.code == "world").balance_cents == 0  # not kept ...
    assert Account.get(Account.code == "fees").balance_cents == 0
    assert ledger.balance(ledger.world()) == -300  # ... but the sum of the entries
    assert ledger.balance(ledger.fees()) == 30
    assert Account.get(Account.code == "available:5009").balance_cents == 270
    assert ledger.balance(ledger.escrow(12345)) == 0  # an account with no entries


def _events(kind: str) -> list[tuple[int | None, dict]]:
    return [(e.user_id, e.payload) for e in OutboxEvent.select().where(OutboxEvent.kind == kind).order_by(OutboxEvent.id)]


def test_a_postings_event_is_emitted_with_it_once_and_handed_on_after_the_commit(monkeypatch):
    uid = _user(5011)
    handed: list[list[int]] = []
    monkeypatch.setattr(outbox, "_listeners", [handed.append])
    for memo in ("first", "retry"):
        with tx():
            ledger.post(key="told", kind="topup", legs=[(ledger.world(), -70), (ledger.available(uid), 70)], now=NOW,
                        memo=memo, event=("balance.credited", uid, {"amount_cents": 70, "reason": "gift"}))
    assert _events("balance.credited") == [(uid, {"amount_cents": 70, "reason": "gift"})]  # the retry told nobody
    (event,) = OutboxEvent.select().where(OutboxEvent.kind == "balance.credited")
    assert handed == [[event.id]] and event.created_at == NOW and event.done_at is None


def test_a_posting_refused_for_an_overdraft_leaves_no_event_and_no_entries():
    uid, other = _user(5012), _user(5013)
    with tx():
        ledger.post(key="in", kind="topup", legs=[(ledger.world(), -30), (ledger.available(uid), 30)], now=NOW)
    with pytest.raises(InsufficientFunds), tx():
        ledger.post(key="over", kind="bonus", legs=[(ledger.available(uid), -31), (ledger.available(other), 31)],
                    now=NOW, event=("bonus.paid", other, {"amount_cents": 31}))
    assert _events("bonus.paid") == []
    assert LedgerTxn.select().where(LedgerTxn.key == "over").count() == 0 and _entries("over") == []
    assert (ledger.balance(ledger.available(uid)), ledger.balance(ledger.available(other))) == (30, 0)
    check_invariants()


def test_a_key_someone_else_posted_meanwhile_reports_already_done(monkeypatch):
    """A concurrent post of the same key passed its check with ours and inserted first: ours
    reports False (already posted), moves nothing, and our transaction goes on."""
    uid = _user(5010)
    with tx():
        ledger.post(key="same", kind="topup", legs=[(ledger.world(), -40), (ledger.available(uid), 40)], now=NOW)

    class CheckMissed:  # our existence check ran before their insert committed
        def __getattr__(self, name):
            return getattr(LedgerTxn, name)

        @staticmethod
        def select(*args):
            return LedgerTxn.select(*args).where(LedgerTxn.id < 0)

    with tx():
        monkeypatch.setattr(ledger, "LedgerTxn", CheckMissed())
        moved = ledger.post(key="same", kind="topup", legs=[(ledger.world(), -40), (ledger.available(uid), 40)],
                            now=NOW)
        monkeypatch.setattr(ledger, "LedgerTxn", LedgerTxn)
        assert ledger.post(key="next", kind="topup", legs=[(ledger.world(), -1), (ledger.available(uid), 1)],
                           now=NOW) is True
    assert moved is False
    assert ledger.balance(ledger.available(uid)) == 41
    assert LedgerTxn.select().where(LedgerTxn.key == "same").count() == 1


# ------------------------------------------------------------------ properties

def _clear() -> None:
    with db.atomic():
        for model in reversed(ALL_MODELS):
            db.execute_sql(f'DELETE FROM "{model._meta.table_name}"')
    seed()


PEOPLE = (6001, 6002, 6003)
leg_amount = st.integers(-500, 500)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(moves=st.lists(st.tuples(st.lists(st.tuples(st.sampled_from(PEOPLE + ("world", "fees", "escrow")), leg_amount),
                                         min_size=1, max_size=4), st.booleans()), min_size=1, max_size=12))
def test_random_postings_conserve_money(moves):
    _clear()
    for uid in PEOPLE:
        _user(uid)
    accounts_by_name = {uid: lambda uid=uid: ledger.available(uid) for uid in PEOPLE}
    accounts_by_name.update(world=ledger.world, fees=ledger.fees, escrow=lambda: ledger.escrow(1))
    for i, (legs, retry) in enumerate(moves):
        # The fees account only ever receives (it has no overdraft check: see ledger.UNCACHED).
        named = [(accounts_by_name[name](), abs(amount) if name == "fees" else amount) for name, amount in legs]
        named.append((ledger.world(), -sum(amount for _, amount in named)))  # balance it with the world
        posted = False
        try:
            with tx():
                posted = ledger.post(key=f"m{i}", kind="move", legs=named, now=NOW)
        except InsufficientFunds:
            assert LedgerTxn.select().where(LedgerTxn.key == f"m{i}").count() == 0
        if posted and retry:  # a retried call moves nothing
            before = dict(Account.select(Account.code, Account.balance_cents).tuples())
            with tx():
                assert ledger.post(key=f"m{i}", kind="move", legs=named, now=NOW) is False
            assert dict(Account.select(Account.code, Account.balance_cents).tuples()) == before
        assert _unbalanced_txns() == []
        check_invariants()


def _spec(reward_cents: int, n: int) -> dict:
    return {"title": "Sort it", "reward": f"{reward_cents / 100:.2f}", "assignments": n, "duration": 600,
            "lifetime": 86_400, "questions": [{"id": "k", "kind": "choice", "prompt": "Which?", "options": ["a", "b"]}]}


OPS = st.sampled_from(("publish", "work", "approve", "reject", "reverse", "bonus", "payout"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(OPS, st.integers(0, 7), st.integers(1, 300)), min_size=1, max_size=14))
def test_random_marketplace_sequences_conserve_money(steps):
    """publish / work / approve / reject / reverse / bonus / payout in any order: every
    transaction sums to zero, balances equal their entries, nobody's balance is negative."""
    _clear()
    requesters, workers = (6101, 6102), (6201, 6202, 6203)
    _user(ADMIN_ID)
    for uid in requesters + workers:
        _user(uid)
    for uid in requesters:
        accounts.credit(admin_id=ADMIN_ID, user_id=uid, amount_cents=5_00, reason="seed", now=NOW, key=f"s{uid}")
    now = NOW
    for n, (op, pick, cents) in enumerate(steps):
        now += timedelta(minutes=1)
        who = requesters[pick % 2]
        try:
            if op == "publish":
                publishing.publish_hit(requester_id=who, spec=_spec(cents, 1 + pick % 3), now=now)
            elif op == "work":
                hits = [h for h in publishing.Hit.select().order_by(publishing.Hit.id)]
                if hits:
                    h, w = hits[pick % len(hits)], workers[pick % 3]
                    a = work.accept(worker_id=w, hit_id=h.id, now=now)
                    q = Question.get(Question.hit == h.id)
                    work.save_answer(worker_id=w, assignment_id=a.id, question_id=q.id, value="a", now=now)
                    work.submit(worker_id=w, assignment_id=a.id, now=now)
            elif op in ("approve", "reject", "bonus", "reverse"):
                status = S.REJECTED if op == "reverse" else S.SUBMITTED if op != "bonus" else None
                query = Assignment.select().order_by(Assignment.id)
                if status:
                    query = query.where(Assignment.status == status)
                found = list(query)
                if found:
                    a = found[pick % len(found)]
                    owner = publishing.Hit.get_by_id(a.hit_id).requester_id
                    if op in ("approve", "reverse"):
                        review.approve(requester_id=owner, assignment_id=a.id, now=now)
                    elif op == "reject":
                        review.reject(requester_id=owner, assignment_id=a.id, feedback="no", now=now)
                    else:
                        review.bonus(requester_id=owner, assignment_id=a.id, amount_cents=cents, reason="thanks",
                                     now=now, key=f"b{n}")
            elif op == "payout":
                accounts.withdraw(worker_id=(requesters + workers)[pick % 5], now=now, key=f"p{n}")
        except HitbotError:
            pass  # refusals are checked elsewhere; here only what was done counts
        assert _unbalanced_txns() == []
        negative = list(Account.select(Account.code, Account.balance_cents)
                        .where((Account.kind == AccountKind.AVAILABLE) & (Account.balance_cents < 0)).tuples())
        assert negative == []
        check_invariants()
    # Money in = money held: what came from the world is on users' balances, in escrow, in payouts and fees.
    held = Account.select(fn.COALESCE(fn.SUM(Account.balance_cents), 0)).where(
        Account.kind.not_in(ledger.UNCACHED)).scalar()
    assert held + ledger.balance(ledger.fees()) == -ledger.balance(ledger.world()) == 2 * 5_00


def test_fees_and_rewards_of_a_small_day_add_up(now):
    """One literal day: 3 slots of 50 cents at 20 %, two approved, one rejected, a 25-cent bonus."""
    r = f.requester(10_00)
    a, b, c = f.submitted(r.id, 3, now)
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    review.approve(requester_id=r.id, assignment_id=b.id, now=now)
    review.reject(requester_id=r.id, assignment_id=c.id, feedback="no", now=now)
    review.bonus(requester_id=r.id, assignment_id=a.id, amount_cents=25, reason="great", now=now, key="d1")
    assert f.available(r.id) == 10_00 - 2 * 60 - 30  # 8.50
    assert [f.available(x.worker_id) for x in (a, b, c)] == [75, 50, 0]
    assert ledger.balance(ledger.fees()) == 2 * 10 + 5
    assert ledger.balance(ledger.escrow(a.hit_id)) == 0
    assert _unbalanced_txns() == []


def test_a_posting_without_a_memo_has_an_empty_one():
    uid = _user(5011)
    with tx():
        ledger.post(key="plain", kind="topup", legs=[(ledger.world(), -3), (ledger.available(uid), 3)], now=NOW)
    assert LedgerTxn.get(LedgerTxn.key == "plain").memo == ""
