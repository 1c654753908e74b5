"""Issue 5: reviewing with inline buttons: the card, Approve / Reject / Bonus / Block, /review."""
from __future__ import annotations

from datetime import timedelta

from bot.views.review import render_card
from core import ledger
from core.models import Assignment, Question, User, WorkerBlock
from core.mturk.ids import worker_ref
from core.review.queries import submission
from core.work import commands as work
from tests import factories as f
from tests.bot.chat import last_text
from tests.conftest import NOW
from tests.fakes.telegram import TgUser, answers
from tests.invariants import check_invariants

PHOTO_Q = {"id": "pic", "kind": "photo", "prompt": "Photo of the animal", "required": False}


async def person(bot, user_id: int | None = None, name: str = "Wes", cents: int = 0) -> TgUser:
    u = f.requester(cents, name=name) if cents else f.user(name)
    tg = TgUser(u.id, name)
    await bot.text(tg, "/start")
    return tg


def submit(hit, worker: TgUser, values: dict, at=NOW) -> Assignment:
    a = work.accept(worker_id=worker.id, hit_id=hit.id, now=at)
    for q in Question.select().where(Question.hit == hit.id):
        if q.key in values:
            work.save_answer(worker_id=worker.id, assignment_id=a.id, question_id=q.id, value=values[q.key],
                             now=at + timedelta(minutes=1))
    return work.submit(worker_id=worker.id, assignment_id=a.id, now=at + timedelta(minutes=2))


def alert(calls) -> str:
    return answers(calls)[0].params["text"]


async def setup(bot, n_workers: int = 1, **spec):
    rita = await person(bot, name="Rita", cents=100_00)
    qs = f.spec()["questions"] + [PHOTO_Q]
    hit = f.hit(rita.id, questions=qs, **spec)
    workers = [await person(bot, name=f"Wes{i}") for i in range(n_workers)]
    return rita, hit, workers


async def test_card_shows_answers_and_files_and_review_sends_them(bot):
    rita, hit, (wes,) = await setup(bot)
    a = submit(hit, wes, {"animal": "dog", "notes": "<b>big</b> dog", "pic": {"file_id": "ph-1"}})
    text, markup, files = render_card(submission(assignment_id=a.id), now=NOW + timedelta(minutes=3))
    assert f"Submission #{a.id}</b> for “Label the photo”" in text
    # The worker is their WorkerId (as the requester's scripts see them), never a Telegram name or id.
    assert f"👷 Worker #{worker_ref(rita.id, wes.id)} · " in text
    assert "Wes0" not in text and str(wes.id) not in text
    assert "→ <b>dog</b>" in text and "&lt;b&gt;big&lt;/b&gt; dog" in text and "📷 photo (sent below)" in text
    assert "Worked 2m of 10m" in text and "auto-approves in 2d 23h" in text
    assert [(x.kind, x.file_id) for x in files] == [("photo", "ph-1")]
    assert [b.text for row in markup.inline_keyboard for b in row] == ["✅ Approve", "❌ Reject", "↩️ Ask for a revision", "💵 Bonus", "🚫 Block",
                                                                        "✉️ Message", "➕ Offer follow-up work"]
    calls = await bot.text(rita, "/review")
    assert "<b>1 submission(s)</b> await your review" in calls[0].text
    sent = [c for c in calls if c.method == "sendPhoto"]
    assert sent and sent[0].params["photo"] == "ph-1" and f"#{a.id}, question 3" in sent[0].params["caption"]


async def test_approve_double_press_and_forged_press(bot):
    rita, hit, (wes,) = await setup(bot)
    mallory = await person(bot, name="Mallory", cents=10_00)
    a = submit(hit, wes, {"animal": "cat"})
    await bot.text(rita, "/review")
    card = next(m for m in bot.tg.chats[rita.id].values() if "Submission #" in m.text)
    forged = await bot.press(mallory, f"r:apv:{a.id}")
    assert alert(forged) == "This button is no longer valid."
    for verb in ("rej", "bon", "blk", "blky"):
        assert alert(await bot.press(mallory, f"r:{verb}:{a.id}")) == "This button is no longer valid."
    assert Assignment.get_by_id(a.id).status == "submitted" and WorkerBlock.select().count() == 0
    ok = await bot.press(rita, f"r:apv:{a.id}", card.message_id)
    assert alert(ok) == "Approved and paid."
    assert "✅ Approved; $0.50 paid" in bot.tg.chats[rita.id][card.message_id].text
    again = await bot.press(rita, f"r:apv:{a.id}", card.message_id)
    assert "already approved" in alert(again)
    assert ledger.balance(ledger.available(wes.id)) == 50  # paid once
    check_invariants()


