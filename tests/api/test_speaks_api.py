"""The `speaks` requirement (issue 20) has no MTurk qualification type id: the API lists the built-ins
MTurk knows, and shows a HIT made in the chat with speaks without that requirement (and without failing)."""
from __future__ import annotations

from api import ids
from core.models import Hit, QualificationType
from tests import factories as f
from tests.api.test_quals import new_type


def test_speaks_is_no_api_type_and_a_chat_hit_requiring_it_still_lists(rita):
    own = new_type(rita)
    hit = f.hit(rita.id, language="es", qualifications=[
        {"name": "speaks", "value": "es"}, {"name": "approval_rate", "comparator": ">=", "value": 90}])
    names = [t["Name"] for t in rita.client.list_qualification_types(MustBeRequestable=False)["QualificationTypes"]]
    assert "speaks" not in names and "Worker_PercentAssignmentsApproved" in names and "Bird expert" in names
    listed = {h["Title"]: h for h in rita.client.list_hits()["HITs"]}
    shown = listed[hit.title]["QualificationRequirements"]
    assert [(r["QualificationTypeId"], r["Comparator"]) for r in shown] == [("000000000000000000L0",
                                                                           "GreaterThanOrEqualTo")]
    assert Hit.get_by_id(hit.id).language == "es" and own == ids.qual_type_id(
        QualificationType.get(QualificationType.name == "Bird expert").id)
