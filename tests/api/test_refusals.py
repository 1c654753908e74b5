"""Issue 15: what the API refuses, with the error botocore raises, and that a refusal changes nothing."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from api.server import ApiServer
from core.models import Hit
from core.mturk import apikeys
from core.work import commands as work
from tests import factories as f
from tests.api.conftest import FORM_NS, create_args, mturk, utcnow
from tests.api.test_lifecycle import answer_in_chat
from tests.invariants import check_invariants


def error_of(call, **kwargs) -> tuple[str, str, dict]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response


def nothing_made(rita, cents: int = 100_00) -> None:
    assert Hit.select().count() == 0
    assert f.available(rita.id) == cents
    check_invariants()


def test_a_wrong_secret_is_refused(rita, api):
    forger = mturk(api, rita.key_id, "x" * 40)
    code, message, _ = error_of(forger.create_hit, **create_args())
    assert code == "InvalidSignatureException" and "signature" in message
    nothing_made(rita)


def test_an_unknown_or_revoked_key_is_refused(rita, api):
    assert error_of(mturk(api, "AKHBAAAAAAAAAAAAAAAA", rita.secret).get_account_balance)[0] == \
        "UnrecognizedClientException"
    rita.client.get_account_balance()
    key = apikeys.list_keys(user_id=rita.id)[0]
    apikeys.revoke_key(user_id=rita.id, key_id=key.id, now=utcnow())
    code, _, _ = error_of(rita.client.create_hit, **create_args())
    assert code == "UnrecognizedClientException"
    nothing_made(rita)


def test_a_stale_or_future_date_is_refused(rita, monkeypatch):
    import botocore.auth

    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() - timedelta(minutes=16))
    code, message, _ = error_of(rita.client.create_hit, **create_args())
    assert code == "InvalidSignatureException" and message.startswith("Signature expired")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() + timedelta(minutes=16))
    code, message, _ = error_of(rita.client.get_account_balance)
    assert code == "InvalidSignatureException" and message.startswith("Signature not yet current")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() - timedelta(minutes=14))
    rita.client.get_account_balance()  # within 15 minutes: a slow clock is fine
    nothing_made(rita)


def test_a_body_changed_after_signing_is_refused(rita):
    def tamper(request, **kwargs):
        request.body = request.body.replace(b'"0.50"', b'"0.05"')

    rita.client.meta.events.register("before-send.mturk.CreateHIT", tamper)
    code, _, _ = error_of(rita.client.create_hit, **create_args())
    assert code == "InvalidSignatureException"
    nothing_made(rita)


def test_any_region_is_accepted(rita, api):
    for region in ("us-east-1", "eu-west-1", "hitbot"):
        assert mturk(api, rita.key_id, rita.secret, region).get_account_balance()["AvailableBalance"] == "100.00"


def test_unsigned_requests_and_unknown_operations(rita, api):
    req = urllib.request.Request(api.url, data=b"{}", method="POST", headers={
        "X-Amz-Target": "MTurkRequesterServiceV20170117.GetAccountBalance",
        "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=10)
    assert caught.value.code == 403
    assert json.loads(caught.value.read())["__type"] == "MissingAuthenticationTokenException"
    code, message, _ = error_of(rita.client.list_review_policy_results_for_hit, HITId="3HB000000000001")
    assert code == "UnknownOperationException" and "ListReviewPolicyResultsForHIT" in message


def test_another_requesters_hit_and_assignment(rita, otto):
    hit_id = rita.client.create_hit(**create_args())["HIT"]["HITId"]
    answer_in_chat(int(hit_id[3:], 36), f.user("Wes").id, {"Which animal is it?": "Cat", "How many legs?": "4"})
    assignment = rita.client.list_assignments_for_hit(HITId=hit_id)["Assignments"][0]
    for call, kwargs in [
        (otto.client.get_hit, {"HITId": hit_id}),
        (otto.client.list_assignments_for_hit, {"HITId": hit_id}),
        (otto.client.get_assignment, {"AssignmentId": assignment["AssignmentId"]}),
        (otto.client.approve_assignment, {"AssignmentId": assignment["AssignmentId"]}),
        (otto.client.reject_assignment, {"AssignmentId": assignment["AssignmentId"], "RequesterFeedback": "no"}),
        (otto.client.send_bonus, {"AssignmentId": assignment["AssignmentId"], "WorkerId": assignment["WorkerId"],
                                  "BonusAmount": "1.00", "Reason": "x"}),
    ]:
        code, message, response = error_of(call, **kwargs)
        assert code == "RequestError" and "does not exist" in message, (call, message)
    assert [h["HITId"] for h in otto.client.list_hits()["HITs"]] == []
    assert rita.client.get_assignment(AssignmentId=assignment["AssignmentId"])["Assignment"]["AssignmentStatus"] == \
        "Submitted"
    assert f.available(otto.id) == 50_00
    # The same worker has another id for another requester; a bonus to a wrong WorkerId is refused.
    code, message, _ = error_of(rita.client.send_bonus, AssignmentId=assignment["AssignmentId"],
                                WorkerId="AAAAAAAAAAAAAA", BonusAmount="1.00", Reason="x")
    assert code == "RequestError" and "WorkerId" in message
    check_invariants()


def test_forged_and_foreign_tokens_and_ids(rita, otto):
    for i in range(3):
        rita.client.create_hit(**create_args(Title=f"HIT {i}", MaxAssignments=1))
    token = rita.client.list_hits(MaxResults=1)["NextToken"]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "hits.1.AAAAAAAAAAAAAAAA", "garbage"):
        code, message, _ = error_of(rita.client.list_hits, NextToken=bad)
        assert code == "RequestError" and "NextToken" in message
    assert error_of(otto.client.list_hits, NextToken=token)[0] == "RequestError"  # tokens are per requester
    for bad in ("3HB00000000000Z9", "3AS000000000001", "XYZ", "3hb000000000001"):
        code, message, _ = error_of(rita.client.get_hit, HITId=bad)
        assert code == "RequestError" and "does not exist" in message


def test_unique_request_token_names_the_hit_and_makes_one(rita):
    first = rita.client.create_hit(**create_args(UniqueRequestToken="once"))["HIT"]
    code, message, response = error_of(rita.client.create_hit, **create_args(UniqueRequestToken="once",
                                                                              Title="Another title"))
    assert code == "RequestError" and first["HITId"] in message
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.DuplicateRequest"
    assert Hit.select().count() == 1
    assert f.available(rita.id) == 100_00 - 2 * 60
    check_invariants()


@pytest.mark.parametrize("overrides, names", [
    ({"Reward": "5000.00"}, "Reward"),
    ({"Reward": "0.001"}, "decimal"),
    ({"Reward": "-1"}, "Reward"),
    ({"MaxAssignments": 0}, "MaxAssignments"),
    ({"MaxAssignments": 5000}, "MaxAssignments"),
    ({"AssignmentDurationInSeconds": 10}, "AssignmentDurationInSeconds"),
    ({"LifetimeInSeconds": 90 * 86_400}, "LifetimeInSeconds"),
    ({"AutoApprovalDelayInSeconds": 31 * 86_400}, "AutoApprovalDelayInSeconds"),
    ({"Title": "x" * 129}, "Title"),
    ({"Description": "x" * 2001}, "Description"),
    ({"Keywords": ",".join(f"k{i}" for i in range(11))}, "Keywords"),
    ({"RequesterAnnotation": "x" * 256}, "RequesterAnnotation"),
    ({"UniqueRequestToken": "x" * 65}, "UniqueRequestToken"),
    # requirements nobody could meet, or that hitbot cannot check, are refused (api.requirements)
    ({"QualificationRequirements": [{"QualificationTypeId": "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "Comparator": "Exists"}]},
     "Masters"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000060", "Comparator": "EqualTo",
                                     "IntegerValues": [1]}]}, "adult"),
    ({"QualificationRequirements": [{"QualificationTypeId": "000000000000000000L0", "Comparator": "GreaterThan",
                                     "IntegerValues": [101]}]}, "QualificationRequirements[0]"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000071", "Comparator": "EqualTo",
                                     "LocaleValues": [{"Country": "US", "Subdivision": "NY"}]}]}, "Subdivision"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000071", "Comparator": "In",
                                     "LocaleValues": [{"Country": "EU"}]}]}, "country code"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000071", "Comparator": "GreaterThan",
                                     "LocaleValues": [{"Country": "US"}]}]}, "QualificationRequirements[0]"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000040", "Comparator": "In",
                                     "IntegerValues": list(range(16))}]}, "1 to 15"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000040", "Comparator": "Exists",
                                     "IntegerValues": [3]}]}, "takes no values"),
    ({"QualificationRequirements": [{"QualificationTypeId": "3QT0000000000ZZZ", "Comparator": "Exists"}]},
     "does not exist"),
    ({"QualificationRequirements": [{"QualificationTypeId": "00000000000000000040", "Comparator": "Exists",
                                     "ActionsGuarded": "Peek"}]}, "ActionsGuarded"),
])
def test_create_hit_bounds(rita, overrides, names):
    code, message, _ = error_of(rita.client.create_hit, **create_args(**overrides))
    assert code == "RequestError" and names in message, message
    nothing_made(rita)


def test_not_enough_money(api):
    from tests.api.conftest import Requester

    poor = Requester(api, 100, "Poor")
    code, message, response = error_of(poor.client.create_hit, **create_args(MaxAssignments=5))
    assert code == "RequestError" and response["TurkErrorCode"] == "AWS.MechanicalTurk.InsufficientFunds"
    assert "$3.00" in message
    assert Hit.select().count() == 0 and f.available(poor.id) == 100


HTML_QUESTION = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
<HTMLContent><![CDATA[<html><body>hi</body></html>]]></HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>"""
EXTERNAL = """<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd">
<ExternalURL>https://example.org/task</ExternalURL><FrameHeight>400</FrameHeight></ExternalQuestion>"""
ENTITY = f"""<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
<QuestionForm xmlns="{FORM_NS}"><Overview><Text>&b;</Text></Overview></QuestionForm>"""
DEEP = f'<QuestionForm xmlns="{FORM_NS}">' + "<Overview>" * 50 + "</Overview>" * 50 + "</QuestionForm>"


