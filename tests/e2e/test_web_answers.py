"""A crowd-form answer through the sandbox (issue 16): Wes submits MTurk's taskAnswers JSON from the task
page, as a crowd-form does; Rita's /review card reads it as a person would, 🖼 Boxes sends the bounding
box drawn at its place on a plain canvas, and the results CSV has MTurk's flattened columns."""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from PIL import Image

from bot.views import web_answers
from tests.e2e.test_web_tasks import QUESTION, _frame, tasks  # noqa: F401  (tasks: the fixture)
from tests.e2e.walks import funded_script, started

pytestmark = pytest.mark.slow

RITA, WES = 532, 632
TITLE = "Mark the cars (web page)"
CROWD = {"sign": "STOP", "blurry": {"on": True}, "weather": {"label": "Rainy"},
         "boxes": {"boundingBoxes": [{"height": 80, "label": "Car", "left": 40, "top": 20, "width": 100}],
                   "inputImageProperties": {"height": 160, "width": 320}}}


def test_a_crowd_form_answer_reads_readably_draws_its_boxes_and_exports_flat(tasks, stack):  # noqa: F811
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    mturk = funded_script(stack, rita, "10")
    mturk.create_hit(Title=TITLE, Description="Draw a box around each car.", Reward="0.30", MaxAssignments=1,
                     AssignmentDurationInSeconds=600, LifetimeInSeconds=86_400, Question=QUESTION)

    wes.send("/browse")
    wes.press(TITLE[:20], wes.wait_for(TITLE))
    wes.wait_for("Accept")
    wes.press("Accept")
    url = wes.web_app("Open task", wes.wait_for("Open task"))
    with httpx.Client(timeout=10) as http:
        init = parse_qs(urlsplit(url).fragment)["tgWebAppData"][0]
        assert http.post(tasks.url + urlsplit(url).path + "/init", content=init).status_code == 200
        query = parse_qs(urlsplit(_frame(http, url)).query)
        done = http.post(f"{unquote(query['turkSubmitTo'][0])}/mturk/externalSubmit",
                         data={"assignmentId": query["assignmentId"][0], "taskAnswers": json.dumps([CROWD])})
        assert done.status_code == 200 and "submitted" in done.text

    rita.send("/review")
    card = rita.wait_for("weather: Rainy")
    for line in ("sign: STOP", "blurry: ✓", "boxes: 1 box (Car)"):
        assert line in card["text"], line
    assert "taskAnswers" not in card["text"]
    rita.press("🖼 Boxes", card)
    photo = rita.wait_for("hitbot does not open the task's image")
    assert photo["caption"].startswith("🖼 Submission #") and "1 box (Car)" in photo["caption"]
    img = Image.open(io.BytesIO(stack.http.get(photo["photo"]).content)).convert("RGB")
    assert img.size == (640, 320)  # 320×160 reported, drawn twice as large
    assert img.getpixel((80, 120)) == web_answers.PALETTE[0] and img.getpixel((180, 120)) == web_answers.IMAGE_AREA

    rita.send("/myhits")
    rita.press(TITLE[:20], rita.wait_for("Your HITs", TITLE))  # the list, not a review card edited meanwhile
    rita.press("Download results", rita.wait_for("Download results"))
    rita.wait_for("as CSV")
    (doc,) = [m["document"] for m in rita.bot_messages() if m["document"] and m["document"]["file_name"].endswith(".csv")]
    (row,) = csv.DictReader(io.StringIO(stack.http.get(doc["url"]).content.decode("utf-8-sig")))
    assert (row["answer.sign"], row["answer.blurry.on"], row["answer.weather.label"]) == ("STOP", "true", "Rainy")
    assert json.loads(row["answer.boxes.boundingBoxes"]) == CROWD["boxes"]["boundingBoxes"]
    assert row["answer.boxes.inputImageProperties.width"] == "320"
