"""People's data on request (issue 22): export everything, delete (anonymise) while the money
records stay, requesters wait for their escrow, admins can do it for someone who asked."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.errors import NotAllowed
from core.hits import export, manage
from core.models import Answer, Appeal, Assignment, Entry, Payout, Question, User
from core.payments import accounts
from core.review import appeals, commands as review
from core.users import commands as users, privacy
from core.work import commands as work
from tests import factories as f
from tests.conftest import ADMIN_ID
from tests.invariants import check_invariants

QUESTIONS = [
    {"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog"]},
    {"id": "notes", "kind": "text", "prompt": "Notes"},
    {"id": "pic", "kind": "photo", "prompt": "Photo"},
    {"id": "where", "kind": "location", "prompt": "Where?"},
]
VALUES = {"animal": "cat", "notes": "I live at 5 Elm Street, call me Ann", "pic": {"file_id": "PHOTO-OF-ANN"},
          "where": {"latitude": 52.52, "longitude": 13.405}}


def _work(hit, worker_id, now):
    a = work.accept(worker_id=worker_id, hit_id=hit.id, now=now)
    for q in Question.select().where(Question.hit == hit.id):
        work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=q.id, value=VALUES[q.key], now=now)
    return work.submit(worker_id=worker_id, assignment_id=a.id, now=now + timedelta(minutes=2))


@pytest.fixture
def ann_worked(database, now):
    """Ann (a worker with a profile) did two HITs for Rita: one approved and rated, one rejected
    and appealed; Rita's HITs are settled (nothing left in escrow)."""
    rita = f.requester(100_00)
    ann = f.user("Ann", username="ann_the_worker", language_code="de")
    users.set_country(user_id=ann.id, country="DE")
    users.set_pref(user_id=ann.id, key="skills", value=["birds"])
    h1 = f.hit(rita.id, reward="1.50", assignments=1, questions=QUESTIONS)
    h2 = f.hit(rita.id, reward="1.00", assignments=1, questions=QUESTIONS)
    a1 = _work(h1, ann.id, now)
    review.approve(requester_id=rita.id, assignment_id=a1.id, now=now + timedelta(minutes=5))
    review.rate_requester(worker_id=ann.id, assignment_id=a1.id, stars=5, now=now + timedelta(minutes=6))
    a2 = _work(h2, ann.id, now)
    review.reject(requester_id=rita.id, assignment_id=a2.id, feedback="blurry photo", now=now + timedelta(minutes=5))
    appeals.appeal(worker_id=ann.id, assignment_id=a2.id, message="My phone number is 555-0199, please look again",
                   now=now + timedelta(minutes=7))
    accounts.withdraw(worker_id=ann.id, now=now + timedelta(minutes=8), amount_cents=150, key="ann-w1")
    return rita, User.get_by_id(ann.id), (a1, a2)


def test_export_holds_profile_work_answers_payouts_ratings(ann_worked, now):
    rita, ann, (a1, a2) = ann_worked
    data = json.loads(json.dumps(privacy.export(user_id=ann.id, now=now)))  # JSON all the way down
    assert data["profile"]["id"] == ann.id and data["profile"]["first_name"] == "Ann"
    assert data["profile"]["username"] == "ann_the_worker"
    assert [w["assignment_id"] for w in data["work"]] == [a1.id, a2.id]
    assert data["work"][0]["status"] == "approved" and data["work"][1]["feedback"] == "blurry photo"
    answers = {x["question"]: x["value"] for x in data["work"][0]["answers"]}
    assert answers == VALUES
    assert [p["amount_cents"] for p in data["payouts"]] == [150]
    assert [r["stars"] for r in data["ratings"]["given"]] == [5]
    assert {"balances", "hits", "appeals", "alerts", "qualifications", "exported_at"} <= set(data)
    rita_data = privacy.export(user_id=rita.id, now=now)
    assert len(rita_data["hits"]) == 2 and rita_data["work"] == []


def test_delete_erases_the_worker_and_their_answers_but_keeps_the_money(ann_worked, now):
    rita, ann, (a1, a2) = ann_worked
    entries_before = Entry.select().count()
    balance_before = accounts.balances(user_id=ann.id).available_cents
    done = privacy.delete_account(user_id=ann.id, now=now + timedelta(hours=1))
    assert done.answers_erased == 6  # text, photo and location in each of two assignments

    gone = User.get_by_id(ann.id)
    assert (gone.first_name, gone.username, gone.language_code, gone.country) == ("", None, None, None)
    assert "skills" not in gone.prefs
    assert gone.display_name == f"user {ann.id}"
    values = [a.value for a in Answer.select().join(Assignment).where(Assignment.worker == ann.id)]
    text = json.dumps(values)
    assert "Elm Street" not in text and "PHOTO-OF-ANN" not in text and "52.52" not in text
    assert values.count("cat") == 2  # a choice is the requester's paid-for result, not personal content
    assert "555-0199" not in json.dumps([a.message for a in Appeal.select()])

    rows = export.results(requester_id=rita.id)  # the requester's results no longer carry her content or name
    assert "Elm Street" not in json.dumps(rows, default=str) and "Ann" not in json.dumps(rows, default=str)
    assert "PHOTO-OF-ANN" not in json.dumps(rows, default=str)

    # The ledger is untouched and still sums to zero; her balance and payout are still hers.
    assert Entry.select().count() == entries_before
    assert accounts.balances(user_id=ann.id).available_cents == balance_before == done.available_cents
    assert Payout.select().where(Payout.worker == ann.id).count() == 1
    assert Assignment.get_by_id(a1.id).status == "approved"
    check_invariants()
    assert privacy.summary(user_id=ann.id).deleted


