"""Issue 4: /alerts in chat: subscribe with a typed filter, list, mute, unmute, delete."""
from __future__ import annotations

from bot.notices import render
from core.alerts.commands import match_new_hits
from core.models import AlertSub, OutboxEvent, User
from tests import factories as f
from tests.bot.chat import last_text
from tests.conftest import NOW
from tests.fakes.telegram import TgUser, answers


async def person(bot, name: str) -> TgUser:
    u = f.user(name)
    tg = TgUser(u.id, name)
    await bot.text(tg, "/start")
    return tg


def alert(calls) -> str:
    return answers(calls)[0].params["text"]


async def test_subscribe_with_a_typed_filter(bot):
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, "/alerts")
    assert "No alerts yet" in calls[0].text and "at most 10 an hour" in calls[0].text
    assert calls[0].buttons == [("➕ New alert", "al:new"), ("🔔 Alert me for my skills", "al:sk")]
    pressed = await bot.press_label(wes, "New alert")
    assert answers(pressed) and "Write the filter in one message" in last_text(bot, wes)
    # A bad filter: the reason, nothing saved, the question stands.
    bad = await bot.text(wes, "reward plenty")
    assert bad[0].text == "The reward must be a number such as 0.50."
    assert AlertSub.select().count() == 0
    ok = await bot.text(wes, "reward 0.50, time 10m, word photo")
    assert ok[0].text.startswith("✅ Alert saved: reward ≥ $0.50, time ≤ 10m, “photo”.")
    sub = AlertSub.get()
    assert sub.user_id == wes.id and sub.filters["min_reward_cents"] == 50 and sub.filters["keyword"] == "photo"
    assert (User.get_by_id(wes.id).prefs or {}).get("awaiting") is None  # no longer waiting for a filter
    # Ordinary text afterwards is not taken as another filter.
    await bot.text(wes, "reward 1")
    assert AlertSub.select().count() == 1
    listing = await bot.text(wes, "/alerts")
    assert "1. reward ≥ $0.50, time ≤ 10m, “photo” · 🔔 on" in listing[0].text
    assert listing[0].buttons == [("🔕 Mute 1", f"al:mute:{sub.id}"), ("🗑 Delete 1", f"al:del:{sub.id}"),
                                  ("➕ New alert", "al:new"), ("🔔 Alert me for my skills", "al:sk")]


async def test_mute_unmute_delete_and_forged_presses(bot):
    wes, mal = await person(bot, "Wes"), await person(bot, "Mal")
    await bot.press(wes, "al:new")
    await bot.text(wes, "any")
    sub = AlertSub.get()
    await bot.text(wes, "/alerts")
    listing = bot.tg.last_message(wes.id).message_id
    muted = await bot.press(wes, f"al:mute:{sub.id}", listing)
    assert alert(muted).startswith("Muted")
    assert "every new HIT · 🔕 muted" in bot.tg.chats[wes.id][listing].text
    assert ("🔔 Unmute 1", f"al:unm:{sub.id}") in bot.tg.chats[wes.id][listing].buttons
    # Muted: a new HIT is not pushed.
    rita = f.requester(10_00)
    f.hit(rita.id)
    assert match_new_hits(now=NOW) == 0
    for verb in ("mute", "unm", "del"):
        forged = await bot.press(mal, f"al:{verb}:{sub.id}")
        assert alert(forged) == "This button is no longer valid."
    assert AlertSub.get_by_id(sub.id).muted is True
    assert alert(await bot.press(wes, f"al:unm:{sub.id}", listing)) == "Unmuted."
    hit = f.hit(rita.id, title="Fresh one")
    assert match_new_hits(now=NOW) == 1
    notice = render(OutboxEvent.get(OutboxEvent.kind == "alert.hit"))
    assert notice.chat_id == wes.id and "Fresh one" in notice.text
    assert [b.callback_data for row in notice.reply_markup.inline_keyboard for b in row] == \
        [f"b:v:{hit.id}:0", f"al:mt:{sub.id}:{hit.id}"]
    assert alert(await bot.press(wes, f"al:del:{sub.id}", listing)) == "Alert deleted."
    assert AlertSub.select().count() == 0 and "No alerts yet" in bot.tg.chats[wes.id][listing].text
    again = await bot.press(wes, f"al:del:{sub.id}", listing)
    assert alert(again) == "This button is no longer valid."


