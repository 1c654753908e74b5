"""Issue 13, "messages that show state must stay true": one confirmation per action with the
same figures, dates on times that are not today, a second appeal refused at the press."""
from __future__ import annotations

import re
from datetime import timedelta

from bot.notices import render
from core.models import Assignment, OutboxEvent
from tests import factories as f
from tests.bot.test_requester_topup import pay, payments  # noqa: F401  (fixture)
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import NOW

QUESTIONS = [{"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog"]}]


def notices(kind: str | None = None, user_id: int | None = None) -> list:
    """What the delivery actor would send for the outbox rows (of a kind, to a user)."""
    rows = OutboxEvent.select().order_by(OutboxEvent.id)
    out = [render(e) for e in rows if (kind is None or e.kind == kind) and (user_id is None or e.user_id == user_id)]
    return [n for n in out if n is not None]


class Ticking:
    """A clock that moves on a little every time it is read, as a real one does."""

    def __init__(self, start) -> None:
        self.now = start

    def __call__(self):
        self.now += timedelta(milliseconds=700)
        return self.now


async def test_submit_confirms_with_the_same_auto_approval_figure_everywhere(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, questions=QUESTIONS, auto_approve="3d")
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    await bot.press_label(wes, "cat")
    bot.app.bot_data["clock"] = Ticking(NOW + timedelta(minutes=2))
    calls = await bot.press_label(wes, "Submit")
    assert alert(calls) == "Submitted. Thank you!"
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert re.findall(r"approved automatically in ([^.]+)\.", edit.text) == ["3d"]
    # Confirmed once, in the message pressed (issue #17): no second message about the same submit.
    assert notices("submission.confirmed", wes.id) == []
    # A submit the chat did not show (a web task's page) is confirmed by a notice, with the same figure.
    from core.models import OutboxEvent
    event = OutboxEvent.get(OutboxEvent.kind == "submission.confirmed")
    event.payload = {k: v for k, v in event.payload.items() if k != "shown"}
    event.save()
    (notice,) = notices("submission.confirmed", wes.id)
    assert re.findall(r"approved automatically in ([^.]+)\.", notice.text) == ["3d"]


async def test_a_top_up_is_confirmed_once(bot, payments):
    rita = await person(bot, "Rita")
    calls = await pay(bot, rita, f"topup:{rita.id}:1000", 1000, "charge-9")
    said = [c.text for c in calls if c.method == "sendMessage"]
    assert said == ["✅ Payment received: $10.00 added. Your balance is now $10.00.\nPayment reference: charge-9"]
    assert [n.text for n in notices(user_id=rita.id)] == [], "a second message about the same top-up"


async def test_a_deadline_that_is_not_today_carries_its_day(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, questions=QUESTIONS, duration="1d", lifetime="3d")
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, f"/start hit_{hit.id}")
    preview = " ".join(c.text for c in calls if c.method == "sendMessage")
    assert "Expires 8 Jan 12:00 UTC (3d left)" in preview
    calls = await bot.press_label(wes, "Accept")
    said = " ".join(c.text for c in calls)
    assert "Submit by tomorrow 12:00 UTC (1d left)" in said
    a = Assignment.get(Assignment.worker == wes.id)
    from core import sweeps
    sweeps.remind(now=a.deadline - timedelta(hours=1))
    (reminder,) = notices("assignment.reminder", wes.id)
    assert "submit it by 12:00 UTC (1h left)" in reminder.text  # reminded on the day itself: no date


async def _rejected_notice(bot):
    """Wes's work rejected by Rita, and the rejection notice in Wes's chat (as the worker sends it)."""
    from core.models import Question
    from core.review import commands as review
    from core.work import commands as work

    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    hit = f.hit(rita.id, questions=QUESTIONS)
    a = work.accept(worker_id=wes.id, hit_id=hit.id, now=NOW)
    q = Question.get(Question.hit == hit.id)
    work.save_answer(worker_id=wes.id, assignment_id=a.id, question_id=q.id, value="cat", now=NOW)
    work.submit(worker_id=wes.id, assignment_id=a.id, now=NOW + timedelta(minutes=1))
    review.reject(requester_id=rita.id, assignment_id=a.id, feedback="It is a dog", now=NOW + timedelta(minutes=2))
    (n,) = notices("assignment.rejected", wes.id)
    sent = await bot.app.bot.send_message(wes.id, n.text, reply_markup=n.reply_markup, parse_mode="HTML")
    return wes, a, sent.message_id


def _buttons(bot, user, message_id) -> list[str]:
    return [data for _, data in bot.tg.chats[user.id][message_id].buttons]


async def test_the_appeal_button_goes_once_used_and_a_second_appeal_is_refused_at_the_press(bot):
    wes, a, mid = await _rejected_notice(bot)
    assert f"q:apl:{a.id}" in _buttons(bot, wes, mid)
    await bot.press(wes, f"q:apl:{a.id}", mid)
    assert "Write your appeal" in bot.tg.last_message(wes.id).text
    calls = await bot.text(wes, "It really is a cat, look at the ears.")
    assert any("Your appeal was sent" in c.text for c in calls)
    assert f"q:apl:{a.id}" not in _buttons(bot, wes, mid), "the notice still offers Appeal"
    assert f"rt:s:{a.id}:5" in _buttons(bot, wes, mid)  # rating the requester is still possible
    (again,) = notices("assignment.rejected", wes.id)  # rendered anew (a live card, a late delivery)
    assert f"q:apl:{a.id}" not in [b.callback_data for row in again.reply_markup.inline_keyboard for b in row]

    calls = await bot.press(wes, f"q:apl:{a.id}", mid)  # an old copy of the button, pressed again
    assert alert(calls) == "You already appealed this rejection."
    assert not any("Write your appeal" in c.text for c in calls)
    from bot.input import waiting_for
    assert waiting_for(user_id=wes.id) is None


async def test_any_update_from_a_user_who_had_blocked_the_bot_brings_what_they_missed(bot, clock):
    from core.db import tx
    from core.outbox import emit
    from core.users import commands as users

    wes = await person(bot, "Wes")
    users.mark_unreachable(user_id=wes.id)  # a send got 403 Forbidden: the delivery actor marks the row so
    with tx():
        missed = emit("balance.credited", user_id=wes.id, now=NOW, amount_cents=3_00, reason="welcome")
    OutboxEvent.update(done_at=NOW, last_error="forbidden: bot was blocked by the user").where(
        OutboxEvent.id == missed.id).execute()
    clock.advance(hours=1)
    await bot.text(wes, "hello?")  # not /start: any update counts
    (summary,) = notices("notices.missed", wes.id)
    assert summary.text.startswith("📬 While you had blocked the bot, we couldn't tell you:")
    assert "<b>+$3.00</b> added to your balance (welcome)" in summary.text
    await bot.text(wes, "/start")
    assert len(notices("notices.missed", wes.id)) == 1, "told twice"
