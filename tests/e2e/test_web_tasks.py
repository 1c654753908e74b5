"""A web task walked through the sandbox as people would (issue 16): Rita's boto3 script makes an
HTMLQuestion HIT; Wes sees it marked 🌐 in /browse, accepts, gets an Open task button (a Mini App,
web_app) that /mywork's Continue offers again; the page comes from the tasks origin (not the
chat's or the API's) with the initData the emulator signed; its form posts to
turkSubmitTo/mturk/externalSubmit; the chat confirms; the script reads the answers and approves."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import httpx
import pytest

from api.taskpages import TaskServer
from tests.e2e.test_marketplace import _topup

pytestmark = pytest.mark.slow

RITA, WES = 531, 631
NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
PAGE = """<!DOCTYPE html><html><head><script src='https://s3.amazonaws.com/mturk-public/externalHIT_v1.js'></script>
</head><body><form name='mturk_form' method='post' id='mturk_form' action='https://www.mturk.com/mturk/externalSubmit'>
<input type='hidden' value='' name='assignmentId' id='assignmentId'/>
<p>Which animal is in the picture?</p>
<label><input type='radio' name='animal' value='cat'> Cat</label>
<label><input type='radio' name='animal' value='dog'> Dog</label>
<input type='submit' id='submitButton' value='Submit'/></form>
<script>turkSetAssignmentID();</script></body></html>"""
QUESTION = f"<HTMLQuestion xmlns='{NS}'><HTMLContent><![CDATA[{PAGE}]]></HTMLContent>" \
           "<FrameHeight>500</FrameHeight></HTMLQuestion>"
TITLE = "Which animal? (web page)"


@pytest.fixture
def tasks(database, monkeypatch):
    """The task pages on a port of their own, as `hitbot sandbox` serves them (before the stack reads settings)."""
    server = TaskServer().start()
    monkeypatch.setenv("HITBOT_TASKS_URL", server.url)
    yield server
    server.stop()


def _key(rita) -> tuple[str, str]:
    rita.send("/apikey")
    rita.press("New key", rita.wait_for("New key"))
    shown = rita.wait_for("aws_secret_access_key")["text"]
    return (re.search(r"aws_access_key_id = (\S+)", shown).group(1),
            re.search(r"aws_secret_access_key = (\S+)", shown).group(1))


def _frame(http: httpx.Client, url: str) -> str:
    wrapper = http.get(url.split("#", 1)[0])
    assert wrapper.status_code == 200, wrapper.text
    return re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text).group(1).replace("&amp;", "&")


def test_a_worker_does_an_html_question_hit_on_its_page_and_the_script_approves_it(tasks, stack):
    rita, wes = stack.person(RITA, "Rita"), stack.person(WES, "Wes")
    for p in (rita, wes):
        p.send("/start")
        p.wait_for(p.name)
    _topup(rita, "10")
    key_id, secret = _key(rita)
    mturk = boto3.client("mturk", endpoint_url=stack.url + "/mturk", region_name="us-east-1",
                         aws_access_key_id=key_id, aws_secret_access_key=secret)
    hit = mturk.create_hit(Title=TITLE, Description="Pick the animal on the page.", Reward="0.30", MaxAssignments=1,
                           AssignmentDurationInSeconds=600, LifetimeInSeconds=86_400, Question=QUESTION)["HIT"]

    wes.send("/browse")
    listing = wes.wait_for(TITLE)
    assert f"🌐 <b>{TITLE}</b>" in listing["html"] or f"🌐 {TITLE}" in listing["text"]
    wes.press(TITLE[:20], listing)
    assert "web task" in wes.wait_for("Accept")["text"]
    wes.press("Accept")
    opened = wes.wait_for("Open task")
    labels = [b["text"] for row in opened["buttons"] for b in row]
    assert "🌐 Open task" in labels and "Open in browser" in labels and "↩️ Return" in labels
    url = wes.web_app("Open task", opened)
    assert url.startswith(tasks.url + "/task/") and not url.startswith(stack.url)

    # /mywork's Continue offers the same page again.
    wes.send("/mywork")
    wes.press("Continue", wes.wait_for("Your work"))
    again = wes.wait_for("Open task")
    assert wes.web_app("Open task", again).split("#")[0] == url.split("#")[0]

    with httpx.Client(timeout=10) as http:
        init = parse_qs(urlsplit(url).fragment)["tgWebAppData"][0]
        token_path = urlsplit(url).path
        assert http.post(tasks.url + token_path + "/init", content=init).status_code == 200
        forged = init.replace(str(WES), str(WES + 1))
        assert http.post(tasks.url + token_path + "/init", content=forged).status_code == 403
        frame = _frame(http, url)
        query = parse_qs(urlsplit(frame).query)
        assert urlsplit(frame).netloc == urlsplit(tasks.url).netloc and query["hitId"] == [hit["HITId"]]
        page = http.get(frame)
        assert "Which animal is in the picture?" in page.text
        assert page.headers["Content-Security-Policy"].startswith("sandbox")
        submit_to = unquote(query["turkSubmitTo"][0])
        done = http.post(f"{submit_to}/mturk/externalSubmit",
                         data={"assignmentId": query["assignmentId"][0], "animal": "dog"})
        assert done.status_code == 200 and "submitted" in done.text

    wes.wait_for("from its page", fresh=False)  # the live Open task message, edited
    (live,) = [m for m in wes.bot_messages() if m["message_id"] == again["message_id"]]
    assert live["edited"] and "Submitted" in live["text"] and not live["buttons"]

    (work,) = mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert "<QuestionIdentifier>animal</QuestionIdentifier><FreeText>dog</FreeText>" in work["Answer"]
    mturk.approve_assignment(AssignmentId=work["AssignmentId"], RequesterFeedback="Right, a dog.")
    wes.wait_for("approved")
    with httpx.Client(timeout=10) as http:  # the link opens nothing once the work is in
        assert http.get(url.split("#")[0]).status_code == 409