async def test_reject_asks_for_a_reason_then_can_be_reversed(bot, clock):
    rita, hit, (wes,) = await setup(bot)
    mallory = await person(bot, name="Mallory", cents=10_00)
    a = submit(hit, wes, {"animal": "cat"})
    await bot.text(rita, "/review")
    card = next(m for m in bot.tg.chats[rita.id].values() if "Submission #" in m.text)
    await bot.press(rita, f"r:rej:{a.id}", card.message_id)
    assert "Why are you rejecting" in last_text(bot, rita)
    await bot.text(mallory, "Mallory's reason")  # not waited for: changes nothing
    await bot.text(rita, "x" * 1001)
    assert "at most 1000 characters" in last_text(bot, rita)
    assert Assignment.get_by_id(a.id).status == "submitted"
    await bot.text(rita, "The animal is a dog, not a cat.")
    assert "Rejected; the worker sees your reason" in last_text(bot, rita)
    edited = bot.tg.chats[rita.id][card.message_id]
    assert "❌ Rejected: The animal is a dog, not a cat." in edited.text
    assert [label for label, _ in edited.buttons][:1] == ["✅ Approve instead"]
    assert Assignment.get_by_id(a.id).feedback == "The animal is a dog, not a cat."
    assert ledger.balance(ledger.escrow(hit.id)) == 2 * 60  # the rejected slot's money went back
    assert "already rejected" in alert(await bot.press(rita, f"r:rej:{a.id}", card.message_id))
    await bot.text(rita, "another reason")  # no longer waited for
    assert Assignment.get_by_id(a.id).feedback == "The animal is a dog, not a cat."
    clock.advance(days=29)
    await bot.press_label(rita, "Approve instead", card.message_id)
    assert Assignment.get_by_id(a.id).status == "approved"
    assert ledger.balance(ledger.available(wes.id)) == 50
    check_invariants()


async def test_reversal_window_is_30_days(bot, clock):
    rita, hit, (wes,) = await setup(bot)
    a = submit(hit, wes, {"animal": "cat"})
    await bot.press(rita, f"r:rej:{a.id}")
    await bot.text(rita, "Wrong")
    clock.advance(days=31)
    late = await bot.press(rita, f"r:apv:{a.id}")
    assert "only be reversed within 30 days" in alert(late)
    assert Assignment.get_by_id(a.id).status == "rejected"


async def test_bonus_asks_amount_then_reason_and_pays_once(bot):
    rita, hit, (wes,) = await setup(bot)
    a = submit(hit, wes, {"animal": "cat"})
    await bot.text(rita, "/review")
    card = next(m for m in bot.tg.chats[rita.id].values() if "Submission #" in m.text)
    await bot.press(rita, f"r:bon:{a.id}", card.message_id)
    assert "How much bonus" in last_text(bot, rita)
    await bot.text(rita, "lots")
    assert "must be a number" in last_text(bot, rita)
    await bot.text(rita, "5000")
    assert "at most $1,000.00" in last_text(bot, rita)
    before = ledger.balance(ledger.available(rita.id))
    await bot.text(rita, "0.50")
    assert "Bonus of $0.50: what is it for?" in last_text(bot, rita)
    await bot.text(rita, "Great photo")
    # typed amounts move no money until the total with its fee is confirmed
    assert last_text(bot, rita).startswith("💵 Send a bonus of <b>$0.50</b> for submission")
    assert "With the $0.10 fee, $0.60 leaves your balance." in last_text(bot, rita)
    assert ledger.balance(ledger.available(rita.id)) == before and ledger.balance(ledger.available(wes.id)) == 0
    confirm = bot.tg.last_message(rita.id)
    assert [label for label, _ in confirm.buttons] == ["✅ Send $0.60", "✖️ Cancel"]
    send = confirm.buttons[0][1]
    await bot.press(rita, send, confirm.message_id)
    assert bot.tg.chats[rita.id][confirm.message_id].text == "💵 Bonus of $0.50 sent (fee $0.10)."
    again = await bot.press(rita, send, confirm.message_id)  # a double tap is not a second bonus
    assert alert(again) == "This button is no longer valid."
    await bot.text(rita, "Great photo")  # nor is a repeat of the reason
    assert ledger.balance(ledger.available(wes.id)) == 50
    assert ledger.balance(ledger.available(rita.id)) == before - 60
    assert "💵 Bonus paid: $0.50" in bot.tg.chats[rita.id][card.message_id].text
    check_invariants()


