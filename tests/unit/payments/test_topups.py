"""Issue 19, requester money: money paid in (card or Stars) can be spent or refunded by an admin
to the original payment, never withdrawn; earnings (and admin credits) can be. Literal cents."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import InsufficientFunds, NotAllowed, NotFound, PayoutTooSmall, StaleAction, ValidationFailed
from core.models import LedgerTxn, OutboxEvent, Payout, Question, TopUp
from core.payments import accounts, topups
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.conftest import ADMIN_ID, NOW
from tests.integration.racing import run_threads
from tests.invariants import check_invariants


def paid_in(user_id: int, cents: int, charge: str, **kw) -> None:
    assert accounts.topup(user_id=user_id, amount_cents=cents, charge_id=charge, now=NOW, **kw)


def earn(worker_id: int, reward: str = "2.00") -> None:
    """The worker does one HIT of another requester's and it is approved."""
    rita = f.requester(50_00, name="Rita")
    hit = f.hit(rita.id, reward=reward, assignments=1)
    a = work.accept(worker_id=worker_id, hit_id=hit.id, now=NOW)
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=q.id, value="cat", now=NOW)
    work.submit(worker_id=worker_id, assignment_id=a.id, now=NOW + timedelta(minutes=1))
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=2))


def available(user_id: int) -> int:
    return ledger.balance(ledger.available(user_id))


@pytest.fixture
def lou(database):
    f.user("Admin", user_id=ADMIN_ID)
    return f.user("Lou")


def test_a_top_up_can_be_spent_but_not_withdrawn(lou):
    paid_in(lou.id, 50_00, "tg-charge-1")
    assert TopUp.get().amount_cents == 50_00 and topups.withdrawable_cents(user_id=lou.id) == 0
    with pytest.raises(PayoutTooSmall, match=r"you have \$0.00 available \(money you topped up can be spent"):
        accounts.withdraw(worker_id=lou.id, now=NOW, key="w1")
    assert Payout.select().count() == 0 and available(lou.id) == 50_00  # the refusal moved nothing

    earn(lou.id, "2.00")  # earnings are withdrawable, the top-up still is not
    assert (available(lou.id), topups.withdrawable_cents(user_id=lou.id)) == (52_00, 2_00)
    with pytest.raises(ValidationFailed, match=r"at most \$2.00 \(money you topped up"):
        accounts.withdraw(worker_id=lou.id, now=NOW, key="w2", amount_cents=3_00)
    f.hit(lou.id, reward="10.00", assignments=1)  # spends $12.00 (reward and 20 % fee): from the top-up first
    assert (available(lou.id), topups.prepaid_cents(user_id=lou.id), topups.withdrawable_cents(user_id=lou.id)) == \
        (40_00, 38_00, 2_00)
    payout = accounts.withdraw(worker_id=lou.id, now=NOW, key="w3")
    assert payout.amount_cents == 2_00 and available(lou.id) == 38_00
    accounts.fail_payout(payout_id=payout.id, now=NOW, reason="bank said no")  # comes back as earnings
    assert topups.withdrawable_cents(user_id=lou.id) == 2_00
    check_invariants()


def test_escrow_that_comes_back_is_prepaid_again_and_admin_credits_are_withdrawable(lou):
    from core.hits import manage

    paid_in(lou.id, 12_00, "tg-charge-2")
    hit = f.hit(lou.id, reward="10.00", assignments=1)
    assert topups.prepaid_cents(user_id=lou.id) == 0
    manage.close_hit(requester_id=lou.id, hit_id=hit.id, now=NOW)  # the unused $12.00 comes back
    assert (available(lou.id), topups.withdrawable_cents(user_id=lou.id)) == (12_00, 0)
    accounts.credit(admin_id=ADMIN_ID, user_id=lou.id, amount_cents=3_00, reason="goodwill", now=NOW, key="c1")
    assert topups.withdrawable_cents(user_id=lou.id) == 3_00
    check_invariants()


def test_admin_refunds_an_unspent_card_top_up_once(lou):
    paid_in(lou.id, 20_00, "tg-charge-3")
    with pytest.raises(NotAllowed):
        topups.refund_quote(admin_id=lou.id, charge="tg-charge-3")
    with pytest.raises(NotFound):
        topups.refund_quote(admin_id=ADMIN_ID, charge="nope")
    with pytest.raises(ValidationFailed):
        topups.refund_quote(admin_id=ADMIN_ID, charge="x" * 200)
    quote = topups.refund_quote(admin_id=ADMIN_ID, charge="tg-charge-3")
    assert (quote.user_id, quote.amount_cents, quote.source, quote.prepaid_cents) == (lou.id, 20_00, "card", 20_00)
    with pytest.raises(NotAllowed):
        topups.start_refund(admin_id=lou.id, topup_id=quote.topup_id, now=NOW)  # only admins, re-checked in core
    assert available(lou.id) == 20_00
    done = topups.start_refund(admin_id=ADMIN_ID, topup_id=quote.topup_id, now=NOW)
    assert done.refund_state == "done" and available(lou.id) == 0
    txn = LedgerTxn.get(LedgerTxn.kind == "topup_refund")
    assert sorted(e.amount_cents for e in txn.entries) == [-20_00, 20_00]
    told = OutboxEvent.get(OutboxEvent.kind == "topup.refunded")
    assert told.user_id == lou.id and told.payload["amount_cents"] == 20_00
    with pytest.raises(StaleAction, match="already refunded"):
        topups.start_refund(admin_id=ADMIN_ID, topup_id=quote.topup_id, now=NOW)
    assert available(lou.id) == 0 and LedgerTxn.select().where(LedgerTxn.kind == "topup_refund").count() == 1
    check_invariants()


