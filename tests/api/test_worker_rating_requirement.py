"""Issue 18: the worker_rating qualification through the MTurk API: a HIT created with hitbot's own
type id for it reads back in MTurk's shape (GetHIT) and keeps unrated workers out."""
from __future__ import annotations

import pytest

from core.errors import NotQualified
from core.models import HitRequirement
from core.work import commands as work
from tests import factories as f
from tests.api.conftest import create_args, utcnow
from tests.api.test_hit_life import number

WORKER_RATING = "3QTHITBOTWORKERRATE0"


def test_worker_rating_reads_back_and_gates_accept(rita):
    made = rita.client.create_hit(**create_args(MaxAssignments=1, QualificationRequirements=[
        {"QualificationTypeId": WORKER_RATING, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [4]}]))["HIT"]
    expected = [{"QualificationTypeId": WORKER_RATING, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [4],
                 "RequiredToPreview": False, "ActionsGuarded": "Accept"}]
    assert rita.client.get_hit(HITId=made["HITId"])["HIT"]["QualificationRequirements"] == expected
    assert [(r.qtype.system, r.comparator, r.values) for r in HitRequirement.select()] == [("worker_rating", ">=", [4])]
    with pytest.raises(NotQualified):
        work.accept(worker_id=f.user("Nobody rated").id, hit_id=number(made["HITId"]), now=utcnow())
