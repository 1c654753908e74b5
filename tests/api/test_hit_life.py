"""Issue 15: HIT types, a new expiry, more assignments, review status and DeleteHIT over boto3,
money exact (escrow as publishing, Add and End do in chat); refusals change nothing."""
from __future__ import annotations

from datetime import timedelta

from core.models import Hit, MturkHitType, OutboxEvent
from core.mturk import commands as mturk
from core.payments import accounts
from core.work import commands as work
from tests import factories as f
from tests.api.conftest import create_args, utcnow
from tests.api.test_lifecycle import answer_in_chat
from tests.api.test_refusals import error_of
from tests.dbstate import unchanged
from tests.invariants import check_invariants

TYPE = {"Title": "Name the animal", "Description": "Say which animal is in the picture.", "Reward": "0.50",
        "AssignmentDurationInSeconds": 600, "AutoApprovalDelayInSeconds": 3 * 86_400, "Keywords": "animals, images"}
ANSWERS = {"Which animal is it?": "Dog", "How many legs?": "4"}


def number(hit_id: str) -> int:
    return int(hit_id[3:], 36)


def balance(client) -> tuple[str, str]:
    got = client.get_account_balance()
    return got["AvailableBalance"], got["OnHoldBalance"]


def with_type(type_id: str, **overrides) -> dict:
    args = create_args(HITTypeId=type_id, **overrides)
    for name in TYPE:
        args.pop(name, None)
    return args


def test_a_hit_type_is_stable_and_makes_hits_as_create_hit_does(rita):
    type_id = rita.client.create_hit_type(**TYPE)["HITTypeId"]
    assert type_id.startswith("3HT") and len(type_id) == 30
    assert rita.client.create_hit_type(**TYPE)["HITTypeId"] == type_id  # the same properties, the same id
    assert MturkHitType.select().count() == 1
    assert rita.client.create_hit_type(**{**TYPE, "Reward": "0.51"})["HITTypeId"] != type_id

    hit = rita.client.create_hit_with_hit_type(**with_type(type_id, RequesterAnnotation="t-1"))["HIT"]
    assert hit["HITTypeId"] == type_id == hit["HITGroupId"]
    assert (hit["Title"], hit["Reward"], hit["Keywords"], hit["AssignmentDurationInSeconds"]) == (
        "Name the animal", "0.50", "animals, images", 600)
    assert hit["AutoApprovalDelayInSeconds"] == 3 * 86_400 and hit["RequesterAnnotation"] == "t-1"
    # A CreateHIT with the same properties is of the same type.
    plain = rita.client.create_hit(**create_args())["HIT"]
    assert plain["HITTypeId"] == type_id
    # Each HIT: 2 x (0.50 + the 0.10 fee) into escrow, as publishing from chat does.
    assert balance(rita.client) == ("97.60", "2.40")
    check_invariants()


def test_hit_type_refusals_change_nothing(rita, otto):
    type_id = rita.client.create_hit_type(**TYPE)["HITTypeId"]
    with unchanged():
        code, message, response = error_of(otto.client.create_hit_with_hit_type, **with_type(type_id))
    assert code == "RequestError" and response["TurkErrorCode"] == "AWS.MechanicalTurk.HITTypeDoesNotExist"
    with unchanged():
        code, message, _ = error_of(rita.client.create_hit_type, **{**TYPE, "Reward": "0.001"})
    assert code == "RequestError" and "Reward" in message
    with unchanged():
        code, message, _ = error_of(rita.client.create_hit_type, **{**TYPE, "AssignmentDurationInSeconds": 1})
    assert code == "RequestError" and "AssignmentDurationInSeconds" in message
    with unchanged():
        code, message, _ = error_of(rita.client.create_hit_type, **TYPE, QualificationRequirements=[
            {"QualificationTypeId": "2NDP2L92HECWY8NS8H3CK0CP5L9GHO", "Comparator": "Exists"}])
    assert code == "RequestError" and "Masters" in message


