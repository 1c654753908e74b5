"""Issue 4: /mywork (active with time left and Continue, waiting for review, decided with
the requester's feedback, paginated) and switching between accepted assignments."""
from __future__ import annotations

from datetime import timedelta

from core.models import Answer, Assignment
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import NOW
from tests.fakes.telegram import answers


def submitted(hit, worker, at=NOW) -> Assignment:
    a = work.accept(worker_id=worker.id, hit_id=hit.id, now=at)
    q = next(q for q in hit.questions if q.position == 0)
    work.save_answer(worker_id=worker.id, assignment_id=a.id, question_id=q.id, value="cat", now=at)
    return work.submit(worker_id=worker.id, assignment_id=a.id, now=at + timedelta(minutes=2))


async def test_mywork_sections_feedback_and_continue(bot, clock):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    active = f.hit(rita.id, title="Active one")
    waiting = f.hit(rita.id, title="Waiting one")
    good = f.hit(rita.id, title="Good one")
    bad = f.hit(rita.id, title="Bad one")
    for h in (waiting, good, bad):
        submitted(h, wes)
    review.approve(requester_id=rita.id, assignment_id=Assignment.get(Assignment.hit == good.id).id,
                   now=NOW + timedelta(minutes=5), feedback="Lovely work")
    review.reject(requester_id=rita.id, assignment_id=Assignment.get(Assignment.hit == bad.id).id,
                  feedback="That is a dog", now=NOW + timedelta(minutes=5))
    clock.advance(minutes=6)
    a = work.accept(worker_id=wes.id, hit_id=active.id, now=clock.now)
    clock.advance(minutes=1)
    calls = await bot.text(wes, "/mywork")
    (msg,) = [c for c in calls if c.method == "sendMessage"]
    assert msg.text == (
        "🧰 <b>Your work</b> · 1 active · 1 waiting for review · 2 decided\n\n"
        "▶️ <b>Active</b>\n"
        "• “Active one” — $0.50 · question 1 of 2 · ⏳ 9m left\n\n"
        "⏳ <b>Waiting for review</b>\n"
        "• “Waiting one” — $0.50 · submitted 5m ago · auto-approves in 2d 23h\n\n"
        "🗂 <b>Decided</b>\n"
        "• “Bad one” — $0.50 · ❌ rejected: “That is a dog”\n"
        "• “Good one” — $0.50 · ✅ approved · feedback: “Lovely work”")
    assert msg.buttons == [("▶️ Continue: Active one", f"w:go:{a.id}")]
    calls = await bot.press_label(wes, "Continue")
    q = [c for c in calls if c.method == "sendMessage"][0]
    assert "Active one" in q.text and "Question 1 of 2" in q.text
    await bot.press_label(wes, "dog")
    assert Answer.get(Answer.assignment == a.id).value == "dog"


async def test_switching_between_two_accepted_assignments(bot):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    one = f.hit(rita.id, title="First", questions=[{"id": "t", "kind": "text", "prompt": "Say one"}])
    two = f.hit(rita.id, title="Second", questions=[{"id": "t", "kind": "text", "prompt": "Say two"}])
    for h in (one, two):
        await bot.text(wes, f"/start hit_{h.id}")
        await bot.press_label(wes, "Accept")
    a1, a2 = (Assignment.get(Assignment.hit == h.id) for h in (one, two))
    await bot.text(wes, "/mywork")
    await bot.press(wes, f"w:go:{a1.id}")
    await bot.text(wes, "for the first")
    await bot.text(wes, "/mywork")
    await bot.press(wes, f"w:go:{a2.id}")
    await bot.text(wes, "for the second")
    assert Answer.get(Answer.assignment == a1.id).value == "for the first"
    assert Answer.get(Answer.assignment == a2.id).value == "for the second"
    assert "Your answers" in bot.tg.last_message(wes.id).text and "Second" in bot.tg.last_message(wes.id).text


async def test_mywork_pages_and_empty_state(bot):
    rita = await person(bot, "Rita", cents=500_00)
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, "/mywork")
    assert "Nothing yet. Find a HIT with /browse." in calls[-1].text
    for i in range(11):
        submitted(f.hit(rita.id, title=f"Job {i:02d}"), wes)
    calls = await bot.text(wes, "/mywork")
    first = calls[-1]
    assert first.text.count("• “Job") == 8 and "Page 1" in first.text
    assert [lbl for lbl, _ in first.buttons] == ["Next ▶️"]
    mid = bot.tg.last_message(wes.id).message_id
    calls = await bot.press_label(wes, "Next")
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert int(edit.params["message_id"]) == mid
    assert edit.text.count("• “Job") == 3 and "Page 2" in edit.text and "Job 00" in edit.text
    assert [lbl for lbl, _ in edit.buttons] == ["◀️ Prev"]
    assert alert(await bot.press(wes, "w:mw:-1")) == "This button is no longer valid."


async def test_main_menu_buttons_open_browse_and_mywork(bot):
    wes = await person(bot, "Wes")
    calls = await bot.press_label(wes, "Browse")
    assert "Open HITs" in [c for c in calls if c.method == "sendMessage"][0].text
    await bot.text(wes, "/start")
    calls = await bot.press_label(wes, "My work")
    assert "Your work" in [c for c in calls if c.method == "sendMessage"][0].text
    assert all(a.params.get("text") is None for a in answers(calls))


async def test_an_assignment_at_its_summary_says_it_is_not_submitted_yet(bot):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    hit = f.hit(rita.id, questions=[{"id": "t", "kind": "text", "prompt": "Say"}])
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    await bot.text(wes, "done already")
    calls = await bot.text(wes, "/mywork")
    assert "“Label the photo” — $0.50 · all answered, not submitted · ⏳ 10m left" in calls[-1].text
    calls = await bot.press_label(wes, "Continue")
    assert "Your answers" in calls[0].text and ("📤 Submit", f"w:sub:{Assignment.get().id}") in calls[0].buttons
