"""The whole life cycle over HTTP, as people in the web chat: top up by paying an invoice,
publish a HIT from a spec file, two workers find, accept, answer and submit it, the requester
approves one and rejects the other with a reason, pays a bonus, the worker withdraws and the
payout is processed and announced; money adds up at the end."""
from __future__ import annotations

import json

import pytest

from core import ledger
from core.models import Assignment, Hit, Payout
from core.payments import accounts
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES, WILLA = 501, 601, 602

SPEC = {
    "title": "Which bird is in the photo?",
    "description": "Look at the photo and tell us about the bird.",
    "keywords": ["birds"],
    "reward": "0.75",
    "assignments": 2,
    "duration": "10m",
    "lifetime": "1d",
    "questions": [
        {"id": "bird", "kind": "choice", "prompt": "Which bird is it?", "options": ["sparrow", "robin", "blackbird"]},
        {"id": "count", "kind": "number", "prompt": "How many birds do you see?", "min": 0, "max": 50},
        {"id": "notes", "kind": "text", "prompt": "Describe its colours", "max_length": 200},
    ],
}


def _topup(rita, amount: str) -> None:
    rita.send(f"/topup {amount}")
    rita.wait_for("top-up")
    paid = rita.pay_invoice()
    assert paid["paid"] is True, paid
    rita.wait_for("added")


def _publish(rita) -> Hit:
    rita.upload("document", json.dumps(SPEC).encode(), "bird.json", "application/json", caption="/newhit")
    rita.wait_for("Which bird is in the photo?", "Publish")
    rita.press("Publish")
    rita.wait_for("published")
    return Hit.get(Hit.title == SPEC["title"])


def _work(worker, hit: Hit, *, bird: str, count: str, notes: str) -> None:
    worker.send("/browse")
    listing = worker.wait_for(SPEC["title"])
    worker.press(SPEC["title"][:20], listing)
    worker.wait_for("Accept")
    worker.press("Accept")
    worker.wait_for("Which bird is it?")
    worker.press(bird)
    worker.wait_for("How many birds")
    worker.send(count)
    worker.wait_for("Describe its colours")
    worker.send(notes)
    worker.wait_for("Submit")
    worker.press("Submit")
    worker.wait_for("submitted")


def test_requester_and_two_workers_over_http(stack):
    rita, wes, willa = stack.person(RITA, "Rita"), stack.person(WES, "Wes"), stack.person(WILLA, "Willa")
    for p in (rita, wes, willa):
        p.send("/start")
        p.wait_for(p.name)
    # The bot published its command menu on start-up, in English and in translation.
    menu = {c["command"] for c in stack.http.get("/sandbox/api/commands").json()["commands"]}
    assert {"browse", "mywork", "balance", "newhit", "review"} <= menu
    ru = stack.http.get("/sandbox/api/commands", params={"language_code": "ru"}).json()["commands"]
    assert any(c["command"] == "browse" and c["description"] == "Найти задания" for c in ru)

    _topup(rita, "20")
    assert accounts.balances(user_id=RITA).available_cents == 20_00
    hit = _publish(rita)
    assert [q["kind"] for q in SPEC["questions"]] == ["choice", "number", "text"]

    _work(wes, hit, bird="sparrow", count="3", notes="Brown and grey with a black bib")
    _work(willa, hit, bird="robin", count="1", notes="no")
    assert Assignment.select().where(Assignment.hit == hit.id, Assignment.status == "submitted").count() == 2

    # Review through the card's buttons: Wes's (the oldest) first, then Willa's.
    rita.send("/review")
    card = rita.wait_for("Submission #", "sparrow", "Approve")
    assert rita.press("Approve", card)["text"] == "Approved and paid."
    rita.wait_for("Approved")
    wes.wait_for("was approved", "+$0.75")
    # Willa's card: the one the queue shows next, or the one the new-submission notice brought.
    card2 = rita.wait_for("Submission #", "robin", "Reject", fresh=False)
    rita.press("Reject", card2)
    rita.wait_for("Why are you rejecting")
    rita.send("The bird in the photo is a sparrow, and the colours were not described.")
    rita.wait_for("Rejected")
    willa.wait_for("was rejected", "not described")

    # A bonus on the approved work: amount, then reason.
    rita.press("Bonus", card)
    rita.wait_for("How much bonus")
    rita.send("0.50")
    rita.wait_for("what is it for")
    rita.send("Great description")
    rita.wait_for("Send a bonus of", "$0.60 leaves your balance")  # confirmed with its cost first
    assert accounts.balances(user_id=WES).available_cents == 75
    rita.press("Send $0.60")
    rita.wait_for("Bonus of $0.50 sent")
    wes.wait_for("bonus", "0.50")
    assert accounts.balances(user_id=WES).available_cents == 1_25

    # Wes withdraws; the jobs worker pays it out and the bot announces it.
    wes.send("/withdraw")
    wes.wait_for("Withdraw", "$1.25")
    assert wes.press("Confirm")["text"] == "Payout requested."
    wes.wait_for("Payout #", "sent", "on its way")
    payout = Payout.get(Payout.worker == WES)
    assert payout.amount_cents == 1_25 and payout.status == "paid"

    # Money adds up: Rita paid 2 x (0.75 + fee) into escrow, got Willa's slot back, paid the bonus.
    a_wes = Assignment.get(Assignment.worker == WES)
    a_willa = Assignment.get(Assignment.worker == WILLA)
    assert (a_wes.status, a_willa.status) == ("approved", "rejected")
    assert accounts.balances(user_id=WES).available_cents == 0
    assert accounts.balances(user_id=WILLA).available_cents == 0
    assert accounts.balances(user_id=RITA).available_cents == 20_00 - 90 - 60
    assert ledger.balance(ledger.escrow(hit.id)) == 0
    check_invariants()
    stats = stack.stats()
    assert stats["calls"]["getUpdates"] > 0 and stats["calls"]["answerCallbackQuery"] >= 10
