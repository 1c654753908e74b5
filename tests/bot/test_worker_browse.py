"""Issue 4: /browse (paged and filtered in one edited message, filter remembered), the
preview, the /start hit_<id> deep link and Accept."""
from __future__ import annotations

from datetime import timedelta

from core.models import Assignment, Hit, User
from core.users import commands as users
from tests import factories as f
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import NOW
from tests.fakes.telegram import TgUser, answers


def list_message(bot, user):
    return next(m for m in reversed(list(bot.tg.chats[user.id].values())) if "Open HITs" in m.text)


async def test_browse_lists_hits_as_buttons_and_pages_by_editing_one_message(bot):
    rita = await person(bot, "Rita", cents=500_00)
    hits = [f.hit(rita.id, title=f"Task {i:02d}", reward=f"0.{10 + i}", now=NOW - timedelta(minutes=20 - i))
            for i in range(11)]
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, "/browse")
    (sent,) = [c for c in calls if c.method == "sendMessage"]
    assert "Open HITs</b> · page 1 · sorted by newest" in sent.text
    labels = [label for label, _ in sent.buttons]
    # newest first, eight to a page, each a button with title and reward
    assert labels[:8] == [f"Task {i:02d} · $0.{10 + i}" for i in range(10, 2, -1)]
    assert "Next ▶️" in labels and "◀️ Prev" not in labels
    mid = bot.tg.last_message(wes.id).message_id
    calls = await bot.press_label(wes, "Next")
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert int(edit.params["message_id"]) == mid and "page 2" in edit.text
    assert [lbl for lbl, _ in edit.buttons][:3] == ["Task 02 · $0.12", "Task 01 · $0.11", "Task 00 · $0.10"]
    assert "Next ▶️" not in [lbl for lbl, _ in edit.buttons]
    calls = await bot.press_label(wes, "Prev")
    assert "page 1" in [c for c in calls if c.method == "editMessageText"][0].text
    assert not [c for c in calls if c.method == "sendMessage"]  # never a flood of new messages
    assert alert(calls) == ""
    assert len(hits) == 11


async def test_page_buttons_not_reached_yet_are_stale(bot):
    rita = await person(bot, "Rita", cents=100_00)
    f.hit(rita.id)
    wes = await person(bot, "Wes")
    await bot.text(wes, "/browse")
    assert alert(await bot.press(wes, "b:pg:5")) == "This button is no longer valid."


async def test_filters_sort_and_keyword_are_remembered(bot):
    rita = await person(bot, "Rita", cents=500_00)
    f.hit(rita.id, title="Cheap cats", reward="0.05")
    f.hit(rita.id, title="Rich dogs", reward="2.00", keywords=["pets"])
    f.hit(rita.id, title="Long dogs", reward="1.00", duration="2h")
    wes = await person(bot, "Wes")
    await bot.text(wes, "/browse")
    await bot.press_label(wes, "Filters")
    menu = bot.tg.last_message(wes.id)
    assert "Filters" in menu.text and any("Min reward: any" in b for b, _ in menu.buttons)
    await bot.press_label(wes, "Min reward")  # any -> $0.10
    await bot.press_label(wes, "Min reward")  # $0.10 -> $0.50
    assert any("Min reward: $0.50" in b for b, _ in bot.tg.last_message(wes.id).buttons)
    await bot.press_label(wes, "Max time")  # any -> 5m
    await bot.press_label(wes, "Max time")  # -> 15m
    await bot.press_label(wes, "Done")
    shown = [b for b, _ in list_message(bot, wes).buttons]
    assert shown[:1] == ["Rich dogs · $2.00"] and not any("Long" in b or "Cheap" in b for b in shown)
    assert "reward ≥ $0.50, time ≤ 15m" in list_message(bot, wes).text
    # the keyword is asked for, bounded, and filters titles and keywords
    await bot.press_label(wes, "Filters")
    await bot.press_label(wes, "Keyword")
    assert "Send a word" in bot.tg.last_message(wes.id).text
    calls = await bot.text(wes, "x" * 65)
    assert calls[-1].text == "Keywords can have at most 64 characters."
    await bot.text(wes, "PETS")
    msg = list_message(bot, wes)
    assert msg.edited and "“pets”" in msg.text and [b for b, _ in msg.buttons][:1] == ["Rich dogs · $2.00"]
    prefs = User.get_by_id(wes.id).prefs
    assert prefs["browse"]["f"]["keyword"] == "pets" and prefs["browse"]["f"]["min_reward_cents"] == 50
    assert prefs.get("awaiting") is None
    # a new /browse (as after a restart) uses the remembered filter
    calls = await bot.text(wes, "/browse")
    assert "“pets”" in calls[-1].text
    await bot.press_label(wes, "Sort")
    assert "sorted by reward" in list_message(bot, wes).text
    assert User.get_by_id(wes.id).prefs["browse"]["f"]["sort"] == "reward"
    await bot.press_label(wes, "Filters")
    await bot.press_label(wes, "Reset")
    assert [b for b, _ in list_message(bot, wes).buttons][:3] == ["Long dogs · $1.00", "Rich dogs · $2.00",
                                                                   "Cheap cats · $0.05"]