def test_update_expiration_extends_and_a_past_time_ends_the_hit_refunding_unused_escrow(rita):
    hit = rita.client.create_hit(**create_args(MaxAssignments=3))["HIT"]
    assert balance(rita.client) == ("98.20", "1.80")
    later = utcnow() + timedelta(days=5)
    rita.client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=later)
    got = rita.client.get_hit(HITId=hit["HITId"])["HIT"]
    assert abs(got["Expiration"].timestamp() - later.timestamp()) < 1 and got["HITStatus"] == "Assignable"

    wes = f.user("Wes")
    work.accept(worker_id=wes.id, hit_id=number(hit["HITId"]), now=utcnow())  # one slot in progress
    rita.client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=utcnow() - timedelta(hours=1))
    got = rita.client.get_hit(HITId=hit["HITId"])["HIT"]
    assert got["HITStatus"] == "Unassignable" and got["NumberOfAssignmentsAvailable"] == 0
    assert got["Expiration"].timestamp() <= utcnow().timestamp()
    # The two slots nobody held: 2 x 0.60 back, as /myhits' End gives; Wes's slot stays held.
    assert balance(rita.client) == ("99.40", "0.60")
    assert OutboxEvent.select().where(OutboxEvent.kind == "hit.expired").count() == 1
    chat = accounts.balances(user_id=rita.id)  # what /balance reads: the same two figures
    assert mturk.balance(requester_id=rita.id) == (chat.available_cents, chat.escrow_cents) == (99_40, 60)
    check_invariants()

    with unchanged():  # an ended HIT is not reopened
        code, message, response = error_of(rita.client.update_expiration_for_hit, HITId=hit["HITId"],
                                            ExpireAt=utcnow() + timedelta(days=1))
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidHITState" and "reopen" in message
    rita.client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=utcnow() - timedelta(hours=1))  # no-op
    assert balance(rita.client) == ("99.40", "0.60")


def test_update_expiration_refusals_change_nothing(rita, otto):
    hit = rita.client.create_hit(**create_args())["HIT"]
    with unchanged():
        code, message, _ = error_of(rita.client.update_expiration_for_hit, HITId=hit["HITId"],
                                    ExpireAt=utcnow() + timedelta(days=31))
    assert code == "RequestError" and "30 days" in message
    with unchanged():
        _, _, response = error_of(otto.client.update_expiration_for_hit, HITId=hit["HITId"],
                                  ExpireAt=utcnow() - timedelta(hours=1))
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.HitDoesNotExist"


def test_additional_assignments_are_escrowed_once_per_token(rita):
    hit = rita.client.create_hit(**create_args())["HIT"]
    args = {"HITId": hit["HITId"], "NumberOfAdditionalAssignments": 3, "UniqueRequestToken": "more-1"}
    rita.client.create_additional_assignments_for_hit(**args)
    got = rita.client.get_hit(HITId=hit["HITId"])["HIT"]
    assert (got["MaxAssignments"], got["NumberOfAssignmentsAvailable"]) == (5, 5)
    assert balance(rita.client) == ("97.00", "3.00")  # 3 x 0.60 more, as the chat's Add
    with unchanged():
        _, message, response = error_of(rita.client.create_additional_assignments_for_hit, **args)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.DuplicateRequest" and "token" in message.lower()
    rita.client.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=1)
    assert balance(rita.client) == ("96.40", "3.60")
    check_invariants()

    rita.client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=utcnow() - timedelta(seconds=1))
    assert balance(rita.client) == ("100.00", "0.00")
    with unchanged():
        _, _, response = error_of(rita.client.create_additional_assignments_for_hit, HITId=hit["HITId"],
                                  NumberOfAdditionalAssignments=1, UniqueRequestToken="more-2")
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidHITState"


def test_additional_assignments_need_the_money(api):
    from tests.api.conftest import Requester

    poor = Requester(api, 1_30, "Pia")
    hit = poor.client.create_hit(**create_args(MaxAssignments=2))["HIT"]  # 1.20 of 1.30
    with unchanged():
        _, message, response = error_of(poor.client.create_additional_assignments_for_hit, HITId=hit["HITId"],
                                        NumberOfAdditionalAssignments=1)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.InsufficientFunds"
    with unchanged():
        code, _, _ = error_of(poor.client.create_additional_assignments_for_hit, HITId=hit["HITId"],
                              NumberOfAdditionalAssignments=0)
    assert code == "RequestError"


