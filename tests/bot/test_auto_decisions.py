"""Issue 13: automatic decisions are never unfair. The gold rule rejects the submission whose control
answer was wrong (never a right one), and every automatic decision is told to the requester (reason,
↩️ Undo) and to the worker (reason, Appeal)."""
from __future__ import annotations

from datetime import timedelta

from core import ledger
from core.models import Assignment, Hit, Question, WorkerBlock
from core.mturk.ids import worker_ref
from core.work import commands as work
from tests.bot.chat import deliver, last_text
from tests.bot.test_requester_batch import csv_bytes, requester, send_files
from tests.bot.worker_fixtures import alert, person
from tests.conftest import NOW
from tests.fakes.telegram import TgUser
from tests.invariants import check_invariants

SPEC = {
    "title": "Which animal is ${name}?",
    "description": "Look at picture ${name}",
    "reward": "0.40",
    "assignments": 1,
    "duration": "10m",
    "lifetime": "2d",
    "questions": [{"id": "animal", "kind": "choice", "prompt": "What is ${name}?", "options": ["cat", "dog", "bird"]}],
}


async def publish_gold_batch(bot, rule: str) -> tuple[TgUser, dict[str, Hit]]:
    """Rita sets her quality rule, then publishes rows A-E; A and D are control rows (gold "dog")."""
    rita = await requester(bot, 50_00)
    await bot.text(rita, f"/quality {rule}")
    assert "60%" in last_text(bot, rita)
    rows = [[n, "dog" if n in "AD" else ""] for n in "ABCDE"]
    await send_files(bot, rita, SPEC, csv_bytes(["name", "_gold_animal"], rows))
    assert "<b>5 HITs</b> ready" in last_text(bot, rita)
    await bot.press_label(rita, "Publish")
    return rita, {h.title[-2]: h for h in Hit.select()}


def answer(hit: Hit, worker: TgUser, value: str, at=NOW) -> Assignment:
    a = work.accept(worker_id=worker.id, hit_id=hit.id, now=at)
    q = Question.get(Question.hit == hit.id)
    work.save_answer(worker_id=worker.id, assignment_id=a.id, question_id=q.id, value=value, now=at)
    return work.submit(worker_id=worker.id, assignment_id=a.id, now=at + timedelta(minutes=2))


async def test_gold_rule_rejects_the_wrong_answer_and_undo_pays_it(bot, clock):
    rita, hits = await publish_gold_batch(bot, "60 2 reject")
    wes, mal = await person(bot, "Wes"), await person(bot, "Mal")
    wrong = answer(hits["A"], wes, "cat")  # control row A, wrong
    right = answer(hits["D"], wes, "dog")  # control row D, right
    assert Assignment.get_by_id(right.id).status == "submitted"  # D waits for Rita's review
    assert Assignment.get_by_id(wrong.id).status == "rejected"
    # Rita is told what her rule did, why, and can undo it.
    mid = await deliver(bot, "quality.rejected", rita.id)
    notice = bot.tg.chats[rita.id][mid]
    alias = f"Worker #{worker_ref(rita.id, wes.id)}"  # never the worker's Telegram name or id
    assert f"Your quality rule rejected {alias}'s" in notice.text and "Wes" not in notice.text
    assert str(wes.id) not in notice.text
    assert "Which animal is A?" in notice.text and "accuracy is 50%" in notice.text and "60%" in notice.text
    assert ("↩️ Undo", f"r:und:{wrong.id}") in notice.buttons
    # The right answer still reaches her as a normal submission card.
    card = bot.tg.chats[rita.id][await deliver(bot, "submission.received", rita.id)]
    assert f"Submission #{right.id}" in card.text
    # Wes is told it was automatic, why, and may appeal.
    wmid = await deliver(bot, "assignment.rejected", wes.id)
    told = bot.tg.chats[wes.id][wmid]
    assert "rejected automatically" in told.text and "accuracy is 50%" in told.text
    assert ("✉️ Appeal", f"q:apl:{wrong.id}") in told.buttons
    # A forged Undo (someone else's press, or a made-up id) changes nothing.
    assert alert(await bot.press(mal, f"r:und:{wrong.id}")) == "This button is no longer valid."
    assert alert(await bot.press(rita, f"r:und:{wrong.id + 999}")) == "This button is no longer valid."
    assert Assignment.get_by_id(wrong.id).status == "rejected" and ledger.balance(ledger.available(wes.id)) == 0
    before = ledger.balance(ledger.available(rita.id))
    clock.advance(hours=1)
    undone = await bot.press_label(rita, "Undo", mid)
    assert alert(undone) == "Undone: the work is approved and paid."
    assert Assignment.get_by_id(wrong.id).status == "approved"
    assert ledger.balance(ledger.available(wes.id)) == hits["A"].reward_cents
    assert ledger.balance(ledger.available(rita.id)) == before - hits["A"].unit_cost_cents
    after = bot.tg.chats[rita.id][mid]
    assert "Undone" in after.text and not any("Undo" in label for label, _ in after.buttons)
    # Pressed again (a stale button): nothing more moves.
    assert alert(await bot.press(rita, f"r:und:{wrong.id}", mid)) == "This button is no longer valid."
    assert ledger.balance(ledger.available(wes.id)) == hits["A"].reward_cents
    assert "reversed" in bot.tg.chats[wes.id][await deliver(bot, "assignment.approved", wes.id)].text
    check_invariants()


