"""Issue #17 end to end over HTTP: Sam lists his skills in /profile, sorts /browse by "For you" and sees
Rita's bird HIT before a newer HIT that matches nothing of his; "🔔 Alert me for my skills" saves an alert
of them, and when Rita publishes another bird HIT the clock's sweep sends him its group's notice."""
from __future__ import annotations

import json

import pytest

from sandbox.scripting import Person
from tests.e2e.walks import topup

pytestmark = pytest.mark.slow

RITA, SAM = 513, 613


def _spec(title: str, keywords: list[str]) -> dict:
    return {"title": title, "description": "Look and answer.", "reward": "0.30", "assignments": 2, "duration": "10m",
            "lifetime": "1d", "keywords": keywords,
            "questions": [{"id": "a", "kind": "choice", "prompt": "Which one?", "options": ["x", "y"]}]}


def _publish(rita: Person, spec: dict) -> None:
    rita.upload("document", json.dumps(spec).encode(), "hit.json", "application/json", caption="/newhit")
    rita.wait_for(spec["title"], "Publish")
    rita.press("Publish")
    rita.wait_for("published")


def test_a_worker_with_skills_sees_a_matching_group_first_and_gets_an_alert_for_it(stack):
    rita = stack.person(RITA, "Rita")
    sam = Person(stack.http, SAM, "Sam")
    rita.send("/start")
    rita.wait_for("Rita")
    topup(rita, "10")
    _publish(rita, _spec("Name the bird", ["birds", "photos"]))
    _publish(rita, _spec("Count the cars", ["traffic"]))  # newer, nothing of Sam's

    sam.send("/start")
    sam.wait_for("Sam")
    sam.send("/profile skills birds")
    sam.wait_for("birds")
    sam.send("/browse")
    listing = sam.wait_for("Open HITs", "Count the cars")
    for _ in range(6):  # the sort button cycles to For you
        if "sorted by for you" in listing["text"]:
            break
        sam.press("Sort:", listing)
        listing = sam.wait_for("Open HITs")
    assert "match your skills and interests: birds" in listing["text"]
    titles = [b["text"] for row in listing["buttons"] for b in row if "$0.30" in b["text"]]
    assert titles == ["Name the bird · $0.30", "Count the cars · $0.30"]

    sam.press("Alert me for my skills", listing)
    sam.wait_for("Alert saved: my skills and interests: birds")
    _publish(rita, _spec("Name the bird, part 2", ["birds"]))
    notice = sam.wait_for("New HIT for your alert", "Name the bird, part 2", timeout=60)
    assert "$0.30" in notice["text"]
