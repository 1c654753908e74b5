"""Issue 18 over boto3: the qualification requests workers make in chat are the ones
ListQualificationRequests lists and Accept/RejectQualificationRequest decide, in MTurk's shapes;
AutoGranted is the type's chat setting; a request decided in chat is gone for the API and back."""
from __future__ import annotations

from datetime import datetime

from core.models import OutboxEvent, QualificationGrant, QualificationRequest as Req, QualificationType
from core.mturk.commands import worker_ref
from core.quals import requests
from tests import factories as f
from tests.api.conftest import utcnow
from tests.api.test_refusals import error_of
from tests.dbstate import unchanged


def asked(requester, type_id: str, *names: str) -> tuple[list, list]:
    qtype = QualificationType.get(QualificationType.name == "Bird expert")
    hit = f.hit(requester.id, qualifications=[{"name": "Bird expert", "comparator": ">=", "value": 50}])
    people = [f.user(n) for n in names]
    rows = [requests.ask(worker_id=w.id, hit_id=hit.id, qtype_id=qtype.id, message="", now=utcnow()).request
            for w in people]
    return people, rows


def new_type(requester, **extra) -> str:
    return requester.client.create_qualification_type(Name="Bird expert", Description="Knows birds",
                                                      QualificationTypeStatus="Active", **extra)[
        "QualificationType"]["QualificationTypeId"]


def test_list_accept_and_reject_the_requests_workers_made_in_chat(rita, otto):
    type_id = new_type(rita)
    (wes, willa), _ = asked(rita, type_id, "Wes", "Willa")
    listed = rita.client.list_qualification_requests(QualificationTypeId=type_id)
    assert listed["NumResults"] == 2
    first, second = listed["QualificationRequests"]
    assert {k: first[k] for k in ("QualificationTypeId", "WorkerId", "Test", "Answer")} == {
        "QualificationTypeId": type_id, "WorkerId": worker_ref(rita.id, wes.id), "Test": "", "Answer": ""}
    assert isinstance(first["SubmitTime"], datetime) and first["QualificationRequestId"].startswith("3QR")
    assert otto.client.list_qualification_requests()["NumResults"] == 0  # only the type's owner sees them
    with unchanged():
        _, _, response = error_of(otto.client.accept_qualification_request,
                                  QualificationRequestId=first["QualificationRequestId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationRequestDoesNotExist"

    rita.client.accept_qualification_request(QualificationRequestId=first["QualificationRequestId"], IntegerValue=70)
    rita.client.reject_qualification_request(QualificationRequestId=second["QualificationRequestId"],
                                             Reason="Take the quiz first")
    assert {(g.worker_id, g.value) for g in QualificationGrant.select()} == {(wes.id, 70)}
    told = {e.user_id: e.payload for e in OutboxEvent.select().where(OutboxEvent.kind == "qualification.request_decided")}
    assert told[wes.id]["granted"] and told[willa.id]["reason"] == "Take the quiz first"
    assert rita.client.list_qualification_requests()["NumResults"] == 0
    with unchanged():  # decided: a second answer changes nothing
        _, message, response = error_of(rita.client.reject_qualification_request,
                                        QualificationRequestId=first["QualificationRequestId"])
    assert "already granted or refused" in message
    assert Req.select().where(Req.status == Req.GRANTED).count() == 1


def test_a_request_refused_in_chat_cannot_be_accepted_by_the_api(rita):
    type_id = new_type(rita)
    _, (row,) = asked(rita, type_id, "Wes")
    (listed,) = rita.client.list_qualification_requests()["QualificationRequests"]
    requests.decide(requester_id=rita.id, request_id=row.id, grant=False, now=utcnow())
    with unchanged():
        error_of(rita.client.accept_qualification_request, QualificationRequestId=listed["QualificationRequestId"])
    assert QualificationGrant.select().count() == 0


def test_auto_granted_is_the_types_setting_and_grants_requests_at_once(rita):
    made = rita.client.create_qualification_type(Name="Bird expert", Description="Knows birds",
                                                  QualificationTypeStatus="Active", AutoGranted=True,
                                                  AutoGrantedValue=60)["QualificationType"]
    assert (made["AutoGranted"], made["AutoGrantedValue"]) == (True, 60)
    (wes,), (row,) = asked(rita, made["QualificationTypeId"], "Wes")
    assert row.status == Req.GRANTED and QualificationGrant.get().value == 60
    off = rita.client.update_qualification_type(QualificationTypeId=made["QualificationTypeId"],
                                                AutoGranted=False)["QualificationType"]
    assert off["AutoGranted"] is False and "AutoGrantedValue" not in off
    assert QualificationType.get(QualificationType.name == "Bird expert").auto_grant_value is None


def test_computed_and_built_in_types_are_not_requestable(rita):
    from core.review.quality import SKILL_QUAL

    new_type(rita)
    QualificationType.create(owner=rita.id, name=SKILL_QUAL, description="Accuracy on control questions (%)",
                             created_at=utcnow())
    listed = rita.client.list_qualification_types(MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert {t["Name"]: t["IsRequestable"] for t in listed["QualificationTypes"]} == {"Bird expert": True,
                                                                                     SKILL_QUAL: False}
    requestable = rita.client.list_qualification_types(MustBeRequestable=True)["QualificationTypes"]
    assert [t["Name"] for t in requestable] == ["Bird expert"]  # no built-in one, no computed one


def test_a_worker_who_asked_is_known_by_their_worker_id_to_the_qualification_calls(rita, otto):
    type_id = new_type(rita)
    (wes,), _ = asked(rita, type_id, "Wes")  # never worked for Rita
    (listed,) = rita.client.list_qualification_requests()["QualificationRequests"]
    rita.client.accept_qualification_request(QualificationRequestId=listed["QualificationRequestId"], IntegerValue=60)
    score = rita.client.get_qualification_score(QualificationTypeId=type_id, WorkerId=listed["WorkerId"])
    assert score["Qualification"]["IntegerValue"] == 60
    rita.client.associate_qualification_with_worker(QualificationTypeId=type_id, WorkerId=listed["WorkerId"],
                                                    IntegerValue=75)
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 75
    other = new_type(otto)
    with unchanged():  # Otto knows nobody by Rita's WorkerId for Wes
        _, _, response = error_of(otto.client.associate_qualification_with_worker, QualificationTypeId=other,
                                  WorkerId=listed["WorkerId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.WorkerDoesNotExist"
