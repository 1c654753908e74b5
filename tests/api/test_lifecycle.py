"""Issue 15: a whole MTurk life cycle driven by boto3 over HTTP, the worker answering in chat:
a key from /apikey, balance, CreateHIT with a QuestionForm, answers back as QuestionFormAnswers
XML, approve once, bonus once per token, balance after; and the HIT shows in /myhits."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from core.hits import queries as hit_queries
from core.models import Question
from core.work import commands as work
from tests import factories as f
from tests.api.conftest import create_args, mturk, utcnow
from tests.fakes.telegram import TgUser
from tests.invariants import check_invariants

ANSWERS_NS = "{http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd}"


def answer_in_chat(hit_number: int, worker_id: int, values: dict[str, object]):
    """The worker accepts, answers and submits through core's work use cases (what the chat calls)."""
    at = utcnow()
    a = work.accept(worker_id=worker_id, hit_id=hit_number, now=at)
    for q in Question.select().where(Question.hit == hit_number).order_by(Question.position):
        if q.prompt.split("\n")[0] in values:
            work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=q.id,
                             value=values[q.prompt.split("\n")[0]], now=at)
    return work.submit(worker_id=worker_id, assignment_id=a.id, now=at + timedelta(seconds=30))


def parse_answers(xml: str) -> dict[str, list[str]]:
    root = ET.fromstring(xml)
    assert root.tag == f"{ANSWERS_NS}QuestionFormAnswers"
    out = {}
    for answer in root.findall(f"{ANSWERS_NS}Answer"):
        ident = answer.find(f"{ANSWERS_NS}QuestionIdentifier").text
        out[ident] = [e.text for e in answer if e.tag != f"{ANSWERS_NS}QuestionIdentifier"]
    return out


async def key_from_chat(bot, user) -> tuple[str, str]:
    tg = TgUser(user.id, user.first_name)
    await bot.text(tg, "/start")
    calls = await bot.text(tg, "/apikey")
    assert "no key yet" in calls[-1].text
    calls = await bot.press_label(tg, "New key")
    block = html.unescape(re.sub(r"<[^>]+>", "", next(c.text for c in calls if c.method == "sendMessage")))
    match = re.search(r"^\[hitbot\]\naws_access_key_id = (AKHB[A-Z2-7]{16})\naws_secret_access_key = (\S{40})$",
                      block, re.MULTILINE)
    assert match, block
    return match.group(1), match.group(2)


