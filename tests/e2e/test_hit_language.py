"""A HIT's language end to end over HTTP (issue 20): Rita publishes a HIT written in Spanish for
Spanish speakers (`language: es`, `speaks: es`). Ivan reads hitbot in Russian: the list, the preview
and the question mark the HIT "🗣 язык: испанский", the requirement is worded in Russian and keeps him
out, until he lists Spanish with /profile languages es; the Spanish texts stay as Rita wrote them."""
from __future__ import annotations

import pytest

from sandbox.scripting import Person
from tests.e2e.walks import publish_spec, started, topup

pytestmark = pytest.mark.slow

RITA, IVAN = 512, 612
MARK = "🗣 язык: испанский"
SPEC = {
    "title": "¿Qué pájaro hay en la foto?",
    "description": "Mira la foto y dinos qué pájaro es.",
    "reward": "0.40",
    "assignments": 1,
    "duration": "10m",
    "lifetime": "1d",
    "language": "es",
    "questions": [{"id": "bird", "kind": "choice", "prompt": "¿Qué pájaro es?",
                   "options": ["gorrión", "petirrojo", "mirlo"]}],
    "qualifications": [{"name": "speaks", "value": "es"}],
}


def _preview(ivan: Person, *needles: str) -> dict:
    ivan.send("/browse")
    listing = ivan.wait_for(SPEC["title"], MARK)
    ivan.press(SPEC["title"][:15], listing)
    return ivan.wait_for(SPEC["description"], MARK, *needles)


def test_a_spanish_hit_is_marked_for_a_russian_worker_who_may_take_it_once_he_lists_spanish(stack):
    (rita,) = started(stack, (RITA, "Rita"))
    ivan = Person(stack.http, IVAN, "Ivan", language_code="ru")
    topup(rita, "5")
    assert publish_spec(rita, SPEC, "pajaro.json").language == "es"

    ivan.send("/start")
    ivan.wait_for("Ivan")
    refused = _preview(ivan, "❌ нужно знать язык: испанский, вы знаете: русский")
    assert "speaks" not in refused["text"] and "Spanish" not in refused["text"]

    ivan.send("/profile languages es")
    assert "испанский" in ivan.wait_for("/profile languages")["text"]

    allowed = _preview(ivan, "✅ нужно знать язык: испанский, вы знаете: русский и испанский")
    labels = [b["text"] for row in allowed["buttons"] for b in row]
    ivan.press(labels[0], allowed)  # the first button accepts
    question = ivan.wait_for("¿Qué pájaro es?", "petirrojo")
    assert MARK in question["text"]
