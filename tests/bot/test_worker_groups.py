"""Issue #17 in the chat: a batch is one /browse entry, Next in this group after Submit takes the next
HIT in place of the submitted message, auto-next makes it automatic, Skip HIT returns one and takes
the next, stale and forged buttons change nothing, and a group that ran out says so kindly."""
from __future__ import annotations

from core.hits import publishing
from core.models import Assignment, Hit, User
from tests import factories as f
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)

QUESTIONS = [{"id": "animal", "kind": "choice", "prompt": "Which animal is in photo ${n}?", "options": ["cat", "dog"]},
             {"id": "light", "kind": "choice", "prompt": "Is it bright?", "options": ["yes", "no"]}]
EDITS_AND_SENDS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument")


async def _batch(bot, rows: int):
    rita = await person(bot, "Rita", cents=100_00)
    spec = f.spec(title="Photo ${n}", assignments=1, questions=QUESTIONS)
    b = publishing.publish_batch(requester_id=rita.id, title="photos", template=spec,
                                 rows=[{"n": str(i + 1)} for i in range(rows)], now=f.NOW)
    return rita, list(Hit.select().where(Hit.batch == b.id).order_by(Hit.id))


def _messages(calls) -> list:
    return [c for c in calls if c.method in EDITS_AND_SENDS]


async def _answer_and_submit(bot, wes) -> list:
    calls = []
    for label in ("cat", "yes", "Submit"):
        calls += await bot.press_label(wes, label)
    return calls


async def test_a_batch_is_one_entry_and_next_takes_the_next_hit_in_place(bot):
    _, hits = await _batch(bot, 3)
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, "/browse")
    listing = bot.tg.last_message(wes.id)
    assert "• <b>Photo 1</b> — $0.50 · ⏱ 10m · 📈 new · 3 left" in listing.text
    assert [lbl for lbl, _ in listing.buttons if "Photo" in lbl] == ["Photo 1 · $0.50"]  # one entry, not three
    await bot.press_label(wes, "Photo 1")
    assert "👥 3 HITs available in this group: Accept takes the next one" in bot.tg.last_message(wes.id).text
    await bot.press_label(wes, "Accept")
    calls = await _answer_and_submit(bot, wes)
    submitted = bot.tg.last_message(wes.id)
    assert submitted.text.startswith("📤 Submitted “Photo 1”")
    assert [lbl for lbl, _ in submitted.buttons] == ["▶️ Next in this group", "🔁 Auto-next: off", "🔎 Browse more",
                                                     "🧰 My work"]
    # Next: the submitted message becomes the next HIT's first question; nothing of the last HIT carries over.
    calls = await bot.press_label(wes, "Next in this group")
    assert [(c.method, int(c.params["message_id"])) for c in _messages(calls)] == [
        ("editMessageText", submitted.message_id)]
    question = bot.tg.last_message(wes.id)
    assert "Photo 2" in question.text and "Which animal is in photo 2?" in question.text
    assert "Your answer so far" not in question.text and "✔️" not in question.text
    second = Assignment.get((Assignment.worker == wes.id) & (Assignment.hit == hits[1].id))
    assert second.status == "accepted"
    # One message edit per tap from here on: two answers and Submit.
    calls = await _answer_and_submit(bot, wes)
    assert [c.method for c in _messages(calls)] == ["editMessageText"] * 3
    assert Assignment.get_by_id(second.id).status == "submitted"


async def test_auto_next_submits_and_shows_the_next_first_question_then_says_when_the_group_ran_out(bot):
    _, hits = await _batch(bot, 2)
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hits[0].id}")
    await bot.press_label(wes, "Accept")
    await _answer_and_submit(bot, wes)
    calls = await bot.press_label(wes, "Auto-next: off")
    assert alert(calls) == "Auto-next is on: after Submit, the group's next HIT follows."
    assert User.get_by_id(wes.id).prefs["auto_next"] is True
    assert "🔁 Auto-next: on" in [lbl for lbl, _ in bot.tg.last_message(wes.id).buttons]
    await bot.press_label(wes, "Next in this group")
    calls = await _answer_and_submit(bot, wes)  # the last HIT of the group: auto-next finds none
    done = bot.tg.last_message(wes.id)
    assert "No more HITs in this group for you right now" in done.text
    assert "Next in this group" not in " ".join(lbl for lbl, _ in done.buttons)
    assert Assignment.select().where((Assignment.worker == wes.id) & (Assignment.status == "submitted")).count() == 2


