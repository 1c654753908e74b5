"""Walked over HTTP as people would (issue 18, qualification requests): Rita's HIT needs her own
qualification; Wes misses it, asks for it from the preview with a message, Rita grants it from the
notice (seeing only his WorkerId and his history with her), Wes is told and takes the HIT."""
from __future__ import annotations

import pytest

from core.models import Assignment, QualificationGrant
from core.mturk.commands import worker_ref
from tests.e2e.walks import SPEC, grant_and_accept, new_qual, publish_spec, request_qualification, started, topup

pytestmark = pytest.mark.slow

RITA, WES = 545, 645


def test_worker_requests_a_qualification_the_requester_grants_it_and_the_worker_accepts(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "10")
    new_qual(rita, "Bird expert", "Knows garden birds")
    hit = publish_spec(rita, {**SPEC, "qualifications": [{"name": "Bird expert", "comparator": "exists"}]}, "bird.json")

    wes.send(f"/start hit_{hit.id}")
    preview = wes.wait_for(SPEC["title"], "Request this qualification")
    labels = [b["text"] for row in preview["buttons"] for b in row]
    assert "🙋 Request this qualification" in labels and "✅ Accept" not in labels
    alias = f"Worker #{worker_ref(RITA, WES)}"
    notice = request_qualification(wes, rita, preview, "I have ringed birds for ten years.", "Bird expert", alias,
                                   "ringed birds")
    assert "0 approved · 0 rejected" in notice["text"] and "Wes" not in notice["text"] and str(WES) not in notice["text"]

    grant_and_accept(rita, wes, notice, "Bird expert", alias, SPEC["title"])
    assert QualificationGrant.select().where(QualificationGrant.worker == WES).count() == 1
    assert Assignment.select().where((Assignment.worker == WES) & (Assignment.hit == hit.id)).exists()
