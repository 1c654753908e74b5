"""A follow-up offer's private qualification ("Follow-up #N") is listed in /qual and the API's
ListQualificationTypes while its HIT is open (the requester can still grant it to one more
worker), and left out once the HIT closed; the grants themselves stay."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.hits import followup, manage
from core.models import FollowupOffer, QualificationGrant
from core.mturk import quals as api_quals
from core.quals import commands as quals
from tests import factories as f
from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("database")
LATER = NOW + timedelta(hours=1)


def listed(requester_id: int) -> tuple[list[str], list[str]]:
    chat = [t.name for t, _ in quals.my_types(owner_id=requester_id)]
    page, _ = api_quals.types_page(requester_id=requester_id, query=None, must_be_requestable=False,
                                   owned_only=True, after_id=None, limit=100)
    return chat, [t.name for t in page]


def test_a_follow_up_type_is_listed_while_its_hit_is_open_and_hidden_once_it_closed():
    r = f.requester()
    (a,) = f.submitted(r.id, 1, NOW)
    other = f.user("Otto")
    quals.create_type(owner_id=r.id, name="Bird expert", description="", now=NOW)
    view = followup.start(requester_id=r.id, assignment_id=a.id, now=NOW)
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="1.25")
    view = followup.publish(requester_id=r.id, offer_id=view.offer_id, now=LATER)
    offer = FollowupOffer.get_by_id(view.offer_id)
    name = offer.qtype.name
    assert name.startswith("Follow-up #")
    assert listed(r.id) == (["Bird expert", name], ["Bird expert", name])

    # Open: it can still be granted to one more worker.
    quals.grant(owner_id=r.id, qtype_id=offer.qtype_id, worker_id=other.id, value=1, now=LATER)
    assert QualificationGrant.select().where(QualificationGrant.qtype == offer.qtype_id).count() == 2

    manage.close_hit(hit_id=view.hit_id, now=LATER, requester_id=r.id)
    assert listed(r.id) == (["Bird expert"], ["Bird expert"])
    assert QualificationGrant.select().where(QualificationGrant.qtype == offer.qtype_id).count() == 2
    page, _ = api_quals.types_page(requester_id=r.id, query="Follow", must_be_requestable=False,
                                   owned_only=False, after_id=None, limit=100)
    assert name not in [t.name for t in page]
