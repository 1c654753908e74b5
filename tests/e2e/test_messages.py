"""Walked over HTTP as people would (issue 18, messages): Wes asks Rita about her HIT from its
preview, Rita answers from the notice, they go back and forth; Wes does the work and Rita writes to
him from the review card; /messages lists the thread with what is unread and opens it. Rita never
sees Wes's name, username or Telegram id, only his WorkerId."""
from __future__ import annotations

import pytest

from core.models import Message
from core.mturk.commands import worker_ref
from tests.e2e.test_marketplace import SPEC, _publish, _topup, _work

pytestmark = pytest.mark.slow

RITA, WES = 541, 641


def test_worker_and_requester_talk_without_learning_who_the_worker_is(stack):
    rita, wes = stack.person(RITA, "Rita"), stack.person(WES, "Wes")
    for p in (rita, wes):
        p.send("/start")
        p.wait_for(p.name)
    _topup(rita, "10")
    hit = _publish(rita)
    alias = f"Worker #{worker_ref(RITA, WES)}"

    wes.send(f"/start hit_{hit.id}")
    wes.wait_for(SPEC["title"], "Ask the requester")
    wes.press("Ask the requester")
    wes.wait_for("They will not see your Telegram name", "Cancel")
    rita.mark()
    wes.send("Does a robin count if only its tail is visible?")
    wes.wait_for("Sent")
    asked = rita.wait_for(f"Message from {alias}", "only its tail", "Reply")
    assert f"About the HIT “{SPEC['title']}”" in asked["text"]
    assert "Wes" not in asked["text"] and str(WES) not in asked["text"]

    rita.press("Reply", asked)
    rita.wait_for("Write your reply")
    wes.mark()
    rita.send("Yes, if you are sure it is a robin.")
    answer = wes.wait_for("Message from Rita", "if you are sure", "Reply")
    wes.press("Reply", answer)
    wes.wait_for("Write your reply")
    rita.mark()
    wes.send("Great, thanks!")
    rita.wait_for(f"Message from {alias}", "Great, thanks!")

    _work(wes, hit, bird="robin", count="1", notes="Only the tail, orange")
    rita.send("/review")
    card = rita.wait_for("Submission #", "robin", "Message")
    rita.press("✉️ Message", card)
    rita.wait_for("Write your message to the worker")
    wes.mark()
    rita.send("Nice catch with the tail. More of these tomorrow.")
    wes.wait_for("Message from Rita", "Nice catch")

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
