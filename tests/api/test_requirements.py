"""Issue 15: QualificationRequirements on API HITs become hitbot's requirements, so workers are
filtered in browse, preview and accept exactly as for a HIT made in chat; GetHIT, ListHITs and
HIT types carry them back in MTurk's shape."""
from __future__ import annotations

import pytest

from api import ids
from core.errors import NotFound, NotQualified
from core.models import Hit, HitRequirement
from core.quals import commands as quals
from core.users import commands as users
from core.work import browse, commands as work
from tests import factories as f
from tests.api.conftest import QUESTION_FORM, create_args, utcnow
from tests.api.test_hit_life import number
from tests.api.test_refusals import error_of
from tests.dbstate import unchanged

APPROVAL, APPROVED, LOCALE = "000000000000000000L0", "00000000000000000040", "00000000000000000071"


def worker(name: str, country: str | None = None):
    person = f.user(name)
    if country:
        users.set_country(user_id=person.id, country=country)
    return person


def visible(worker_id: int) -> list[int]:
    """The HITs of the groups /browse lists (issue #17: HITs of one HIT type are one entry)."""
    page = browse.list_open_hits(worker_id=worker_id, filters=browse.Filters(), now=utcnow(), limit=50)
    return [h.id for card in page.cards for h in Hit.select(Hit.id).where(Hit.group == card.group.id)]


def can_preview(worker_id: int, hit_id: int) -> bool:
    try:
        browse.preview(worker_id=worker_id, hit_id=hit_id, now=utcnow())
    except NotFound:
        return False
    return True


def test_each_actions_guarded_level_hides_the_hit_where_mturk_would(rita):
    guarded = {}
    for action in ("Accept", "PreviewAndAccept", "DiscoverPreviewAndAccept"):
        hit = rita.client.create_hit(**create_args(MaxAssignments=1, QualificationRequirements=[
            {"QualificationTypeId": LOCALE, "Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}],
             "ActionsGuarded": action}]))["HIT"]
        guarded[action] = number(hit["HITId"])
    old_style = rita.client.create_hit(**create_args(MaxAssignments=1, QualificationRequirements=[
        {"QualificationTypeId": LOCALE, "Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}],
         "RequiredToPreview": True}]))["HIT"]
    guarded["RequiredToPreview"] = number(old_style["HITId"])

    de = worker("Dora", "DE")
    seen = visible(de.id)
    assert guarded["Accept"] in seen and guarded["PreviewAndAccept"] in seen and guarded["RequiredToPreview"] in seen
    assert guarded["DiscoverPreviewAndAccept"] not in seen
    assert can_preview(de.id, guarded["Accept"])
    assert not can_preview(de.id, guarded["PreviewAndAccept"]) and not can_preview(de.id, guarded["RequiredToPreview"])
    for hit_id in guarded.values():
        with pytest.raises((NotQualified, NotFound)):
            work.accept(worker_id=de.id, hit_id=hit_id, now=utcnow())

    us = worker("Uma", "US")
    assert set(guarded.values()) <= set(visible(us.id))
    work.accept(worker_id=us.id, hit_id=guarded["DiscoverPreviewAndAccept"], now=utcnow())


