"""Phone-native answers over HTTP: a worker uploads a photo and a voice note and shares a
location; the requester's review card forwards the very same files."""
from __future__ import annotations

import pytest

from core.models import Answer, Assignment
from tests.e2e.walks import accept, published_in_core, submit

pytestmark = pytest.mark.slow

RITA, WES = 521, 621
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
VOICE = b"OggS" + b"\x01" * 500


def test_photo_voice_and_location_answers_reach_the_requester(stack):
    hit = published_in_core(RITA, {
        "title": "Street sign near you", "reward": "0.80", "assignments": 1, "duration": "10m", "lifetime": "1d",
        "questions": [{"id": "sign", "kind": "photo", "prompt": "Send a photo of the sign."},
                      {"id": "where", "kind": "location", "prompt": "Where did you take it?"},
                      {"id": "say", "kind": "voice", "prompt": "Read the sign aloud."}]}, "e2e-files")
    rita, wes = stack.person(RITA, "Rita"), stack.person(WES, "Wes")
    accept(wes, hit)
    wes.wait_for("Send a photo of the sign")
    wes.send("here it is")  # text where a photo is wanted: a hint, nothing stored
    wes.wait_for("Send a photo")
    wes.upload("photo", PHOTO, "sign.png", "image/png")
    wes.wait_for("Where did you take it?")
    wes.location(52.5163, 13.3777)
    wes.wait_for("Read the sign aloud")
    wes.upload("voice", VOICE, "sign.ogg", "audio/ogg")
    submit(wes)
    a = Assignment.get(Assignment.worker == WES)
    stored = {ans.question.key: ans.value for ans in Answer.select().where(Answer.assignment == a.id)}
    assert set(stored) == {"sign", "where", "say"}

    rita.send("/review")
    rita.wait_for("Submission #", "Approve")
    photo = rita.wait_for("question 1")  # the files follow the card, captioned with their question
    voice = rita.wait_for("question 3")
    assert photo["photo"] and voice["voice"], (photo, voice)
    assert stack.http.get(photo["photo"]).content == PHOTO  # the worker's own bytes, forwarded by file id
    assert stack.http.get(voice["voice"]).content == VOICE
    card = next(m for m in rita.bot_messages() if "Submission #" in (m["text"] or ""))
    assert "52.5163" in card["text"] or "52.516" in card["text"]
