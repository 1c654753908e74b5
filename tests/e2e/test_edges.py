"""End to end over HTTP: a batch from a spec and a CSV, a forged button press, a worker who
blocked the bot, and an assignment that runs out of time on the clock."""
from __future__ import annotations

import json
import time

import pytest

from core import ledger
from core.models import Assignment, Hit, User
from core.payments import accounts
from tests.e2e.walks import started, topup
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES, MALLORY = 511, 611, 666

TEMPLATE = {
    "title": "Is ${city} a capital?", "description": "Answer from what you know about ${city}.",
    "reward": "0.20", "assignments": 1, "duration": "30s", "lifetime": "1d",
    "questions": [{"id": "capital", "kind": "choice", "prompt": "Is ${city} a capital?", "options": ["yes", "no"]}],
}


def _batch(rita) -> list[Hit]:
    rita.send("/batch")
    rita.wait_for("spec")
    rita.upload("document", json.dumps(TEMPLATE).encode(), "capitals.json", "application/json")
    rita.wait_for("Spec file received")
    rita.upload("document", b"city\nBerlin\nLyon\nOslo\n", "cities.csv", "text/csv")
    rita.wait_for("Publish")
    rita.press("Publish")
    rita.wait_for("Published 3 HITs")
    return list(Hit.select().where(Hit.title.startswith("Is ")).order_by(Hit.id))


def _accept(worker, hit: Hit) -> None:
    worker.send(f"/start hit_{hit.id}")
    worker.wait_for("Accept")
    worker.press("Accept")
    # The first question (its prompt is the title, with the yes/no buttons), not just the accepted
    # notice: the press is answered before the bot sends the question.
    worker.wait_for(hit.title, "yes", "no")


def test_batch_forged_press_blocked_worker_and_expiry_on_the_clock(stack):
    rita, wes, mallory = started(stack, (RITA, "Rita"), (WES, "Wes"), (MALLORY, "Mallory"))
    topup(rita, "10")
    hits = _batch(rita)
    assert [h.title for h in hits] == ["Is Berlin a capital?", "Is Lyon a capital?", "Is Oslo a capital?"]
    assert accounts.balances(user_id=RITA).available_cents == 10_00 - 3 * 24

    # Wes answers Berlin and submits.
    _accept(wes, hits[0])
    wes.press("yes")
    wes.wait_for("Submit")
    wes.press("Submit")
    wes.wait_for("submitted")
    assignment = Assignment.get(Assignment.worker == WES, Assignment.hit == hits[0].id)

    # Mallory forges Rita's Approve button from a message of her own chat: refused, nothing changes.
    own = mallory.bot_messages()[-1]
    answer = stack.http.post(f"/sandbox/api/users/{MALLORY}/press", json={
        "message_id": own["message_id"], "callback_data": f"r:apv:{assignment.id}", "forged": True}).json()
    assert answer["answered"] and answer["text"] == "This button is no longer valid." and answer["show_alert"]
    assert Assignment.get_by_id(assignment.id).status == "submitted"
    assert ledger.balance(ledger.available(MALLORY)) == 0 and ledger.balance(ledger.available(WES)) == 0

    # Wes blocks the bot; Rita approves; the notice can't reach him but his money is paid,
    # Rita's chat carries on and the bot remembers he is unreachable.
    wes.block()
    rita.send("/review")
    card = rita.wait_for("Submission #", "Approve")
    assert rita.press("Approve", card)["text"] == "Approved and paid."
    assert ledger.balance(ledger.available(WES)) == 20
    deadline = time.monotonic() + 30
    while not User.get_by_id(WES).unreachable and time.monotonic() < deadline:
        time.sleep(0.2)
    assert User.get_by_id(WES).unreachable
    stats = stack.stats()
    assert stats["errors_by_code"].get("403", 0) >= 1
    assert any(e["description"] == "Forbidden: bot was blocked by the user" for e in stats["recent_errors"])
    assert not any("was approved" in (m["text"] or "") for m in wes.bot_messages())
    wes.unblock()
    wes.send("/balance")
    wes.wait_for("$0.20")

    # Mallory accepts Lyon and walks away: the clock expires the assignment after 30 s and
    # tells her; the slot is open again.
    _accept(mallory, hits[1])
    expired = mallory.wait_for("Time ran out", timeout=75)
    assert "released" in expired["text"]
    assert Assignment.get(Assignment.worker == MALLORY).status == "expired"
    _accept(wes, hits[1])  # the released slot can be taken by someone else
    check_invariants()
