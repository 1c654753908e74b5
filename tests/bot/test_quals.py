"""Issue 8 in chat: qualifications, tests, quality rule, appeals, profile, admin block counts."""
from __future__ import annotations

import json

from core.models import Appeal, Assignment, QualificationGrant
from core.mturk.ids import worker_ref
from core.payments import accounts
from core.review import commands as review
from core.users import commands as users
from core.work import commands as work
from tests import factories as f
from tests.bot.chat import last_text, start
from tests.conftest import ADMIN_ID
from tests.fakes.telegram import TgUser, answers


async def test_requester_creates_and_grants_a_qualification(bot, now):
    rita = await start(bot, TgUser(601, "Rita"))
    wes = await start(bot, TgUser(602, "Wes"))
    await bot.text(rita, "/qual new Bird expert | knows birds")
    assert "Created “Bird expert”" in last_text(bot, rita)
    await bot.text(rita, "/qual grant Bird expert 602 4")
    assert "Granted “Bird expert” = 4 to worker 602" in last_text(bot, rita)
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 4
    await bot.text(rita, "/qual grant Bird expert notanumber")
    assert "Use: /qual grant <name> <WorkerId> [value]" in last_text(bot, rita)
    await bot.text(wes, "/qual grant Bird expert 601 9")  # not Wes's qualification
    assert "no qualification called" in last_text(bot, wes)
    await bot.text(rita, "/qual")
    assert "Bird expert</b> – 1 worker\n" in last_text(bot, rita)  # one worker, in the singular
    await bot.text(rita, "/qual revoke Bird expert 602")
    assert last_text(bot, rita) == "Revoked."


async def test_a_requester_grants_by_the_workerid_on_the_review_card(bot, now):
    rita = await start(bot, TgUser(621, "Rita"))
    wes, una = await start(bot, TgUser(622, "Wes")), await start(bot, TgUser(623, "Una"))
    users.register(user_id=ADMIN_ID, first_name="Admin", now=now)
    accounts.credit(admin_id=ADMIN_ID, user_id=rita.id, amount_cents=10_00, reason="test funds", now=now, key="q-fund")
    hit = f.hit(rita.id)
    a = work.accept(worker_id=wes.id, hit_id=hit.id, now=now)
    ref = worker_ref(rita.id, wes.id)
    await bot.text(rita, "/qual new Bird expert | knows birds")
    await bot.text(rita, f"/qual grant Bird expert #{ref} 3")  # as the card shows it
    assert last_text(bot, rita) == f"Granted “Bird expert” = 3 to Worker #{ref}."
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 3
    stranger = worker_ref(rita.id, una.id)  # never worked for Rita: names nobody
    await bot.text(rita, f"/qual grant Bird expert {stranger}")
    assert last_text(bot, rita) == f"No worker who did your HITs has the WorkerId {stranger}."
    assert QualificationGrant.select().where(QualificationGrant.worker == una.id).count() == 0
    await bot.text(rita, f"/qual revoke Bird expert {ref}")
    assert last_text(bot, rita) == "Revoked." and a.worker_id == wes.id


async def test_worker_takes_a_test_from_a_file_and_gets_the_score(bot, now):
    rita = await start(bot, TgUser(611, "Rita"))
    wes = await start(bot, TgUser(612, "Wes"))
    quiz = {"name": "Birds quiz", "retake": "1h", "questions": [
        {"prompt": "Which one flies?", "options": ["penguin", "sparrow"], "answer": "sparrow"},
        {"prompt": "Which one swims?", "options": ["penguin", "sparrow"], "answer": "penguin"}]}
    bot.tg.files["quiz1"] = json.dumps(quiz).encode()
    calls = await bot._feed({"message": bot._message(rita, caption="/qualtest", document={
        "file_id": "quiz1", "file_unique_id": "q1", "file_name": "quiz.json", "file_size": 300})})
    assert any("Test created with 2 questions." in c.text for c in calls)
    await bot.text(wes, "/tests")
    await bot.press_label(wes, "Take test")
    assert "Question 1 of 2" in last_text(bot, wes)
    q1 = bot.tg.last_message(wes.id)
    await bot.press_label(wes, "sparrow")
    replay = await bot.press(wes, q1.buttons[0][1], q1.message_id)  # a double tap on question 1
    assert "already answered" in answers(replay)[0].params["text"]
    await bot.press_label(wes, "penguin")
    assert "you scored <b>100%</b>" in last_text(bot, wes)