async def test_undo_is_refused_after_the_reversal_window(bot, clock):
    rita, hits = await publish_gold_batch(bot, "60 2 reject")
    wes = await person(bot, "Wes")
    wrong = answer(hits["A"], wes, "cat")
    answer(hits["D"], wes, "dog")
    mid = await deliver(bot, "quality.rejected", rita.id)
    clock.advance(days=31)
    assert alert(await bot.press_label(rita, "Undo", mid)) == "This button is no longer valid."
    assert Assignment.get_by_id(wrong.id).status == "rejected"
    check_invariants()


async def test_auto_block_is_told_to_both_with_undo_and_appeal(bot, clock):
    rita, hits = await publish_gold_batch(bot, "60 2 block")
    wes, mal = await person(bot, "Wes"), await person(bot, "Mal")
    wrong = answer(hits["A"], wes, "cat")
    answer(hits["D"], wes, "dog")
    block = WorkerBlock.get((WorkerBlock.requester == rita.id) & (WorkerBlock.worker == wes.id))
    mid = await deliver(bot, "quality.blocked", rita.id)
    notice = bot.tg.chats[rita.id][mid]
    alias = f"Worker #{worker_ref(rita.id, wes.id)}"
    assert f"Your quality rule blocked {alias}" in notice.text and "accuracy is 50%" in notice.text
    assert "Wes" not in notice.text
    assert ("↩️ Undo", f"r:ubk:{block.id}") in notice.buttons
    wmid = await deliver(bot, "worker.blocked", wes.id)
    told = bot.tg.chats[wes.id][wmid]
    assert "quality rule" in told.text and "accuracy is 50%" in told.text
    assert ("✉️ Appeal", f"q:apl:{wrong.id}") in told.buttons
    # The Appeal button runs the normal appeal flow.
    await bot.press_label(wes, "Appeal", wmid)
    await bot.text(wes, "It was a dog in the picture, please look again")
    assert "appeal was sent" in last_text(bot, wes)
    assert "appealed your rejection" in bot.tg.chats[rita.id][await deliver(bot, "appeal.received", rita.id)].text
    # Forged Undo: nothing changes.
    assert alert(await bot.press(mal, f"r:ubk:{block.id}")) == "This button is no longer valid."
    assert WorkerBlock.select().where(WorkerBlock.worker == wes.id).exists()
    assert alert(await bot.press_label(rita, "Undo", mid)) == f"Undone: {alias} can take your HITs again."
    assert not WorkerBlock.select().where(WorkerBlock.worker == wes.id).exists()
    assert "Undone" in bot.tg.chats[rita.id][mid].text
    assert "can take" in bot.tg.chats[wes.id][await deliver(bot, "worker.unblocked", wes.id)].text
    assert alert(await bot.press(rita, f"r:ubk:{block.id}", mid)) == "This button is no longer valid."
    check_invariants()
