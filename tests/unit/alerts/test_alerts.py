"""Issue 4: alert filters, subscriptions and the sweep that pushes new matching HITs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.alerts import commands as alerts
from core.alerts.commands import match_new_hits, parse_filter, subscribe
from core.config import get_settings
from core.errors import NotAllowed, ValidationFailed
from core.models import AlertCursor, AlertSent, AlertSub, OutboxEvent
from core.review import commands as review
from core.work.browse import Filters
from tests import factories as f
from tests.conftest import NOW


def pushed(user_id: int | None = None) -> list[int]:
    q = OutboxEvent.select().where(OutboxEvent.kind == "alert.hit").order_by(OutboxEvent.id)
    return [e.payload["hit_id"] for e in q if user_id is None or e.user_id == user_id]


# Parsing what a worker types ------------------------------------------------------------------

def test_parse_filter_reads_every_part():
    got = parse_filter("reward 0.50, time 10m; hourly 6, word Photo Tags, qualified")
    assert (got.min_reward_cents, got.max_duration_s, got.min_hourly_cents, got.keyword, got.qualified_only) == \
        (50, 600, 600, "photo tags", True)
    assert parse_filter("any") == Filters()
    assert parse_filter("min $1").min_reward_cents == 100


@pytest.mark.parametrize("text, message", [
    ("", "The filter is empty"),
    ("x" * 201, "at most 200 characters"),
    ("bananas 3", "I don't understand “bananas 3”"),
    ("reward", "I don't understand “reward”"),
    ("reward 0.50, reward 1", "“reward” appears twice"),
    ("reward lots", "must be a number such as 0.50"),
    ("reward -1", "The reward must be more than zero"),
    ("reward 0.001", "at most 2 decimal places"),
    ("time forever", "use a duration such as 90s"),
    ("word " + "k" * 70, "Keywords can have at most 64 characters"),
    ("hourly 99999999999", "too large"),
])
def test_parse_filter_refuses_bad_input_with_a_reason(text, message):
    with pytest.raises(ValidationFailed) as err:
        parse_filter(text)
    assert message in err.value.message


# Subscriptions --------------------------------------------------------------------------------

def test_subscribe_limits_and_duplicates(database):
    wes = f.user("Wes")
    subscribe(user_id=wes.id, filters=Filters(min_reward_cents=10), now=NOW)
    with pytest.raises(ValidationFailed, match="already have an alert with this filter"):
        subscribe(user_id=wes.id, filters=Filters(min_reward_cents=10, sort="reward"), now=NOW)
    for cents in (20, 30, 40, 50):
        subscribe(user_id=wes.id, filters=Filters(min_reward_cents=cents), now=NOW)
    with pytest.raises(ValidationFailed, match="at most 5 alerts"):
        subscribe(user_id=wes.id, filters=Filters(keyword="cats"), now=NOW)
    assert AlertSub.select().count() == 5


def test_only_the_owner_can_mute_or_delete(database):
    wes, mal = f.user("Wes"), f.user("Mal")
    sub = subscribe(user_id=wes.id, filters=Filters(), now=NOW)
    for call in (lambda: alerts.set_muted(user_id=mal.id, alert_id=sub.id, muted=True),
                 lambda: alerts.delete(user_id=mal.id, alert_id=sub.id),
                 lambda: alerts.delete(user_id=wes.id, alert_id=sub.id + 100)):
        with pytest.raises(NotAllowed):
            call()
    assert AlertSub.get_by_id(sub.id).muted is False
    assert alerts.set_muted(user_id=wes.id, alert_id=sub.id, muted=True).muted is True
    alerts.delete(user_id=wes.id, alert_id=sub.id)
    assert AlertSub.select().count() == 0


# The sweep ------------------------------------------------------------------------------------

def test_new_hits_reach_matching_unmuted_workers_once(database):
    rita = f.requester(100_00)
    wes, ann, mia, rita_sub = f.user("Wes"), f.user("Ann"), f.user("Mia"), None
    subscribe(user_id=wes.id, filters=Filters(min_reward_cents=100), now=NOW)
    subscribe(user_id=ann.id, filters=Filters(keyword="photo"), now=NOW)
    muted = subscribe(user_id=mia.id, filters=Filters(), now=NOW)
    alerts.set_muted(user_id=mia.id, alert_id=muted.id, muted=True)
    subscribe(user_id=rita.id, filters=Filters(), now=NOW)  # her own HITs are not news to her
    cheap = f.hit(rita.id, title="Label the photo", reward="0.50")
    rich = f.hit(rita.id, title="Transcribe audio", reward="1.50", keywords=["audio"])
    assert match_new_hits(now=NOW) == 2
    assert pushed(wes.id) == [rich.id] and pushed(ann.id) == [cheap.id]
    assert pushed(mia.id) == [] and pushed(rita.id) == []
    event = OutboxEvent.get((OutboxEvent.kind == "alert.hit") & (OutboxEvent.user_id == wes.id))
    assert event.payload["title"] == "Transcribe audio" and event.payload["reward_cents"] == 150
    # Idempotent: a second run, or a second clock that saw the same cursor, pushes nothing new.
    assert match_new_hits(now=NOW) == 0
    AlertCursor.update(last_hit_id=0).execute()
    assert match_new_hits(now=NOW) == 0
    assert len(pushed()) == 2 and AlertSent.select().count() == 2
    # Unmuted, Mia hears of the next HIT (not of the old ones).
    alerts.set_muted(user_id=mia.id, alert_id=muted.id, muted=False)
    later = f.hit(rita.id, title="Later", reward="0.10", now=NOW + timedelta(minutes=1))
    assert match_new_hits(now=NOW + timedelta(minutes=1)) == 1
    assert pushed(mia.id) == [later.id]


def test_hourly_cap_per_worker(database, monkeypatch):
    monkeypatch.setenv("HITBOT_ALERTS_PER_HOUR", "3")
    get_settings.cache_clear()
    try:
        rita = f.requester(100_00)
        wes, ann = f.user("Wes"), f.user("Ann")
        subscribe(user_id=wes.id, filters=Filters(), now=NOW)
        subscribe(user_id=wes.id, filters=Filters(keyword="label"), now=NOW)  # two alerts, one cap
        subscribe(user_id=ann.id, filters=Filters(), now=NOW)
        hits = [f.hit(rita.id, assignments=1, title=f"Task {i}") for i in range(5)]  # five groups
        assert match_new_hits(now=NOW) == 6
        assert pushed(wes.id) == [h.id for h in hits[:3]] and pushed(ann.id) == [h.id for h in hits[:3]]
        # Within the hour: still capped. After it: new HITs flow again.
        f.hit(rita.id, assignments=1, title="Task 30", now=NOW + timedelta(minutes=30))
        assert match_new_hits(now=NOW + timedelta(minutes=30)) == 0
        fresh = f.hit(rita.id, assignments=1, title="Task 61", now=NOW + timedelta(minutes=61))
        assert match_new_hits(now=NOW + timedelta(minutes=61)) == 2
        assert pushed(wes.id)[-1] == fresh.id
    finally:
        get_settings.cache_clear()


def test_blocked_unqualified_closed_and_done_hits_are_not_pushed(database):
    rita = f.requester(100_00)
    wes, ann = f.user("Wes"), f.user("Ann")
    subscribe(user_id=wes.id, filters=Filters(), now=NOW)
    subscribe(user_id=ann.id, filters=Filters(), now=NOW)
    # Wes worked for Rita before; she blocked him.
    old = f.hit(rita.id, assignments=1)
    match_new_hits(now=NOW)
    from core.work import commands as work
    work.accept(worker_id=wes.id, hit_id=old.id, now=NOW)
    review.block_worker(requester_id=rita.id, worker_id=wes.id, reason="spam", now=NOW)
    gated = f.hit(rita.id, title="Experts", qualifications=[{"name": "approved_count", "comparator": ">=",
                                                             "value": 5}])
    short = f.hit(rita.id, title="Gone soon", lifetime="1m")
    plain = f.hit(rita.id, title="Plain")
    assert match_new_hits(now=NOW + timedelta(minutes=2)) == 1
    assert pushed(ann.id) == [old.id, plain.id]  # not the gated one, not the expired one
    assert pushed(wes.id) == [old.id]  # blocked after the first
    assert gated.id not in pushed() and short.id not in pushed()


def test_sweep_is_bounded_and_moves_on(database):
    rita = f.requester(100_00)
    wes = f.user("Wes")
    subscribe(user_id=wes.id, filters=Filters(), now=NOW)
    hits = [f.hit(rita.id, assignments=1, title=f"Task {i}") for i in range(5)]  # five groups
    assert match_new_hits(now=NOW, limit=2) == 2
    assert match_new_hits(now=NOW, limit=2) == 2
    assert match_new_hits(now=NOW, limit=2) == 1
    assert pushed(wes.id) == [h.id for h in hits]


def test_no_subscribers_still_advances(database):
    rita = f.requester(100_00)
    f.hit(rita.id)
    assert match_new_hits(now=NOW) == 0
    wes = f.user("Wes")
    subscribe(user_id=wes.id, filters=Filters(), now=NOW)
    assert match_new_hits(now=NOW) == 0  # the old HIT was already looked at


def test_old_sent_rows_are_pruned(database):
    rita = f.requester(100_00)
    wes = f.user("Wes")
    subscribe(user_id=wes.id, filters=Filters(), now=NOW)
    f.hit(rita.id, lifetime="30d")
    assert match_new_hits(now=NOW) == 1 and AlertSent.select().count() == 1
    later = NOW + timedelta(days=8)
    fresh = f.hit(rita.id, now=later)
    assert match_new_hits(now=later) == 1
    assert [r.hit_id for r in AlertSent.select()] == [fresh.id]


def test_two_sweeps_at_once_push_each_hit_once(database):
    """Two clocks (a failover overlap) run the sweep concurrently: no double alerts."""
    import threading

    from core.db import db

    rita = f.requester(100_00)
    workers = [f.user(f"W{i}") for i in range(6)]
    for w in workers:
        subscribe(user_id=w.id, filters=Filters(), now=NOW)
    hits = [f.hit(rita.id, assignments=1, title=f"Task {i}") for i in range(4)]  # four groups
    counts, errors = [], []
    barrier = threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            counts.append(match_new_hits(now=NOW))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sum(counts) == len(workers) * len(hits)
    assert sorted(pushed()) == sorted(h.id for h in hits for _ in workers)
    assert AlertSent.select().count() == len(workers) * len(hits)


def test_alert_events_reach_outbox_listeners_after_commit(database):
    """The jobs relay's fast path hears of every alert event once its transaction commits."""
    from core import outbox

    heard: list[int] = []
    outbox.subscribe(heard.extend)
    try:
        rita = f.requester(100_00)
        workers = [f.user(f"W{i}") for i in range(3)]
        for w in workers:
            subscribe(user_id=w.id, filters=Filters(), now=NOW)
        heard.clear()
        f.hit(rita.id, title="One")
        f.hit(rita.id, title="Two")
        heard.clear()
        assert match_new_hits(now=NOW) == 6
    finally:
        outbox.unsubscribe(heard.extend)
    ids = [e.id for e in OutboxEvent.select().where(OutboxEvent.kind == "alert.hit")]
    assert sorted(heard) == sorted(ids) and len(ids) == 6


