"""Walked over HTTP (issue 18, keeping conversations safe): Rita writes to Wes after his work with a
link in her first message; Wes sees the warning, answers with a photo (relayed by file_id), reports the
conversation and blocks Rita; her new HIT is gone from his /browse; the admin sees the report with the
thread's messages and resolves it."""
from __future__ import annotations

import pytest

from core.models import Hit, RequesterBlock, ThreadReport
from tests.e2e.walks import SPEC, message_from_review, publish_bird_hit, started, topup, work_bird_hit

pytestmark = pytest.mark.slow

RITA, WES, ADA = 542, 642, 742


@pytest.fixture
def admin_env(monkeypatch):
    monkeypatch.setenv("HITBOT_ADMINS", str(ADA))  # read when the stack starts


def test_a_worker_reports_and_blocks_a_requester_and_the_admin_sees_the_report(admin_env, stack):
    rita, wes, ada = started(stack, (RITA, "Rita"), (WES, "Wes"), (ADA, "Ada"))
    topup(rita, "10")
    hit = publish_bird_hit(rita)
    work_bird_hit(wes, hit, bird="robin", count="1", notes="Only the tail")

    notice = message_from_review(rita, wes, "Send your wallet seed to @rita_payouts to get paid faster",
                                 "This first message has a link", "Reply")
    assert "never asks for passwords or payments outside the chat" in notice["text"]

    # A photo back, relayed through the bot by its file_id.
    wes.press("Reply", notice)
    wes.wait_for("Write your reply", "photo or document")
    rita.mark()
    wes.upload("photo", b"\xff\xd8\xff\xe0fake-jpeg", "tail.jpg", "image/jpeg", caption="Is this the tail you meant?")
    wes.wait_for("Sent")
    photo = rita.wait_for("Message from Worker #", "Is this the tail you meant?")
    assert photo.get("photo") and "Wes" not in str(photo)

    wes.press("Conversation", notice)
    thread = wes.wait_for("Conversation with Rita", "Report", "Block requester")
    wes.press("🚩 Report", thread)
    wes.wait_for("Why are you reporting this conversation")
    wes.send("Asks for my wallet seed")
    wes.wait_for("Reported")
    wes.press("⛔ Block requester", thread)
    wes.wait_for("Conversation with Rita", "Unblock requester")
    assert RequesterBlock.select().count() == 1

    # Rita's second HIT: Wes never sees it, though it is open.
    _publish_again(rita)
    wes.send("/browse")
    listing = wes.wait_for("Open HITs")
    assert SPEC["title"] not in listing["text"]
    assert Hit.select().where(Hit.requester == RITA).count() == 2

    ada.send("/reports")
    reports = ada.wait_for("Open reports: 1", "Asks for my wallet seed", "Resolve")
    assert "@rita_payouts" in reports["text"] and "reported by the worker" in reports["text"]
    ada.press("Resolve", reports)
    ada.wait_for("Open reports: 0")
    assert ThreadReport.get().resolved_by == ADA


def _publish_again(rita) -> None:
    import json

    rita.upload("document", json.dumps(SPEC).encode(), "bird.json", "application/json", caption="/newhit")
    rita.wait_for("Which bird is in the photo?", "Publish")
    rita.press("Publish")
    rita.wait_for("published")
