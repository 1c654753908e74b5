"""Issue 13: a message that shows an object's state stays true. Core remembers which chat
messages show which object; when the object changes, an outbox event (cards.refresh) makes
the jobs worker edit each of them with the current state. Here the worker's part runs
in-process against the fake Telegram (tests/jobs/test_cards.py runs the real actor)."""
from __future__ import annotations

from datetime import timedelta

from core import ledger, sweeps
from core.models import Answer, Assignment, ChatCard, OutboxEvent, User
from core.review import appeals, commands as review
from core.work import commands as work
from jobs import cards as card_jobs
from tests import factories as f
from tests.bot.chat import deliver, submit
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import NOW


async def refresh(bot) -> list[str]:
    """Do what the jobs worker does with every cards.refresh event (without its rate limits)."""
    outcomes = []
    for event in OutboxEvent.select().where(OutboxEvent.kind == "cards.refresh").order_by(OutboxEvent.id):
        for card, rendered in card_jobs.plan(event):
            outcome = await card_jobs.edit(bot.app.bot, card, rendered)
            card_jobs.settle(card, outcome, event.id)
            outcomes.append(outcome)
    return outcomes


def shown(bot, user, mid):
    return bot.tg.chats[user.id][mid]


def datas(msg) -> list[str]:
    return [d for _, d in msg.buttons]


def find(bot, user, needle: str) -> int:
    return max(mid for mid, m in bot.tg.chats[user.id].items() if needle in m.text)