async def test_forged_filter_values_change_nothing(bot):
    wes = await person(bot, "Wes")
    await bot.text(wes, "/browse")
    for data in ("b:mr:7", "b:mt:-5", "b:mh:99999999", "b:qo:2", "b:so:9", "b:pg:-1"):
        assert alert(await bot.press(wes, data)) == "This button is no longer valid.", data
    assert "browse" not in (User.get_by_id(wes.id).prefs or {}) or \
        User.get_by_id(wes.id).prefs["browse"]["f"]["min_reward_cents"] == 0


async def test_preview_shows_everything_a_worker_weighs(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, title="Label <b>", questions=[
        {"id": "a", "kind": "choice", "prompt": "Which?", "options": ["x", "y"]},
        {"id": "p", "kind": "photo", "prompt": "Photo"},
        {"id": "l", "kind": "location", "prompt": "Where?"}],
        qualifications=[{"name": "approval_rate", "comparator": ">=", "value": 90},
                        {"name": "country", "comparator": "=", "value": "DE"}])
    wes = await person(bot, "Wes")
    await bot.text(wes, "/browse")
    calls = await bot.press_label(wes, "Label")
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    t = edit.text
    assert "<b>Label &lt;b&gt;</b>" in t
    assert "👤 Rita · no ratings yet" in t
    assert "Reward: <b>$0.50</b> · ⏱ time allotted: 10m" in t
    assert "Estimated hourly: new" in t
    assert "3 of 3 assignments left" in t
    assert "Expires tomorrow 12:00 UTC (1d left)" in t
    assert "✅ needs approval rate &gt;= 90%, you have 100%" in t
    assert "❌ needs country = DE, you have none" in t
    assert "3 question(s): choice, photo, location" in t
    assert "You don't meet every requirement yet." in t
    assert [lbl for lbl, _ in edit.buttons] == ["✉️ Ask the requester", "⬅️ Back"]
    assert "don't meet this HIT's requirements" in alert(await bot.press(wes, f"w:acc:{hit.id}"))
    await bot.press_label(wes, "Back")
    assert "Open HITs" in bot.tg.last_message(wes.id).text
    users.set_country(user_id=wes.id, country="de")
    calls = await bot.press_label(wes, "Label")
    assert [lbl for lbl, _ in calls[0].buttons] == ["✅ Accept", "✉️ Ask the requester", "⬅️ Back"]


async def test_deep_link_opens_preview_and_unknown_hit_is_kind(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, f"/start hit_{hit.id}")
    (sent,) = [c for c in calls if c.method == "sendMessage"]
    assert "<b>Label the photo</b>" in sent.text and ("✅ Accept", f"w:acc:{hit.id}") in sent.buttons
    calls = await bot.text(wes, "/start hit_99999")
    assert calls[-1].text == "This HIT doesn't exist or is no longer available."


async def test_accept_shows_deadline_and_first_question(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hit.id}")
    calls = await bot.press_label(wes, "Accept")
    assert alert(calls) == "Accepted. Good luck!"
    edit = next(c for c in calls if c.method == "editMessageText")
    assert edit.text == ("✅ Accepted “Label the photo” for $0.50.\n"
                         "⏳ Submit by 12:10 UTC (10m left). The first question follows.\n\n"
                         "Say what is in the picture.")
    q = [c for c in calls if c.method == "sendMessage"][-1]
    assert "Question 1 of 2" in q.text and "Which animal?" in q.text
    assert [lbl for lbl, _ in q.buttons] == ["cat", "dog", "bird", "📋 Summary", "📄 Instructions"]
    assert Hit.get_by_id(hit.id).available == 2
    a = Assignment.get(Assignment.worker == wes.id)
    assert User.get_by_id(wes.id).prefs["awaiting"]["assignment_id"] == a.id
    again = await bot.press(wes, f"w:acc:{hit.id}")
    assert alert(again) == "You have already worked on this HIT."
    assert Hit.get_by_id(hit.id).available == 2
    # the link again: the preview leads back into the assignment instead
    calls = await bot.text(wes, f"/start hit_{hit.id}")
    assert "You are working on this HIT." in calls[-1].text
    assert calls[-1].buttons == [("▶️ Continue", f"w:go:{a.id}"), ("✉️ Ask the requester", f"ms:ask:{hit.id}"),
                                 ("⬅️ Back", "b:pg:0")]
    calls = await bot.press_label(wes, "Continue")
    assert "Question 1 of 2" in [c for c in calls if c.method == "sendMessage"][0].text