def test_a_spent_top_up_is_not_refunded(lou):
    paid_in(lou.id, 10_00, "tg-charge-4")
    f.hit(lou.id, reward="1.00", assignments=1)  # $1.20 of it spent
    with pytest.raises(InsufficientFunds, match=r"Only \$8.80 of the \$10.00 paid in is unspent"):
        topups.refund_quote(admin_id=ADMIN_ID, charge="tg-charge-4")
    with pytest.raises(InsufficientFunds):
        topups.start_refund(admin_id=ADMIN_ID, topup_id=TopUp.get().id, now=NOW)
    assert available(lou.id) == 8_80 and TopUp.get().refund_state is None
    check_invariants()


def test_a_stars_refund_waits_for_telegram_and_is_undone_if_refused(lou):
    paid_in(lou.id, 3_00, "stars-charge-5", source="stars", paid_amount=150, paid_currency="XTR")
    row = TopUp.get()
    assert (row.paid_amount, row.paid_currency, row.source) == (150, "XTR", "stars")
    pending = topups.start_refund(admin_id=ADMIN_ID, topup_id=row.id, now=NOW)
    assert pending.refund_state == "pending" and available(lou.id) == 0
    again = topups.start_refund(admin_id=ADMIN_ID, topup_id=row.id, now=NOW)  # retrying the Telegram call
    assert again.refund_state == "pending" and available(lou.id) == 0  # moved once
    assert topups.undo_refund(topup_id=row.id, now=NOW) and available(lou.id) == 3_00
    assert not topups.undo_refund(topup_id=row.id, now=NOW) and available(lou.id) == 3_00
    assert topups.withdrawable_cents(user_id=lou.id) == 0  # still prepaid
    topups.start_refund(admin_id=ADMIN_ID, topup_id=row.id, now=NOW)  # tried again later: a fresh key
    assert topups.finish_refund(topup_id=row.id, now=NOW) and not topups.finish_refund(topup_id=row.id, now=NOW)
    assert TopUp.get().refund_state == "done" and available(lou.id) == 0
    assert OutboxEvent.select().where(OutboxEvent.kind == "topup.refunded").count() == 1
    check_invariants()


def test_two_admins_refunding_at_once_move_the_money_once(lou):
    paid_in(lou.id, 20_00, "tg-charge-6")
    topup_id = TopUp.get().id
    outcomes = run_threads([(topups.start_refund, {"admin_id": ADMIN_ID, "topup_id": topup_id, "now": NOW})] * 4,
                           threads=4)
    assert sorted(o[0] for o in outcomes) == ["StaleAction"] * 3 + ["ok"]
    assert available(lou.id) == 0 and LedgerTxn.select().where(LedgerTxn.kind == "topup_refund").count() == 1
    check_invariants()


def test_a_top_up_is_recorded_once_per_charge(lou):
    paid_in(lou.id, 5_00, "tg-charge-7")
    assert not accounts.topup(user_id=lou.id, amount_cents=5_00, charge_id="tg-charge-7", now=NOW)
    assert TopUp.select().count() == 1 and available(lou.id) == 5_00


def test_a_refund_racing_a_spend_of_the_same_money_lets_one_through(lou):
    """$10.00 paid in; a refund of it and a HIT costing $6.00 at once: never both."""
    paid_in(lou.id, 10_00, "tg-charge-8")
    topup_id = TopUp.get().id
    outcomes = run_threads([(topups.start_refund, {"admin_id": ADMIN_ID, "topup_id": topup_id, "now": NOW}),
                            (f.hit, {"requester_id": lou.id, "reward": "5.00", "assignments": 1})], threads=2)
    assert sorted(o[0] for o in outcomes) == ["InsufficientFunds", "ok"], outcomes
    refunded = TopUp.get().refund_state == "done"
    spent = 10_00 - available(lou.id) - (10_00 if refunded else 0)
    assert (refunded, spent) in ((True, 0), (False, 6_00)), outcomes  # exactly one of them happened
    assert available(lou.id) >= 0
    check_invariants()
