"""Walked over HTTP as people would (issue 18, ratings both ways): Rita approves Wes's work and rates
him 5 stars on the card; Wes rates Rita and two of the dimensions after the stars; Rita's next HIT
needs worker_rating >= 4: Wes takes it, Willa, whom nobody rated, is refused."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import NotQualified
from core.models import Assignment, Rating
from core.mturk.commands import worker_ref
from core.work import commands as work
from tests.e2e.walks import SPEC, publish_bird_hit, publish_spec, started, topup, work_bird_hit

pytestmark = pytest.mark.slow

RITA, WES, WILLA = 546, 646, 746


def test_ratings_both_ways_and_a_worker_rating_requirement(stack):
    rita, wes, willa = started(stack, (RITA, "Rita"), (WES, "Wes"), (WILLA, "Willa"))
    topup(rita, "20")
    hit = publish_bird_hit(rita)
    work_bird_hit(wes, hit, bird="robin", count="3", notes="Orange breast")
    (a,) = Assignment.select().where(Assignment.hit == hit.id)

    rita.send("/review")
    alias = f"Worker #{worker_ref(RITA, WES)}"
    card = rita.wait_for("Submission #", f"{alias} · not rated yet", "Approve")
    wes.mark()
    assert rita.press("Approve", card)["text"] == "Approved and paid."
    card = rita.wait_for("Approved; $0.75 paid", "★★★★★", fresh=False)
    assert rita.press("★★★★★", card)["text"] == "You rated this worker ★★★★★. You can change it for 7 days."
    rita.wait_for(f"{alias} · ★5.0 (1)", "You rated this worker ★★★★★", fresh=False)

    notice = wes.wait_for("was approved", "★★★★★")
    assert wes.press("★★★★★", notice)["text"] == "Thanks for rating!"
    ask = wes.wait_for("rated this requester ★★★★★", "How fair was the pay", "Skip")
    wes.press("★★★★", ask)  # pay: 4
    ask = wes.wait_for("pay: ★★★★☆", "How fair were their approvals")
    assert ask["message_id"] != notice["message_id"]
    wes.press("★★★★★", ask)  # fairness: 5
    ask = wes.wait_for("fairness: ★★★★★", "How well did they communicate")
    wes.press("Skip", ask)
    wes.wait_for("How quickly did they review")
    w2r = Rating.get((Rating.direction == "w2r") & (Rating.assignment == a.id))
    assert (w2r.stars, w2r.pay, w2r.fairness, w2r.communication) == (5, 4, 5, None)
    assert Rating.get((Rating.direction == "r2w") & (Rating.assignment == a.id)).stars == 5

    strict = {**SPEC, "title": "Which bird sings at dawn?",
              "qualifications": [{"name": "worker_rating", "comparator": ">=", "value": 4}]}
    dawn = publish_spec(rita, strict, "dawn.json")

    willa.send(f"/start hit_{dawn.id}")
    refused = willa.wait_for(strict["title"], "worker rating")
    assert "✅ Accept" not in [b["text"] for row in refused["buttons"] for b in row]
    wes.send(f"/start hit_{dawn.id}")
    preview = wes.wait_for(strict["title"], "Accept")
    with pytest.raises(NotQualified):  # and core refuses her at accept, whatever she presses
        work.accept(worker_id=WILLA, hit_id=dawn.id, now=datetime.now(UTC))
    assert not Assignment.select().where((Assignment.worker == WILLA) & (Assignment.hit == dawn.id)).exists()
    wes.press("Accept", preview)
    wes.wait_for("Which bird is it?")
    assert Assignment.select().where((Assignment.worker == WES) & (Assignment.hit == dawn.id)).exists()
