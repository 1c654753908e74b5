"""Walked as people in the web chat would, over HTTP: a requester attaches a photo to a HIT in
the wizard; the worker sees it in the preview, again on Accept and behind Instructions; /cancel
and other commands end prompts, so a number typed later never adds paid assignments; typed
counts are confirmed with their cost; unknown commands and stray messages get an answer."""
from __future__ import annotations

import json

import pytest

from core import ledger
from core.models import Hit
from tests.e2e.walks import started, topup
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES = 521, 621
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
SPEC = {
    "title": "Which bird is on the feeder?",
    "description": "Look at the requester's photo, then answer.",
    "reward": "0.40", "assignments": 2, "duration": "10m", "lifetime": "1d",
    "questions": [{"id": "bird", "kind": "choice", "prompt": "Which bird?", "options": ["robin", "wren"]}],
}


def photos(person) -> list[dict]:
    return [m for m in person.bot_messages() if m.get("photo")]


def test_materials_reach_the_worker_and_prompts_never_spend_by_surprise(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "10")

    # The requester attaches a photo from the preview's Edit menu, then publishes.
    rita.upload("document", json.dumps(SPEC).encode(), "feeder.json", "application/json", caption="/newhit")
    rita.wait_for("Publish")
    rita.press("Edit")
    rita.wait_for("Attachment")
    rita.press("Attachment")
    rita.wait_for("photo or document")
    rita.upload("photo", PNG, "feeder.png", "image/png")
    rita.wait_for("Attachment: photo", "Publish")
    rita.press("Publish")
    rita.wait_for("published")
    hit = Hit.get(Hit.title == SPEC["title"])
    assert hit.attachment.startswith("photo:")

    # The worker: the photo with the preview, again on Accept, and behind Instructions.
    wes.send(f"/start hit_{hit.id}")
    wes.wait_for("photo is below", "Accept")
    wes.wait_for("For “Which bird is on the feeder?”", fresh=False)
    assert len(photos(wes)) == 1
    wes.press("Accept")
    wes.wait_for("Question 1 of 1", "Instructions")
    assert len(photos(wes)) == 2
    wes.press("Instructions")
    wes.wait_for("Instructions: Which bird is on the feeder?", fresh=False)
    wes.wait_for("Question 1 of 1", "Instructions")
    assert len(photos(wes)) == 3
    assert stack.http.get(photos(wes)[-1]["photo"]).content == PNG  # the requester's own bytes

    # /cancel stops answers going to the HIT; Continue brings them back.
    wes.send("/cancel")
    wes.wait_for("no longer answer")
    wes.send("robin")
    wes.wait_for("not waiting for a message")
    wes.send("/mywork")
    wes.wait_for("Continue")
    wes.press("Continue")
    wes.wait_for("Question 1 of 1")
    wes.press("robin")
    wes.wait_for("Submit")

    # The requester: "Other number", then /cancel; a 7 typed later adds nothing.
    escrow = ledger.balance(ledger.escrow(hit.id))
    rita.send("/myhits")
    rita.wait_for("Your HITs", SPEC["title"][:20])
    rita.press(SPEC["title"][:20])
    rita.wait_for("Other number")
    rita.press("Other number")
    rita.wait_for("How many more assignments", "Cancel")
    rita.send("/cancel")
    rita.wait_for("Cancelled adding assignments")
    rita.send("7")
    rita.wait_for("not waiting for a message")
    assert Hit.get_by_id(hit.id).max_assignments == 2 and ledger.balance(ledger.escrow(hit.id)) == escrow
    # A typed count is confirmed with its cost; only the confirmation moves money.
    rita.press("Other number")
    rita.wait_for("How many more assignments")
    rita.send("3")
    rita.wait_for("Add 3 assignment(s)", "$1.44")
    assert ledger.balance(ledger.escrow(hit.id)) == escrow
    assert "Added 3" in rita.press("Add 3 for $1.44")["text"]
    assert Hit.get_by_id(hit.id).max_assignments == 5
    assert ledger.balance(ledger.escrow(hit.id)) == escrow + 3 * 48

    rita.send("/frobnicate")
    rita.wait_for("I don't know /frobnicate", "/cancel")
    check_invariants()
