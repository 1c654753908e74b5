"""Walked over HTTP as people would: a requester's gold rule (/quality 60 2 reject) on a batch
with control rows. The worker answers control row A wrong, then control row D right: A is
rejected (never D), both sides are told why, and the requester's Undo approves and pays A."""
from __future__ import annotations

import json

import pytest

from core import ledger
from core.models import Assignment, Hit
from tests.e2e.walks import accept, started, submit, topup
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES = 531, 631
TEMPLATE = {
    "title": "Which animal is ${name}?", "description": "Look at picture ${name}.",
    "reward": "0.40", "assignments": 1, "duration": "10m", "lifetime": "1d",
    "questions": [{"id": "animal", "kind": "choice", "prompt": "What is ${name}?", "options": ["cat", "dog", "bird"]}],
}
CSV = b"name,_gold_animal\nA,dog\nB,\nC,\nD,dog\nE,\n"


def _do(worker, hit: Hit, option: str) -> None:
    accept(worker, hit)
    worker.wait_for(f"What is {hit.title[-2]}?")
    worker.press(option)
    submit(worker, "Submitted")


def test_the_gold_rule_rejects_only_the_wrong_control_answer_and_undo_pays_it(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "10")
    rita.send("/quality 60 2 reject")
    rita.wait_for("60%")
    rita.send("/batch")
    rita.wait_for("spec")
    rita.upload("document", json.dumps(TEMPLATE).encode(), "animals.json", "application/json")
    rita.wait_for("Spec file received")
    rita.upload("document", CSV, "animals.csv", "text/csv")
    rita.wait_for("Publish")
    rita.press("Publish")
    rita.wait_for("Published 5 HITs")
    hits = {h.title[-2]: h for h in Hit.select().where(Hit.title.startswith("Which animal"))}
    before = ledger.balance(ledger.available(RITA))

    _do(wes, hits["A"], "cat")  # control row A, wrong: one control answer is not yet the sample
    assert Assignment.get(Assignment.hit == hits["A"].id).status == "submitted"
    _do(wes, hits["D"], "dog")  # control row D, right: 1 of 2 = 50 % < 60 %
    a = Assignment.get(Assignment.hit == hits["A"].id)
    d = Assignment.get(Assignment.hit == hits["D"].id)
    assert (a.status, d.status) == ("rejected", "submitted")

    told = wes.wait_for("rejected automatically", "Appeal", fresh=False)
    assert "Which animal is A?" in (told.get("text") or "")
    notice = rita.wait_for("Your quality rule rejected", "Undo", fresh=False)
    assert "accuracy is 50%" in notice["text"]
    assert ledger.balance(ledger.available(RITA)) == before + 48  # A's escrow came back

    assert "approved and paid" in rita.press("Undo", notice)["text"]
    assert Assignment.get_by_id(a.id).status == "approved"
    assert ledger.balance(ledger.available(WES)) == 40
    wes.wait_for("approved", fresh=False)
    check_invariants()
