"""Follow-up work and group messages raced (issue 18): many presses of one offer's ✅ Publish at once
publish one private HIT and take its escrow once; many group sends at once pass the daily cap no
more often than it allows."""
from __future__ import annotations

import pytest

from core import ledger
from core.config import get_settings
from core.hits import followup
from core.messages import groups
from core.models import FollowupOffer, GroupSend, Hit, OutboxEvent, QualificationType
from tests import factories as f
from tests.integration.racing import run_threads
from tests.invariants import check_invariants

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("database")]


def test_publish_pressed_many_times_at_once_publishes_once(now):
    r = f.requester()
    (a,) = f.submitted(r.id, 1, now)
    view = followup.start(requester_id=r.id, assignment_id=a.id, now=now)
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="0.90")
    before = f.available(r.id)
    outcomes = run_threads([(followup.publish, {"requester_id": r.id, "offer_id": view.offer_id, "now": now})] * 12,
                           threads=12)
    assert [o for o, _ in outcomes].count("ok") == 1
    assert {o for o, _ in outcomes} <= {"ok", "StaleAction"}
    offer = FollowupOffer.get_by_id(view.offer_id)
    assert Hit.select().count() == 2 and QualificationType.select().where(QualificationType.owner == r.id).count() == 1
    assert before - f.available(r.id) == ledger.balance(ledger.escrow(offer.hit_id)) > 0
    assert OutboxEvent.select().where(OutboxEvent.kind == "followup.offered").count() == 1
    check_invariants()


def test_group_sends_at_once_keep_to_the_daily_cap(now, monkeypatch):
    monkeypatch.setenv("HITBOT_GROUP_MESSAGES_PER_DAY", "3")
    get_settings.cache_clear()
    try:
        r = f.requester()
        (a, _b) = f.submitted(r.id, 2, now)
        calls = [(groups.send, {"requester_id": r.id, "target": "hit", "target_id": a.hit_id, "text": f"hello {i}",
                                "now": now, "chat_id": r.id, "message_id": 100 + i}) for i in range(10)]
        outcomes = run_threads(calls, threads=10)
        assert [o for o, _ in outcomes].count("ok") == 3 == GroupSend.select().count()
        assert {o for o, _ in outcomes} == {"ok", "GroupCapReached"}
        assert OutboxEvent.select().where(OutboxEvent.kind == "message.received").count() == 6
    finally:
        get_settings.cache_clear()