def test_get_hit_and_list_hits_return_the_requirements_in_mturks_shape(rita):
    reqs = [
        {"QualificationTypeId": APPROVAL, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [95]},
        {"QualificationTypeId": APPROVED, "Comparator": "GreaterThan", "IntegerValues": [10],
         "ActionsGuarded": "DiscoverPreviewAndAccept"},
        {"QualificationTypeId": LOCALE, "Comparator": "In", "LocaleValues": [{"Country": "de"}, {"Country": "AT"}],
         "ActionsGuarded": "PreviewAndAccept"},
    ]
    hit = rita.client.create_hit(**create_args(QualificationRequirements=reqs))["HIT"]
    expected = [
        {"QualificationTypeId": APPROVAL, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [95],
         "RequiredToPreview": False, "ActionsGuarded": "Accept"},
        {"QualificationTypeId": APPROVED, "Comparator": "GreaterThan", "IntegerValues": [10],
         "RequiredToPreview": True, "ActionsGuarded": "DiscoverPreviewAndAccept"},
        {"QualificationTypeId": LOCALE, "Comparator": "In", "LocaleValues": [{"Country": "DE"}, {"Country": "AT"}],
         "RequiredToPreview": True, "ActionsGuarded": "PreviewAndAccept"},
    ]
    assert hit["QualificationRequirements"] == expected
    assert rita.client.get_hit(HITId=hit["HITId"])["HIT"]["QualificationRequirements"] == expected
    assert rita.client.list_hits()["HITs"][0]["QualificationRequirements"] == expected
    rows = [(r.qtype.system, r.comparator, r.values, r.guard) for r in HitRequirement.select().order_by(HitRequirement.id)]
    assert rows == [("approval_rate", ">=", [95], "accept"), ("approved_count", ">", [10], "discover"),
                    ("country", "in", ["DE", "AT"], "preview")]

    # a new worker counts as 100 % approved but has approved nothing: the HIT stays out of their browse
    newcomer = worker("Nell", "DE")
    assert number(hit["HITId"]) not in visible(newcomer.id)


def test_the_requesters_own_qualification_type_gates_the_hit_and_a_grant_opens_it(rita, otto):
    qtype = quals.create_type(owner_id=rita.id, name="Bird expert", now=utcnow())  # made in chat (/qual)
    type_id = ids.qual_type_id(qtype.id)
    hit = rita.client.create_hit(**create_args(QualificationRequirements=[
        {"QualificationTypeId": type_id, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [50],
         "ActionsGuarded": "DiscoverPreviewAndAccept"}]))["HIT"]
    wes = f.user("Wes")
    assert number(hit["HITId"]) not in visible(wes.id)
    quals.grant(owner_id=rita.id, qtype_id=qtype.id, worker_id=wes.id, value=40, now=utcnow())
    assert number(hit["HITId"]) not in visible(wes.id)  # 40 < 50
    quals.grant(owner_id=rita.id, qtype_id=qtype.id, worker_id=wes.id, value=80, now=utcnow())
    assert number(hit["HITId"]) in visible(wes.id)
    work.accept(worker_id=wes.id, hit_id=number(hit["HITId"]), now=utcnow())

    # Otto can't require Rita's type: hitbot's requirements are the built-ins and your own
    with unchanged():
        _, _, response = error_of(otto.client.create_hit, **create_args(QualificationRequirements=[
            {"QualificationTypeId": type_id, "Comparator": "Exists"}]))
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"


def test_a_hit_type_carries_its_requirements_into_hits_made_with_it(rita):
    type_args = {"Title": "Spot birds", "Description": "Say which bird you see.", "Reward": "0.20",
                 "AssignmentDurationInSeconds": 300, "AutoApprovalDelayInSeconds": 86_400}
    reqs = [{"QualificationTypeId": LOCALE, "Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}],
             "ActionsGuarded": "DiscoverPreviewAndAccept"}]
    plain = rita.client.create_hit_type(**type_args)["HITTypeId"]
    gated = rita.client.create_hit_type(**type_args, QualificationRequirements=reqs)["HITTypeId"]
    assert gated != plain and rita.client.create_hit_type(**type_args, QualificationRequirements=reqs)[
        "HITTypeId"] == gated
    hit = rita.client.create_hit_with_hit_type(HITTypeId=gated, LifetimeInSeconds=3600, Question=QUESTION_FORM)["HIT"]
    assert hit["HITTypeId"] == gated
    assert [r["LocaleValues"] for r in hit["QualificationRequirements"]] == [[{"Country": "US"}]]
    assert number(hit["HITId"]) not in visible(worker("Dora", "DE").id)
    assert number(hit["HITId"]) in visible(worker("Uma", "US").id)
    # the same properties through CreateHIT make a HIT of the same type
    same = rita.client.create_hit(**{**type_args, "LifetimeInSeconds": 3600, "Question": QUESTION_FORM,
                                     "QualificationRequirements": reqs})["HIT"]
    assert same["HITTypeId"] == gated
