"""Issue 4: answering in chat one question at a time (every kind), wrong kinds, Back,
summary, Submit, Return; forged and stale presses; several workers at once."""
from __future__ import annotations

from bot.views.start import NOT_WAITING
from core import ledger
from core.models import Answer, Assignment, Hit, OutboxEvent, User
from tests import factories as f
from tests.bot.chat import last_text
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.fakes.telegram import answers
from tests.invariants import check_invariants

EVERY_KIND = [
    {"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog", "bird"]},
    {"id": "colours", "kind": "multi", "prompt": "Which colours?", "options": ["red", "green", "blue"]},
    {"id": "notes", "kind": "text", "prompt": "Describe it", "min": 5, "max_length": 40},
    {"id": "count", "kind": "number", "prompt": "How many legs?", "min": 0, "max": 8},
    {"id": "stars", "kind": "rating", "prompt": "How cute?"},
    {"id": "pic", "kind": "photo", "prompt": "A photo of it"},
    {"id": "doc", "kind": "document", "prompt": "Its papers"},
    {"id": "say", "kind": "voice", "prompt": "Say its name"},
    {"id": "where", "kind": "location", "prompt": "Where is it?"},
    {"id": "extra", "kind": "text", "prompt": "Anything else?", "required": False},
]


def sent(calls):
    return [c for c in calls if c.method == "sendMessage"]


async def accepted(bot, questions=None, workers=("Wes",), **spec):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, questions=questions or EVERY_KIND, **spec)
    people = []
    for name in workers:
        w = await person(bot, name)
        await bot.text(w, f"/start hit_{hit.id}")
        await bot.press_label(w, "Accept")
        people.append(w)
    return rita, hit, people


def assignment(user) -> Assignment:
    return Assignment.get(Assignment.worker == user.id)


def stored(user) -> dict:
    a = assignment(user)
    return {ans.question.key: ans.value for ans in Answer.select().where(Answer.assignment == a.id)}