async def test_block_needs_confirmation(bot):
    rita, hit, (wes,) = await setup(bot)
    a = submit(hit, wes, {"animal": "cat"})
    await bot.text(rita, "/review")
    card = next(m for m in bot.tg.chats[rita.id].values() if "Submission #" in m.text)
    await bot.press(rita, f"r:blk:{a.id}", card.message_id)
    assert [label for label, _ in bot.tg.chats[rita.id][card.message_id].buttons] == ["🚫 Confirm block", "⬅️ Back"]
    await bot.press_label(rita, "Back", card.message_id)
    assert WorkerBlock.select().count() == 0
    await bot.press(rita, f"r:blk:{a.id}", card.message_id)
    ok = await bot.press(rita, f"r:blky:{a.id}", card.message_id)
    assert "won't see your HITs" in alert(ok)
    again = await bot.press(rita, f"r:blky:{a.id}", card.message_id)
    assert alert(again) == "Already blocked."
    assert WorkerBlock.select().count() == 1
    assert "🚫 You blocked this worker" in bot.tg.chats[rita.id][card.message_id].text


async def test_queue_oldest_first_next_and_approve_all(bot):
    rita, hit, workers = await setup(bot, n_workers=3)
    other = f.hit(rita.id, title="Second HIT")
    late = submit(hit, workers[0], {"animal": "cat"}, at=NOW + timedelta(hours=2))
    oldest = submit(other, workers[1], {"animal": "dog"}, at=NOW)
    middle = submit(hit, workers[2], {"animal": "bird"}, at=NOW + timedelta(hours=1))
    calls = await bot.text(rita, "/review")
    summary = calls[0].text
    assert summary.index("Second HIT") < summary.index("Label the photo")
    cards = [c for c in calls if c.method == "sendMessage" and "Submission #" in c.text]
    assert f"Submission #{oldest.id}" in cards[0].text
    await bot.press_label(rita, "Next")
    assert f"Submission #{middle.id}" in last_text(bot, rita)
    await bot.press_label(rita, "Next")
    assert f"Submission #{late.id}" in last_text(bot, rita)
    done = await bot.press_label(rita, "Next")
    assert "last one waiting" in alert(done)
    # Approve all for the first HIT, with a confirmation; work arriving after the question is left alone.
    summary_id = next(m.message_id for m in bot.tg.chats[rita.id].values() if "await your review" in m.text)
    await bot.press_label(rita, "Approve all 2", summary_id)
    assert "Approve all 2 waiting submission(s) of “Label the photo”" in last_text(bot, rita)
    newcomer = await person(bot, name="Newcomer")
    fresh = submit(hit, newcomer, {"animal": "cat"}, at=NOW + timedelta(hours=3))
    confirm = bot.tg.last_message(rita.id)
    ok = await bot.press_label(rita, "Confirm", confirm.message_id)
    assert alert(ok) == "Approved 2."
    assert "Approved 2 submission(s)" in bot.tg.chats[rita.id][confirm.message_id].text
    again = await bot.press(rita, confirm.buttons[0][1], confirm.message_id)
    assert alert(again) == "Nothing left to approve."
    statuses = {a.id: a.status for a in Assignment.select()}
    assert statuses[late.id] == statuses[middle.id] == "approved"
    assert statuses[oldest.id] == statuses[fresh.id] == "submitted"
    assert sum(ledger.balance(ledger.available(w.id)) for w in workers) == 100
    check_invariants()


async def test_review_mode_preference(bot):
    rita = await person(bot, name="Rita", cents=10_00)
    await bot.text(rita, "/review")
    assert "Nothing waits for your review" in last_text(bot, rita)
    await bot.press_label(rita, "Daily digest")
    assert User.get_by_id(rita.id).prefs["review_mode"] == "digest"
    assert "in a daily digest" in last_text(bot, rita)
    await bot.press_label(rita, "Immediately")
    assert User.get_by_id(rita.id).prefs["review_mode"] == "immediate"
    bad = await bot.press(rita, "r:rm:7")
    assert alert(bad) == "This button is no longer valid."
