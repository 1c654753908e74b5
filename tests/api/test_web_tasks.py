"""Web tasks through the API and the task pages over HTTP (issue 16): an HTMLQuestion and an
ExternalQuestion made with boto3, the page served from the tasks origin (not the API's), the
form submitted to turkSubmitTo/mturk/externalSubmit, answers back through GetAssignment; forged
tokens, a second submit and a submit after return change nothing."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from api.taskpages import TaskServer
from core.config import get_settings
from core.models import Answer, Assignment
from core.mturk.commands import worker_ref
from core.webtasks.tokens import page_url
from core.work import commands as work
from tests import factories as f
from tests.api.conftest import utcnow

HTML_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
EXT_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
PAGE = """<!DOCTYPE html><html><head><script src='https://s3.amazonaws.com/mturk-public/externalHIT_v1.js'></script>
</head><body><form name='mturk_form' method='post' id='mturk_form' action='https://www.mturk.com/mturk/externalSubmit'>
<input type='hidden' value='' name='assignmentId' id='assignmentId'/>
<p>Is this a cat?</p><input name='label' value='cat'><input name='tag' value='a'><input name='tag' value='b'>
<input type='submit' id='submitButton' value='Submit'/></form>
<script>turkSetAssignmentID();</script></body></html>"""
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTML_QUESTION = f"<HTMLQuestion xmlns='{HTML_NS}'><HTMLContent><![CDATA[{PAGE}]]></HTMLContent>" \
                "<FrameHeight>600</FrameHeight></HTMLQuestion>"


def external(url: str) -> str:
    return f"<ExternalQuestion xmlns='{EXT_NS}'><ExternalURL>{url}</ExternalURL><FrameHeight>400</FrameHeight>" \
           "</ExternalQuestion>"


@pytest.fixture
def tasks(database, monkeypatch):
    server = TaskServer().start()
    monkeypatch.setenv("HITBOT_TASKS_URL", server.url)
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def create(rita, question: str, **extra) -> str:
    return rita.client.create_hit(Title="Label a picture", Description="Say what is in the picture.", Reward="0.25",
                                  MaxAssignments=2, AssignmentDurationInSeconds=600, LifetimeInSeconds=86_400,
                                  Question=question, **extra)["HIT"]["HITId"]


def hit_number(hit_id: str) -> int:
    from api.ids import parse_hit_id
    return parse_hit_id(hit_id)


def accepted(hit_id: str, name: str = "Wes"):
    worker = f.user(name)
    assignment = work.accept(worker_id=worker.id, hit_id=hit_number(hit_id), now=utcnow())
    return worker, assignment, page_url(assignment.id, assignment.accepted_at)


def test_an_html_question_is_served_from_the_tasks_origin_and_its_form_submits_the_assignment(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    got = rita.client.get_hit(HITId=hit_id)["HIT"]
    assert got["Question"] == HTML_QUESTION
    worker, assignment, url = accepted(hit_id)
    assert url.startswith(tasks.url + "/task/") and urlsplit(url).port != urlsplit(api.url).port
    with httpx.Client(timeout=10) as http:
        wrapper = http.get(url)
        assert wrapper.status_code == 200 and "Label a picture" in wrapper.text
        frame = re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text).group(1).replace("&amp;", "&")
        query = parse_qs(urlsplit(frame).query)
        assert query["workerId"] == [worker_ref(rita.id, worker.id)]
        assert query["hitId"] == [hit_id]
        submit_to = query["turkSubmitTo"][0]
        page = http.get(frame)
        assert page.status_code == 200 and "Is this a cat?" in page.text
        csp = page.headers["Content-Security-Policy"]
        assert csp.startswith("sandbox allow-scripts allow-forms") and f"form-action {tasks.url}" in csp
        assert "www.mturk.com" not in page.text and f"{submit_to}/mturk/externalSubmit" in page.text
        # The form as the browser sends it (turkSetAssignmentID filled assignmentId from the query).
        form = [("assignmentId", query["assignmentId"][0]), ("label", "cat"), ("tag", "a"), ("tag", "b")]
        done = http.post(f"{submit_to}/mturk/externalSubmit", content=urlencode(form), headers=FORM)
        assert done.status_code == 200 and "submitted" in done.text
        again = http.post(f"{submit_to}/mturk/externalSubmit", data={"label": "dog"})
        assert again.status_code == 409 and "already submitted" in again.text
        assert http.get(url).status_code == 409  # the link opens nothing once submitted
    assert Assignment.get_by_id(assignment.id).status == "submitted"
    answer = rita.client.get_assignment(AssignmentId=query["assignmentId"][0])["Assignment"]["Answer"]
    fields = re.findall(r"<QuestionIdentifier>(\w+)</QuestionIdentifier><FreeText>(\w+)</FreeText>", answer)
    assert fields == [("label", "cat"), ("tag", "a"), ("tag", "b")]


def test_an_external_question_frames_the_requesters_url_with_mturks_parameters(api, tasks, rita):
    hit_id = create(rita, external("https://survey.example.org/s?study=4"))
    assert rita.client.get_hit(HITId=hit_id)["HIT"]["Question"] == external("https://survey.example.org/s?study=4")
    worker, assignment, url = accepted(hit_id)
    wrapper = httpx.get(url, timeout=10)
    frame = re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text).group(1).replace("&amp;", "&")
    parts = urlsplit(frame)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "survey.example.org", "/s")
    query = parse_qs(parts.query)
    assert query["study"] == ["4"] and query["hitId"] == [hit_id]
    assert query["workerId"] == [worker_ref(rita.id, worker.id)]
    assert query["turkSubmitTo"][0].startswith(tasks.url + "/s/")
    assert "frame-src https://survey.example.org" in wrapper.headers["Content-Security-Policy"]
    # The survey posts back as every MTurk external page does.
    done = httpx.post(query["turkSubmitTo"][0] + "/mturk/externalSubmit", timeout=10,
                      data={"assignmentId": query["assignmentId"][0], "code": "XK42"})
    assert done.status_code == 200
    assert Answer.get(Answer.assignment == assignment.id).value == [["code", "XK42"]]


@pytest.mark.parametrize("question, why", [
    (external("http://survey.example.org/s"), "https://"),
    (external("javascript:alert(1)"), "https://"),
    (f"<HTMLQuestion xmlns='{HTML_NS}'><HTMLContent></HTMLContent><FrameHeight>1</FrameHeight></HTMLQuestion>",
     "HTMLContent"),
    (f"<HTMLQuestion xmlns='{HTML_NS}'><HTMLContent><![CDATA[{'x' * 70_000}]]></HTMLContent></HTMLQuestion>",
     "65535"),
])
def test_unsafe_or_oversized_web_questions_are_refused(api, tasks, rita, question, why):
    with pytest.raises(ClientError) as err:
        create(rita, question)
    assert why in err.value.response["Error"]["Message"]
    assert rita.client.list_hits()["NumResults"] == 0


def test_forged_tokens_and_another_assignments_id_change_nothing(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    _, mine, url = accepted(hit_id, "Wes")
    _, theirs, _ = accepted(hit_id, "Willa")
    token = url.rsplit("/", 1)[1]
    forged = f"{theirs.id:x}-" + token.split("-", 1)[1]  # my MAC on their assignment
    with httpx.Client(timeout=10) as http:
        for bad in (forged, "1-" + "a" * 32, token[:-1] + ("a" if token[-1] != "a" else "b")):
            assert http.get(f"{tasks.url}/task/{bad}").status_code == 404
            assert http.post(f"{tasks.url}/s/{bad}/mturk/externalSubmit", data={"x": "1"}).status_code == 404
        from core.mturk.ids import assignment_id
        wrong = http.post(f"{tasks.url}/s/{token}/mturk/externalSubmit",
                          data={"assignmentId": assignment_id(theirs.id), "x": "1"})
        assert wrong.status_code == 404
    assert {a.status for a in Assignment.select()} == {"accepted"}
    assert Answer.select().count() == 0
    assert mine.id != theirs.id


def test_a_submit_after_return_or_expiry_is_refused(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    worker, assignment, url = accepted(hit_id)
    work.return_assignment(worker_id=worker.id, assignment_id=assignment.id, now=utcnow())
    token = url.rsplit("/", 1)[1]
    refused = httpx.post(f"{tasks.url}/s/{token}/mturk/externalSubmit", data={"label": "cat"}, timeout=10)
    assert refused.status_code == 409 and "returned" in refused.text
    assert Assignment.get_by_id(assignment.id).status == "returned" and Answer.select().count() == 0
    late_worker, late, late_url = accepted(hit_id, "Willa")
    Assignment.update(deadline=utcnow() - timedelta(seconds=1)).where(Assignment.id == late.id).execute()
    late_token = late_url.rsplit("/", 1)[1]
    refused = httpx.post(f"{tasks.url}/s/{late_token}/mturk/externalSubmit", data={"label": "cat"}, timeout=10)
    assert refused.status_code == 409 and "ran out" in refused.text
    assert Assignment.get_by_id(late.id).status == "accepted" and Answer.select().count() == 0


def test_a_get_or_an_unbounded_chunked_form_submits_nothing(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    _, assignment, url = accepted(hit_id)
    submit = f"{tasks.url}/s/{url.rsplit('/', 1)[1]}/mturk/externalSubmit"
    with httpx.Client(timeout=10) as http:
        assert http.get(submit, params={"label": "cat"}).status_code == 405  # an <img src> elsewhere
        boundary = "b0undary"

        def parts(count: int, size: int):  # chunked: no Content-Length to refuse it by
            for n in range(count):
                yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"f{n}\"\r\n\r\n").encode()
                yield b"x" * size + b"\r\n"
            yield f"--{boundary}--\r\n".encode()

        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        many = http.post(submit, content=parts(5_000, 1), headers=headers)
        assert many.status_code == 400 and "more than 200 fields" in many.text
        big = http.post(submit, content=parts(3, 400_000), headers=headers)
        assert big.status_code == 400 and "larger than 512 KB" in big.text
    assert Assignment.get_by_id(assignment.id).status == "accepted" and Answer.select().count() == 0


def test_a_file_input_is_refused_with_a_clear_message(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    _, assignment, url = accepted(hit_id)
    token = url.rsplit("/", 1)[1]
    refused = httpx.post(f"{tasks.url}/s/{token}/mturk/externalSubmit", data={"label": "cat"},
                         files={"scan": ("scan.png", b"\x89PNG", "image/png")}, timeout=10)
    assert refused.status_code == 400 and "file" in refused.text
    assert Assignment.get_by_id(assignment.id).status == "accepted"


def test_without_a_tasks_origin_web_questions_are_refused(api, rita, monkeypatch):
    monkeypatch.delenv("HITBOT_TASKS_URL", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ClientError) as err:
        create(rita, HTML_QUESTION)
    assert "HITBOT_TASKS_URL" in err.value.response["Error"]["Message"]


def test_before_accept_the_page_is_previewed_as_mturk_does_and_submits_nothing(api, tasks, rita):
    from core.webtasks.tokens import preview_url

    ext = create(rita, external("https://survey.example.org/s"))
    with httpx.Client(timeout=10) as http:
        wrapper = http.get(preview_url(hit_number(ext)))
        frame = re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text).group(1).replace("&amp;", "&")
        assert parse_qs(urlsplit(frame).query) == {"assignmentId": ["ASSIGNMENT_ID_NOT_AVAILABLE"], "hitId": [ext]}
        html_hit = create(rita, HTML_QUESTION)
        url = preview_url(hit_number(html_hit))
        frame = re.search(r'<iframe id="task" src="([^"]+)"', http.get(url).text).group(1).replace("&amp;", "&")
        page = http.get(frame)
        assert "Is this a cat?" in page.text and "form-action 'none'" in page.headers["Content-Security-Policy"]
        assert "externalSubmit" not in page.text
        forged = url[:-1] + ("a" if url[-1] != "a" else "b")
        assert http.get(forged).status_code == 404
        rita.client.update_expiration_for_hit(HITId=html_hit, ExpireAt=utcnow() - timedelta(minutes=1))
        assert http.get(url).status_code == 404  # ended: nothing to preview
    assert Assignment.select().count() == 0


def test_a_worker_submitting_faster_than_a_person_can_is_held_back(api, tasks, rita, monkeypatch):
    from core.webtasks import commands as webtasks

    monkeypatch.setattr(webtasks, "MAX_SUBMITS_PER_MINUTE", 2)
    hits = [create(rita, HTML_QUESTION) for _ in range(3)]
    worker = f.user("Wes")
    urls = []
    for h in hits:
        a = work.accept(worker_id=worker.id, hit_id=hit_number(h), now=utcnow())
        urls.append((a.id, page_url(a.id, a.accepted_at).rsplit("/", 1)[1]))
    codes = [httpx.post(f"{tasks.url}/s/{token}/mturk/externalSubmit", data={"label": "cat"}, timeout=10)
             for _, token in urls]
    assert [c.status_code for c in codes] == [200, 200, 400] and "last minute" in codes[2].text
    assert Assignment.get_by_id(urls[2][0]).status == "accepted"  # nothing sent: it can be submitted later


def test_a_worker_who_deletes_the_account_takes_the_pages_answers_along(api, tasks, rita):
    from core.users import privacy

    hit_id = create(rita, HTML_QUESTION)
    worker, assignment, url = accepted(hit_id)
    token = url.rsplit("/", 1)[1]
    httpx.post(f"{tasks.url}/s/{token}/mturk/externalSubmit", data={"label": "my street, my name"}, timeout=10)
    privacy.delete_account(user_id=worker.id, now=utcnow())
    assert Answer.get(Answer.assignment == assignment.id).value == [["label", ""]]
    from core.mturk.ids import assignment_id
    answer = rita.client.get_assignment(AssignmentId=assignment_id(assignment.id))["Assignment"]["Answer"]
    assert "my street" not in answer and "<QuestionIdentifier>label</QuestionIdentifier>" in answer
