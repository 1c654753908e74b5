"""Issue 17: /start for a returning worker or requester is a home screen with today's figures and the
week's charts; a new user still gets the welcome; 🏠 Home shows the same; a recent group's Continue
opens the preview of its next HIT."""
from __future__ import annotations

from datetime import timedelta

from tests import factories as f
from tests.bot.test_worker_balance import PNG_MAGIC, capture_uploads, do_work, earn
from tests.bot.worker_fixtures import every_html_message_parses, person  # noqa: F401  (autouse)
from tests.conftest import NOW
from tests.fakes.telegram import TgUser


def _sent(calls, method="sendMessage"):
    return [c for c in calls if c.method == method]


async def test_a_new_user_gets_the_welcome_and_no_chart(bot):
    calls = await bot.text(TgUser(901, "Nia"), "/start")
    (welcome,) = _sent(calls)
    assert welcome.text.startswith("Hi, Nia! hitbot is a marketplace")
    assert "🏠 Home" not in [label for label, _ in welcome.buttons]
    assert _sent(calls, "sendPhoto") == []


async def test_a_returning_worker_sees_todays_money_the_chart_and_what_waits(bot):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 2, reward="1.25")  # approved today (NOW)
    await earn(bot, wes, rita, 1, reward="4.00", days_ago=40)  # last month: not in any figure
    pending = do_work(f.hit(rita.id, reward="0.80", assignments=2, auto_approve="2d"), wes, NOW)
    uploads = capture_uploads(bot)
    calls = await bot.text(wes, "/start")
    (home,) = _sent(calls)
    assert "Earned: today $2.50 · this week $2.50 · this month $2.50" in home.text
    assert "Waiting for review: 1 submission, $0.80" in home.text
    assert pending.auto_approve_at == NOW + timedelta(minutes=1, days=2)
    assert "• “Label the photo” $0.80, approved by 7 Jan 12:01 UTC at the latest" in home.text
    assert "Approval rate: today 100%" in home.text
    assert len(_sent(calls, "sendPhoto")) == 1
    assert any(data.startswith(PNG_MAGIC) for _, data, _ in uploads)
    assert [c.method for c in calls if c.method in ("sendPhoto", "sendMessage")] == ["sendPhoto", "sendMessage"]
    # The Home button on the menu shows the same screen.
    await bot.text(wes, "hello?")  # the reply to a stray message carries the main menu
    calls = await bot.press_label(wes, "🏠 Home")
    assert "Earned: today $2.50" in _sent(calls)[0].text


async def test_a_worker_with_nothing_earned_this_week_gets_no_picture(bot):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 1, reward="4.00", days_ago=20)
    calls = await bot.text(wes, "/start")
    assert _sent(calls, "sendPhoto") == []
    assert "Earned: today $0.00 · this week $0.00" in _sent(calls)[0].text


async def test_a_requester_sees_open_hits_waiting_escrow_balance_and_a_submissions_chart(bot):
    rita = await person(bot, "Rita", cents=20_00)
    f.submitted(rita.id, 2, NOW - timedelta(hours=1))  # both slots taken: not open to workers any more
    f.hit(rita.id, reward="1.00", assignments=1)
    calls = await bot.text(rita, "/start")
    (home,) = _sent(calls)
    assert "Your HITs</b> (/myhits): 1 open · 2 waiting for your review (/review)" in home.text
    # Escrow: the two submissions' rewards and fees ($0.50 + $0.10 each) and the open HIT's ($1.00 + $0.20).
    assert "💰 Balance $17.60 · in escrow $2.40 · spent this week $0.00" in home.text
    (photo,) = _sent(calls, "sendPhoto")
    assert photo.params.get("caption", "").startswith("📥 Submissions to your HITs")


async def test_continue_opens_the_preview_of_the_groups_next_hit(bot):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    first = f.hit(rita.id, title="Tag the street", reward="0.30", assignments=1)
    do_work(first, wes, NOW)
    twin = f.hit(rita.id, title="Tag the street", reward="0.30", assignments=1)
    (home,) = _sent(await bot.text(wes, "/start"))
    label, data = home.buttons[0]
    assert label == "▶️ Tag the street · $0.30 · 1 left" and data == f"b:v:{twin.id}:0"
    calls = await bot.press_label(wes, "▶️ Tag the street")
    (preview,) = [c for c in calls if c.method == "editMessageText"]
    assert "Tag the street" in preview.text and f"w:acc:{twin.id}" in [d for _, d in preview.buttons]


async def test_the_home_screen_reads_a_bounded_number_of_statements(bot):
    from bench.bot_bench import _StatementCounter

    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    await bot.text(wes, "/start")  # the process has registered him (once per process)

    async def counted() -> int:
        with _StatementCounter() as counter:
            await bot.text(wes, "/start")
        return counter.n

    await earn(bot, wes, rita, 1, reward="1.00")
    few = await counted()
    await earn(bot, wes, rita, 6, reward="1.00")
    for _ in range(3):
        do_work(f.hit(rita.id, reward="0.40", assignments=1), wes, NOW)
    assert await counted() == few <= 12, few
