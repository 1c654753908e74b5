"""Send slots (jobs/slots.py) on a fake clock: the same contract for the Redis script and the
in-process stub, and the delivery limits built on them. No wall clock: time moves only when
a test moves it."""
from __future__ import annotations

import os
import uuid

import pytest
import redis

from jobs import delivery
from jobs.slots import PgSlots, RedisSlots, StubSlots, reserve_pair
from tests.jobs.conftest import ON_RABBITMQ

T0 = 1_800_000_000_000.0  # ms since 1970: the size of a real clock, so µs arithmetic is exercised


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> float:
        return self.ms

    def advance(self, ms: float) -> None:
        self.ms += ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["stub", "redis", "postgresql"])
def slots(request, clock):
    if request.param == "stub":
        yield StubSlots(clock=clock)
        return
    if request.param == "postgresql":
        if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
            pytest.skip("PostgreSQL's send_slot table: TEST_DATABASE_URL is not PostgreSQL")
        request.getfixturevalue("database")
        yield PgSlots(clock=clock)
        return
    if ON_RABBITMQ:
        pytest.skip("Redis-specific: TEST_BROKER_URL selects RabbitMQ")
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisSlots(client, clock=clock)
    client.close()


@pytest.fixture
def key() -> str:
    return f"hitbot-test-{uuid.uuid4().hex[:10]}:slot"


def test_slots_are_one_interval_apart_from_the_previous_slot_not_from_the_claim(slots, clock, key):
    """Each claim comes 1.5 ms after its caller's previous send: the gaps stay 34 ms, not 35.5."""
    sends = []
    for _ in range(30):
        wait = slots.reserve(key, 34)
        clock.advance(wait)
        sends.append(clock())
        clock.advance(1.5)  # the sender's own work before it asks for the next slot
    assert [b - a for a, b in zip(sends, sends[1:])] == [34] * 29


def test_callers_reserving_at_once_get_consecutive_slots(slots, clock, key):
    assert [slots.reserve(key, 34) for _ in range(5)] == [0, 34, 68, 102, 136]
    clock.advance(50)
    assert slots.free_in(key) == 120


def test_a_key_idle_for_longer_than_its_interval_is_free_now(slots, clock, key):
    assert slots.reserve(key, 34) == 0
    clock.advance(500)
    assert slots.free_in(key) == 0
    assert slots.reserve(key, 34) == 0
    assert slots.reserve(key, 34) == 34


def test_a_slot_beyond_max_wait_is_refused_and_reserves_nothing(slots, clock, key):
    for _ in range(3):
        slots.reserve(key, 1000)
    assert slots.reserve(key, 1000, max_wait_ms=2999) is None
    assert slots.free_in(key) == 3000, "a refused reservation moved the schedule"
    assert slots.reserve(key, 1000, max_wait_ms=3000) == 3000


def test_not_before_takes_the_later_of_it_and_the_next_free_moment(slots, clock, key):
    assert slots.reserve(key, 1000, not_before_ms=200) == 200
    assert slots.free_in(key) == 1200
    assert slots.reserve(key, 1000, not_before_ms=5) == 1200


def test_hold_pushes_the_next_slot_out_and_never_pulls_it_in(slots, clock, key):
    slots.reserve(key, 1000)
    slots.hold(key, 2050)  # a 429 with retry_after 2 s (and the sender's margin)
    assert slots.free_in(key) == 2050
    slots.hold(key, 10)
    assert slots.free_in(key) == 2050
    clock.advance(2050)
    assert slots.reserve(key, 1000) == 0


def test_fractions_of_a_millisecond_add_up_without_drift(slots, clock, key):
    waits = [slots.reserve(key, 33.5) for _ in range(4)]
    assert waits == [0, 33.5, 67, 100.5]


# --- the delivery limits on top: the bot's slot and the chat's at the same moment ---------
class _Jobs:
    def __init__(self, slots) -> None:
        self.slots = slots

    def key(self, name: str) -> str:
        return f"t:{name}"


def test_the_bot_sends_at_the_global_interval_and_each_chat_at_its_own(clock):
    limits = delivery.Limits(_Jobs(StubSlots(clock=clock)))
    sends: list[tuple[int, float]] = []
    for chat in [1, 2, 3, 1, 2, 3]:
        if limits.chat_free_in(chat) > 0:
            continue  # the delivery actor puts it back on the queue
        wait = limits.take(chat)
        sends.append((chat, clock() + wait))
    assert sends == [(1, T0), (2, T0 + 34), (3, T0 + 68)]
    clock.advance(delivery.CHAT_INTERVAL_MS)
    assert limits.chat_free_in(1) == 0
    assert limits.chat_free_in(3) == 68
    assert 1000 / delivery.GLOBAL_INTERVAL_MS >= 0.95 * 30, "the interval cannot reach 95 % of 30/s"


def test_a_chat_taken_meanwhile_costs_the_bot_no_slot_and_never_doubles_the_chat(clock):
    limits = delivery.Limits(_Jobs(StubSlots(clock=clock)))
    assert limits.take(7) == 0
    assert limits.take(7) is None  # a racing sender checked before the first took the chat
    assert limits.reserve(7) == (False, delivery.CHAT_INTERVAL_MS)  # come back when the chat is free
    assert limits.take(8) == delivery.GLOBAL_INTERVAL_MS  # the refused take reserved nothing


def test_a_pair_is_reserved_in_one_step_or_not_at_all(slots, clock, key):
    """The bot's slot and a chat's at the same moment; a chat not free by then reserves nothing."""
    chat, other = key + ":chat", key + ":other"
    assert reserve_pair(slots, key, 34, chat, 1100, max_wait_ms=5000) == (True, 0)
    assert reserve_pair(slots, key, 34, chat, 1100, max_wait_ms=5000) == (False, 1100)
    assert slots.free_in(key) == 34, "a refused pair moved the bot's schedule"
    assert reserve_pair(slots, key, 34, other, 1100, max_wait_ms=5000) == (True, 34)
    assert slots.free_in(other) == 34 + 1100
    clock.advance(1100)
    assert reserve_pair(slots, key, 34, chat, 1100, max_wait_ms=5000) == (True, 0)
    for n in range(3):
        slots.reserve(key, 1000)
    assert reserve_pair(slots, key, 34, other + "2", 1100, max_wait_ms=2000) == (False, 1034)
    assert slots.free_in(other + "2") == 0, "a pair refused for the bot's schedule reserved the chat"


def test_a_full_schedule_is_refused_instead_of_holding_a_thread(clock):
    limits = delivery.Limits(_Jobs(StubSlots(clock=clock)))
    booked = int(delivery.GLOBAL_WAIT_S * 1000 // delivery.GLOBAL_INTERVAL_MS) + 1
    assert all(limits.take(chat) is not None for chat in range(booked))
    assert limits.take(10_000) is None
    assert limits.chat_free_in(10_000) == 0, "a refused take reserved the chat"


def test_a_429_holds_the_chat_for_retry_after(clock):
    limits = delivery.Limits(_Jobs(StubSlots(clock=clock)))
    limits.take(5)
    limits.hold_chat(5, 3050)
    assert limits.chat_free_in(5) == 3050
