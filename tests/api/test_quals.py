"""Issue 15: qualification types and scores over boto3, mapped onto hitbot's own types and grants
(a type made by the API is one of the requester's /qual types and the other way round)."""
from __future__ import annotations

from api import ids
from bot import notices
from core.models import OutboxEvent, QualificationGrant, QualificationType
from core.quals import commands as quals
from tests.api.conftest import create_args, utcnow
from tests.api.test_apikey_chat import plain
from tests.api.test_refusals import error_of
from tests.api.test_workers import NOBODY, worked
from tests.dbstate import unchanged
from tests.fakes.telegram import TgUser

APPROVAL = "000000000000000000L0"


def new_type(requester, name: str = "Bird expert", **extra) -> str:
    args = {"Name": name, "Description": f"Knows {name.split()[0].lower()}s", "QualificationTypeStatus": "Active",
            **extra}
    return requester.client.create_qualification_type(**args)["QualificationType"]["QualificationTypeId"]


async def test_a_type_made_by_the_api_is_one_of_the_chats_and_back(bot, rita):
    made = rita.client.create_qualification_type(Name="Bird expert", Description="Knows birds",
                                                  Keywords="birds, nature", QualificationTypeStatus="Active",
                                                  RetryDelayInSeconds=3600)["QualificationType"]
    assert {k: made[k] for k in ("Name", "Description", "Keywords", "QualificationTypeStatus", "IsRequestable",
                                 "AutoGranted", "RetryDelayInSeconds")} == {
        "Name": "Bird expert", "Description": "Knows birds", "Keywords": "birds, nature",
        "QualificationTypeStatus": "Active", "IsRequestable": True, "AutoGranted": False,
        "RetryDelayInSeconds": 3600}
    assert rita.client.get_qualification_type(QualificationTypeId=made["QualificationTypeId"])[
        "QualificationType"] == made
    tg = TgUser(rita.id, "Rita")
    await bot.text(tg, "/start")
    assert "Bird expert" in plain((await bot.text(tg, "/qual"))[-1].text)

    await bot.text(tg, "/qual new Tree expert | Knows trees")
    mine = rita.client.list_qualification_types(MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert [t["Name"] for t in mine["QualificationTypes"]] == ["Bird expert", "Tree expert"]
    chat_made = QualificationType.get(QualificationType.name == "Tree expert")
    assert mine["QualificationTypes"][1]["QualificationTypeId"] == ids.qual_type_id(chat_made.id)


def test_grant_score_list_and_revoke_a_workers_qualification(rita, otto):
    type_id = new_type(rita)
    _, [(wes, a), (willa, b)] = worked(rita, "Wes", "Willa")
    events = OutboxEvent.select().where(OutboxEvent.kind == "qualification.granted")
    rita.client.associate_qualification_with_worker(QualificationTypeId=type_id, WorkerId=a["WorkerId"],
                                                    IntegerValue=85)
    assert [(e.user_id, e.payload["value"]) for e in events] == [(wes.id, 85)]  # SendNotification: true by default
    rita.client.associate_qualification_with_worker(QualificationTypeId=type_id, WorkerId=b["WorkerId"],
                                                    IntegerValue=20, SendNotification=False)
    assert events.count() == 1
    held = {(g.worker_id, g.value) for g in QualificationGrant.select()}
    assert held == {(wes.id, 85), (willa.id, 20)}

    score = rita.client.get_qualification_score(QualificationTypeId=type_id, WorkerId=a["WorkerId"])["Qualification"]
    assert (score["QualificationTypeId"], score["WorkerId"], score["IntegerValue"], score["Status"]) == (
        type_id, a["WorkerId"], 85, "Granted")
    pages = list(rita.client.get_paginator("list_workers_with_qualification_type").paginate(
        QualificationTypeId=type_id, PaginationConfig={"PageSize": 1}))
    assert [[q["WorkerId"] for q in page["Qualifications"]] for page in pages] == [[a["WorkerId"]], [b["WorkerId"]]]
    assert rita.client.list_workers_with_qualification_type(QualificationTypeId=type_id, Status="Revoked")[
        "NumResults"] == 0

    rita.client.disassociate_qualification_from_worker(QualificationTypeId=type_id, WorkerId=a["WorkerId"],
                                                       Reason="Too many wrong birds")
    revoked = OutboxEvent.get(OutboxEvent.kind == "qualification.revoked")
    assert (revoked.user_id, revoked.payload["reason"]) == (wes.id, "Too many wrong birds")
    told = notices.render(revoked).text  # what Wes reads in chat
    assert "Bird expert" in told and "Too many wrong birds" in told
    with unchanged():
        _, _, response = error_of(rita.client.get_qualification_score, QualificationTypeId=type_id,
                                  WorkerId=a["WorkerId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationDoesNotExist"
    with unchanged():
        _, _, response = error_of(rita.client.disassociate_qualification_from_worker, QualificationTypeId=type_id,
                                  WorkerId=a["WorkerId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationDoesNotExist"

    # Otto can't see, grant or read Rita's type, nor name her workers
    for call, args in ((otto.client.get_qualification_type, {}),
                       (otto.client.associate_qualification_with_worker, {"WorkerId": b["WorkerId"]}),
                       (otto.client.list_workers_with_qualification_type, {})):
        with unchanged():
            _, _, response = error_of(call, QualificationTypeId=type_id, **args)
        assert response["TurkErrorCode"] in ("AWS.MechanicalTurk.QualificationTypeDoesNotExist",
                                             "AWS.MechanicalTurk.WorkerDoesNotExist")
    with unchanged():
        _, _, response = error_of(rita.client.associate_qualification_with_worker, QualificationTypeId=type_id,
                                  WorkerId=NOBODY)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.WorkerDoesNotExist"
    with unchanged():
        code, message, _ = error_of(rita.client.associate_qualification_with_worker, QualificationTypeId=APPROVAL,
                                    WorkerId=b["WorkerId"], IntegerValue=100)
    assert code == "RequestError" and "built-in" in message


def test_list_types_by_query_ownership_and_requestable_with_the_paginator(rita, otto):
    for name in ("Bird expert", "Tree expert", "Rock expert"):
        new_type(rita, name, Keywords="nature" if name != "Rock expert" else "stones")
    new_type(otto, "Otto's own")
    quals.create_test(owner_id=rita.id, name="Bird quiz", now=utcnow(),
                      questions=[{"prompt": "Which is a bird?", "options": ["Robin", "Oak"], "answer": "Robin"}])

    def names(**kw) -> list[str]:
        pages = rita.client.get_paginator("list_qualification_types").paginate(
            PaginationConfig={"PageSize": 2}, **kw)
        return [t["Name"] for page in pages for t in page["QualificationTypes"]]

    mine = names(MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert mine == ["Bird expert", "Tree expert", "Rock expert", "Bird quiz"]
    everything = names(MustBeRequestable=False)
    assert set(everything) == set(mine) | {"Worker_PercentAssignmentsApproved", "Worker_NumberHITsApproved",
                                          "Worker_Locale", "Worker_AccountAgeInDays", "Worker_Rating"}
    assert names(MustBeRequestable=False, MustBeOwnedByCaller=True, Query="NATURE") == ["Bird expert", "Tree expert"]
    assert names(MustBeRequestable=False, Query="bird") == ["Bird expert", "Bird quiz"]
    # Workers can ask for each in chat: by taking its test, or by a request from a HIT's preview (issue 18)
    assert names(MustBeRequestable=True) == mine
    # % and _ are searched for, not wildcards: only the approval rate's description has a "%"
    assert names(MustBeRequestable=False, Query="%") == ["Worker_PercentAssignmentsApproved"]
    assert names(MustBeRequestable=False, Query="_") == []
    builtin = rita.client.get_qualification_type(QualificationTypeId=APPROVAL)["QualificationType"]
    assert (builtin["Name"], builtin["IsRequestable"]) == ("Worker_PercentAssignmentsApproved", False)


def test_update_inactive_and_delete_follow_the_hits_that_need_the_type(rita):
    type_id = new_type(rita)
    updated = rita.client.update_qualification_type(QualificationTypeId=type_id, Description="Knows many birds",
                                                    QualificationTypeStatus="Inactive")["QualificationType"]
    assert (updated["Description"], updated["QualificationTypeStatus"]) == ("Knows many birds", "Inactive")
    need = [{"QualificationTypeId": type_id, "Comparator": "Exists"}]
    with unchanged():
        _, message, response = error_of(rita.client.create_hit, **create_args(QualificationRequirements=need))
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidQualificationTypeState" and "Inactive" in message
    rita.client.update_qualification_type(QualificationTypeId=type_id, QualificationTypeStatus="Active")
    hit = rita.client.create_hit(**create_args(QualificationRequirements=need))["HIT"]
    listed = rita.client.list_hits_for_qualification_type(QualificationTypeId=type_id)
    assert [h["HITId"] for h in listed["HITs"]] == [hit["HITId"]]
    assert rita.client.list_hits_for_qualification_type(QualificationTypeId=APPROVAL)["NumResults"] == 0

    with unchanged():  # deleting it would open the HIT to everyone
        _, message, response = error_of(rita.client.delete_qualification_type, QualificationTypeId=type_id)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidQualificationTypeState" and "open HIT" in message
    rita.client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=utcnow().timestamp() - 60)
    rita.client.delete_qualification_type(QualificationTypeId=type_id)
    _, _, response = error_of(rita.client.get_qualification_type, QualificationTypeId=type_id)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
    assert not QualificationType.select().where(QualificationType.owner == rita.id).exists()


def test_tests_and_bad_types_are_refused_clearly(rita):
    with unchanged():
        code, message, _ = error_of(rita.client.create_qualification_type, Name="Quiz", Description="d",
                                    QualificationTypeStatus="Active", Test="<QuestionForm/>", AnswerKey="<AnswerKey/>")
    assert code == "RequestError" and "/qual" in message
    with unchanged():
        code, message, _ = error_of(rita.client.create_qualification_type, Name="x" * 65, Description="d",
                                    QualificationTypeStatus="Active")
    assert "Name" in message
    with unchanged():
        _, message, _ = error_of(rita.client.create_qualification_type, Name="country", Description="d",
                                 QualificationTypeStatus="Active")
    assert "built-in" in message
    new_type(rita)
    with unchanged():
        _, message, _ = error_of(rita.client.create_qualification_type, Name="Bird expert", Description="again",
                                 QualificationTypeStatus="Active")
    assert "already" in message

    requests = rita.client.list_qualification_requests()
    assert (requests["NumResults"], requests["QualificationRequests"]) == (0, [])  # nobody asked yet
    for call in (rita.client.accept_qualification_request, rita.client.reject_qualification_request):
        with unchanged():
            _, _, response = error_of(call, QualificationRequestId="1")
        assert response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationRequestDoesNotExist"
