"""Issue 15: UpdateHITTypeOfHIT. The HIT takes on the new type's properties and requirements;
its reward is in escrow, so a type with another reward is refused and nothing changes."""
from __future__ import annotations

from datetime import timedelta

from core.models import Assignment
from core.work import commands as work
from tests.api.conftest import create_args, utcnow
from tests.api.test_hit_life import balance, number
from tests.api.test_refusals import error_of
from tests.api.test_requirements import visible, worker
from tests.dbstate import unchanged
from tests.invariants import check_invariants

NEW_TYPE = {"Title": "Name the animal, carefully", "Description": "Say which animal it is; take your time.",
            "Reward": "0.50", "AssignmentDurationInSeconds": 1200, "AutoApprovalDelayInSeconds": 86_400,
            "Keywords": "animals, careful",
            "QualificationRequirements": [{"QualificationTypeId": "00000000000000000071", "Comparator": "EqualTo",
                                           "LocaleValues": [{"Country": "US"}],
                                           "ActionsGuarded": "DiscoverPreviewAndAccept"}]}


def test_a_hit_takes_on_the_new_types_properties_and_requirements(rita):
    hit = rita.client.create_hit(**create_args())["HIT"]
    before = balance(rita.client)
    type_id = rita.client.create_hit_type(**NEW_TYPE)["HITTypeId"]
    assert hit["HITTypeId"] != type_id
    dora, uma = worker("Dora", "DE"), worker("Uma", "US")
    assert number(hit["HITId"]) in visible(dora.id)

    rita.client.update_hit_type_of_hit(HITId=hit["HITId"], HITTypeId=type_id)
    got = rita.client.get_hit(HITId=hit["HITId"])["HIT"]
    assert (got["HITTypeId"], got["HITGroupId"], got["Title"], got["Description"], got["Keywords"],
            got["AssignmentDurationInSeconds"], got["AutoApprovalDelayInSeconds"], got["Reward"]) == (
        type_id, type_id, NEW_TYPE["Title"], NEW_TYPE["Description"], "animals, careful", 1200, 86_400, "0.50")
    assert [r["LocaleValues"] for r in got["QualificationRequirements"]] == [[{"Country": "US"}]]
    assert balance(rita.client) == before  # nothing moved: the same reward stays in escrow
    assert number(hit["HITId"]) not in visible(dora.id) and number(hit["HITId"]) in visible(uma.id)
    now = utcnow()
    work.accept(worker_id=uma.id, hit_id=number(hit["HITId"]), now=now)
    taken = Assignment.get(Assignment.worker == uma.id)
    assert taken.deadline == now + timedelta(seconds=1200)
    check_invariants()


def test_another_reward_or_someone_elses_hit_is_refused_and_changes_nothing(rita, otto):
    hit = rita.client.create_hit(**create_args())["HIT"]
    dearer = rita.client.create_hit_type(**{**NEW_TYPE, "Reward": "0.75"})["HITTypeId"]
    with unchanged():
        _, message, response = error_of(rita.client.update_hit_type_of_hit, HITId=hit["HITId"], HITTypeId=dearer)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidHITState" and "reward" in message
    same_reward = rita.client.create_hit_type(**NEW_TYPE)["HITTypeId"]
    with unchanged():
        _, _, response = error_of(otto.client.update_hit_type_of_hit, HITId=hit["HITId"], HITTypeId=same_reward)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.HitDoesNotExist"
    otto_hit = otto.client.create_hit(**create_args())["HIT"]
    with unchanged():  # Rita's HIT type is not Otto's
        _, _, response = error_of(otto.client.update_hit_type_of_hit, HITId=otto_hit["HITId"], HITTypeId=same_reward)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.HITTypeDoesNotExist"
    assert rita.client.get_hit(HITId=hit["HITId"])["HIT"]["Title"] == "Name the animal"