async def test_submission_card_and_review_summary_follow_a_decision_made_elsewhere(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    hit = f.hit(rita.id)
    a = submit(hit, wes)
    notice = await deliver(bot, "submission.received", rita.id, card=True)
    assert f"r:apv:{a.id}" in datas(shown(bot, rita, notice))
    await bot.text(rita, "/review")
    summary = find(bot, rita, "await your review")
    assert any(d.startswith("r:apa:") for d in datas(shown(bot, rita, summary)))
    queue_card = find(bot, rita, f"Submission #{a.id}")
    assert queue_card != notice
    assert alert(await bot.press(rita, f"r:apv:{a.id}", queue_card)) == "Approved and paid."
    assert "edited" in await refresh(bot)
    card = shown(bot, rita, notice)
    assert "✅ Approved; $0.50 paid" in card.text and card.edited
    assert not {f"r:apv:{a.id}", f"r:rej:{a.id}"} & set(datas(card))
    summary_now = shown(bot, rita, summary)
    assert "Nothing waits for your review" in summary_now.text
    assert not any(d.startswith("r:apa:") for d in datas(summary_now))
    # A press on the old buttons (an older copy of the message) changes nothing.
    stale = await bot.press(rita, f"r:apv:{a.id}", notice)
    assert "already approved" in alert(stale)
    stale_all = await bot.press(rita, f"r:apa:{hit.id}:{a.id}", summary)
    assert "Nothing is waiting" in alert(stale_all)
    assert ledger.balance(ledger.available(wes.id)) == 50  # paid once


async def test_auto_approval_by_the_clock_updates_the_card(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    a = submit(f.hit(rita.id), wes)
    await bot.text(rita, "/review")
    card_id = find(bot, rita, f"Submission #{a.id}")
    assert "Waiting for your review" in shown(bot, rita, card_id).text
    assert sweeps.auto_approve(now=NOW + timedelta(days=4)) == 1
    await refresh(bot)
    card = shown(bot, rita, card_id)
    assert "✅ Approved automatically" in card.text
    assert not {f"r:apv:{a.id}", f"r:rej:{a.id}"} & set(datas(card))
    assert "already approved" in alert(await bot.press(rita, f"r:rej:{a.id}", card_id))
    assert (User.get_by_id(rita.id).prefs or {}).get("awaiting") is None  # no reason asked for
    assert Assignment.get_by_id(a.id).status == "approved"


async def test_approve_instead_on_the_card_closes_the_appeal_card(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    a = submit(f.hit(rita.id), wes)
    review.reject(requester_id=rita.id, assignment_id=a.id, feedback="Blurry", now=NOW + timedelta(minutes=5))
    appeals.appeal(worker_id=wes.id, assignment_id=a.id, message="It is sharp!", now=NOW + timedelta(minutes=6))
    appeal_card = await deliver(bot, "appeal.received", rita.id, card=True)
    assert any(d.startswith("q:apy:") for d in datas(shown(bot, rita, appeal_card)))
    await bot.press(rita, "r:rrj")  # recent rejections: the submission card with "Approve instead"
    sub_card = find(bot, rita, f"Submission #{a.id}")
    assert alert(await bot.press_label(rita, "Approve instead", sub_card)) == "Approved and paid."
    await refresh(bot)
    closed = shown(bot, rita, appeal_card)
    assert "Decided: approved instead" in closed.text and not closed.buttons
    stale = await bot.press(rita, f"q:apy:{_appeal_id(a)}", appeal_card)
    assert alert(stale) == "This appeal was already decided."
    assert ledger.balance(ledger.available(wes.id)) == 50  # paid once


def _appeal_id(a) -> int:
    from core.models import Appeal

    return Appeal.get(Appeal.assignment == a.id).id


async def test_an_appeal_decision_updates_the_submission_card(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    a = submit(f.hit(rita.id), wes)
    notice = await deliver(bot, "submission.received", rita.id, card=True)
    review.reject(requester_id=rita.id, assignment_id=a.id, feedback="Blurry", now=NOW + timedelta(minutes=5))
    await refresh(bot)
    assert "❌ Rejected: Blurry" in shown(bot, rita, notice).text
    assert f"r:apv:{a.id}" in datas(shown(bot, rita, notice))  # "Approve instead"
    appeals.appeal(worker_id=wes.id, assignment_id=a.id, message="It is sharp!", now=NOW + timedelta(minutes=6))
    appeal_card = await deliver(bot, "appeal.received", rita.id, card=True)
    assert alert(await bot.press_label(rita, "Approve instead", appeal_card)) == "Approved and paid."
    await refresh(bot)
    card = shown(bot, rita, notice)
    assert "✅ Approved; $0.50 paid" in card.text and f"r:apv:{a.id}" not in datas(card)
    assert "already approved" in alert(await bot.press(rita, f"r:apv:{a.id}", notice))
    assert ledger.balance(ledger.available(wes.id)) == 50


async def test_question_message_of_an_expired_assignment_loses_its_buttons(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    hit = f.hit(rita.id, duration="10m")
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    question = find(bot, wes, "Which animal?")
    choice = next(d for d in datas(shown(bot, wes, question)) if d.startswith("w:ch:"))
    assert sweeps.expire_assignments(now=NOW + timedelta(minutes=11)) == 1
    await refresh(bot)
    msg = shown(bot, wes, question)
    assert "expired" in msg.text and "Which animal?" not in msg.text
    assert msg.buttons == []
    stale = await bot.press(wes, choice, question)
    assert alert(stale)  # refused with a notice
    assert Answer.select().count() == 0 and Assignment.get(Assignment.worker == wes.id).status == "expired"


async def test_decision_notice_after_rating_shows_no_rate_prompt(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    a = submit(f.hit(rita.id), wes)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    notice = await deliver(bot, "assignment.approved", wes.id, card=True)
    assert "Rate them" in shown(bot, wes, notice).text
    assert alert(await bot.press_label(wes, "★★★★", notice)) == "Thanks for rating!"
    await refresh(bot)
    msg = shown(bot, wes, notice)
    assert "was approved" in msg.text and "Rate them" not in msg.text
    assert not any(d.startswith("rt:") for d in datas(msg)) and "m:balance" in datas(msg)
    again = await bot.press(wes, f"rt:s:{a.id}:1", notice)
    assert alert(again) == "You already rated this requester for this HIT."


async def test_a_card_whose_message_is_gone_is_forgotten(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    a = submit(f.hit(rita.id), wes)
    notice = await deliver(bot, "submission.received", rita.id, card=True)
    bot.tg.chats[rita.id].pop(notice)  # deleted in the chat
    bot.tg.strict_edits = True  # answer edits as Telegram does: "message to edit not found"
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    assert await refresh(bot) == ["gone"]
    assert ChatCard.select().where(ChatCard.object_id == a.id).count() == 0


TYPED_FIRST = [{"id": "notes", "kind": "text", "prompt": "Describe it", "max_length": 40},
               {"id": "count", "kind": "number", "prompt": "How many?", "min": 0, "max": 8}]


def question_cards(user) -> list[int]:
    return [c.message_id for c in ChatCard.select().where((ChatCard.chat_id == user.id)
                                                          & (ChatCard.card_kind == "question"))]


async def test_the_live_question_card_follows_each_new_question_message(bot):
    """Accept and a typed answer show the question in a new message: that message becomes the one live
    card (one statement after the send), so when time runs out it is the one that loses its buttons."""
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    hit = f.hit(rita.id, duration="10m", questions=TYPED_FIRST)
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    first = find(bot, wes, "Describe it")
    assert question_cards(wes) == [first]
    await bot.text(wes, "A grey cat")
    second = find(bot, wes, "How many?")
    assert second > first and question_cards(wes) == [second]
    assert sweeps.expire_assignments(now=NOW + timedelta(minutes=11)) == 1
    await refresh(bot)
    assert shown(bot, wes, second).buttons == [] and "expired" in shown(bot, wes, second).text


async def test_taking_back_a_returned_hit_keeps_one_live_question_card(bot):
    rita = await person(bot, "Rita", cents=20_00)
    wes = await person(bot, "Wes")
    hit = f.hit(rita.id, duration="10m", questions=TYPED_FIRST)
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    work.return_assignment(worker_id=wes.id, assignment_id=Assignment.get(Assignment.worker == wes.id).id, now=NOW)
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    assert Assignment.get(Assignment.worker == wes.id).status == "accepted"
    assert question_cards(wes) == [find(bot, wes, "Describe it")]
