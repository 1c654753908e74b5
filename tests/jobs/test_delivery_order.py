"""Notices to one person arrive in the order they happened, whatever the queue does:
a retried, delayed or duplicated queue message, or messages enqueued out of order."""
from __future__ import annotations

from datetime import timedelta

from core.db import tx
from core.models import OutboxEvent
from core.outbox import emit
from jobs import relay
from jobs.delivery import deliver
from tests.conftest import NOW
from tests.jobs.conftest import redis_only, wait_until


def _event(user_id: int, kind: str = "test.notice", **payload: object) -> int:
    with tx():
        return emit(kind, user_id=user_id, now=NOW, **payload).id


def _done(ids) -> bool:
    return OutboxEvent.select().where(OutboxEvent.id.in_(list(ids)) & OutboxEvent.done_at.is_null()).count() == 0


def _texts(botapi, chat: int) -> list[str]:
    return [s.text for s in botapi.by_chat()[chat]]


def test_a_later_notice_waits_for_an_earlier_one_that_is_being_retried(jobs, botapi, simple_render, worker):
    """"Payout #1 sent" once arrived before "Payout #1 requested": the first send got a 429."""
    chat = 8100
    botapi.fail_first.add(chat)  # the first notice is refused with retry_after and goes back on the queue
    botapi.retry_after_s = 2
    relay.install(jobs)
    try:
        requested = _event(chat, "test.requested")
        paid = _event(chat, "test.paid")  # committed right after, enqueued by the fast path
        assert wait_until(lambda: _done([requested, paid]), 15)
    finally:
        relay.uninstall()
    assert _texts(botapi, chat) == [f"test.requested #{requested}", f"test.paid #{paid}"]
    assert botapi.early == [] and botapi.min_gap_s() >= 1.0


def test_queue_messages_out_of_order_still_deliver_in_order(jobs, botapi, simple_render, worker):
    chats = [8200, 8201, 8202]
    ids = {chat: [_event(chat) for _ in range(3)] for chat in chats}
    for chat in chats:  # newest first, as a sweep after a broker outage or a crash might
        for event_id in reversed(ids[chat]):
            deliver.send(event_id)
    every = [i for chat in chats for i in ids[chat]]
    assert wait_until(lambda: _done(every), 20)
    for chat in chats:
        assert _texts(botapi, chat) == [f"test.notice #{i}" for i in ids[chat]]


@redis_only
def test_the_relay_enqueues_in_outbox_order(jobs):
    ids = [_event(8300) for _ in range(5)]
    assert relay.Relay(jobs).enqueue(list(reversed(ids))) == 5
    queued = [int(m.split(b'"args":[')[1].split(b"]")[0]) for m in
              (jobs.redis.hget(f"{jobs.namespace}:notify.msgs", k) for k in jobs.redis.lrange(f"{jobs.namespace}:notify", 0, -1))]
    assert sorted(queued) == ids
    assert queued in (ids, list(reversed(ids)))  # the queue is a list: one end or the other, but in id order


def test_a_long_stuck_earlier_notice_does_not_hold_later_ones_forever(jobs, botapi, simple_render, worker):
    """A notice nobody could send for long (a poisoned queue message) must not silence the chat."""
    chat = 8400
    with tx():
        stuck = emit("test.notice", user_id=chat, now=NOW - timedelta(days=1)).id
    fresh = _event(chat)
    deliver.send(fresh)
    assert wait_until(lambda: _done([fresh]), 10)
    assert _texts(botapi, chat) == [f"test.notice #{fresh}"]
    assert OutboxEvent.get_by_id(stuck).done_at is None


def test_a_notice_waits_for_a_dead_earlier_one_only_so_long(jobs, botapi, simple_render, worker, monkeypatch):
    import jobs.delivery as delivery

    monkeypatch.setattr(delivery, "ORDER_RECHECK_S", 0.3)
    monkeypatch.setattr(delivery, "ORDER_WAIT_MAX_S", 1.0)
    chat = 8500
    dead = _event(chat)  # never enqueued, never sent (its queue message was lost)
    fresh = _event(chat)
    deliver.send(fresh)
    assert wait_until(lambda: _done([fresh]), 10)
    assert _texts(botapi, chat) == [f"test.notice #{fresh}"]
    assert OutboxEvent.get_by_id(dead).done_at is None
