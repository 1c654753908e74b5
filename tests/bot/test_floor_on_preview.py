"""Issue #17: with the operator's floor on (HITBOT_MIN_HOURLY_CENTS), a worker's preview says whether
the group's hourly estimate is above or below it, in the reader's language and currency format."""
from __future__ import annotations

import pytest

from core.work import browse
from tests import factories as f
from tests.bot.worker_fixtures import every_html_message_parses, person  # noqa: F401  (autouse)
from tests.conftest import NOW
from tests.settings_env import settings_env


@pytest.fixture
def floor_600(monkeypatch):
    yield from settings_env(monkeypatch, HITBOT_MIN_HOURLY_CENTS="600")


async def test_the_preview_shows_where_the_estimate_stands_against_the_floor(bot, floor_600):
    rita = await person(bot, "Rita", cents=500_00)
    low = f.hit(rita.id, title="Low", reward="0.05", duration="10m", now=NOW)  # $0.30/h over the time allotted
    high = f.hit(rita.id, title="High", reward="2.00", duration="10m", now=NOW)  # $12.00/h
    wes = await person(bot, "Wes")
    assert browse.preview(worker_id=wes.id, hit_id=low.id, now=NOW).below_floor
    assert not browse.preview(worker_id=wes.id, hit_id=high.id, now=NOW).below_floor
    await bot.text(wes, "/browse")
    calls = await bot.press(wes, f"b:v:{low.id}:0")
    text = [c for c in calls if c.method == "editMessageText"][0].text
    assert "⚠️ Below the minimum pay of $6.00/h set on this marketplace" in text
    calls = await bot.press(wes, f"b:v:{high.id}:0")
    assert "✅ At or above the minimum pay of $6.00/h" in [c for c in calls if c.method == "editMessageText"][0].text
    await bot.text(wes, "/language de")
    calls = await bot.press(wes, f"b:v:{low.id}:0")
    german = [c for c in calls if c.method == "editMessageText"][0].text
    assert "6,00" in german and "Unter der Mindestvergütung" in german


async def test_without_a_floor_the_preview_says_nothing_of_it(bot):
    rita = await person(bot, "Rita", cents=500_00)
    low = f.hit(rita.id, title="Low", reward="0.05", duration="10m", now=NOW)
    wes = await person(bot, "Wes")
    assert browse.preview(worker_id=wes.id, hit_id=low.id, now=NOW).pay_floor_cents == 0
    await bot.text(wes, "/browse")
    calls = await bot.press(wes, f"b:v:{low.id}:0")
    assert "minimum pay" not in [c for c in calls if c.method == "editMessageText"][0].text


BATCH = {"title": "Label ${name}", "description": "Look at ${name}", "reward": "0.10", "estimated_time": "2m",
         "assignments": 1, "duration": "5m", "lifetime": "2d",
         "questions": [{"id": "a", "kind": "choice", "prompt": "What is ${name}?", "options": ["cat", "dog"]}]}


async def test_a_batch_below_the_floor_asks_before_publishing(bot, floor_600):
    from core.models import Hit
    from tests.bot.test_requester_batch import csv_bytes, requester, send_files
    from tests.fakes.telegram import answers

    rita = await requester(bot, 100_00)
    await send_files(bot, rita, BATCH, csv_bytes(["name"], [["a"], ["b"], ["c"]]))
    summary = bot.tg.last_message(rita.id)
    assert "3 HITs</b> ready" in summary.text
    assert "Your estimate pays $3.00 an hour, below this marketplace's minimum of $6.00 an hour." in summary.text
    (publish, _), (cancel, _) = summary.buttons
    assert publish == "🚀 Publish anyway" and summary.buttons[0][1] == "r:bpf:300"
    for forged in ("r:bp", "r:bpf:299"):  # the plain Publish, or another rate than the one shown
        pressed = await bot.press(rita, forged, summary.message_id)
        assert answers(pressed)[0].params["text"] == "This button is no longer valid." and Hit.select().count() == 0
    await bot.press(rita, "r:bpf:300", summary.message_id)
    assert Hit.select().count() == 3


async def test_a_batch_at_or_above_the_floor_publishes_with_the_plain_button(bot, floor_600):
    from core.models import Hit
    from tests.bot.test_requester_batch import csv_bytes, requester, send_files

    rita = await requester(bot, 100_00)
    await send_files(bot, rita, {**BATCH, "reward": "0.50"}, csv_bytes(["name"], [["a"], ["b"]]))  # $15.00/h
    summary = bot.tg.last_message(rita.id)
    assert "minimum" not in summary.text and summary.buttons[0] == ("🚀 Publish", "r:bp")
    await bot.press(rita, "r:bp", summary.message_id)
    assert Hit.select().count() == 2


async def test_a_batch_whose_rows_each_set_a_low_reward_asks_to_confirm_the_lowest_rate(bot, floor_600):
    """A ${column} reward is each row's own: the summary warns at the lowest row's rate and plain Publish
    publishes nothing."""
    from core.models import Hit
    from tests.bot.test_requester_batch import csv_bytes, requester, send_files

    rita = await requester(bot, 100_00)
    await send_files(bot, rita, {**BATCH, "reward": "${pay}"},
                     csv_bytes(["name", "pay"], [["a", "0.50"], ["b", "0.01"]]))
    summary = bot.tg.last_message(rita.id)
    assert "⚠️" in summary.text
    assert await bot.press(rita, "r:bp", summary.message_id) and Hit.select().count() == 0
    assert any(data.startswith("r:bpf:") for _, data in summary.buttons)
