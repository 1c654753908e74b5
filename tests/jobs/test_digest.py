"""Requester digest of submissions waiting for review."""
from __future__ import annotations

import threading
from datetime import timedelta

from core.db import db
from core.models import OutboxEvent
from core.review.digests import KIND, review_digest
from core.work import commands as work
from tests import factories
from tests.conftest import NOW
from tests.unit.test_lifecycle import answer_all


def _submitted(requester_id: int, n: int) -> None:
    hit = factories.hit(requester_id, assignments=n)
    for _ in range(n):
        w = factories.user()
        a = work.accept(worker_id=w.id, hit_id=hit.id, now=NOW)
        answer_all(a, w.id, NOW)
        work.submit(worker_id=w.id, assignment_id=a.id, now=NOW + timedelta(minutes=1))


def _digests():
    return list(OutboxEvent.select().where(OutboxEvent.kind == KIND).order_by(OutboxEvent.id))


def test_digest_once_per_period_with_counts(database):
    rita, idle = factories.requester(), factories.requester(name="Ida")
    _submitted(rita.id, 2)
    _submitted(rita.id, 1)
    later = NOW + timedelta(hours=2)
    assert review_digest(now=later, every_s=3600) == 1
    [d] = _digests()
    assert d.user_id == rita.id and d.payload["pending"] == 3 and d.payload["hits"] == 2
    assert review_digest(now=later + timedelta(minutes=30), every_s=3600) == 0  # not again within the hour
    assert review_digest(now=later + timedelta(hours=1, seconds=1), every_s=3600) == 1
    assert idle.id not in {e.user_id for e in _digests()}


def test_digest_off_when_period_is_zero(database):
    _submitted(factories.requester().id, 1)
    assert review_digest(now=NOW + timedelta(hours=1), every_s=0) == 0
    assert _digests() == []


def test_two_clocks_at_once_write_one_digest(database):
    _submitted(factories.requester().id, 1)
    results: list[int] = []
    def run() -> None:
        try:
            results.append(review_digest(now=NOW + timedelta(hours=1), every_s=600))
        finally:
            db.close()  # hand the thread's connection back to the pool

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 1 and len(_digests()) == 1


def test_digest_renders_for_the_requester(database):
    import jobs.delivery  # noqa: F401  (the worker registers the digest's text)
    from bot.notices import render

    rita = factories.requester()
    _submitted(rita.id, 2)
    review_digest(now=NOW + timedelta(hours=3), every_s=3600)
    notice = render(_digests()[0])
    assert notice.chat_id == rita.id
    assert "2 submissions on 1 HIT waiting" in notice.text and "/review" in notice.text
    assert "the oldest for 2h 59m" in notice.text  # submitted a minute after NOW