async def test_every_kind_of_answer_with_hints_back_summary_and_submit(bot, clock):
    rita, hit, (wes,) = await accepted(bot)
    a = assignment(wes)
    assert "Question 1 of 10" in last_text(bot, wes)
    # a typed answer to a choice question also works; a wrong one gets the hint and the same question
    calls = await bot.text(wes, "horse")
    assert [c.text for c in sent(calls)][0] == "Please pick one of the options."
    assert "Question 1 of 10" in sent(calls)[1].text and "Which animal?" in sent(calls)[1].text
    calls = await bot.press_label(wes, "dog")
    # Issue #17: the same message goes on to the next question, the answer given on a line above it.
    assert not sent(calls)
    (q2,) = [c for c in calls if c.method == "editMessageText"]
    assert "✔️ 1. <b>dog</b>\nQuestion 2 of 10" in q2.text and "Which colours?" in q2.text
    assert [lbl for lbl, _ in q2.buttons] == ["⬜ red", "⬜ green", "⬜ blue", "✔️ Done", "⬅️ Back", "📋 Summary",
                                          "📄 Instructions"]
    # multiple choice: toggles (kept in the database), then Done; Done with nothing picked is refused
    assert alert(await bot.press_label(wes, "Done")) == "Pick at least one option, then press Done."
    await bot.press_label(wes, "blue")
    calls = await bot.press_label(wes, "red")
    (markup,) = [c for c in calls if c.method == "editMessageReplyMarkup"]
    assert [lbl for lbl, _ in markup.buttons][:3] == ["☑️ red", "⬜ green", "☑️ blue"]
    assert User.get_by_id(wes.id).prefs["awaiting"]["picked"] == [0, 2]
    await bot.press_label(wes, "Done")
    assert stored(wes)["colours"] == ["red", "blue"]
    # text with length bounds
    assert "Describe it" in last_text(bot, wes) and "(5–40 characters)" in last_text(bot, wes)
    calls = await bot.text(wes, "tiny")
    assert sent(calls)[0].text == "Please write between 5 and 40 characters (you wrote 4)."
    await bot.text(wes, "A big friendly dog")
    # numbers with a range
    assert "Send a number from 0 to 8." in last_text(bot, wes)
    assert sent(await bot.text(wes, "many"))[0].text == "Please send a number."
    assert sent(await bot.text(wes, "12"))[0].text == "The number must be at most 8."
    await bot.photo(wes, "wrong-kind")  # a photo to a number question: hint, nothing stored
    assert "count" not in stored(wes)
    await bot.text(wes, "4")
    # rating 1-5 as buttons
    assert [lbl for lbl, _ in bot.tg.last_message(wes.id).buttons][:5] == ["1⭐", "2⭐", "3⭐", "4⭐", "5⭐"]
    await bot.press_label(wes, "5⭐")
    # photo: text is the wrong kind
    calls = await bot.text(wes, "here it is")
    assert sent(calls)[0].text == "Send a photo (📎 → Photo)." and "A photo of it" in sent(calls)[1].text
    await bot.photo(wes, "ph-77")
    await bot.document(wes, "doc-5", file_name="papers.pdf")
    calls = await bot.location(wes, 1.0, 2.0)  # not a voice message
    assert sent(calls)[0].text == "Send a voice message (hold 🎤)."
    await bot.voice(wes, "vo-1", duration=4)
    assert sent(await bot.location(wes, 95.0, 2.0))[0].text == "That location is not on Earth."
    await bot.location(wes, 52.52, 13.405)
    # an optional question can be skipped
    assert "Question 10 of 10 (optional)" in last_text(bot, wes)
    calls = await bot.press_label(wes, "Skip")
    assert alert(calls) == "Skipped." and not sent(calls)
    (summary,) = [c.text for c in calls if c.method == "editMessageText"]  # in place of the question
    assert "Your answers" in summary
    for line in ("1. Which animal?\n   → <b>dog</b>", "2. Which colours?\n   → <b>red, blue</b>",
                 "→ <b>4</b>", "→ ⭐⭐⭐⭐⭐ (5/5)", "→ 📷 photo", "→ 📄 file papers.pdf", "→ 🎤 voice message",
                 "→ 📍 52.52000, 13.40500", "10. Anything else?\n   → <i>not answered</i>"):
        assert line in summary, line
    s = stored(wes)
    assert s["pic"]["file_id"] == "ph-77" and s["doc"]["file_name"] == "papers.pdf" and s["say"]["duration"] == 4
    assert s["where"] == {"latitude": 52.52, "longitude": 13.405} and s["count"] == 4 and s["stars"] == 5
    # change answer 3 from the summary, in place
    mid = bot.tg.last_message(wes.id).message_id
    calls = await bot.press_label(wes, "✏️ 3")
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert int(edit.params["message_id"]) == mid and "Question 3 of 10" in edit.text
    assert "Your answer so far: <b>A big friendly dog</b>" in edit.text
    await bot.press_label(wes, "Back")
    assert "Question 2 of 10" in last_text(bot, wes)
    assert [lbl for lbl, _ in bot.tg.last_message(wes.id).buttons][:3] == ["☑️ red", "⬜ green", "☑️ blue"]
    await bot.press_label(wes, "Done")  # keeps red, blue
    await bot.text(wes, "A small dog")
    assert stored(wes)["notes"] == "A small dog" and stored(wes)["colours"] == ["red", "blue"]
    await bot.press_label(wes, "Summary")
    clock.advance(minutes=3)
    calls = await bot.press_label(wes, "Submit")
    assert alert(calls) == "Submitted. Thank you!"
    (done,) = [c for c in calls if c.method == "editMessageText"]
    assert done.text.startswith("📤 Submitted “Label the photo”. The requester reviews it; $0.50 reaches")
    assert done.buttons == [("🔎 Browse more", "m:browse"), ("🧰 My work", "m:mywork")]
    assert Assignment.get_by_id(a.id).status == "submitted"
    assert User.get_by_id(wes.id).prefs.get("awaiting") is None
    assert OutboxEvent.select().where(OutboxEvent.kind == "submission.confirmed").count() == 1
    # later messages are not taken as answers: the worker is told nothing waits for them
    assert [c.text for c in await bot.text(wes, "hello?")] == [NOT_WAITING]
    assert stored(wes)["notes"] == "A small dog"
    check_invariants()