def test_reviewable_reviewing_and_delete(rita):
    hit = rita.client.create_hit(**create_args(MaxAssignments=1))["HIT"]
    other = rita.client.create_hit(**create_args(Title="Another HIT", MaxAssignments=1))["HIT"]
    assert rita.client.list_reviewable_hits()["NumResults"] == 0  # both can still be taken
    with unchanged():
        _, message, response = error_of(rita.client.delete_hit, HITId=hit["HITId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidHITState" and "expire it first" in message

    wes = f.user("Wes")
    submitted = answer_in_chat(number(hit["HITId"]), wes.id, ANSWERS)
    listed = rita.client.list_reviewable_hits()
    assert [h["HITId"] for h in listed["HITs"]] == [hit["HITId"]] and listed["HITs"][0]["HITStatus"] == "Reviewable"
    assert rita.client.list_reviewable_hits(HITTypeId=hit["HITTypeId"])["NumResults"] == 1
    assert rita.client.list_reviewable_hits(HITTypeId=other["HITTypeId"])["NumResults"] == 0
    with unchanged():  # its submission is not reviewed yet
        _, message, _ = error_of(rita.client.delete_hit, HITId=hit["HITId"])
    assert "not approved or rejected" in message

    rita.client.update_hit_review_status(HITId=hit["HITId"])
    assert rita.client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewing"
    assert rita.client.list_reviewable_hits()["NumResults"] == 0
    assert [h["HITId"] for h in rita.client.list_reviewable_hits(Status="Reviewing")["HITs"]] == [hit["HITId"]]
    with unchanged():
        _, message, _ = error_of(rita.client.update_hit_review_status, HITId=hit["HITId"])
    assert "already Reviewing" in message
    with unchanged():  # the other HIT can still be taken: not Reviewable
        error_of(rita.client.update_hit_review_status, HITId=other["HITId"])
    rita.client.update_hit_review_status(HITId=hit["HITId"], Revert=True)
    assert rita.client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"

    assignment = rita.client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"][0]
    assert number(assignment["AssignmentId"]) == submitted.id
    rita.client.approve_assignment(AssignmentId=assignment["AssignmentId"])
    rita.client.delete_hit(HITId=hit["HITId"])
    assert rita.client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Disposed"
    assert [h["HITId"] for h in rita.client.list_hits()["HITs"]] == [other["HITId"]]
    assert rita.client.list_reviewable_hits()["NumResults"] == 0
    rita.client.delete_hit(HITId=hit["HITId"])  # again: nothing changes
    with unchanged():
        _, _, response = error_of(rita.client.list_assignments_for_hit, HITId=hit["HITId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.HitDoesNotExist"
    assert f.available(wes.id) == 50 and balance(rita.client) == ("98.80", "0.60")  # the other HIT still holds 0.60
    assert Hit.get_by_id(number(hit["HITId"])).status == "closed"  # the records stay: only the listings forget it
    check_invariants()


def test_delete_hit_ends_an_expired_hit_with_its_refund(rita, otto):
    hit = rita.client.create_hit(**create_args(MaxAssignments=2))["HIT"]
    Hit.update(expires_at=utcnow() - timedelta(minutes=1)).where(Hit.id == number(hit["HITId"])).execute()
    with unchanged():
        _, _, response = error_of(otto.client.delete_hit, HITId=hit["HITId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.HitDoesNotExist"
    assert rita.client.list_reviewable_hits()["NumResults"] == 1  # expired, not yet swept: Reviewable
    rita.client.delete_hit(HITId=hit["HITId"])
    assert balance(rita.client) == ("100.00", "0.00")  # the sweep's refund, now
    check_invariants()


def test_list_reviewable_hits_pages_with_the_paginator(rita):
    made = [rita.client.create_hit(**create_args(Title=f"HIT {i}", MaxAssignments=1))["HIT"]["HITId"]
            for i in range(5)]
    for hit_id in made:
        rita.client.update_expiration_for_hit(HITId=hit_id, ExpireAt=utcnow() - timedelta(seconds=1))
    pages = list(rita.client.get_paginator("list_reviewable_hits").paginate(PaginationConfig={"PageSize": 2}))
    assert [p["NumResults"] for p in pages] == [2, 2, 1]
    assert [h["HITId"] for p in pages for h in p["HITs"]] == list(reversed(made))
    with unchanged():
        code, _, _ = error_of(rita.client.list_reviewable_hits, NextToken=pages[0]["NextToken"] + "x")
    assert code == "RequestError"
    with unchanged():
        code, message, _ = error_of(rita.client.list_reviewable_hits, Status="Disposed")
    assert code == "RequestError" and "Reviewable or Reviewing" in message