async def test_full_hit_says_so_kindly_with_several_workers(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, assignments=1)
    ann, bob = await person(bot, "Ann"), await person(bot, "Bob")
    await bot.text(ann, f"/start hit_{hit.id}")
    await bot.text(bob, f"/start hit_{hit.id}")
    assert alert(await bot.press_label(ann, "Accept")) == "Accepted. Good luck!"
    late = await bot.press_label(bob, "Accept")
    assert alert(late) == "Sorry, this HIT just filled up or expired. Try another one!"
    assert answers(late)[0].params["show_alert"] is True
    assert Assignment.select().where(Assignment.hit == hit.id).count() == 1
    # Ann's list no longer shows it; Bob's neither (it is full)
    calls = await bot.text(bob, "/browse")
    assert "No open HITs match your filters" in calls[-1].text


async def test_expired_hit_cannot_be_accepted(bot, clock):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hit.id}")
    clock.advance(days=2)
    assert "filled up or expired" in alert(await bot.press_label(wes, "Accept"))
    assert Assignment.select().count() == 0


async def test_only_qualified_filter_and_hourly_sort(bot):
    rita = await person(bot, "Rita", cents=100_00)
    f.hit(rita.id, title="German only", qualifications=[{"name": "country", "comparator": "=", "value": "DE"}])
    fast = f.hit(rita.id, title="Fast one", reward="0.20", duration="1m")
    wes = await person(bot, "Wes")
    await bot.text(wes, "/browse")
    assert any("German only" in b for b, _ in list_message(bot, wes).buttons)  # discoverable, with a cross
    await bot.press_label(wes, "Filters")
    calls = await bot.press_label(wes, "Only HITs I qualify for")
    assert any(lbl.startswith("✅ Only HITs I qualify for") for lbl, _ in calls[0].buttons)
    await bot.press_label(wes, "Done")
    assert [b for b, _ in list_message(bot, wes).buttons][:1] == ["Fast one · $0.20"]
    assert not any("German" in b for b, _ in list_message(bot, wes).buttons)
    assert "only ones I qualify for" in list_message(bot, wes).text
    await bot.press(wes, "b:so:2")  # hourly rate
    assert "sorted by hourly rate" in list_message(bot, wes).text
    assert "Fast one</b> — $0.20 · ⏱ 1m · 📈 new · 3 left" in list_message(bot, wes).text
    assert fast.id


async def test_hourly_estimate_appears_after_three_submissions(bot, clock):
    from core.work import commands as work

    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, assignments=5, questions=[{"id": "t", "kind": "text", "prompt": "Say"}])
    q = hit.questions.get()
    for i in range(3):
        w = f.user(f"w{i}")
        a = work.accept(worker_id=w.id, hit_id=hit.id, now=NOW)
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="ok", now=NOW)
        work.submit(worker_id=w.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, f"/start hit_{hit.id}")
    assert "Estimated hourly: ~$6.00/h (from 3 submissions)" in calls[-1].text
    assert "2 of 5 assignments left" in calls[-1].text


async def test_own_and_expired_hits_offer_no_accept(bot, clock):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    calls = await bot.text(rita, f"/start hit_{hit.id}")
    assert "This is your own HIT" in calls[-1].text and [b for b, _ in calls[-1].buttons] == ["⬅️ Back"]
    wes = await person(bot, "Wes")
    clock.advance(days=1, seconds=1)
    calls = await bot.text(wes, f"/start hit_{hit.id}")
    assert "🚫 This HIT is no longer available." in calls[-1].text
    assert [b for b, _ in calls[-1].buttons] == ["⬅️ Back"]


