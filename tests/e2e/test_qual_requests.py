"""Walked over HTTP as people would (issue 18, qualification requests): Rita's HIT needs her own
qualification; Wes misses it, asks for it from the preview with a message, Rita grants it from the
notice (seeing only his WorkerId and his history with her), Wes is told and takes the HIT."""
from __future__ import annotations

import json

import pytest

from core.models import Assignment, Hit, QualificationGrant
from core.mturk.commands import worker_ref
from tests.e2e.test_marketplace import SPEC, _topup

pytestmark = pytest.mark.slow

RITA, WES = 545, 645


def test_worker_requests_a_qualification_the_requester_grants_it_and_the_worker_accepts(stack):
    rita, wes = stack.person(RITA, "Rita"), stack.person(WES, "Wes")
    for p in (rita, wes):
        p.send("/start")
        p.wait_for(p.name)
    _topup(rita, "10")
    rita.send("/qual new Bird expert | Knows garden birds")
    rita.wait_for("Created “Bird expert”")
    spec = {**SPEC, "qualifications": [{"name": "Bird expert", "comparator": "exists"}]}
    rita.upload("document", json.dumps(spec).encode(), "bird.json", "application/json", caption="/newhit")
    rita.wait_for(SPEC["title"], "Publish")
    rita.press("Publish")
    rita.wait_for("published")
    hit = Hit.get(Hit.title == SPEC["title"])

    wes.send(f"/start hit_{hit.id}")
    preview = wes.wait_for(SPEC["title"], "Request this qualification")
    labels = [b["text"] for row in preview["buttons"] for b in row]
    assert "🙋 Request this qualification" in labels and "✅ Accept" not in labels
    wes.press("Request this qualification", preview)
    wes.wait_for("Write a short message for the requester", "Send without a message")
    rita.mark()
    wes.send("I have ringed birds for ten years.")
    wes.wait_for("was sent")

    alias = f"Worker #{worker_ref(RITA, WES)}"
    notice = rita.wait_for(f"{alias} asks for your qualification “Bird expert”", "ringed birds", "Grant")
    assert "0 approved · 0 rejected" in notice["text"] and "Wes" not in notice["text"] and str(WES) not in notice["text"]
    wes.mark()
    rita.press("Grant", notice)
    rita.wait_for(f"You granted “Bird expert” = 1 to {alias}")
    told = wes.wait_for("Your request was granted", "Preview the HIT")
    assert QualificationGrant.select().where(QualificationGrant.worker == WES).count() == 1

    wes.press("Preview the HIT", told)
    wes.wait_for(SPEC["title"], "Accept")
    wes.press("Accept")
    wes.wait_for("Which bird is it?")
    assert Assignment.select().where((Assignment.worker == WES) & (Assignment.hit == hit.id)).exists()
