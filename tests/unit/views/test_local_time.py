"""Times that are not today carry a date, in the reader's time zone (issue 13)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.views.common import local_time

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)


def test_today_is_just_the_time():
    assert local_time(NOW.replace(hour=14, minute=5), None, now=NOW) == "14:05 UTC"
    assert local_time(NOW.replace(hour=14, minute=5), "Europe/Berlin", now=NOW) == "15:05 CET"


def test_tomorrow_and_later_days_carry_a_date():
    assert local_time(NOW + timedelta(days=1, hours=4, minutes=35), None, now=NOW) == "tomorrow 14:05 UTC"
    assert local_time(NOW + timedelta(days=2, hours=4, minutes=35), None, now=NOW) == "3 Dec 14:05 UTC"
    assert local_time(NOW - timedelta(days=1), None, now=NOW) == "yesterday 09:30 UTC"
    assert local_time(NOW + timedelta(days=40), None, now=NOW) == "10 Jan 09:30 UTC"  # the coming January
    assert local_time(NOW + timedelta(days=400), None, now=NOW) == "5 Jan 2028 09:30 UTC"


def test_the_day_is_the_readers_day():
    late = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)  # still today in London, tomorrow in Tokyo
    assert local_time(late, "Europe/London", now=NOW) == "23:30 GMT"
    assert local_time(late, "Asia/Tokyo", now=NOW) == "tomorrow 08:30 JST"
    early = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)  # today in UTC, yesterday evening in New York
    assert local_time(early, "America/New_York", now=NOW.replace(hour=12)) == "yesterday 21:00 EST"