async def test_cancel_and_limits(bot):
    wes = await person(bot, "Wes")
    await bot.press(wes, "al:new")
    cancelled = await bot.press_label(wes, "Cancel")
    assert answers(cancelled) and last_text(bot, wes) == "Cancelled; no alert was added."
    await bot.text(wes, "any")  # no longer waiting: not saved
    assert AlertSub.select().count() == 0
    for text in ("any", "reward 1", "reward 2", "reward 3", "reward 4"):
        await bot.press(wes, "al:new")
        await bot.text(wes, text)
    assert AlertSub.select().count() == 5
    listing = await bot.text(wes, "/alerts")
    assert ("➕ New alert", "al:new") not in listing[0].buttons  # full
    await bot.press(wes, "al:new")
    refused = await bot.text(wes, "reward 9")
    assert refused[0].text == "You can have at most 5 alerts; delete one first."
    duplicate = await bot.text(wes, "reward 1")
    assert duplicate[0].text == "You already have an alert with this filter."
    assert AlertSub.select().count() == 5


async def test_two_workers_subscribe_at_once(bot):
    wes, ann = await person(bot, "Wes"), await person(bot, "Ann")
    await bot.press(wes, "al:new")
    await bot.press(ann, "al:new")
    await bot.text(ann, "word audio")
    await bot.text(wes, "word photo")
    mine = {s.user_id: s.filters["keyword"] for s in AlertSub.select()}
    assert mine == {wes.id: "photo", ann.id: "audio"}


async def test_restart_while_typing_a_filter(bot, clock):
    """The wait for the filter lives in the database: a new bot process takes the answer."""
    from bot.app import build_application
    from core.config import load_settings
    from tests.fakes.telegram import BotHarness, FakeTelegram

    wes = await person(bot, "Wes")
    await bot.press(wes, "al:new")
    await bot.app.shutdown()
    tg = FakeTelegram()
    app = build_application(load_settings(telegram_bot_token="123:TEST", telegram_api_url="http://fake.invalid"),
                            request=tg, rate_limit=False, clock=clock)
    await app.initialize()
    second = BotHarness(app, tg)
    try:
        calls = await second.text(wes, "hourly 9, word receipts")
        assert calls[0].text.startswith("✅ Alert saved: ≥ $9.00/hour, “receipts”.")
        assert AlertSub.get().filters["min_hourly_cents"] == 900
    finally:
        await app.shutdown()
        await bot.app.initialize()  # the fixture shuts it down again


async def test_mute_from_the_pushed_notice(bot):
    wes, mal = await person(bot, "Wes"), await person(bot, "Mal")
    await bot.press(wes, "al:new")
    await bot.text(wes, "word photo")
    sub = AlertSub.get()
    rita = f.requester(10_00)
    hit = f.hit(rita.id, title="Label the photo")
    assert match_new_hits(now=NOW) == 1
    notice = render(OutboxEvent.get(OutboxEvent.kind == "alert.hit"))
    sent = await bot.app.bot.send_message(notice.chat_id, notice.text, reply_markup=notice.reply_markup,
                                          parse_mode="HTML")
    assert alert(await bot.press(mal, f"al:mt:{sub.id}:{hit.id}")) == "This button is no longer valid."
    assert AlertSub.get_by_id(sub.id).muted is False
    muted = await bot.press_label(wes, "Mute this alert", sent.message_id)
    assert alert(muted).startswith("Muted: no more HITs from this alert.")
    msg = bot.tg.chats[wes.id][sent.message_id]
    assert "Label the photo" in msg.text and msg.buttons == [("👀 Preview", f"b:v:{hit.id}:0")]
    assert AlertSub.get_by_id(sub.id).muted is True
    f.hit(rita.id, title="Another photo")
    assert match_new_hits(now=NOW) == 0