async def test_life_cycle_over_boto3(bot, api):
    rita = f.requester(100_00, name="Rita")
    key_id, secret = await key_from_chat(bot, rita)
    client = mturk(api, key_id, secret)

    balance = client.get_account_balance()
    assert (balance["AvailableBalance"], balance["OnHoldBalance"]) == ("100.00", "0.00")

    made = client.create_hit(**create_args(RequesterAnnotation="batch-7", UniqueRequestToken="animals-1"))["HIT"]
    hit_id = made["HITId"]
    assert made["HITStatus"] == "Assignable" and made["MaxAssignments"] == 2 and made["Reward"] == "0.50"
    assert made["RequesterAnnotation"] == "batch-7" and made["Keywords"] == "animals, images"
    assert made["NumberOfAssignmentsAvailable"] == 2
    # Two assignments of 0.50 plus the 20 % fee (0.10) each went into escrow, as publishing from chat does.
    balance = client.get_account_balance()
    assert (balance["AvailableBalance"], balance["OnHoldBalance"]) == ("98.80", "1.20")

    hit_number = int(hit_id[3:], 36)
    wes, willa = f.user("Wes"), f.user("Willa")
    answer_in_chat(hit_number, wes.id, {"Which animal is it?": "Dog", "How many legs?": "4",
                                        "Which colours do you see?": ["Black", "White"], "Anything else?": "a puppy"})
    answer_in_chat(hit_number, willa.id, {"Which animal is it?": "Cat", "How many legs?": "4"})

    listed = client.list_assignments_for_hit(HITId=hit_id, AssignmentStatuses=["Submitted"])
    assert listed["NumResults"] == 2
    first, second = listed["Assignments"]
    assert first["AssignmentStatus"] == "Submitted" and first["HITId"] == hit_id
    assert parse_answers(first["Answer"]) == {"animal": ["A2"], "legs": ["4"], "colours": ["black", "white"],
                                              "notes": ["a puppy"]}
    assert parse_answers(second["Answer"]) == {"animal": ["A1"], "legs": ["4"]}
    # Opaque, stable, MTurk-shaped worker ids: never the Telegram id.
    assert re.fullmatch(r"A[A-Z2-7]{13}", first["WorkerId"]) and str(wes.id) not in first["WorkerId"]
    assert first["WorkerId"] != second["WorkerId"]
    assert client.get_assignment(AssignmentId=first["AssignmentId"])["Assignment"]["WorkerId"] == first["WorkerId"]

    client.approve_assignment(AssignmentId=first["AssignmentId"], RequesterFeedback="Thanks!")
    with pytest.raises(ClientError) as refused:
        client.approve_assignment(AssignmentId=first["AssignmentId"])
    assert refused.value.response["Error"]["Code"] == "RequestError"
    assert "already approved" in refused.value.response["Error"]["Message"]
    assert f.available(wes.id) == 50  # paid once

    bonus = {"WorkerId": first["WorkerId"], "AssignmentId": first["AssignmentId"], "BonusAmount": "0.25",
             "Reason": "Great description", "UniqueRequestToken": "bonus-wes-1"}
    client.send_bonus(**bonus)
    with pytest.raises(ClientError) as again:
        client.send_bonus(**bonus)
    assert again.value.response["Error"]["Code"] == "RequestError"
    assert again.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.DuplicateRequest"
    assert f.available(wes.id) == 75  # the bonus once

    client.reject_assignment(AssignmentId=second["AssignmentId"], RequesterFeedback="The animal is a dog.")
    decided = {a["AssignmentId"]: a for a in client.list_assignments_for_hit(HITId=hit_id)["Assignments"]}
    assert decided[first["AssignmentId"]]["AssignmentStatus"] == "Approved"
    assert decided[first["AssignmentId"]]["RequesterFeedback"] == "Thanks!"
    assert decided[second["AssignmentId"]]["AssignmentStatus"] == "Rejected"
    assert client.list_assignments_for_hit(HITId=hit_id, AssignmentStatuses=["Approved"])["NumResults"] == 1

    # Approving a rejection needs OverrideRejection (MTurk's rule); then the requester's balance pays.
    with pytest.raises(ClientError) as needs_override:
        client.approve_assignment(AssignmentId=second["AssignmentId"])
    assert "OverrideRejection" in needs_override.value.response["Error"]["Message"]
    client.approve_assignment(AssignmentId=second["AssignmentId"], OverrideRejection=True)
    assert f.available(willa.id) == 50

    got = client.get_hit(HITId=hit_id)["HIT"]
    assert got["HITStatus"] == "Reviewable" and got["NumberOfAssignmentsCompleted"] == 2
    # 100.00 - 2 x 0.60 escrow - 0.30 bonus with fee; the rejection's refund paid the reversal back.
    balance = client.get_account_balance()
    assert (balance["AvailableBalance"], balance["OnHoldBalance"]) == ("98.50", "0.00")
    check_invariants()

    # The same HIT in chat: /myhits lists it with its progress.
    items, _ = hit_queries.my_items(requester_id=rita.id)
    assert [i.title for i in items] == ["Name the animal"]
    assert items[0].progress.approved == 2
    calls = await bot.text(TgUser(rita.id, "Rita"), "/myhits")
    assert any("Name the animal" in c.text for c in calls)


def test_list_hits_pages_with_the_paginator(rita):
    made = [rita.client.create_hit(**create_args(Title=f"HIT number {i}", MaxAssignments=1))["HIT"]["HITId"]
            for i in range(7)]
    f.hit(rita.id, title="Made in chat")  # chat and API HITs are one list
    first = rita.client.list_hits(MaxResults=3)
    assert first["NumResults"] == 3 and "NextToken" in first
    pages = list(rita.client.get_paginator("list_hits").paginate(PaginationConfig={"PageSize": 3}))
    assert [p["NumResults"] for p in pages] == [3, 3, 2]
    titles = [h["Title"] for p in pages for h in p["HITs"]]
    assert titles == ["Made in chat"] + [f"HIT number {i}" for i in reversed(range(7))]
    assert {h["HITId"] for p in pages for h in p["HITs"]} >= set(made)