async def test_bad_test_file_is_refused_with_the_line(bot):
    rita = await start(bot, TgUser(621, "Rita"))
    bot.tg.files["bad"] = b"name: x\nquestions: [\n  - {prompt: 1\n"
    calls = await bot._feed({"message": bot._message(rita, caption="/qualtest", document={
        "file_id": "bad", "file_unique_id": "b", "file_name": "quiz.yaml", "file_size": 30})})
    assert any("can't be read on line 3" in c.text for c in calls), [c.text for c in calls]


async def test_quality_rule_and_profile_commands(bot):
    rita = await start(bot, TgUser(631, "Rita"))
    await bot.text(rita, "/quality 80 5 block")
    assert "below 80% accuracy is rejected and blocked" in last_text(bot, rita)
    await bot.text(rita, "/quality 180")
    assert "percentage from 0 to 100" in last_text(bot, rita)
    await bot.text(rita, "/quality off")
    assert "No automatic rule" in last_text(bot, rita)
    await bot.text(rita, "/profile country de")
    await bot.text(rita, "/profile skills German, birds")
    text = last_text(bot, rita)
    assert "Country: DE" in text and "Skills: German, birds" in text
    await bot.text(rita, "/profile country Germany")
    assert "two-letter country code" in last_text(bot, rita)


async def test_appeal_flow_in_chat(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    wes = await start(bot, TgUser(641, "Wes"))
    hit = f.hit(r.id, assignments=1)
    a = work.accept(worker_id=wes.id, hit_id=hit.id, now=now)
    from core.models import Question

    q = Question.get((Question.hit == hit.id) & (Question.position == 0))
    work.save_answer(worker_id=wes.id, assignment_id=a.id, question_id=q.id, value="dog", now=now)
    work.submit(worker_id=wes.id, assignment_id=a.id, now=now)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Wrong", now=now)
    mallory = await start(bot, TgUser(642, "Mallory"))
    refused = await bot.press(mallory, f"q:apl:{a.id}")  # refused at the press, before any typing
    assert "no longer valid" in answers(refused)[0].params["text"].lower()
    await bot.text(mallory, "give me money")
    assert not Appeal.select().where(Appeal.assignment == a.id).exists()
    await bot.press(wes, f"q:apl:{a.id}")
    await bot.text(wes, "It is clearly a dog")
    assert "appeal was sent" in last_text(bot, wes)
    appeal = Appeal.get(Appeal.assignment == a.id)
    forged = await bot.press(mallory, f"q:apy:{appeal.id}")
    assert answers(forged)[0].params["text"] == "This button is no longer valid."
    ok = await bot.press(rita, f"q:apy:{appeal.id}")
    assert answers(ok)[0].params["text"] == "Approved and paid."
    again = await bot.press(rita, f"q:apn:{appeal.id}")
    assert "already decided" in answers(again)[0].params["text"]
    assert Assignment.get_by_id(a.id).status == "approved"


async def test_block_counts_only_for_admins(bot):
    admin = await start(bot, TgUser(ADMIN_ID, "Admin"))
    someone = await start(bot, TgUser(651, "Sam"))
    await bot.text(someone, "/blocks")  # a worker's own blocked requesters (issue 18), never the admins' counts
    assert "Workers blocked most often" not in last_text(bot, someone)
    assert "You have not blocked any requester" in last_text(bot, someone)
    await bot.text(admin, "/blocks")
    assert "Workers blocked most often" in last_text(bot, admin)
