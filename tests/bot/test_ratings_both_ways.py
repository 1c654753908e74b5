"""Issue 18, ratings both ways in chat: a requester's stars on the decided submission card (the card
redrawn with the worker's average, changeable for 7 days, then final), a worker's dimension taps after
their stars editing one message, forged presses refused with nothing changed, and no Telegram name,
username or id of a counterpart in what the other side reads."""
from __future__ import annotations

from datetime import timedelta

from bot.views import browse as browse_views, ratings as ratings_views
from bot.views.review import render_card
from core.models import Rating
from core.mturk.ids import worker_ref
from core.review import commands as review, ratings
from core.review.queries import submission
from core.review.reputation import requester_stats
from core.work import browse as work_browse
from tests import factories as f
from tests.bot.chat import deliver, person, submit
from tests.bot.worker_fixtures import alert
from tests.conftest import NOW
from tests.fakes.telegram import TgUser


async def card_of(bot, requester: TgUser, assignment_id: int) -> int:
    await bot.text(requester, "/review")
    mid = max(mid for mid, m in bot.tg.chats[requester.id].items() if f"Submission #{assignment_id}" in m.text)
    await bot.press(requester, f"r:apv:{assignment_id}", mid)
    return mid


async def test_requester_stars_on_the_card_change_for_7_days_then_final(bot, clock):
    rita = await person(bot, "Rita", cents=20_00)
    wes, mal = await person(bot, "Wes"), await person(bot, "Mal", cents=5_00)
    hit = f.hit(rita.id)
    a = submit(hit, wes)
    await bot.text(rita, "/review")
    pending = next(m for m in bot.tg.chats[rita.id].values() if f"Submission #{a.id}" in m.text)
    assert not any(d.startswith("rw:") for _, d in pending.buttons)  # stars come with the decision
    assert f"Worker #{worker_ref(rita.id, wes.id)} · not rated yet" in pending.text
    early = await bot.press(rita, f"rw:s:{a.id}:5")
    assert "once you have approved or rejected" in alert(early)
    mid = await card_of(bot, rita, a.id)
    assert [d for _, d in bot.tg.chats[rita.id][mid].buttons if d.startswith("rw:")] == [
        f"rw:s:{a.id}:{n}" for n in range(1, 6)]
    # Forged: another requester, a number out of range, an assignment that does not exist.
    assert alert(await bot.press(mal, f"rw:s:{a.id}:5")) == "This button is no longer valid."
    assert alert(await bot.press(rita, f"rw:s:{a.id}:7", mid)) == "Rate from 1 to 5 stars."
    assert alert(await bot.press(rita, "rw:s:999999:5", mid)) == "This button is no longer valid."
    assert Rating.select().count() == 0
    rated = await bot.press_label(rita, "★★★", mid)
    assert alert(rated) == "You rated this worker ★★★☆☆. You can change it for 7 days."
    card = bot.tg.chats[rita.id][mid]  # the same card, redrawn
    assert f"Worker #{worker_ref(rita.id, wes.id)} · ★3.0 (1)" in card.text
    assert "You rated this worker ★★★☆☆; you can change it for 7d" in card.text
    assert ("✅★★★", f"rw:s:{a.id}:3") in card.buttons
    clock.advance(days=6)
    await bot.press(rita, f"rw:s:{a.id}:5", mid)
    assert "★5.0 (1)" in bot.tg.chats[rita.id][mid].text and Rating.get().stars == 5
    clock.advance(days=1, seconds=1)
    final = await bot.press(rita, f"rw:s:{a.id}:1", mid)
    assert "final" in alert(final)
    assert Rating.get().stars == 5 and Rating.select().count() == 1
    again = render_card(submission(assignment_id=a.id), now=clock.now)
    assert "You rated this worker ★★★★★ (final)" in again[0]
    assert not any(b.callback_data.startswith("rw:") for row in again[1].inline_keyboard for b in row)


