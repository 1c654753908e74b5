"""Web tasks through the API and the task pages over HTTP (issue 16): an HTMLQuestion and an
ExternalQuestion made with boto3, the page served from the tasks origin (not the API's), the
form submitted to turkSubmitTo/mturk/externalSubmit, answers back through GetAssignment; forged
tokens, a second submit and a submit after return change nothing. The token opens only the wrapper:
the frame and its submit need the frame credential the wrapper gets from /init (Telegram's initData
of the worker's own account) or from the plain link (?via=link)."""
from __future__ import annotations

import json
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
from core.webtasks.tokens import frame_credential, page_url, sign_init_data
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
BOT_TOKEN = "123456:web-task-bot"
HTML_QUESTION = f"<HTMLQuestion xmlns='{HTML_NS}'><HTMLContent><![CDATA[{PAGE}]]></HTMLContent>" \
                "<FrameHeight>600</FrameHeight></HTMLQuestion>"


def external(url: str) -> str:
    return f"<ExternalQuestion xmlns='{EXT_NS}'><ExternalURL>{url}</ExternalURL><FrameHeight>400</FrameHeight>" \
           "</ExternalQuestion>"


@pytest.fixture
def tasks(database, monkeypatch):
    server = TaskServer().start()
    monkeypatch.setenv("HITBOT_TASKS_URL", server.url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
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


def init_data(telegram_user_id: int, token: str = BOT_TOKEN) -> str:
    """What Telegram hands the Mini App of this account."""
    return sign_init_data({"auth_date": str(int(utcnow().timestamp())),
                           "user": json.dumps({"id": telegram_user_id, "first_name": "Someone"})}, bot_token=token)


def mini_app(http: httpx.Client, url: str, telegram_user_id: int) -> httpx.Response:
    """The wrapper's script: initData posted to /init, which answers the frame's URL."""
    return http.post(url + "/init", content=init_data(telegram_user_id))


def link_frame(http: httpx.Client, url: str) -> str:
    """The frame as the plain link's wrapper (Open in browser, ?via=link) holds it."""
    wrapper = http.get(url + "?via=link")
    assert wrapper.status_code == 200, wrapper.text
    return re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text).group(1).replace("&amp;", "&")


def submit_url(http: httpx.Client, url: str) -> str:
    """Where the page's form posts, as the page reads it from its query."""
    return parse_qs(urlsplit(link_frame(http, url)).query)["turkSubmitTo"][0] + "/mturk/externalSubmit"


def test_an_html_question_is_served_from_the_tasks_origin_and_its_form_submits_the_assignment(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    got = rita.client.get_hit(HITId=hit_id)["HIT"]
    assert got["Question"] == HTML_QUESTION
    worker, assignment, url = accepted(hit_id)
    assert url.startswith(tasks.url + "/task/") and urlsplit(url).port != urlsplit(api.url).port
    with httpx.Client(timeout=10) as http:
        wrapper = http.get(url)
        assert wrapper.status_code == 200 and "Label a picture" in wrapper.text
        token = url.rsplit("/", 1)[1]
        assert token not in wrapper.text and "src=" not in re.search(r"<iframe[^>]*>", wrapper.text).group(0)
        opened = mini_app(http, url, worker.id)  # the worker's own Telegram account
        assert opened.status_code == 200
        frame = opened.json()["frame"]
        query = parse_qs(urlsplit(frame).query)
        assert set(query) == {"assignmentId", "hitId", "workerId", "turkSubmitTo", "credential"}
        assert query["turkSubmitTo"] == [f"{tasks.url}/s/{token}/{query['credential'][0]}"]
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
    with httpx.Client(timeout=10) as http:
        wrapper = http.get(url)
        frame = mini_app(http, url, worker.id).json()["frame"]
    assert "survey.example.org" not in wrapper.text  # the page comes once /init has checked the opener
    parts = urlsplit(frame)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "survey.example.org", "/s")
    query = parse_qs(parts.query)
    assert set(query) == {"study", "assignmentId", "hitId", "workerId", "turkSubmitTo"}  # MTurk's, nothing more
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
        submit = submit_url(http, url)
        credential = submit.split("/")[-3]
        for bad in (forged, "1-" + "a" * 32, token[:-1] + ("a" if token[-1] != "a" else "b")):
            assert http.get(f"{tasks.url}/task/{bad}").status_code == 404
            assert http.get(f"{tasks.url}/task/{bad}?via=link").status_code == 404
            assert http.post(f"{tasks.url}/task/{bad}/init", content=init_data(mine.worker_id)).status_code == 403
            assert http.post(f"{tasks.url}/s/{bad}/{credential}/mturk/externalSubmit",
                             data={"x": "1"}).status_code == 404
        from core.mturk.ids import assignment_id
        wrong = http.post(submit, data={"assignmentId": assignment_id(theirs.id), "x": "1"})
        assert wrong.status_code == 404
    assert {a.status for a in Assignment.select()} == {"accepted"}
    assert Answer.select().count() == 0
    assert mine.id != theirs.id


