"""Issue 4: a bot restart mid-assignment loses nothing. The second Application shares
only the database with the first (no user_data, no process memory), as a new replica would."""
from __future__ import annotations

from bot.app import build_application
from core.config import load_settings
from core.models import Answer, Assignment
from tests import factories as f
from tests.bot.worker_fixtures import every_html_message_parses  # noqa: F401  (autouse)
from tests.fakes.telegram import BotHarness, FakeTelegram, TgUser, answers

QUESTIONS = [
    {"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog"]},
    {"id": "colours", "kind": "multi", "prompt": "Which colours?", "options": ["red", "green", "blue"]},
    {"id": "legs", "kind": "number", "prompt": "How many legs?", "min": 0, "max": 8},
]


async def fresh_bot(clock) -> BotHarness:
    tg = FakeTelegram()
    settings = load_settings(telegram_bot_token="123:TEST", telegram_api_url="http://fake.invalid")
    app = build_application(settings, request=tg, rate_limit=False, clock=clock)
    await app.initialize()
    return BotHarness(app, tg)


async def accepted_from_the_link(bot) -> TgUser:
    """Wes opens Rita's HIT from its link (his first words to the bot) and accepts it."""
    rita = f.requester(100_00, name="Rita")
    hit = f.hit(rita.id, questions=QUESTIONS)
    wes = TgUser(f.user("Wes").id, "Wes")
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    return wes


async def test_restart_mid_assignment_continues_where_the_worker_was(bot, clock):
    wes = await accepted_from_the_link(bot)
    await bot.press_label(wes, "dog")
    await bot.press_label(wes, "green")  # ticked, not yet Done
    question_msg = bot.tg.last_message(wes.id)
    await bot.app.shutdown()

    second = await fresh_bot(clock)  # a new process: nothing but the database
    try:
        second.tg.chats[wes.id] = bot.tg.chats[wes.id]  # the user's chat still shows the old messages
        # the multiple-choice ticks survived: Done stores them
        calls = await second.press(wes, [d for lbl, d in question_msg.buttons if "Done" in lbl][0],
                                   question_msg.message_id)
        assert [a.params.get("text") for a in answers(calls)] == [None]
        a = Assignment.get(Assignment.worker == wes.id)
        got = {x.question.key: x.value for x in Answer.select().where(Answer.assignment == a.id)}
        assert got == {"animal": "dog", "colours": ["green"]}
        assert "Question 3 of 3" in [c for c in calls if c.method == "editMessageText"][0].text  # in place
        # a typed answer goes to the right assignment and question with no /start or /mywork first
        calls = await second.text(wes, "4")
        summary = [c for c in calls if c.method == "sendMessage"][0]
        assert "Your answers" in summary.text and "→ <b>4</b>" in summary.text
        await second.press_label(wes, "Submit")
        assert Assignment.get_by_id(a.id).status == "submitted"
    finally:
        await second.app.shutdown()
        await bot.app.initialize()  # the fixture shuts it down again


async def test_restart_shows_the_current_question_from_mywork(bot, clock):
    wes = await accepted_from_the_link(bot)
    await bot.press_label(wes, "cat")
    await bot.press_label(wes, "red")
    await bot.press_label(wes, "Done")
    await bot.app.shutdown()
    second = await fresh_bot(clock)
    try:
        await second.text(wes, "/mywork")
        assert "question 3 of 3" in second.tg.last_message(wes.id).text
        calls = await second.press_label(wes, "Continue")
        q = [c for c in calls if c.method == "sendMessage"][0]
        assert "Question 3 of 3" in q.text and "How many legs?" in q.text
    finally:
        await second.app.shutdown()
        await bot.app.initialize()