async def test_submit_with_required_answers_missing_is_refused(bot):
    rita, hit, (wes,) = await accepted(bot, questions=None)
    await bot.press_label(wes, "Summary")
    calls = await bot.press_label(wes, "Submit")
    assert alert(calls).startswith("Please answer every required question first: question 1, question 2")
    assert assignment(wes).status == "accepted"


async def test_double_tap_submit_and_forged_presses_change_nothing(bot):
    rita, hit, (wes, mal) = await accepted(bot, questions=f.spec()["questions"], workers=("Wes", "Mal"))
    a, m = assignment(wes), assignment(mal)
    await bot.press_label(wes, "cat")
    await bot.press_label(wes, "Skip")
    # Mallory presses Wes's buttons with her own chat
    for data in (f"w:sub:{a.id}", f"w:ch:{a.id}:1:0", f"w:go:{a.id}", f"w:rety:{a.id}", f"w:ret:{a.id}",
                 f"w:bk:{a.id}:0", f"w:sm:{a.id}", f"w:gq:{a.id}:0", f"w:mt:{a.id}:1:0"):
        assert alert(await bot.press(mal, data)) == "This button is no longer valid.", data
    assert assignment(wes).status == "accepted" and assignment(wes).current_q == 2
    first = await bot.press_label(wes, "Submit")
    assert alert(first) == "Submitted. Thank you!"
    second = await bot.press(wes, f"w:sub:{a.id}")
    assert alert(second) == "This assignment is already submitted."
    assert answers(second)[0].params["show_alert"] is True
    assert [c.method for c in second] == ["answerCallbackQuery"]  # nothing else sent or edited
    assert Hit.get_by_id(hit.id).work_n == 1
    assert alert(await bot.press(wes, f"w:rety:{a.id}")) == "This assignment is already submitted."
    # an old question button (question 1 of Mal's, pressed after she moved on) is stale
    await bot.press_label(mal, "dog")
    q1 = next(c for c in hit.questions if c.position == 0)
    stale = await bot.press(mal, f"w:ch:{m.id}:{q1.id}:2")
    assert "not the one you are on" in alert(stale)
    assert stored(mal)["animal"] == "dog"


async def test_expired_assignment_refuses_answers_and_stops_listening(bot, clock):
    rita, hit, (wes,) = await accepted(bot, questions=f.spec()["questions"])
    clock.advance(minutes=11)
    assert alert(await bot.press_label(wes, "cat")) == "The time for this assignment has run out."
    calls = await bot.text(wes, "cat")
    assert sent(calls)[0].text == "The time for this assignment has run out."
    assert User.get_by_id(wes.id).prefs.get("awaiting") is None
    assert Answer.select().count() == 0


async def test_return_needs_confirmation_and_frees_the_slot(bot):
    rita, hit, (wes,) = await accepted(bot, questions=f.spec()["questions"])
    a = assignment(wes)
    await bot.press_label(wes, "cat")
    await bot.press_label(wes, "Summary")
    calls = await bot.press_label(wes, "Return")
    assert "Return “Label the photo”?" in calls[0].text
    assert [lbl for lbl, _ in calls[0].buttons] == ["↩️ Confirm return", "⬅️ Back"]
    assert assignment(wes).status == "accepted"
    await bot.press_label(wes, "Back")
    assert "Your answers" in last_text(bot, wes)
    await bot.press_label(wes, "Return")
    calls = await bot.press_label(wes, "Confirm return")
    assert alert(calls) == "Returned."
    assert calls[0].text == "↩️ Returned “Label the photo”. No penalty. Find another one with /browse."
    assert [lbl for lbl, _ in calls[0].buttons] == ["🔎 Browse more", "🧰 My work"]
    assert Assignment.get_by_id(a.id).status == "returned" and Hit.get_by_id(hit.id).available == 3
    assert alert(await bot.press(wes, f"w:rety:{a.id}")) == "This assignment is already returned."
    assert User.get_by_id(wes.id).prefs.get("awaiting") is None
    check_invariants()