@pytest.mark.parametrize("question, words", [
    (HTML_QUESTION, "HITBOT_TASKS_URL is not set"),  # web tasks need a tasks origin (tests/api/test_web_tasks.py)
    (EXTERNAL, "HITBOT_TASKS_URL is not set"),
    (ENTITY, "DTDs and entities are not allowed"),
    (DEEP, "nested deeper"),
    ("<QuestionForm", "not well formed"),
    (f'<QuestionForm xmlns="{FORM_NS}">' + "<!-- x -->" * 7000 + "</QuestionForm>", "65535"),
    (f'<QuestionForm xmlns="{FORM_NS}"><Overview><Text>Hi</Text></Overview></QuestionForm>', "no Question"),
])
def test_questions_that_are_refused(rita, question, words):
    code, message, response = error_of(rita.client.create_hit, **create_args(Question=question))
    assert code == "RequestError" and words in message, message
    nothing_made(rita)


def test_a_body_over_the_limit_is_refused(rita):
    code, message, _ = error_of(rita.client.create_hit, **create_args(Description="x" * 300_000))
    assert code == "RequestError" and "at most" in message
    nothing_made(rita)


def test_requests_beyond_the_rate_are_throttled(database):
    from tests.api.conftest import Requester

    with ApiServer(rate_per_s=0.01, burst=3) as slow:
        rita = Requester(slow, 10_00)
        client = mturk(slow, rita.key_id, rita.secret, retries={"total_max_attempts": 1})
        for _ in range(3):
            client.get_account_balance()
        code, _, _ = error_of(client.get_account_balance)
        assert code == "ThrottlingException"


def test_approve_and_reject_states(rita):
    hit_id = rita.client.create_hit(**create_args())["HIT"]["HITId"]
    wes = f.user("Wes")
    at = utcnow()
    a = work.accept(worker_id=wes.id, hit_id=int(hit_id[3:], 36), now=at)
    # Work in progress is not an assignment yet (as on MTurk).
    assert rita.client.list_assignments_for_hit(HITId=hit_id)["NumResults"] == 0
    from api.ids import assignment_id

    code, message, _ = error_of(rita.client.approve_assignment, AssignmentId=assignment_id(a.id))
    assert code == "RequestError" and "does not exist" in message
    code, message, _ = error_of(rita.client.reject_assignment, AssignmentId=assignment_id(a.id),
                                RequesterFeedback="no")
    assert code == "RequestError" and "does not exist" in message
    assert f.available(wes.id) == 0
    check_invariants()
