"""Issue 4: after a decision the worker rates the requester 1-5, once per HIT."""
from __future__ import annotations

from datetime import timedelta

from bot.notices import render
from core.models import OutboxEvent, Rating, User
from core.review import commands as review
from tests import factories as f
from tests.bot.chat import deliver, submit
from tests.bot.worker_fixtures import alert, person
from tests.conftest import NOW


async def test_approval_notice_carries_stars_and_rating_counts_once(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes, mal = await person(bot, "Wes"), await person(bot, "Mal")
    hit = f.hit(rita.id)
    a = submit(hit, wes)
    early = await bot.press(wes, f"rt:s:{a.id}:5")  # not decided yet
    assert alert(early) == "You can rate the requester once your work is reviewed."
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    mid = await deliver(bot, "assignment.approved", wes.id)
    notice = bot.tg.chats[wes.id][mid]
    assert "was approved" in notice.text and "Rate them" in notice.text
    assert [d for _, d in notice.buttons][:5] == [f"rt:s:{a.id}:{n}" for n in range(1, 6)]
    forged = await bot.press(mal, f"rt:s:{a.id}:1")
    assert alert(forged) == "This button is no longer valid."
    out_of_range = await bot.press(wes, f"rt:s:{a.id}:9")
    assert alert(out_of_range) == "Rate from 1 to 5 stars."
    assert Rating.select().count() == 0
    rated = await bot.press_label(wes, "★★★★", mid)
    assert alert(rated) == "Thanks for rating!"
    assert "rated this requester ★★★★☆" in bot.tg.last_message(wes.id).text
    assert not any(d.startswith("rt:") for _, d in bot.tg.chats[wes.id][mid].buttons)  # the stars are gone
    requester = User.get_by_id(rita.id)
    assert (requester.rating_n, requester.rating_avg) == (1, 4.0)
    again = await bot.press(wes, f"rt:s:{a.id}:1", mid)
    assert alert(again) == "You already rated this requester for this HIT."
    assert User.get_by_id(rita.id).rating_avg == 4.0 and Rating.select().count() == 1
    # Rendered again (a retry by the jobs worker), the notice no longer offers stars.
    event = OutboxEvent.get((OutboxEvent.kind == "assignment.approved") & (OutboxEvent.user_id == wes.id))
    assert "Rate them" not in render(event).text


async def test_rejection_notice_has_stars_and_appeal(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes, ann = await person(bot, "Wes"), await person(bot, "Ann")
    hit = f.hit(rita.id)
    a, b = submit(hit, wes), submit(hit, ann)
    review.reject(requester_id=rita.id, assignment_id=a.id, feedback="Blurry answer", now=NOW + timedelta(minutes=5))
    review.approve(requester_id=rita.id, assignment_id=b.id, now=NOW + timedelta(minutes=5))
    mid = await deliver(bot, "assignment.rejected", wes.id)
    msg = bot.tg.chats[wes.id][mid]
    assert "Reason: Blurry answer" in msg.text
    assert ("✉️ Appeal", f"q:apl:{a.id}") in msg.buttons and ("★", f"rt:s:{a.id}:1") in msg.buttons
    await deliver(bot, "assignment.approved", ann.id)
    # Both rate at once, each their own assignment.
    assert alert(await bot.press(wes, f"rt:s:{a.id}:1", mid)) == "Thanks for rating!"
    assert alert(await bot.press_label(ann, "★★★★★")) == "Thanks for rating!"
    requester = User.get_by_id(rita.id)
    assert (requester.rating_n, requester.rating_avg) == (2, 3.0)
    assert sorted((r.rater_id, r.stars) for r in Rating.select()) == sorted([(wes.id, 1), (ann.id, 5)])


def test_rating_keeps_the_other_buttons_of_the_notice():
    from bot.views.common import button, keyboard
    from bot.views.notify import rating_buttons, without_rating

    notice = keyboard([rating_buttons(7), [button("✉️ Appeal", "q:apl:7")]])
    kept = without_rating(notice)
    assert [[b.callback_data for b in row] for row in kept.inline_keyboard] == [["q:apl:7"]]
    assert without_rating(keyboard([rating_buttons(7)])) is None and without_rating(None) is None
