"""Issue #17: profile skills and interests are used — the "For you" sort ranks groups whose title or
keywords match more of them first (ties newest first) and pages by keyset; an alert can be made from them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.alerts import commands as alerts
from core.dashboard import overview
from core.errors import ValidationFailed
from core.models import OutboxEvent
from core.review import quality
from core.work import browse
from tests import factories as f

pytestmark = pytest.mark.usefixtures("database")


def titles(worker_id: int, now, *, limit: int = 50, after: str | None = None) -> tuple[list[str], str | None]:
    page = browse.list_open_hits(worker_id=worker_id, filters=browse.Filters(sort="foryou"), now=now, limit=limit,
                                 after=after)
    return [c.hit.title for c in page.cards], page.next_cursor


def test_for_you_ranks_by_how_many_skills_match_then_newest(now):
    r, w = f.requester(1_000_00), f.user()
    f.hit(r.id, now=now, title="Translate a menu", reward="0.11")
    f.hit(r.id, now=now, title="Tag photos of birds", reward="0.12", keywords=["translation"])
    f.hit(r.id, now=now, title="Count cars", reward="0.13")
    f.hit(r.id, now=now, title="PHOTO tagging of shoes", reward="0.14")
    f.hit(r.id, now=now, title="Rate a song", reward="0.15")
    # No skills yet: newest first, as the newest sort.
    assert titles(w.id, now)[0] == ["Rate a song", "PHOTO tagging of shoes", "Count cars", "Tag photos of birds",
                                    "Translate a menu"]
    quality.set_profile(user_id=w.id, skills=["photo", "translat"], interests=["Birds"])
    got, _ = titles(w.id, now)
    # birds+photo+translation (3), then photo (1, newer) and translate (1, older), then the rest newest first.
    assert got == ["Tag photos of birds", "PHOTO tagging of shoes", "Translate a menu", "Rate a song", "Count cars"]
    # Keyset paging over the rank: two at a time gives the same order, nothing twice, nothing lost.
    seen, cursor = [], None
    while True:
        page, cursor = titles(w.id, now, limit=2, after=cursor)
        seen += page
        if cursor is None:
            break
    assert seen == got


def test_for_you_words_are_text_not_patterns(now):
    r, w = f.requester(1_000_00), f.user()
    f.hit(r.id, now=now, title="Plain survey", reward="0.11")
    f.hit(r.id, now=now, title="100% accuracy needed", reward="0.12")
    f.hit(r.id, now=now, title="Other", reward="0.13")
    quality.set_profile(user_id=w.id, skills=["%", "accuracy_"], interests=[])
    assert titles(w.id, now)[0][0] == "100% accuracy needed"
    quality.set_profile(user_id=w.id, skills=["_"], interests=[])  # '_' is no wildcard: nothing matches
    assert titles(w.id, now)[0] == ["Other", "100% accuracy needed", "Plain survey"]


def test_browse_page_knows_the_workers_words(now):
    w = f.user()
    assert browse.browse_page(worker_id=w.id, number=0, now=now).interests == []
    quality.set_profile(user_id=w.id, skills=["Photo"], interests=["cats", "photo"])
    assert browse.browse_page(worker_id=w.id, number=0, now=now).interests == ["photo", "cats"]


def test_alert_for_my_skills_pushes_matching_hits_only(now):
    r, w = f.requester(1_000_00), f.user()
    with pytest.raises(ValidationFailed, match="/profile skills"):
        alerts.subscribe_interests(user_id=w.id, now=now)
    quality.set_profile(user_id=w.id, skills=["photo tagging"], interests=["birds"])
    sub = alerts.subscribe_interests(user_id=w.id, now=now)
    assert sub.filters == {"min_reward_cents": 0, "max_duration_s": 0, "min_hourly_cents": 0, "keyword": "",
                           "qualified_only": False, "words": ["photo tagging", "birds"]}
    with pytest.raises(ValidationFailed, match="already have"):
        alerts.subscribe_interests(user_id=w.id, now=now)
    later = now + timedelta(minutes=1)
    wanted = f.hit(r.id, now=later, title="Photo tagging: shoes")
    also = f.hit(r.id, now=later, title="Count", keywords=["birds"])
    f.hit(r.id, now=later, title="Count cars")
    alerts.match_new_hits(now=later + timedelta(seconds=1))
    pushed = [e.payload["hit_id"] for e in OutboxEvent.select().where(
        (OutboxEvent.kind == "alert.hit") & (OutboxEvent.user_id == w.id)).order_by(OutboxEvent.id)]
    assert pushed == [wanted.id, also.id]
    # The dashboard's line for this alert counts the open HITs it matches now.
    lines = overview(user_id=w.id, now=later + timedelta(seconds=2)).worker.alerts
    assert [a.open_now for a in lines] == [2]


def test_alert_words_are_bounded():
    with pytest.raises(ValidationFailed):
        browse.Filters(words=["x"] * 21 + [str(i) for i in range(21)])
    with pytest.raises(ValidationFailed):
        browse.Filters(words=["y" * 65])
    assert browse.Filters(words=[" A ", "a", ""]).words == ["a"]


def test_for_you_ranks_the_newest_groups_then_lists_older_ones_newest_first(now, monkeypatch):
    monkeypatch.setattr(browse, "FOR_YOU_POOL", 3)
    r, w = f.requester(1_000_00), f.user()
    for i in range(6):  # oldest first: Birds 0 (old, matching), then plain ones, a matching one among the newest
        f.hit(r.id, now=now, title=f"Birds {i}" if i in (0, 4) else f"Plain {i}", reward=f"0.1{i}")
    quality.set_profile(user_id=w.id, skills=["birds"], interests=[])
    got, _ = titles(w.id, now)
    # The 3 newest are ranked (Birds 4 first), the older ones follow newest first (Birds 0 last).
    assert got == ["Birds 4", "Plain 5", "Plain 3", "Plain 2", "Plain 1", "Birds 0"]
    seen, cursor = [], None
    for _ in range(10):
        page, cursor = titles(w.id, now, limit=1, after=cursor)
        seen += page
        if cursor is None:
            break
    assert seen == got


def test_for_you_with_a_filter_skips_what_it_hides_across_windows(now):
    r, w = f.requester(10_000_00), f.user()
    made = []
    for i in range(45):  # oldest first; every third matches, every other pays enough
        title = f"{'Birds' if i % 3 == 0 else 'Plain'} {i}"
        f.hit(r.id, now=now, title=title, reward="0.50" if i % 2 == 0 else "0.05")
        made.append((i, title, i % 2 == 0))
    quality.set_profile(user_id=w.id, skills=["birds"], interests=[])
    page = browse.list_open_hits(worker_id=w.id, filters=browse.Filters(sort="foryou", min_reward_cents=50), now=now,
                                 limit=50)
    shown = [i for i, _, paid in reversed(made) if paid]
    expected = [i for i in shown if i % 3 == 0] + [i for i in shown if i % 3 != 0]
    assert [c.hit.title for c in page.cards] == [title for i in expected for j, title, _ in made if j == i]