def test_a_requester_with_money_in_escrow_is_told_to_wait(database, now):
    rita = f.requester(100_00)
    hit = f.hit(rita.id, reward="1.00", assignments=3)
    s = privacy.summary(user_id=rita.id)
    assert s.must_wait and s.escrow_cents > 0 and s.open_hits_n == 1
    with pytest.raises(NotAllowed, match="escrow"):
        privacy.delete_account(user_id=rita.id, now=now)
    assert User.get_by_id(rita.id).first_name == "Rita"  # nothing was erased

    manage.close_hit(hit_id=hit.id, now=now, requester_id=rita.id)  # ending it refunds the escrow
    assert not privacy.summary(user_id=rita.id).must_wait
    privacy.delete_account(user_id=rita.id, now=now)
    assert User.get_by_id(rita.id).first_name == ""
    check_invariants()


def test_only_admins_may_forget_someone(database, now):
    ann = f.user("Ann")
    users.register(user_id=ADMIN_ID, first_name="Admin", now=now)
    with pytest.raises(NotAllowed):
        privacy.forget(admin_id=ann.id, user_id=ann.id, now=now)
    assert User.get_by_id(ann.id).first_name == "Ann"
    privacy.forget(admin_id=ADMIN_ID, user_id=ann.id, now=now)
    assert User.get_by_id(ann.id).first_name == ""


IBAN = "DE89370400440532013000"
TAX_ID = "36574261809"


@pytest.fixture
def payout_methods(monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("HITBOT_PAYOUT_METHODS", "paypal,sepa")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def wes_paid_by_sepa(database, payout_methods, now):
    """Wes gave tax details, has a removed PayPal address and a SEPA account, and was paid once to the IBAN."""
    from core.payments import destinations, tax

    wes = f.requester(20_00, name="Wes")
    paypal = destinations.add_destination(user_id=wes.id, method="paypal", parts=["wes@example.com"], now=now)
    destinations.remove_destination(user_id=wes.id, destination_id=paypal.id, now=now)
    destinations.add_destination(user_id=wes.id, method="sepa", parts=[IBAN], now=now)
    tax.set_tax_details(user_id=wes.id, country="DE", tax_id=TAX_ID, now=now)
    later = now + timedelta(days=2)  # past the new destination's hold
    payout = accounts.withdraw(worker_id=wes.id, now=later, amount_cents=5_00, key="wes-w1")
    accounts.settle_payout(payout_id=payout.id, now=later, provider_ref="bank-1")
    return wes, paypal


def test_export_holds_tax_details_and_payout_destinations_masked_never_in_full(wes_paid_by_sepa, now):
    wes, paypal = wes_paid_by_sepa
    data = privacy.export(user_id=wes.id, now=now)
    text = json.dumps(data)
    assert IBAN not in text and "370400440532013000" not in text and TAX_ID not in text
    assert data["tax_details"]["country"] == "DE"
    assert data["tax_details"]["tax_id_masked"] == "****1809"
    got = [(d["method"], d["masked"], d["default"], d["removed_at"] is not None) for d in data["payout_destinations"]]
    assert got == [("paypal", paypal.masked, False, True), ("sepa", "DE89 **** **** **** 3000", True, False)]
    assert "wes@example.com" not in text and paypal.masked != "wes@example.com"
    assert [(p["method"], p["destination"], p["status"]) for p in data["payouts"]] == [
        ("sepa", "DE89 **** **** **** 3000", "paid")]


def test_delete_removes_tax_details_and_payout_destinations_but_keeps_the_payout(wes_paid_by_sepa, now):
    from core.models import PayoutDestination, TaxDetails
    from core.payments import destinations, tax

    wes, _ = wes_paid_by_sepa
    privacy.delete_account(user_id=wes.id, now=now + timedelta(days=3))
    assert PayoutDestination.select().where(PayoutDestination.user == wes.id).count() == 0  # removed one too
    assert TaxDetails.get_or_none(TaxDetails.user == wes.id) is None
    assert tax.tax_details(user_id=wes.id) is None and destinations.list_destinations(user_id=wes.id) == []
    data = privacy.export(user_id=wes.id, now=now + timedelta(days=3))
    assert data["payout_destinations"] == [] and data["tax_details"] is None
    assert [(p["destination"], p["amount_cents"]) for p in data["payouts"]] == [("DE89 **** **** **** 3000", 5_00)]
    check_invariants()


def test_delete_waits_while_a_payout_to_a_destination_is_on_its_way(database, payout_methods, now):
    from core.models import PayoutDestination, TaxDetails
    from core.payments import destinations, tax

    wes = f.requester(20_00, name="Wes")
    destinations.add_destination(user_id=wes.id, method="sepa", parts=[IBAN], now=now)
    tax.set_tax_details(user_id=wes.id, country="DE", tax_id=TAX_ID, now=now)
    later = now + timedelta(days=2)
    payout = accounts.withdraw(worker_id=wes.id, now=later, amount_cents=5_00, key="wes-w1")
    with pytest.raises(NotAllowed, match="on its way"):
        privacy.delete_account(user_id=wes.id, now=later)
    # nothing erased: the payout worker still needs the IBAN to pay it
    assert destinations.reveal(destination_id=payout.destination_id, user_id=wes.id) == {"iban": IBAN}
    assert User.get_by_id(wes.id).first_name == "Wes" and TaxDetails.get_or_none(TaxDetails.user == wes.id)
    accounts.fail_payout(payout_id=payout.id, now=later, reason="bank down")  # money back: nothing on its way
    privacy.delete_account(user_id=wes.id, now=later)
    assert PayoutDestination.select().where(PayoutDestination.user == wes.id).count() == 0
    assert accounts.balances(user_id=wes.id).available_cents == 20_00
    check_invariants()