async def test_with_auto_next_on_submit_is_followed_by_the_next_question_in_the_same_message(bot):
    _, hits = await _batch(bot, 3)
    wes = await person(bot, "Wes")
    User.update(prefs={"auto_next": True}).where(User.id == wes.id).execute()
    await bot.text(wes, f"/start hit_{hits[0].id}")
    await bot.press_label(wes, "Accept")
    await bot.press_label(wes, "cat")
    await bot.press_label(wes, "yes")
    summary = bot.tg.last_message(wes.id)
    calls = await bot.press_label(wes, "Submit")
    assert [(c.method, int(c.params["message_id"])) for c in _messages(calls)] == [
        ("editMessageText", summary.message_id)]
    shown = bot.tg.last_message(wes.id)
    assert shown.text.count("📤 Submitted “Photo 1”") == 1 and "Which animal is in photo 2?" in shown.text
    assert Assignment.get((Assignment.worker == wes.id) & (Assignment.hit == hits[1].id)).status == "accepted"


async def test_skip_hit_returns_it_to_the_pool_and_shows_the_next(bot):
    _, hits = await _batch(bot, 2)
    wes, willa = await person(bot, "Wes"), await person(bot, "Willa")
    await bot.text(wes, f"/start hit_{hits[0].id}")
    await bot.press_label(wes, "Accept")
    await bot.press_label(wes, "cat")  # an answer given, then skipped: it must not reach the next HIT
    calls = await bot.press_label(wes, "Skip HIT")
    assert alert(calls) == "Skipped."
    shown = bot.tg.last_message(wes.id)
    assert "⏭ Skipped “Photo 1”" in shown.text and "Which animal is in photo 2?" in shown.text
    assert "Your answer so far" not in shown.text
    assert Assignment.get((Assignment.worker == wes.id) & (Assignment.hit == hits[0].id)).status == "returned"
    assert Hit.get_by_id(hits[0].id).available == 1
    # The returned HIT is back for others.
    await bot.text(willa, "/browse")
    assert "Photo 1" in bot.tg.last_message(willa.id).text


async def test_next_on_an_empty_group_is_a_friendly_refusal_and_a_forged_one_changes_nothing(bot):
    _, hits = await _batch(bot, 1)
    wes, willa = await person(bot, "Wes"), await person(bot, "Willa")
    await bot.text(wes, f"/start hit_{hits[0].id}")
    await bot.press_label(wes, "Accept")
    calls = await bot.press(willa, f"w:nx:{hits[0].group_id}")
    assert alert(calls).startswith("No more HITs in this group for you right now")
    assert Assignment.select().where(Assignment.worker == willa.id).count() == 0
    for forged in (f"w:nx:{hits[0].group_id + 99}", f"w:an:{Assignment.get().id}:1", f"w:sx:{Assignment.get().id}"):
        calls = await bot.press(willa, forged)
        assert alert(calls) in ("This button is no longer valid.", "This HIT doesn't exist or is no longer available.")
    assert User.get_by_id(willa.id).prefs.get("auto_next") is None
    assert Assignment.get().status == "accepted"


async def test_next_and_an_auto_next_submit_stay_within_the_hot_paths_budget(bot):
    from bench.bot_bench import _StatementCounter
    from core.work import groups as work_groups
    from tests.bot.test_worker_statements import BUDGET

    _, hits = await _batch(bot, 3)
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hits[0].id}")
    await bot.press_label(wes, "Accept")
    await bot.press_label(wes, "cat")
    await bot.press_label(wes, "yes")
    with _StatementCounter() as submit:
        await bot.press_label(wes, "Submit")
    with _StatementCounter() as next_press:
        await bot.press_label(wes, "Next in this group")
    await bot.press_label(wes, "cat")
    await bot.press_label(wes, "yes")
    work_groups.set_auto_next(worker_id=wes.id, on=True)
    with _StatementCounter() as auto_submit:
        await bot.press_label(wes, "Submit")
    assert Assignment.get((Assignment.worker == wes.id) & (Assignment.hit == hits[2].id)).status == "accepted"
    assert 0 < submit.n <= BUDGET and 0 < next_press.n <= BUDGET, (submit.n, next_press.n)
    # Submit and take the next in one update: no dearer than the two presses it saves.
    assert auto_submit.n <= submit.n + next_press.n, (auto_submit.n, submit.n, next_press.n)
