"""Issue 18's must-show walk over HTTP, as people in the web chat: Wesley asks Rita about her HIT
from its preview and she answers; he does the work, she asks for a revision, he revises and
resubmits, her approval pays him once; her second HIT needs her own qualification, he requests it,
she grants it and he takes that HIT. Both have Telegram usernames: neither side's Telegram id or
username (nor the worker's name) shows anywhere in what the other one received."""
from __future__ import annotations

import pytest

from core import ledger
from core.models import Assignment, LedgerTxn, QualificationGrant
from core.mturk.commands import worker_ref
from core.payments import accounts
from tests.e2e.walks import (
    SPEC,
    ask_for_revision,
    ask_from_preview,
    grant_and_accept,
    new_qual,
    publish_bird_hit,
    publish_spec,
    reply,
    request_qualification,
    revise_to_two_sparrows,
    started,
    topup,
    work_bird_hit,
)
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
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wesley"), usernames={RITA: RITA_USERNAME, WES: WES_USERNAME})
    topup(rita, "20")
    hit = publish_bird_hit(rita)
    alias = f"Worker #{worker_ref(RITA, WES)}"

    # 1. A question from the preview, answered by the requester.
    asked = ask_from_preview(wes, rita, hit, "Do birds on the fence count too?", alias, "on the fence")
    reply(rita, wes, asked, "Only the birds on the branch, please.", "Message from Rita", "on the branch")

    # 2. A revision: the note, the worker's change, the resubmission, one payment.
    work_bird_hit(wes, hit, bird="robin", count="3", notes="Orange breast")
    (a,) = Assignment.select().where(Assignment.hit == hit.id)
    rita.send("/review")
    card = rita.wait_for("Submission #", "robin", "Ask for a revision")
    assert alias in card["text"]
    notice = ask_for_revision(rita, wes, card, "It is a sparrow; count only the birds on the branch.",
                              "only the birds on the branch")
    revise_to_two_sparrows(wes, notice)
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
    new_qual(rita, "Bird expert", "Knows garden birds")
    trees = publish_spec(rita, TREES, "trees.json")
    wes.send(f"/start hit_{trees.id}")
    preview = wes.wait_for(TREES["title"], "Request this qualification")
    assert "✅ Accept" not in [b["text"] for row in preview["buttons"] for b in row]
    request = request_qualification(wes, rita, preview, "I ring birds every spring.", "Bird expert", alias, "ring birds")
    assert "1 approved · 0 rejected" in request["text"]  # his history with her: the revised, approved work
    grant_and_accept(rita, wes, request, "Bird expert", alias, TREES["title"])
    assert QualificationGrant.select().where(QualificationGrant.worker == WES).count() == 1
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