async def test_dimensions_after_the_stars_edit_one_message(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes, mal = await person(bot, "Wes"), await person(bot, "Mal")
    hit = f.hit(rita.id)
    a = submit(hit, wes)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    notice = await deliver(bot, "assignment.approved", wes.id)
    await bot.press_label(wes, "★★★★", notice)
    thanks = max(bot.tg.chats[wes.id])
    assert thanks != notice
    msg = bot.tg.chats[wes.id][thanks]
    assert "rated this requester ★★★★☆" in msg.text and "How fair was the pay" in msg.text
    assert [d for _, d in msg.buttons] == [f"rt:d:{a.id}:0:{n}" for n in range(1, 6)] + [f"rt:d:{a.id}:0:0"]
    # Forged: someone else's rating, a dimension that is not one.
    assert alert(await bot.press(mal, f"rt:d:{a.id}:0:5")) == "This button is no longer valid."
    assert alert(await bot.press(wes, f"rt:d:{a.id}:9:5", thanks)) == "This button is no longer valid."
    assert alert(await bot.press(wes, f"rt:d:{a.id}:0:8", thanks)) == "Rate from 1 to 5 stars."
    assert Rating.get().pay is None
    before = len(bot.tg.chats[wes.id])
    await bot.press_label(wes, "★★", thanks)  # pay: the first button holding two stars is ★★
    assert "How fair were their approvals" in bot.tg.chats[wes.id][thanks].text
    assert "pay: ★★☆☆☆" in bot.tg.chats[wes.id][thanks].text
    stale = await bot.press(wes, f"rt:d:{a.id}:0:5", thanks)  # pay again, from an old keyboard
    assert alert(stale) == "This button is no longer valid."
    await bot.press_label(wes, "Skip", thanks)  # fairness skipped
    assert "How well did they communicate" in bot.tg.chats[wes.id][thanks].text
    await bot.press(wes, f"rt:d:{a.id}:2:5", thanks)
    await bot.press(wes, f"rt:d:{a.id}:3:4", thanks)
    done = bot.tg.chats[wes.id][thanks]
    assert "Thank you, that is all." in done.text and not done.buttons
    assert len(bot.tg.chats[wes.id]) == before  # every tap edited the one message
    r = Rating.get()
    assert (r.stars, r.pay, r.fairness, r.communication, r.speed) == (4, 2, None, 5, 4)


async def test_no_counterpart_sees_a_telegram_name_or_id(bot):
    rita = await person(bot, "Rita", cents=20_00, username="rita_secret")
    workers = [await person(bot, f"W{i}", username=f"worker_secret_{i}") for i in range(3)]
    hit = f.hit(rita.id, assignments=3)
    subs = [submit(hit, w) for w in workers]
    shown_to_requester, shown_to_workers = [], []
    for w, a in zip(workers, subs):
        mid = await card_of(bot, rita, a.id)
        await bot.press_label(rita, "★★★★★", mid)
        shown_to_requester.append(bot.tg.chats[rita.id][mid].text)
        notice = await deliver(bot, "assignment.approved", w.id)
        shown_to_workers.append(bot.tg.chats[w.id][notice].text)
        await bot.press_label(w, "★★★★★", notice)
        thanks = max(bot.tg.chats[w.id])
        await bot.press(w, f"rt:d:{a.id}:0:4", thanks)
        shown_to_workers.append(bot.tg.chats[w.id][thanks].text)
    shown_to_requester += [c.text for c in bot.tg.sent_to(rita.id)]
    stats = requester_stats(user_id=rita.id)
    assert stats.dimensions["pay"] == ratings.Average(4.0, 3)
    other = f.hit(rita.id, title="Another one")
    p = work_browse.preview(worker_id=workers[0].id, hit_id=other.id, now=NOW)
    preview_text = browse_views.preview(p, stats, NOW, "UTC")[0]
    assert "pay ★4.0 (3)" in preview_text
    shown_to_workers += [preview_text, *ratings_views.requester_own(*ratings.requester_summary(requester_id=rita.id))]
    for text in shown_to_requester:
        for w in workers:
            assert w.username not in text and str(w.id) not in text and w.first_name + " " not in text
    for text in shown_to_workers:
        assert "rita_secret" not in text and str(rita.id) not in text
