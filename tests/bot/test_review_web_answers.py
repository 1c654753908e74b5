"""Issue 16: a crowd-form answer, submitted from its task page, reads as a person would on the requester's
review card, and 🖼 Boxes sends its bounding boxes drawn as a picture (to the owner only)."""
from __future__ import annotations

import json
from datetime import timedelta

from core.models import WEB_KIND, Question
from core.webtasks import commands as webtasks
from core.webtasks.tokens import frame_credential, page_token
from core.work import commands as work
from tests import factories as f
from tests.conftest import NOW
from tests.fakes.telegram import TgUser, answers

CROWD = {"sign": "STOP <script>", "blurry": {"on": True}, "night": {"on": False}, "weather": {"label": "Rainy"},
         "boxes": {"boundingBoxes": [{"height": 80, "label": "Car", "left": 40, "top": 20, "width": 100}],
                   "inputImageProperties": {"height": 160, "width": 320}}}


async def test_a_crowd_form_answer_reads_readably_on_the_card_and_its_boxes_come_as_a_picture(bot):
    rita = TgUser(f.requester(100_00, name="Rita").id, "Rita")
    wes, mallory = TgUser(f.user("Wes").id, "Wes"), TgUser(f.requester(10_00, name="Mallory").id, "Mallory")
    for who in (rita, wes, mallory):
        await bot.text(who, "/start")
    hit = f.hit(rita.id, questions=[{"id": "page", "kind": "text", "prompt": "The task page"}])
    Question.update(kind=WEB_KIND).where(Question.hit == hit.id).execute()
    a = work.accept(worker_id=wes.id, hit_id=hit.id, now=NOW)
    webtasks.submit_page(token=page_token(a.id, a.accepted_at), fields=[("taskAnswers", json.dumps([CROWD]))],
                         credential=frame_credential(a.id, a.accepted_at, wes.id, a.deadline),  # its Mini App's
                         assignment_ref_given=None, now=NOW + timedelta(minutes=2))

    calls = await bot.text(rita, "/review")
    card = next(c for c in calls if c.method == "sendMessage" and f"Submission #{a.id}" in c.text)
    for line in ("sign: <b>STOP &lt;script&gt;</b>", "blurry: <b>✓</b>", "night: <b>✗</b>", "weather: <b>Rainy</b>",
                 "boxes: <b>1 box (Car)</b>"):
        assert f"\n   {line}" in card.text, line
    assert "taskAnswers" not in card.text and "<script>" not in card.text
    assert ("🖼 Boxes", f"r:box:{a.id}") in card.buttons
    assert not [c for c in calls if c.method == "sendPhoto"]  # the picture costs a message only when asked for

    forged = await bot.press(mallory, f"r:box:{a.id}")
    assert answers(forged)[0].params["text"] == "This button is no longer valid."
    assert not [c for c in forged if c.method == "sendPhoto"]

    pressed = await bot.press(rita, f"r:box:{a.id}")
    (photo,) = [c for c in pressed if c.method == "sendPhoto"]
    # uploaded as a file (multipart, so not among the plain parameters): never a URL for Telegram to fetch
    assert photo.params["chat_id"] == rita.id and "photo" not in photo.params
    assert photo.params["caption"].startswith(f"🖼 Submission #{a.id}, boxes: 1 box (Car)")
    assert "hitbot does not open the task's image" in photo.params["caption"]