async def test_three_workers_answer_interleaved_and_each_gets_their_own_flow(bot):
    rita, hit, ws = await accepted(bot, questions=f.spec()["questions"], workers=("Ann", "Bob", "Cy"))
    for w, pick in zip(ws, ("cat", "dog", "bird")):
        await bot.press_label(w, pick)
    for w in ws:
        calls = await bot.text(w, f"notes from {w.first_name}")
        assert {c.params["chat_id"] for c in calls if "chat_id" in c.params} == {w.id}
    for w in ws:
        await bot.press_label(w, "Submit")
    for w, pick in zip(ws, ("cat", "dog", "bird")):
        assert stored(w) == {"animal": pick, "notes": f"notes from {w.first_name}"}
        assert assignment(w).status == "submitted"
    assert Hit.get_by_id(hit.id).available == 0 and Hit.get_by_id(hit.id).work_n == 3
    assert ledger.balance(ledger.escrow(hit.id)) == 3 * 60
    check_invariants()


async def test_summary_of_twenty_long_answers_stays_under_telegrams_limit(bot):
    qs = [{"id": f"q{i}", "kind": "text", "prompt": "Tell me <all> & " * 20, "max_length": 2000} for i in range(20)]
    rita, hit, (wes,) = await accepted(bot, questions=qs)
    for _ in range(20):
        await bot.text(wes, "&<>" * 600)
    text = last_text(bot, wes)
    assert "Your answers" in text and "20. Tell me" in text and len(text) <= 4096
    assert text.count("<b>") == text.count("</b>")  # no tag or entity cut in half
    assert "&amp;&lt;&gt;" in text and "&amp;&lt" + "…" not in text


async def test_a_worker_who_blocked_the_bot_crashes_nothing(bot):
    rita, hit, (wes,) = await accepted(bot, questions=f.spec()["questions"])
    bot.tg.blocked.add(wes.id)
    calls = await bot.text(wes, "a note")  # the reply can't be delivered: logged, nothing raised
    assert calls and calls[0].method == "sendMessage"
    bot.tg.blocked.discard(wes.id)
    await bot.press_label(wes, "cat")
    assert stored(wes)["animal"] == "cat"


async def test_exact_calls_for_accept_and_one_button_answer(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hit.id}")
    preview = bot.tg.last_message(wes.id).message_id
    calls = await bot.press(wes, f"w:acc:{hit.id}", preview)
    a = assignment(wes)
    animal, notes = sorted(hit.questions, key=lambda q: q.position)
    # The press is answered first (issue 21): the toast does not wait for the sends.
    assert [(c.method, c.params.get("message_id")) for c in calls] == [
        ("answerCallbackQuery", None), ("editMessageText", preview), ("sendMessage", None)]
    assert calls[0].params.get("text") == "Accepted. Good luck!"
    calls = calls[1:]
    assert calls[0].buttons == []
    assert calls[1].text == ("📝 <b>Label the photo</b> · ⏳ 10m left\nQuestion 1 of 2\n\nWhich animal?\n"
                             "<i>Tap one of the buttons.</i>")
    assert calls[1].buttons == [("cat", f"w:ch:{a.id}:{animal.id}:0"), ("dog", f"w:ch:{a.id}:{animal.id}:1"),
                                ("bird", f"w:ch:{a.id}:{animal.id}:2"), ("📋 Summary", f"w:sm:{a.id}"),
                                ("📄 Instructions", f"w:ins:{a.id}")]
    assert calls[1].params["parse_mode"] == "HTML"
    question = bot.tg.last_message(wes.id).message_id
    calls = await bot.press(wes, f"w:ch:{a.id}:{animal.id}:2", question)
    # Issue #17: one message goes from question to question (one edit per answer, no new message).
    assert [(c.method, c.params.get("message_id")) for c in calls] == [
        ("answerCallbackQuery", None), ("editMessageText", question)]
    calls = calls[1:]
    assert calls[0].text == ("📝 <b>Label the photo</b> · ⏳ 10m left\n✔️ 1. <b>bird</b>\nQuestion 2 of 2 (optional)\n\n"
                             "Anything else?\n<i>Send your answer as a text message (1–200 characters).</i>")
    assert calls[0].buttons == [("⬅️ Back", f"w:bk:{a.id}:0"), ("⏭ Skip", f"w:sk:{a.id}:{notes.id}"),
                                ("📋 Summary", f"w:sm:{a.id}"), ("📄 Instructions", f"w:ins:{a.id}")]
    assert all(len(data.encode()) < 64 for _, data in calls[0].buttons)


