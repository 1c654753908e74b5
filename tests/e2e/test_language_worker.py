"""A worker's whole HIT in Russian, end to end over HTTP (issue 20): Ivan's Telegram app speaks
Russian; /start, /help, /browse, the preview, the questions and the approval notice reach him in
Russian with amounts written the Russian way (0,75 $), while Rita, who speaks English, publishes and
approves in English. Then /language es switches everything, the command menu included."""
from __future__ import annotations

import re

import pytest

from sandbox.scripting import Person
from tests.e2e.walks import SPEC, publish_bird_hit, started, topup

pytestmark = pytest.mark.slow

RITA, IVAN = 511, 611
CYRILLIC = re.compile("[\u0400-\u04ff]")


def _russian(message: dict) -> str:
    """The message's own words (not what the requester wrote) are Russian."""
    text = message["text"]
    for written in (SPEC["title"], SPEC["description"], *[q["prompt"] for q in SPEC["questions"]],
                    *SPEC["questions"][0]["options"], "red breast"):  # and what Ivan typed
        text = text.replace(written, "")
    assert CYRILLIC.search(text), message["text"]
    latin_words = re.findall(r"\b[A-Za-z]{4,}\b", re.sub(r"/\w+|hitbot|HIT|MTurk|API|boto3|Ivan|Rita", "", text))
    assert latin_words == [], (latin_words, message["text"])
    return message["text"]


def _menu(stack, **params) -> dict[str, str]:
    listed = stack.http.get("/sandbox/api/commands", params=params).json()["commands"]
    return {c["command"]: c["description"] for c in listed}


def test_a_russian_worker_does_a_hit_in_russian_and_switches_to_spanish(stack):
    (rita,) = started(stack, (RITA, "Rita"))
    ivan = Person(stack.http, IVAN, "Ivan", language_code="ru")
    topup(rita, "10")
    hit = publish_bird_hit(rita)

    ivan.send("/start")
    _russian(ivan.wait_for("Ivan"))
    ivan.send("/help")
    _russian(ivan.wait_for("/browse"))
    ivan.send("/browse")
    listing = ivan.wait_for(SPEC["title"])
    assert "0,75\xa0$" in _russian(listing)  # the reward, written the Russian way
    ivan.press(SPEC["title"][:20], listing)
    preview = ivan.wait_for(SPEC["description"])
    assert "0,75\xa0$" in _russian(preview)
    labels = [b["text"] for row in preview["buttons"] for b in row]
    assert all(CYRILLIC.search(label) for label in labels), labels
    ivan.press(labels[0], preview)  # the first button accepts
    first = ivan.wait_for("Which bird is it?")
    _russian(first)
    ivan.press("robin", first)
    _russian(ivan.wait_for("How many birds"))
    ivan.send("2")
    _russian(ivan.wait_for("Describe its colours"))
    ivan.send("red breast")
    ready = ivan.wait_for("red breast")
    _russian(ready)
    submit = next(b["text"] for row in ready["buttons"] for b in row if "📤" in b["text"])
    ivan.press(submit, ready)
    _russian(ivan.wait_for("📤", "0,75\xa0$"))

    rita.send("/review")
    card = rita.wait_for("Submission #", "robin", "Approve")  # Rita reads English
    rita.press("Approve", card)
    approved = ivan.wait_for("+0,75\xa0$")
    _russian(approved)
    assert hit.title == SPEC["title"]

    ivan.send("/language")
    ivan.press("Español", ivan.wait_for("Español"))
    ivan.wait_for("Español")
    ivan.send("/browse")
    spanish = ivan.wait_for("🔎", "Tareas abiertas")  # he did the only HIT: an empty list, in Spanish
    assert not CYRILLIC.search(spanish["text"]) and "Filtros" in spanish["text"], spanish["text"]
    assert _menu(stack, chat_id=IVAN, language_code="ru")["browse"] == "Buscar tareas para hacer"
