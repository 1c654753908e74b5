"""2,000 notifications to 500 chats against a Bot API that answers 429 when a limit is crossed."""
from __future__ import annotations

import random
import time

import pytest

from core.db import tx
from core.models import OutboxEvent
from core.outbox import emit
from jobs import relay
from tests.conftest import NOW
from tests.jobs.conftest import drains

CHATS, PER_CHAT = 500, 4


@pytest.mark.slow
def test_two_thousand_notifications_to_five_hundred_chats(jobs, botapi, simple_render, worker):
    relay.install(jobs)
    order = [7_000_000 + c for c in range(CHATS) for _ in range(PER_CHAT)]
    random.Random(6).shuffle(order)
    started = time.monotonic()
    try:
        with tx():  # one commit: the fast path enqueues all 2,000 at once
            for chat in order:
                emit("test.notice", user_id=chat, now=NOW)
        # At most 30 a second: about 70 s here, longer on a loaded machine; 15 s with none delivered is a stall.
        assert drains(lambda: OutboxEvent.select().where(OutboxEvent.done_at.is_null()).count(), stall_s=15), \
            "delivery stalled"
    finally:
        relay.uninstall()
    elapsed = time.monotonic() - started

    assert len(botapi.sent) == CHATS * PER_CHAT
    assert len({s.text for s in botapi.sent}) == CHATS * PER_CHAT, "a notification was sent twice"
    assert all(len(msgs) == PER_CHAT for msgs in botapi.by_chat().values())
    assert botapi.min_gap_s() >= 1.0, "a chat got two messages within a second"
    assert botapi.max_per_second() <= 30
    assert botapi.early == [], "a request ignored a retry_after"
    # Each 429 cost one more attempt at that notification, and nothing else did.
    attempts = sum(e.attempts for e in OutboxEvent.select(OutboxEvent.attempts))
    assert attempts - CHATS * PER_CHAT <= len(botapi.too_many)
    rate = len(botapi.sent) / elapsed
    print(f"\n2000 notifications in {elapsed:.1f} s = {rate:.1f}/s ({rate / 30:.0%} of 30/s); "
          f"429s received: {len(botapi.too_many)}; busiest second: {botapi.max_per_second()}; "
          f"closest two messages to one chat: {botapi.min_gap_s():.3f} s")