async def test_a_message_for_an_assignment_that_is_gone_clears_the_wait(bot):
    rita, hit, (wes,) = await accepted(bot, questions=f.spec()["questions"])
    Assignment.delete().where(Assignment.worker == wes.id).execute()
    calls = await bot.text(wes, "cat")
    assert [c.text for c in sent(calls)] == ["That assignment is no longer open; see /mywork."]
    assert User.get_by_id(wes.id).prefs.get("awaiting") is None
    assert [c.text for c in await bot.text(wes, "cat")] == [NOT_WAITING]
    assert Answer.select().count() == 0


async def test_an_image_file_answers_a_file_question_but_not_a_photo_question(bot):
    qs = [{"id": "pic", "kind": "photo", "prompt": "A photo"}, {"id": "doc", "kind": "document", "prompt": "A file"}]
    rita, hit, (wes,) = await accepted(bot, questions=qs)
    calls = await bot.document(wes, "img-1", file_name="cat.jpg", mime_type="image/jpeg")
    assert sent(calls)[0].text == "Send a photo (📎 → Photo)." and "pic" not in stored(wes)
    await bot.photo(wes, "ph-1")
    await bot.document(wes, "img-2", file_name="cat.jpg", mime_type="image/jpeg")
    assert stored(wes)["pic"]["file_id"] == "ph-1" and stored(wes)["doc"]["file_id"] == "img-2"


async def test_a_file_captioned_with_a_command_is_not_taken_as_an_answer(bot):
    rita, hit, (wes,) = await accepted(bot, questions=[{"id": "doc", "kind": "document", "prompt": "A file"}])
    bot.tg.files["spec-1"] = b"title: x\n"
    payload = bot._message(wes, document={"file_id": "spec-1", "file_unique_id": "s1", "file_name": "hit.yaml",
                                           "mime_type": "text/yaml", "file_size": 9}, caption="/newhit")
    await bot._feed({"message": payload})
    assert "doc" not in stored(wes)
    await bot.document(wes, "doc-9", file_name="real.pdf")
    assert stored(wes)["doc"]["file_id"] == "doc-9"


async def test_a_sticker_gets_the_hint_and_an_edited_old_message_is_no_answer(bot):
    rita, hit, (wes,) = await accepted(bot, questions=[{"id": "t", "kind": "text", "prompt": "Say it"},
                                                       {"id": "u", "kind": "text", "prompt": "Say more"}])
    sticker = {"file_id": "st-1", "file_unique_id": "st1", "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False}
    calls = await bot._feed({"message": bot._message(wes, sticker=sticker)})
    assert sent(calls)[0].text == "Send your answer as a text message (1–2000 characters)."
    assert "Say it" in sent(calls)[1].text
    await bot.text(wes, "first answer")
    edited = bot._message(wes, text="changed my mind")
    edited["edit_date"] = edited["date"]
    calls = await bot._feed({"edited_message": edited})
    assert calls == [] and stored(wes) == {"t": "first answer"}