async def test_keyword_cancel_and_answering_resumes_after_a_keyword(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, questions=[{"id": "t", "kind": "text", "prompt": "Say something"}])
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    await bot.text(wes, "/browse")
    await bot.press_label(wes, "Filters")
    await bot.press_label(wes, "Keyword")
    await bot.press_label(wes, "Cancel")
    assert "Filters" in bot.tg.last_message(wes.id).text
    assert User.get_by_id(wes.id).prefs["awaiting"]["kind"] == "answer"
    await bot.press_label(wes, "Keyword")
    await bot.text(wes, "photo")
    assert User.get_by_id(wes.id).prefs["browse"]["f"]["keyword"] == "photo"
    await bot.text(wes, "my answer")  # goes to the assignment again
    a = Assignment.get(Assignment.worker == wes.id)
    assert [x.value for x in a.answers] == ["my answer"]


async def test_five_workers_press_accept_at_once_on_two_slots(bot):
    import asyncio

    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, assignments=2)
    crowd = [await person(bot, f"W{i}") for i in range(5)]
    for w in crowd:
        await bot.text(w, f"/start hit_{hit.id}")
    start = len(bot.tg.calls)
    await asyncio.gather(*(bot.press_label(w, "Accept") for w in crowd))
    calls = bot.tg.calls[start:]  # interleaved: read them all
    notices = sorted(c.params.get("text") for c in answers(calls))
    assert notices == ["Accepted. Good luck!"] * 2 + ["Sorry, this HIT just filled up or expired. Try another one!"] * 3
    holders = {a.worker_id: a.id for a in Assignment.select().where(Assignment.hit == hit.id)}
    assert len(holders) == 2 and Hit.get_by_id(hit.id).available == 0
    questions = [c for c in calls if c.method == "sendMessage"]
    # each holder got the first question of their own assignment, in their own chat; nobody else got one
    assert sorted(int(c.params["chat_id"]) for c in questions) == sorted(holders)
    for c in questions:
        assert c.buttons[0][1].startswith(f"w:ch:{holders[int(c.params['chat_id'])]}:")


async def test_deep_link_works_for_someone_the_bot_has_never_seen(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    newcomer = TgUser(4242, "Nia", language_code="es")
    calls = await bot.text(newcomer, f"/start hit_{hit.id}")
    # In the newcomer's language from the first message (the browse and work screens are translated).
    assert "<b>Label the photo</b>" in calls[-1].text and ("✅ Aceptar", f"w:acc:{hit.id}") in calls[-1].buttons
    assert User.get_by_id(4242).language_code == "es"
    assert alert(await bot.press_label(newcomer, "Aceptar")) == "Aceptada. ¡Suerte!"


async def test_sort_button_cycles_through_every_sort_in_place(bot):
    rita = await person(bot, "Rita", cents=500_00)
    f.hit(rita.id, title="Few slots", reward="0.90", assignments=1)
    f.hit(rita.id, title="Many slots", reward="0.20", assignments=9)
    wes = await person(bot, "Wes")
    await bot.text(wes, "/browse")
    mid = list_message(bot, wes).message_id
    seen = []
    for _ in range(6):
        calls = await bot.press_label(wes, "Sort:")
        (edit,) = [c for c in calls if c.method == "editMessageText"]
        assert int(edit.params["message_id"]) == mid
        seen.append((edit.text.split("sorted by ")[1].split("\n")[0], [b for b, _ in edit.buttons][:2]))
    assert seen == [("reward", ["Few slots · $0.90", "Many slots · $0.20"]),
                    ("hourly rate", ["Few slots · $0.90", "Many slots · $0.20"]),
                    ("most available", ["Many slots · $0.20", "Few slots · $0.90"]),
                    ("requester rating", ["Many slots · $0.20", "Few slots · $0.90"]),
                    ("for you", ["Many slots · $0.20", "Few slots · $0.90"]),  # no skills yet: newest first
                    ("newest", ["Many slots · $0.20", "Few slots · $0.90"])]


async def test_times_are_shown_in_the_workers_time_zone(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")
    users.set_timezone(user_id=wes.id, tz_name="Asia/Kolkata")
    calls = await bot.text(wes, f"/start hit_{hit.id}")
    assert "Expires tomorrow 17:30 IST (1d left)" in calls[-1].text
    calls = await bot.press_label(wes, "Accept")
    accepted = next(c for c in calls if c.method == "editMessageText")
    assert "Submit by 17:40 IST (10m left)" in accepted.text


async def test_a_hit_hidden_at_preview_looks_like_a_missing_one(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, qualifications=[{"name": "country", "comparator": "=", "value": "DE", "guard": "preview"}])
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, f"/start hit_{hit.id}")
    assert calls[-1].text == "This HIT doesn't exist or is no longer available."
    calls = await bot.press(wes, f"b:v:{hit.id}:0")
    assert alert(calls) == "This HIT doesn't exist or is no longer available."
    assert "Label the photo" not in bot.tg.last_message(wes.id).text
