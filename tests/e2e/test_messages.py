"""Walked over HTTP as people would (issue 18, messages): Wes asks Rita about her HIT from its
preview, Rita answers from the notice, they go back and forth; Wes does the work and Rita writes to
him from the review card; /messages lists the thread with what is unread and opens it. Rita never
sees Wes's name, username or Telegram id, only his WorkerId."""
from __future__ import annotations

import pytest

from core.models import Message
from core.mturk.commands import worker_ref
from tests.e2e.walks import (
    SPEC,
    ask_from_preview,
    message_from_review,
    publish_bird_hit,
    reply,
    started,
    topup,
    work_bird_hit,
)

pytestmark = pytest.mark.slow

RITA, WES = 541, 641


def test_worker_and_requester_talk_without_learning_who_the_worker_is(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "10")
    hit = publish_bird_hit(rita)
    alias = f"Worker #{worker_ref(RITA, WES)}"

    asked = ask_from_preview(wes, rita, hit, "Does a robin count if only its tail is visible?", alias, "only its tail")
    assert f"About the HIT “{SPEC['title']}”" in asked["text"]
    assert "Wes" not in asked["text"] and str(WES) not in asked["text"]

    answer = reply(rita, wes, asked, "Yes, if you are sure it is a robin.", "Message from Rita", "if you are sure", "Reply")
    reply(wes, rita, answer, "Great, thanks!", f"Message from {alias}", "Great, thanks!")

    work_bird_hit(wes, hit, bird="robin", count="1", notes="Only the tail, orange")
    message_from_review(rita, wes, "Nice catch with the tail. More of these tomorrow.", "Nice catch")

    rita.send("/messages")
    listing = rita.wait_for("Your conversations", alias)
    assert f"{alias} · 2 new" in listing["text"]
    rita.press(alias, listing)
    thread = rita.wait_for(f"Conversation with {alias}")
    text = thread["text"]
    assert text.index("only its tail") < text.index("if you are sure") < text.index("Great, thanks!") \
        < text.index("Nice catch")
    rita.send("/messages")
    assert "new" not in rita.wait_for("Your conversations")["text"]  # opened: read
    assert Message.select().count() == 4
