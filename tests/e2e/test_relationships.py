"""Issue 18's must-show walk over HTTP, as people in the web chat: Wesley asks Rita about her HIT
from its preview and she answers; he does the work, she asks for a revision, he revises and
resubmits, her approval pays him once; her second HIT needs her own qualification, he requests it,
she grants it and he takes that HIT. Both have Telegram usernames: neither side's Telegram id or
username (nor the worker's name) shows anywhere in what the other one received."""
from __future__ import annotations

import json

import pytest

from core import ledger
from core.models import Assignment, Hit, LedgerTxn, QualificationGrant
from core.mturk.commands import worker_ref
from core.payments import accounts
from tests.e2e.test_marketplace import SPEC, _publish, _topup, _work
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

# Ten-digit ids, as Telegram's are: no amount, HIT id or count on a screen can contain them by chance.
RITA, WES = 1_734_905_219, 1_846_207_331
RITA_USERNAME, WES_USERNAME = "rita_birdwatch", "wesley_ringer"

TREES = {**SPEC, "title": "Which tree is in the photo?", "description": "Name the tree.",
         "qualifications": [{"name": "Bird expert", "comparator": "exists"}]}


def _everything_received(person) -> str:
    """Every bot message in the person's chat: texts, captions, button labels and what they carry."""
    parts = []
    for m in person.bot_messages():
        parts += [m.get("text") or "", m.get("caption") or ""]
        for row in m["buttons"]:
            for b in row:
                parts += [b.get("text", ""), b.get("callback_data", ""), b.get("url", ""),
                          (b.get("web_app") or {}).get("url", "")]
    return "\n".join(parts)


def test_ask_revise_and_qualify_without_either_side_learning_the_others_telegram_identity(stack):
    rita, wes = stack.person(RITA, "Rita"), stack.person(WES, "Wesley")
    for p, username in ((rita, RITA_USERNAME), (wes, WES_USERNAME)):
        stack.http.post("/sandbox/api/users", json={"id": p.id, "first_name": p.name, "username": username,
                                                     "language_code": "en"}).raise_for_status()
        p.send("/start")
        p.wait_for(p.name)
    _topup(rita, "20")
    hit = _publish(rita)
    alias = f"Worker #{worker_ref(RITA, WES)}"

    # 1. A question from the preview, answered by the requester.
    wes.send(f"/start hit_{hit.id}")
    wes.wait_for(SPEC["title"], "Ask the requester")
    wes.press("Ask the requester")
    wes.wait_for("They will not see your Telegram name")
    rita.mark()
    wes.send("Do birds on the fence count too?")
    wes.wait_for("Sent")
    asked = rita.wait_for(f"Message from {alias}", "on the fence", "Reply")
    rita.press("Reply", asked)
    rita.wait_for("Write your reply")
    wes.mark()
    rita.send("Only the birds on the branch, please.")
    wes.wait_for("Message from Rita", "on the branch")

    # 2. A revision: the note, the worker's change, the resubmission, one payment.
    _work(wes, hit, bird="robin", count="3", notes="Orange breast")
    (a,) = Assignment.select().where(Assignment.hit == hit.id)
    rita.send("/review")
    card = rita.wait_for("Submission #", "robin", "Ask for a revision")
    assert alias in card["text"]
    rita.press("Ask for a revision", card)
    rita.wait_for("What should the worker change")
    wes.mark()
    rita.send("It is a sparrow; count only the birds on the branch.")
    rita.wait_for("Sent back to the worker")
    notice = wes.wait_for("asks you to revise", "only the birds on the branch", "Revise")
    wes.press("Revise", notice)
    screen = wes.wait_for("Revising", "robin", "Resubmit")
    wes.press("1", screen)
    wes.wait_for("Your answer now", "sparrow")
    wes.press("sparrow")
    screen = wes.wait_for("Revising", "sparrow", "Resubmit")
    wes.press("2", screen)
    wes.wait_for("How many birds")
    wes.send("2")
    wes.wait_for("Revising", "Resubmit")
    rita.mark()
    wes.press("Resubmit")
    wes.wait_for("Resubmitted")
    revised = rita.wait_for("Revised by the worker", "sparrow", "Approve")
    assert rita.press("Approve", revised)["text"] == "Approved and paid."
    wes.wait_for("was approved", "+$0.75")
    assert accounts.balances(user_id=WES).available_cents == 75
    approvals = LedgerTxn.select().where(LedgerTxn.kind == "approve")
    assert approvals.count() == 1 and Assignment.get_by_id(a.id).status == "approved"
    assert ledger.balance(ledger.escrow(hit.id)) == 90  # the other slot, still open, still held

    # 3. A qualification request for her second HIT, granted; the worker then takes that HIT.
    rita.send("/qual new Bird expert | Knows garden birds")
    rita.wait_for("Created “Bird expert”")
    rita.upload("document", json.dumps(TREES).encode(), "trees.json", "application/json", caption="/newhit")
    rita.wait_for(TREES["title"], "Publish")
    rita.press("Publish")
    rita.wait_for("published")
    trees = Hit.get(Hit.title == TREES["title"])
    wes.send(f"/start hit_{trees.id}")
    preview = wes.wait_for(TREES["title"], "Request this qualification")
    assert "✅ Accept" not in [b["text"] for row in preview["buttons"] for b in row]
    wes.press("Request this qualification", preview)
    wes.wait_for("Write a short message for the requester")
    rita.mark()
    wes.send("I ring birds every spring.")
    wes.wait_for("was sent")
    request = rita.wait_for(f"{alias} asks for your qualification “Bird expert”", "ring birds", "Grant")
    assert "1 approved · 0 rejected" in request["text"]  # his history with her: the revised, approved work
    wes.mark()
    rita.press("Grant", request)
    rita.wait_for(f"You granted “Bird expert” = 1 to {alias}")
    told = wes.wait_for("Your request was granted", "Preview the HIT")
    assert QualificationGrant.select().where(QualificationGrant.worker == WES).count() == 1
    wes.press("Preview the HIT", told)
    wes.wait_for(TREES["title"], "Accept")
    wes.press("Accept")
    wes.wait_for("Which bird is it?")
    assert Assignment.select().where((Assignment.worker == WES) & (Assignment.hit == trees.id)).exists()

    # Neither side's Telegram identity in anything the other received.
    to_rita, to_wes = _everything_received(rita), _everything_received(wes)
    assert alias in to_rita and "Rita" in to_wes  # the names each side does see
    for leaked in (str(WES), WES_USERNAME, "Wesley"):
        assert leaked.lower() not in to_rita.lower(), leaked
    for leaked in (str(RITA), RITA_USERNAME):
        assert leaked.lower() not in to_wes.lower(), leaked
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == 1  # still paid once
    check_invariants()
