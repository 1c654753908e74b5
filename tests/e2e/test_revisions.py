"""A revision over HTTP, as people in the web chat (issue 18): the requester asks for a revision with
a note, the worker changes an answer from ✏️ Revise and resubmits, the requester approves the
revised card; the worker is paid once, and the money adds up."""
from __future__ import annotations

import pytest

from core import ledger
from core.models import Answer, Assignment, LedgerTxn, Question
from core.payments import accounts
from tests.e2e.walks import ask_for_revision, publish_bird_hit, revise_to_two_sparrows, started, topup, work_bird_hit
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES = 511, 611


def test_requester_asks_for_a_revision_worker_resubmits_and_is_paid_once(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "20")
    hit = publish_bird_hit(rita)
    work_bird_hit(wes, hit, bird="robin", count="3", notes="Orange breast")
    (a,) = Assignment.select().where(Assignment.hit == hit.id)

    rita.send("/review")
    card = rita.wait_for("Submission #", "robin", "Ask for a revision")
    notice = ask_for_revision(rita, wes, card, "Look again: it is a sparrow, and count only the birds on the branch.",
                              "count only the birds")
    rita.wait_for("Sent back for revision 1 of 2", fresh=False)  # the card, edited

    revise_to_two_sparrows(wes, notice)
    wes.press("Resubmit")
    wes.wait_for("Resubmitted")

    answers = {Question.get_by_id(x.question_id).key: x.value for x in Answer.select().where(Answer.assignment == a.id)}
    assert answers == {"bird": "sparrow", "count": 2, "notes": "Orange breast"}
    revised = rita.wait_for("Revised by the worker", "sparrow", "Approve")
    assert rita.press("Approve", revised)["text"] == "Approved and paid."
    wes.wait_for("was approved", "+$0.75")
    assert accounts.balances(user_id=WES).available_cents == 75
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == 1
    assert ledger.balance(ledger.escrow(hit.id)) == 90  # the other slot, still open, still held
    check_invariants()