def test_a_group_is_announced_once_with_how_many_are_available(database):
    """Issue #17: a batch's HITs are one group, so an alert is one notice for it ("N available"), not one per HIT."""
    from core.hits import publishing

    rita = f.requester(1_000_00)
    wes = f.user("Wes")
    subscribe(user_id=wes.id, filters=Filters(), now=NOW)
    publishing.publish_batch(requester_id=rita.id, title="photos", template=f.spec(title="Photo ${n}", assignments=2),
                             rows=[{"n": str(i)} for i in range(12)], now=NOW)
    single = f.hit(rita.id, title="Something else")
    assert match_new_hits(now=NOW) == 2
    events = list(OutboxEvent.select().where(OutboxEvent.kind == "alert.hit").order_by(OutboxEvent.id))
    assert [(e.payload["title"], e.payload["available"]) for e in events] == [("Photo 0", 12), ("Something else", 1)]
    assert events[1].payload["hit_id"] == single.id
    # More HITs of the group the next day are news again; within the day they are not.
    later = NOW + timedelta(hours=2)
    f.hit(rita.id, title="Something else", now=later)
    assert match_new_hits(now=later) == 0
    nextday = NOW + timedelta(days=1, hours=1)
    f.hit(rita.id, title="Something else", now=nextday)
    assert match_new_hits(now=nextday) == 1
