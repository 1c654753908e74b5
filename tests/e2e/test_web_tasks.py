"""A web task walked through the sandbox as people would (issue 16): Rita's boto3 script makes an
HTMLQuestion HIT; Wes sees it marked 🌐 in /browse, accepts, gets an Open task button (a Mini App,
web_app) that /mywork's Continue offers again; the page comes from the tasks origin (not the
chat's or the API's) with the initData the emulator signed; its form posts to
turkSubmitTo/mturk/externalSubmit; the chat confirms; the script reads the answers and approves.
An ExternalQuestion served by the test itself is done the same way, its form posting back to
turkSubmitTo; a replayed submit records nothing. The wrapper holds no task until /init has checked
the Mini App's initData: the frame and its submit need the credential /init hands out (or the plain
link's, Open in browser), so the token alone opens and submits nothing."""
from __future__ import annotations

import html
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

import httpx
import pytest

from api.taskpages import TaskServer
from core.webtasks.tokens import sign_init_data
from tests.e2e.conftest import TOKEN
from tests.e2e.walks import funded_script, started

pytestmark = pytest.mark.slow

RITA, WES = 531, 631
NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
EXT_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
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


def _frame(http: httpx.Client, url: str) -> str:
    """The frame's URL as the opened button's client gets it: a Mini App's wrapper posts the initData
    Telegram put in its fragment to /init, which answers it; a preview's or a plain link's wrapper
    holds it."""
    page, _, fragment = url.partition("#")
    wrapper = http.get(page)
    assert wrapper.status_code == 200, wrapper.text
    held = re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text)
    if held:
        return held.group(1).replace("&amp;", "&")
    init = http.post(urlsplit(page)._replace(query="").geturl() + "/init",
                     content=parse_qs(fragment)["tgWebAppData"][0])
    assert init.status_code == 200, init.text
    return init.json()["frame"]


def test_a_worker_does_an_html_question_hit_on_its_page_and_the_script_approves_it(tasks, stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    mturk = funded_script(stack, rita, "10")
    hit = mturk.create_hit(Title=TITLE, Description="Pick the animal on the page.", Reward="0.30", MaxAssignments=1,
                           AssignmentDurationInSeconds=600, LifetimeInSeconds=86_400, Question=QUESTION)["HIT"]

    wes.send("/browse")
    listing = wes.wait_for(TITLE)
    assert f"🌐 <b>{TITLE}</b>" in listing["html"] or f"🌐 {TITLE}" in listing["text"]
    wes.press(TITLE[:20], listing)
    preview = wes.wait_for("Accept")
    assert "web task" in preview["text"]
    peek = wes.web_app("Preview page", preview)  # MTurk's preview: the page, submitting nothing
    with httpx.Client(timeout=10) as http:
        assert "ASSIGNMENT_ID_NOT_AVAILABLE" in _frame(http, peek)
    wes.press("Accept")
    opened = wes.wait_for("Open task")
    labels = [b["text"] for row in opened["buttons"] for b in row]
    assert "🌐 Open task" in labels and "Open in browser" in labels and "↩️ Return" in labels
    url = wes.web_app("Open task", opened)
    assert url.startswith(tasks.url + "/task/") and not url.startswith(stack.url)
    (link,) = [b["url"] for row in opened["buttons"] for b in row if b["text"] == "Open in browser"]
    assert link == url.split("#")[0] + "?via=link"  # the plain link: explicit, and the worker's own

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
        # Signed by the bot, but for another Telegram account (a forwarded button): refused, and said why.
        other = dict(parse_qsl(init))
        other.pop("hash")
        other["user"] = json.dumps({"id": WES + 7, "first_name": "Eve"})
        theirs = http.post(tasks.url + token_path + "/init", content=sign_init_data(other, bot_token=TOKEN))
        assert theirs.status_code == 403 and "another Telegram account" in theirs.text
        # The token alone (the wrapper's URL) holds no task, and opens and submits none.
        wrapper = http.get(tasks.url + token_path)
        assert "in the picture" not in wrapper.text and token_path + "/page" not in wrapper.text
        assert http.get(tasks.url + token_path + "/page").status_code == 403
        bare = http.post(tasks.url + token_path.replace("/task/", "/s/") + "/mturk/externalSubmit",
                         data={"animal": "cat"})
        assert bare.status_code == 403
        frame = _frame(http, url)
        query = parse_qs(urlsplit(frame).query)
        assert urlsplit(frame).netloc == urlsplit(tasks.url).netloc and query["hitId"] == [hit["HITId"]]
        assert "in the picture" in http.get(_frame(http, link)).text  # the plain link opens it too
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


class _Survey(BaseHTTPRequestHandler):
    """A requester's own external page (as Qualtrics or psiTurk would serve it): the form posts to
    turkSubmitTo/mturk/externalSubmit with the assignmentId MTurk passed."""

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        query = parse_qs(urlsplit(self.path).query)
        submit_to = html.escape(query.get("turkSubmitTo", [""])[0], quote=True)
        assignment = html.escape(query.get("assignmentId", [""])[0], quote=True)
        body = (f"<html><body><form method='post' action='{submit_to}/mturk/externalSubmit'>"
                f"<input type='hidden' name='assignmentId' value='{assignment}'>"
                "<p>How many birds did you count?</p><input name='birds'>"
                "<input type='submit' value='Submit'></form></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def survey():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Survey)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/survey"
    server.shutdown()
    server.server_close()


def test_an_external_question_served_by_the_requester_is_done_and_posts_back_to_turk_submit_to(tasks, stack, survey):
    rita, wes = started(stack, (RITA + 1, "Rita"), (WES + 1, "Wes"))
    mturk = funded_script(stack, rita, "10")
    question = (f"<ExternalQuestion xmlns='{EXT_NS}'><ExternalURL>{survey}?wave=2</ExternalURL>"
                "<FrameHeight>0</FrameHeight></ExternalQuestion>")
    hit = mturk.create_hit(Title="Count the birds (survey)", Description="A short survey on our site.",
                           Reward="0.50", MaxAssignments=1, AssignmentDurationInSeconds=600,
                           LifetimeInSeconds=86_400, Question=question)["HIT"]
    wes.send("/browse")
    wes.press("Count the birds", wes.wait_for("Count the birds"))
    wes.press("Accept", wes.wait_for("Accept"))
    url = wes.web_app("Open task", wes.wait_for("Open task"))
    with httpx.Client(timeout=10) as http:
        frame = _frame(http, url)
        assert frame.startswith(survey + "?wave=2&assignmentId=")
        form_page = http.get(frame).text  # the requester's page, from the requester's server
        action = re.search(r"action='([^']+)'", form_page).group(1)
        assignment = re.search(r"name='assignmentId' value='([^']+)'", form_page).group(1)
        assert action.startswith(tasks.url + "/s/") and action.endswith("/mturk/externalSubmit")
        assert http.post(action, data={"assignmentId": assignment, "birds": "7"}).status_code == 200
        replay = http.post(action, data={"assignmentId": assignment, "birds": "70"})
        assert replay.status_code == 409  # a replayed submit records nothing more
    wes.wait_for("from its page", fresh=False)
    (work,) = mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert work["AssignmentId"] == assignment
    assert "<QuestionIdentifier>birds</QuestionIdentifier><FreeText>7</FreeText>" in work["Answer"]
