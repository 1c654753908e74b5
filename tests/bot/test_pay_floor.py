"""Issue 17 in chat: /myhits shows each group's effective hourly pay and warns below the operator's floor;
with the floor on, Publish on a HIT whose own estimate pays less asks first, and only that rate's
confirmation publishes (a stale press is refused and publishes nothing)."""
from __future__ import annotations

import json

import pytest

from core.models import Hit
from tests import factories as f
from tests.bot.chat import last_text
from tests.bot.test_requester_review import person, submit
from tests.bot.worker_fixtures import every_html_message_parses  # noqa: F401  (autouse)
from tests.fakes.telegram import answers
from tests.settings_env import settings_env


@pytest.fixture
def floor_600(monkeypatch):
    yield from settings_env(monkeypatch, HITBOT_MIN_HOURLY_CENTS="600")


async def test_myhits_shows_effective_pay_and_warns_below_the_floor(bot, clock, floor_600):
    rita = await person(bot, name="Rita", cents=100_00)
    slow = f.hit(rita.id, title="Slow one", reward="0.10", assignments=4)
    f.hit(rita.id, title="Fresh one", reward="0.10", assignments=4)
    for _ in range(3):
        submit(slow, await person(bot, name="W"), {"animal": "cat"})  # two minutes each (the helper's clock)
    await bot.text(rita, "/myhits")
    text = last_text(bot, rita)
    slow_part = text[text.index("“Slow one”"):]
    fresh_part = text[text.index("“Fresh one”"):text.index("“Slow one”")]
    assert "⏱ Effective pay: — (0 submissions so far; shown from 3)" in fresh_part
    assert "⚠️ Below this marketplace's minimum of $6.00/hour" not in fresh_part
    assert "⏱ Effective pay: $3.00/hour (median 2m over 3 submissions)" in slow_part  # $0.10 in 2 minutes
    assert "⚠️ Below this marketplace's minimum of $6.00/hour" in slow_part
    await bot.press_label(rita, "Slow one")
    assert "⚠️ Below this marketplace's minimum of $6.00/hour" in last_text(bot, rita)



async def _preview_with_estimate(bot, rita, reward: str, estimate: str) -> None:
    spec = f.spec(reward=reward, estimated_time=estimate, assignments=1)
    bot.tg.files["est"] = json.dumps(spec).encode()
    await bot._feed({"message": bot._message(rita, caption="/newhit", document={
        "file_id": "est", "file_unique_id": "e1", "file_name": "hit.json", "file_size": 500})})
    assert "Preview" in last_text(bot, rita)


async def test_publishing_below_the_floor_asks_and_publishes_once_confirmed(bot, floor_600):
    rita = await person(bot, name="Rita", cents=100_00)
    await _preview_with_estimate(bot, rita, "0.10", "2m")
    await bot.press_label(rita, "Publish")
    ask = bot.tg.last_message(rita.id)
    assert "Your estimate pays $3.00 an hour, below this marketplace's minimum of $6.00 an hour." in ask.text
    assert Hit.select().count() == 0
    (label, data), = ask.buttons
    assert label == "🚀 Publish anyway" and data.endswith(":300")
    forged = await bot.press(rita, data[:-3] + "299", ask.message_id)  # another rate than the one shown
    assert answers(forged)[0].params["text"] == "This button is no longer valid." and Hit.select().count() == 0
    await bot.press(rita, data, ask.message_id)
    assert Hit.select().count() == 1 and "Published" in bot.tg.chats[rita.id][ask.message_id].text
    stale = await bot.press(rita, data, ask.message_id)
    assert answers(stale)[0].params["text"] == "This button is no longer valid." and Hit.select().count() == 1


async def test_an_estimate_above_the_floor_publishes_at_once(bot, floor_600):
    rita = await person(bot, name="Rita", cents=100_00)
    await _preview_with_estimate(bot, rita, "0.50", "2m")
    await bot.press_label(rita, "Publish")
    assert Hit.select().count() == 1 and "Published" in last_text(bot, rita)