def test_a_submit_after_return_or_expiry_is_refused(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    worker, assignment, url = accepted(hit_id)
    with httpx.Client(timeout=10) as http:
        submit, frame = submit_url(http, url), mini_app(http, url, worker.id).json()["frame"]
    work.return_assignment(worker_id=worker.id, assignment_id=assignment.id, now=utcnow())
    refused = httpx.post(submit, data={"label": "cat"}, timeout=10)
    assert refused.status_code == 409 and "returned" in refused.text
    assert httpx.get(frame, timeout=10).status_code == 409  # the page it had open shows nothing more either
    assert Assignment.get_by_id(assignment.id).status == "returned" and Answer.select().count() == 0
    _, late, late_url = accepted(hit_id, "Willa")
    with httpx.Client(timeout=10) as http:
        late_submit = submit_url(http, late_url)
    Assignment.update(deadline=utcnow() - timedelta(seconds=1)).where(Assignment.id == late.id).execute()
    refused = httpx.post(late_submit, data={"label": "cat"}, timeout=10)
    assert refused.status_code == 409 and "ran out" in refused.text
    assert Assignment.get_by_id(late.id).status == "accepted" and Answer.select().count() == 0


def test_a_get_or_an_unbounded_chunked_form_submits_nothing(api, tasks, rita):
    hit_id = create(rita, HTML_QUESTION)
    _, assignment, url = accepted(hit_id)
    with httpx.Client(timeout=10) as http:
        submit = submit_url(http, url)
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
    with httpx.Client(timeout=10) as http:
        refused = http.post(submit_url(http, url), data={"label": "cat"},
                            files={"scan": ("scan.png", b"\x89PNG", "image/png")})
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
        urls.append((a.id, page_url(a.id, a.accepted_at)))
    with httpx.Client(timeout=10) as http:
        codes = [http.post(submit_url(http, url), data={"label": "cat"}) for _, url in urls]
    assert [c.status_code for c in codes] == [200, 200, 400] and "last minute" in codes[2].text
    assert Assignment.get_by_id(urls[2][0]).status == "accepted"  # nothing sent: it can be submitted later


def test_a_worker_who_deletes_the_account_takes_the_pages_answers_along(api, tasks, rita):
    from core.users import privacy

    hit_id = create(rita, HTML_QUESTION)
    worker, assignment, url = accepted(hit_id)
    with httpx.Client(timeout=10) as http:
        assert http.post(submit_url(http, url), data={"label": "my street, my name"}).status_code == 200
    privacy.delete_account(user_id=worker.id, now=utcnow())
    assert Answer.get(Answer.assignment == assignment.id).value == [["label", ""]]
    from core.mturk.ids import assignment_id
    answer = rita.client.get_assignment(AssignmentId=assignment_id(assignment.id))["Assignment"]["Answer"]
    assert "my street" not in answer and "<QuestionIdentifier>label</QuestionIdentifier>" in answer


def test_the_page_and_its_submit_need_the_credential_of_this_assignment_and_this_workers_account(api, tasks, rita):
    """Holding the token is not enough: the frame and the submit refuse (403, saying why) without
    a credential, with one made up, another assignment's, another Telegram account's or an expired
    one, and nothing is recorded."""
    hit_id = create(rita, HTML_QUESTION)
    worker, mine, url = accepted(hit_id, "Wes")
    _, theirs, their_url = accepted(hit_id, "Willa")
    token = url.rsplit("/", 1)[1]
    eve = f.user("Eve")
    with httpx.Client(timeout=10) as http:
        their_credential = submit_url(http, their_url).split("/")[-3]
        theirs_opened = mini_app(http, url, eve.id)  # a forwarded Open task button, opened by Eve
        assert theirs_opened.status_code == 403 and "another Telegram account" in theirs_opened.text
        wrong_bot = http.post(url + "/init", content=init_data(worker.id, token="654321:another-bot"))
        assert wrong_bot.status_code == 403 and "not signed" in wrong_bot.text
        page = f"{tasks.url}/task/{token}/page"
        assert http.get(page, params={"assignmentId": "x"}).status_code == 403
        no_credential = http.post(f"{tasks.url}/s/{token}/mturk/externalSubmit", data={"label": "cat"})
        assert no_credential.status_code == 403 and "Open task button" in no_credential.text
        now = utcnow()
        refused = {
            "made up": "t.ffffffff." + "a" * 32,
            "not shaped": "../x",
            "another assignment's": their_credential,
            "another Telegram account's": frame_credential(mine.id, mine.accepted_at, eve.id, mine.deadline),
            "an earlier acceptance's": frame_credential(mine.id, mine.accepted_at - timedelta(minutes=1), worker.id,
                                                        mine.deadline),
            "expired": frame_credential(mine.id, mine.accepted_at, worker.id, now - timedelta(seconds=1)),
        }
        for why, credential in refused.items():
            shown = http.get(page, params={"credential": credential})
            assert shown.status_code == 403 and "Is this a cat?" not in shown.text, why
            sent = http.post(f"{tasks.url}/s/{token}/{credential}/mturk/externalSubmit", data={"label": "cat"})
            assert sent.status_code in (403, 404) and "submitted" not in sent.text.lower(), why
        expired = http.get(page, params={"credential": refused["expired"]})
        assert "expired" in expired.text
        # The worker's own credential works, for this worker's page only.
        good = frame_credential(mine.id, mine.accepted_at, worker.id, mine.deadline)
        assert "Is this a cat?" in http.get(page, params={"credential": good}).text
    assert {a.status for a in Assignment.select()} == {"accepted"} and Answer.select().count() == 0
    assert theirs.status == "accepted"


def test_the_plain_link_can_be_turned_off_and_then_opens_nothing(api, tasks, rita, monkeypatch):
    hit_id = create(rita, HTML_QUESTION)
    worker, assignment, url = accepted(hit_id)
    with httpx.Client(timeout=10) as http:
        link_submit = submit_url(http, url)  # handed out while links were on
        monkeypatch.setenv("HITBOT_TASK_LINKS", "false")
        get_settings.cache_clear()
        off = http.get(url + "?via=link")
        assert off.status_code == 403 and "Open task button" in off.text and "/page" not in off.text
        assert http.post(link_submit, data={"label": "cat"}).status_code == 403  # its credential stops too
        assert Answer.select().count() == 0
        frame = mini_app(http, url, worker.id).json()["frame"]  # the Mini App still opens it
        submit = parse_qs(urlsplit(frame).query)["turkSubmitTo"][0] + "/mturk/externalSubmit"
        assert http.post(submit, data={"label": "cat"}).status_code == 200
    assert Assignment.get_by_id(assignment.id).status == "submitted"
