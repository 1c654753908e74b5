"""Defects a review of the second wave found, each pinned by a test."""
from __future__ import annotations

from core.hits import publishing
from core.models import Hit
from tests import factories as f
from tests.conftest import NOW


def test_batch_rows_in_different_languages_are_different_groups(database):
    r = f.requester(100_00)
    template = f.spec(title="Read sign ${n}", language="${lang}", assignments=1)
    batch = publishing.publish_batch(requester_id=r.id, title="signs", template=template, now=NOW, key="lang-rows",
                                     rows=[{"n": "1", "lang": "es"}, {"n": "2", "lang": "de"}, {"n": "3", "lang": "es"}])
    by_language = {}
    for hit in Hit.select().where(Hit.batch == batch.id):
        by_language.setdefault(hit.language, set()).add(hit.group_id)
    assert len(by_language["es"]) == 1 and len(by_language["de"]) == 1 and by_language["es"] != by_language["de"]


def test_follow_up_work_keeps_its_templates_language(database):
    from core.hits import followup

    r = f.requester()
    a1, = f.submitted(r.id, 1, NOW)
    Hit.update(language="es").where(Hit.id == a1.hit_id).execute()
    view = followup.start(requester_id=r.id, assignment_id=a1.id, now=NOW)
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="1.25")
    view = followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)
    assert Hit.get_by_id(view.hit_id).language == "es"


def test_next_in_a_group_checks_each_hits_own_requirements(database, monkeypatch):
    """A HIT moved to stricter requirements (UpdateHITTypeOfHIT) stays in its group: when another worker takes
    the first candidate's last slot mid-way, Next must not hand over that HIT unchecked."""
    import pytest

    from core.errors import NotQualified
    from core.hits.spec import RequirementSpec
    from core.mturk import hits as mturk_hits
    from core.work import commands as work, groups as work_groups

    r = f.requester()
    a = f.hit(r.id, title="Same", assignments=1)
    b = f.hit(r.id, title="Same", assignments=1)
    mturk_hits.change_type(requester_id=r.id, hit_id=b.id, title=b.title, description=b.description, keywords=[],
                           reward_cents=b.reward_cents, duration_s=b.duration_s, auto_approve_s=b.auto_approve_s,
                           requirements=[RequirementSpec(name="worker_rating", comparator=">=", value=4)],
                           type_id="3X" + "0" * 28, now=NOW)
    w = f.user("Unrated")
    with pytest.raises(NotQualified):
        work.accept(worker_id=w.id, hit_id=b.id, now=NOW)
    real = work._TAKE_SLOT.rowcount

    def racing(**kw):  # another worker takes a's last slot between Next's read and its update
        if kw["hit_id"] == a.id:
            real(**kw)
            return 0
        return real(**kw)

    monkeypatch.setattr(work._TAKE_SLOT, "rowcount", racing)
    with pytest.raises(NotQualified):  # b is the only one left, and he doesn't qualify for it
        work_groups.accept_next(worker_id=w.id, group_id=a.group_id, now=NOW)
    assert Hit.get_by_id(b.id).available == 1
