"""An MTurk template built on Crowd HTML Elements, done by tapping in headless Chromium (issue 16):
the page loads MTurk's crowd-html-elements.js, which the task pages answer with hitbot's own
implementation of the same tags. Wes first submits with a required field empty (the page says what
is missing and nothing is sent), then types, picks, ticks, classifies and draws a box on the image;
the answers arrive as MTurk's `taskAnswers` JSON, the bounding box in the image's own pixels."""
from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from core.models import Answer, Assignment
from tests.e2e.test_web_tasks import NS, tasks  # noqa: F401  (the tasks origin fixture)
from tests.e2e.web_chat_page import CHROMIUM, Chat, add_person, chromium_page, scripted_requester

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM, reason="no chromium binary (CI installs it with .ci/browser-deps)"),
]

RITA, WES = 551, 651
TITLE = "Label the street photo"


def _image() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (320, 160), "#88aadd").save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-instructions link-text="How to do it"><p>Read the sign, then draw the car.</p></crowd-instructions>
  <crowd-input name="sign" label="What does the sign say?" required></crowd-input>
  <crowd-text-area name="notes" label="Anything else?"></crowd-text-area>
  <p>Is it daytime?</p>
  <crowd-radio-group>
    <crowd-radio-button name="day" value="day">Day</crowd-radio-button>
    <crowd-radio-button name="night" value="night">Night</crowd-radio-button>
  </crowd-radio-group>
  <crowd-checkbox name="blurry">The photo is blurry</crowd-checkbox>
  <crowd-classifier name="weather" categories="['Sunny', 'Rainy']" header="The weather"></crowd-classifier>
  <crowd-bounding-box name="boxes" src="%s" header="Draw a box around each car" labels="['Car']">
  </crowd-bounding-box>
</crowd-form>"""


def _script_makes_the_hit(url: str) -> None:
    mturk = scripted_requester(url, RITA, "cwd")
    page = TEMPLATE % _image()
    question = (f"<HTMLQuestion xmlns='{NS}'><HTMLContent><![CDATA[<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"</head><body>{page}</body></html>]]></HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>")
    mturk.create_hit(Title=TITLE, Description="Read a sign and draw boxes.", Reward="0.40", MaxAssignments=1,
                     AssignmentDurationInSeconds=600, LifetimeInSeconds=86_400, Question=question)


def test_crowd_elements_collect_every_answer_in_mturks_format(tasks, stack):  # noqa: F811
    from playwright.sync_api import expect

    _script_makes_the_hit(stack.url)
    with chromium_page(stack.url + "/", 1280, 1000) as (page, errors):
        add_person(page, "Wes", WES)
        wes = Chat(page, WES)

        wes.send("/browse")
        wes.click(TITLE)
        wes.click("Accept")
        wes.click("Open task")
        task = page.frame_locator("[data-testid=webapp-frame]").frame_locator("#task")
        expect(task.get_by_label("What does the sign say?")).to_be_visible(timeout=15_000)

        task.get_by_role("button", name="Submit").click()  # the required field is empty
        expect(task.get_by_role("alert")).to_contain_text("required")
        assert Assignment.get(Assignment.worker == WES).status == "accepted"

        task.get_by_label("What does the sign say?").fill("STOP")
        task.get_by_label("Anything else?").fill("a red car")
        task.get_by_label("Night").check()
        task.get_by_label("The photo is blurry").check()
        task.get_by_role("button", name="Rainy").click()
        stage = task.locator(".crowd-bbox")
        stage.scroll_into_view_if_needed()
        image = task.locator(".crowd-bbox img")
        expect(image).to_have_js_property("complete", True)
        box = stage.bounding_box()
        page.mouse.move(box["x"] + 40, box["y"] + 20)
        page.mouse.down()
        page.mouse.move(box["x"] + 100, box["y"] + 60, steps=5)
        page.mouse.move(box["x"] + 140, box["y"] + 100, steps=5)
        page.mouse.up()
        expect(task.locator(".crowd-box")).to_have_count(1)
        task.get_by_role("button", name="Submit").click()
        expect(task.get_by_text("Your work is submitted")).to_be_visible(timeout=15_000)
        assert errors == []
    (done,) = Assignment.select().where(Assignment.worker == WES)
    assert done.status == "submitted"
    (name, raw), = Answer.get(Answer.assignment == done.id).value
    assert name == "taskAnswers"
    (answers,) = json.loads(raw)
    assert answers == {
        "sign": "STOP", "notes": "a red car",
        "day": {"on": False}, "night": {"on": True}, "blurry": {"on": True},
        "weather": {"label": "Rainy"},
        "boxes": {"boundingBoxes": [{"height": 80, "label": "Car", "left": 40, "top": 20, "width": 100}],
                  "inputImageProperties": {"height": 160, "width": 320}},
    }
