"""The whole life cycle over HTTP, as people in the web chat: top up by paying an invoice,
publish a HIT from a spec file, two workers find, accept, answer and submit it, the requester
approves one and rejects the other with a reason, pays a bonus, the worker withdraws and the
payout is processed and announced; money adds up at the end."""
from __future__ import annotations

import pytest

from core import ledger
from core.models import Assignment, Payout
from core.payments import accounts
from tests.e2e.walks import SPEC, publish_bird_hit, started, topup, work_bird_hit
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES, WILLA = 501, 601, 602

def test_requester_and_two_workers_over_http(stack):
    rita, wes, willa = started(stack, (RITA, "Rita"), (WES, "Wes"), (WILLA, "Willa"))
    # The bot published its command menu on start-up, in English and in translation.
    menu = {c["command"] for c in stack.http.get("/sandbox/api/commands").json()["commands"]}
    assert {"browse", "mywork", "balance", "newhit", "review"} <= menu
    ru = stack.http.get("/sandbox/api/commands", params={"language_code": "ru"}).json()["commands"]
    assert any(c["command"] == "browse" and c["description"] == "Найти задания" for c in ru)

    topup(rita, "20")
    assert accounts.balances(user_id=RITA).available_cents == 20_00
    hit = publish_bird_hit(rita)
    assert [q["kind"] for q in SPEC["questions"]] == ["choice", "number", "text"]

    work_bird_hit(wes, hit, bird="sparrow", count="3", notes="Brown and grey with a black bib")
    work_bird_hit(willa, hit, bird="robin", count="1", notes="no")
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
