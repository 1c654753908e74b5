"""Issue #17 in the bot: the "For you" sort on /browse, 🔔 Alert me for my skills, 🕘 Recent groups."""
from __future__ import annotations

from datetime import timedelta

from core.models import AlertSub
from core.work import commands as work
from tests import factories as f
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import NOW


def listing(bot, user):
    return next(m for m in reversed(list(bot.tg.chats[user.id].values())) if "Open HITs" in m.text)


async def _sort_by_for_you(bot, user) -> object:
    await bot.text(user, "/browse")
    for _ in range(6):  # the sort button cycles: newest, reward, hourly, available, rating, for you
        calls = await bot.press_label(user, "Sort:")
        edit = [c for c in calls if c.method == "editMessageText"][0]
        if "sorted by for you" in edit.text:
            return edit
    raise AssertionError("no For you sort")


async def test_for_you_puts_matching_groups_first_and_sets_an_alert_from_the_profile(bot):
    rita = await person(bot, "Rita", cents=500_00)
    f.hit(rita.id, title="Tag photos of birds", reward="0.20", now=NOW - timedelta(minutes=5))
    f.hit(rita.id, title="Count cars", reward="0.30", now=NOW - timedelta(minutes=1))
    wes = await person(bot, "Wes")
    edit = await _sort_by_for_you(bot, wes)
    assert "/profile skills" in edit.text  # no skills yet: a hint, newest first
    assert [label for label, _ in edit.buttons][:2] == ["Count cars · $0.30", "Tag photos of birds · $0.20"]
    assert "Alert me for my skills" not in [label for label, _ in edit.buttons]
    await bot.text(wes, "/profile skills birds, photo")
    calls = await bot.text(wes, "/browse")
    sent = [c for c in calls if c.method == "sendMessage"][0]
    assert "match your skills and interests: birds, photo" in sent.text
    assert [label for label, _ in sent.buttons][:2] == ["Tag photos of birds · $0.20", "Count cars · $0.30"]
    calls = await bot.press_label(wes, "Alert me for my skills")
    assert "Alert saved: my skills and interests: birds, photo" in bot.tg.last_message(wes.id).text
    assert [s.filters["words"] for s in AlertSub.select().where(AlertSub.user == wes.id)] == [["birds", "photo"]]
    again = await bot.press(wes, "al:sk")
    assert "already have an alert" in alert(again)
    assert AlertSub.select().where(AlertSub.user == wes.id).count() == 1


async def test_alert_for_skills_without_skills_says_how_and_saves_nothing(bot):
    wes = await person(bot, "Wes")
    await bot.text(wes, "/alerts")
    pressed = await bot.press_label(wes, "Alert me for my skills")
    assert "/profile skills" in alert(pressed)
    assert AlertSub.select().count() == 0


async def test_recent_groups_lists_what_to_continue_in_one_tap(bot):
    rita = await person(bot, "Rita", cents=500_00)
    first = f.hit(rita.id, title="Label receipts", reward="0.25", now=NOW - timedelta(hours=1))
    second = f.hit(rita.id, title="Label receipts", reward="0.25", now=NOW - timedelta(hours=1))
    assert first.group_id == second.group_id
    wes = await person(bot, "Wes")
    await bot.text(wes, "/browse")
    calls = await bot.press_label(wes, "Recent groups")
    assert "Nothing to continue" in [c for c in calls if c.method == "editMessageText"][0].text
    work.accept(worker_id=wes.id, hit_id=first.id, now=NOW - timedelta(minutes=30))
    await bot.text(wes, "/browse")
    calls = await bot.press_label(wes, "Recent groups")
    edit = [c for c in calls if c.method == "editMessageText"][0]
    assert "<b>Label receipts</b> — $0.25 · 1 left" in edit.text
    calls = await bot.press_label(wes, "▶️ Label receipts")
    preview = [c for c in calls if c.method == "editMessageText"][0]
    assert "Label receipts" in preview.text and "✅ Accept" in [label for label, _ in preview.buttons]
    assert f"w:acc:{second.id}" in [data for _, data in preview.buttons]
