"""An MTurk HTML template batch walked through the sandbox as people would (issue 16): Rita sends
/batch, then her template (bare inputs, as MTurk's web UI takes them), her spec and a two-row CSV
in the web chat, publishes; Wes finds a web task in /browse, accepts, opens it, sees his row's value
on the page and submits its form; the chat confirms. A template naming a column the CSV lacks is
refused first and publishes nothing."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.models import Answer, Assignment, Hit
from core.mturk.ids import hit_id
from tests.e2e.test_web_tasks import _frame, tasks  # noqa: F401  (the tasks origin fixture)
from tests.e2e.walks import api_key, script_client, started, topup

pytestmark = pytest.mark.slow

RITA, WES = 561, 661
SPEC = b"title: Transcribe the street name\ndescription: Type the street name you see.\nreward: '0.15'\n" \
       b"assignments: 1\nduration: 10m\nlifetime: 1d\n"
TEMPLATE = b"<p>Street photo <b>${photo_id}</b></p><label>Street name <input name='street'></label>"
CSV = b"photo_id\nPHOTO-A17\nPHOTO-B42\n"


def test_a_requester_publishes_a_template_batch_and_a_worker_submits_a_row_on_its_page(tasks, stack):  # noqa: F811
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "5")

    rita.send("/batch")
    rita.wait_for("HTML template")
    rita.upload("document", TEMPLATE.replace(b"${photo_id}", b"${photo}"), "street.html", "text/html")
    rita.wait_for("HTML template received")
    rita.upload("document", SPEC, "street.yaml", "application/x-yaml")
    rita.upload("document", CSV, "rows.csv", "text/csv")
    refused = rita.wait_for("${photo}")
    assert "photo_id" in refused["text"] and Hit.select().count() == 0
    rita.upload("document", TEMPLATE, "street.html", "text/html")  # the spec and CSV were kept
    summary = rita.wait_for("2 HITs")
    rita.press("Publish", summary)
    rita.wait_for("Published")
    assert Hit.select().count() == 2

    wes.send("/browse")
    listing = wes.wait_for("Transcribe the street name")
    wes.press("Transcribe the street", listing)
    wes.wait_for("web task")
    wes.press("Accept")
    opened = wes.wait_for("Open task")
    url = wes.web_app("Open task", opened)
    with httpx.Client(timeout=10) as http:
        frame = _frame(http, url)
        page = http.get(frame)
        row = "PHOTO-A17" if "PHOTO-A17" in page.text else "PHOTO-B42"
        assert f"<b>{row}</b>" in page.text and "${" not in page.text
        action = re.search(r"action='([^']+)'", page.text).group(1)
        assignment_ref = parse_qs(urlsplit(frame).query)["assignmentId"][0]
        done = http.post(action, data={"assignmentId": assignment_ref, "street": "Baker Street"})
        assert done.status_code == 200 and "submitted" in done.text
    wes.wait_for("from its page")
    (assignment,) = Assignment.select().where(Assignment.worker == WES)
    assert assignment.status == "submitted"
    assert Answer.get(Answer.assignment == assignment.id).value == [["street", "Baker Street"]]

    # Rita's script reads the answer as MTurk gives it: the template's HITs are HTMLQuestion HITs to the API.
    mturk = script_client(stack, *api_key(rita))
    got = mturk.get_hit(HITId=hit_id(assignment.hit_id))["HIT"]
    assert "<HTMLQuestion" in got["Question"] and row in got["Question"]
    (listed,) = mturk.list_assignments_for_hit(HITId=hit_id(assignment.hit_id))["Assignments"]
    assert "<QuestionIdentifier>street</QuestionIdentifier>" in listed["Answer"]
    assert "<FreeText>Baker Street</FreeText>" in listed["Answer"]
