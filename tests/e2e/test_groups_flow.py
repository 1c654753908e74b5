"""Issue #17 walked over HTTP as people would: a requester publishes a 20-row batch; in /browse it is one
entry; a worker does 5 of its HITs with ▶️ Next in this group, one message going from question to
question, and the taps are counted: after the first HIT, one per answer plus Next and Submit."""
from __future__ import annotations

import json

import pytest

from core.models import Assignment, Hit, HitGroup
from tests.e2e.walks import started, topup
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES = 541, 641
ROWS = 20
TEMPLATE = {
    "title": "Photo ${n}: which animal?", "description": "Look at photo ${n}.",
    "reward": "0.10", "assignments": 1, "duration": "10m", "lifetime": "1d", "estimated_time": "1m",
    "questions": [{"id": "animal", "kind": "choice", "prompt": "Which animal is in photo ${n}?",
                   "options": ["cat", "dog"]},
                  {"id": "light", "kind": "choice", "prompt": "Is photo ${n} bright?", "options": ["yes", "no"]}],
}


def test_a_worker_does_five_hits_of_a_batch_with_next_in_this_group(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "10")
    rita.send("/batch")
    rita.wait_for("spec")
    rita.upload("document", json.dumps(TEMPLATE).encode(), "photos.json", "application/json")
    rita.wait_for("Spec file received")
    rita.upload("document", ("n\n" + "\n".join(str(i) for i in range(1, ROWS + 1)) + "\n").encode(), "photos.csv",
                "text/csv")
    rita.wait_for("Publish")
    rita.press("Publish")
    rita.wait_for(f"Published {ROWS} HITs")
    hits = list(Hit.select().where(Hit.title.startswith("Photo ")).order_by(Hit.id))
    assert len(hits) == ROWS and len({h.group_id for h in hits}) == 1

    taps = 0

    def tap(label: str, message=None) -> None:
        nonlocal taps
        taps += 1
        wes.press(label, message)

    wes.send("/browse")
    taps += 1
    listing = wes.wait_for("Open HITs", "Photo 1")
    # One entry for the batch: its first HIT, how many are left, and the requester's own estimate.
    assert sum("Photo " in b["text"] for row in listing["buttons"] for b in row) == 1
    assert f"{ROWS} left" in listing["text"] and "requester's estimate" in listing["text"]
    tap("Photo 1", listing)
    wes.wait_for("Accept", f"{ROWS} HITs available in this group")
    tap("Accept")
    first_hit_taps = None
    for n in range(1, 6):
        wes.wait_for(f"Which animal is in photo {n}?", "cat")
        tap("cat")
        wes.wait_for(f"Is photo {n} bright?", "yes")
        tap("yes")
        wes.wait_for("Your answers", "Submit")
        tap("Submit")
        done = wes.wait_for(f"Submitted “Photo {n}", "Next in this group")
        if n == 1:
            first_hit_taps = taps
        if n < 5:
            tap("Next in this group", done)
    # The first HIT: /browse, its entry, Accept, two answers, Submit; each of the next four: Next, two answers, Submit.
    assert first_hit_taps == 6 and taps == 6 + 4 * 4
    mine = list(Assignment.select().where(Assignment.worker == WES).order_by(Assignment.id))
    assert [a.hit_id for a in mine] == [h.id for h in hits[:5]] and {a.status for a in mine} == {"submitted"}
    # One message went from question to question: a handful of bot messages in Wes's chat, not one per step.
    assert len([m for m in wes.bot_messages()]) <= 8
    assert HitGroup.get_by_id(hits[0].group_id).available == ROWS - 5
    check_invariants()
