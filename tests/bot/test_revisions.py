"""Revisions in chat (issue 18): '↩️ Ask for a revision' on the card (a note, a window), the worker's
notice with ✏️ Revise, changing answers by button and by message, resubmitting, the requester's
new card, and forged or stale presses refused with nothing changed."""
from __future__ import annotations

from datetime import timedelta

from core import ledger
from core.models import Answer, Assignment, AssignmentStatus as S, Question, Revision
from core.payments import accounts
from core.work import commands as work
from tests import factories as f
from tests.bot.chat import alert, deliver, person
from tests.conftest import NOW
from tests.invariants import check_invariants


async def setup(bot):
    rita, wes, mal = await person(bot, "Rita", cents=20_00), await person(bot, "Wes"), await person(bot, "Mal")
    hit = f.hit(rita.id)
    qs = {q.key: q for q in Question.select().where(Question.hit == hit.id)}
    a = work.accept(worker_id=wes.id, hit_id=hit.id, now=NOW)
    work.save_answer(worker_id=wes.id, assignment_id=a.id, question_id=qs["animal"].id, value="cat", now=NOW)
    work.submit(worker_id=wes.id, assignment_id=a.id, now=NOW + timedelta(minutes=1))
    return rita, wes, mal, a, qs


def stored(a) -> dict:
    return {Question.get_by_id(x.question_id).key: x.value for x in Answer.select().where(Answer.assignment == a.id)}


async def test_requester_asks_worker_revises_and_resubmits_then_approval_pays_once(bot, clock):
    rita, wes, mal, a, qs = await setup(bot)
    card = await deliver(bot, "submission.received", rita.id)
    assert "↩️ Ask for a revision" in [t for t, _ in bot.tg.chats[rita.id][card].buttons]

    await bot.press(rita, f"rv:ask:{a.id}", card)
    prompt = bot.tg.last_message(rita.id)
    assert "What should the worker change" in prompt.text and "1d" in prompt.text
    assert [t for t, _ in prompt.buttons] == ["⏱ 12h", "✅ 1d", "⏱ 3d", "✖️ Cancel"]
    assert alert(await bot.press(rita, f"rv:win:{a.id}:7", prompt.message_id)) == "This button is no longer valid."
    assert alert(await bot.press(rita, f"rv:win:{a.id}:720", prompt.message_id)) == "The worker will have 12h."
    await bot.text(rita, "   ")  # an empty note: asked again, nothing changes
    assert "write what the worker should change" in bot.tg.last_message(rita.id).text
    assert Assignment.get_by_id(a.id).status == S.SUBMITTED
    await bot.text(rita, "It is a <dog>, look again")
    assert "Sent back to the worker" in bot.tg.last_message(rita.id).text
    assert Assignment.get_by_id(a.id).status == S.REVISING
    assert Revision.get().window_ends_at == clock.now + timedelta(hours=12)
    edited = bot.tg.chats[rita.id][card]
    assert "Sent back for revision 1 of 2" in edited.text and "Your note: <i>It is a &lt;dog&gt;" in edited.text
    assert [t for t, _ in edited.buttons if "Approve" in t or "Reject" in t or "revision" in t] == []

    notice = await deliver(bot, "revision.requested", wes.id)
    text = bot.tg.chats[wes.id][notice].text
    assert "It is a &lt;dog&gt;, look again" in text and "does not count against your approval rate" in text
    assert str(rita.id) not in text and "Rita" not in text
    assert "Your answers:\n1. Which animal?\n   → <b>cat</b>" in text  # their own answers come back
    # Someone else's presses on the worker's buttons change nothing.
    for data in (f"rv:open:{a.id}", f"rv:back:{a.id}", f"rv:q:{a.id}:{qs['animal'].id}",
                 f"rv:opt:{a.id}:{qs['animal'].id}:1", f"rv:clr:{a.id}:{qs['notes'].id}", f"rv:sub:{a.id}",
                 f"rv:ask:{a.id}", f"rv:win:{a.id}:720"):
        assert alert(await bot.press(mal, data)) == "This button is no longer valid."
    assert Revision.get().draft == {} and Revision.select().count() == 1

    # /mywork lists it as asked for a revision, with the way in; the reward still shows as pending review.
    await bot.text(wes, "/mywork")
    mine = bot.tg.last_message(wes.id)
    assert "Revision asked" in mine.text and "the requester asked for a revision" in mine.text
    assert ("✏️ Revise: Label the photo", f"rv:open:{a.id}") in mine.buttons
    assert accounts.balances(user_id=wes.id).pending_review_cents == 50
    await bot.press_label(wes, "Revise", notice)
    screen = bot.tg.last_message(wes.id)
    assert "Revising “Label the photo”" in screen.text and "→ <b>cat</b>" in screen.text
    await bot.press_label(wes, "1", screen.message_id)
    asked = bot.tg.last_message(wes.id)
    assert "Your answer now: <b>cat</b>" in asked.text and [t for t, _ in asked.buttons][:3] == ["cat", "dog", "bird"]
    await bot.press_label(wes, "dog", asked.message_id)
    assert "→ <b>dog</b> ✏️" not in bot.tg.last_message(wes.id).text  # the mark follows the prompt
    assert "✏️\n   → <b>dog</b>" in bot.tg.last_message(wes.id).text
    # The optional note, by a typed message.
    await bot.press(wes, f"rv:q:{a.id}:{qs['notes'].id}", bot.tg.last_message(wes.id).message_id)
    await bot.text(wes, "x" * 201)  # over its 200 characters: refused, still waiting
    assert "between 1 and 200 characters" in bot.tg.last_message(wes.id).text
    await bot.text(wes, "A brown dog")
    assert "→ <b>A brown dog</b>" in bot.tg.last_message(wes.id).text
    assert stored(a) == {"animal": "cat"}  # nothing reaches the submission before resubmitting

    await bot.press_label(wes, "Resubmit")
    assert "Resubmitted" in bot.tg.last_message(wes.id).text
    assert stored(a) == {"animal": "dog", "notes": "A brown dog"}
    again = await bot.press(wes, f"rv:sub:{a.id}")
    assert "revision is over" in alert(again)

    card2 = await deliver(bot, "submission.received", rita.id)
    second = bot.tg.chats[rita.id][card2]
    assert "Revised by the worker (revision 1 of 2)" in second.text and "→ <b>dog</b>" in second.text
    await bot.press(rita, f"r:apv:{a.id}", card2)
    await bot.press(rita, f"r:apv:{a.id}", card2)
    assert ledger.balance(ledger.available(wes.id)) == 50
    check_invariants()


async def test_forged_and_stale_revision_presses_change_nothing(bot):
    rita, wes, mal, a, _qs = await setup(bot)
    assert alert(await bot.press(mal, f"rv:ask:{a.id}")) == "This button is no longer valid."
    assert alert(await bot.press(rita, "rv:ask:999999")) == "This button is no longer valid."
    await bot.press(rita, f"rv:ask:{a.id}")
    await bot.press(rita, f"rv:nx:{a.id}")
    assert "Cancelled; nothing changed." in bot.tg.last_message(rita.id).text
    await bot.text(rita, "Fix it")  # the prompt was cancelled: this is no note
    assert Revision.select().count() == 0 and Assignment.get_by_id(a.id).status == S.SUBMITTED
    # The worker's Revise before any revision was asked for.
    assert "revision is over" in alert(await bot.press(wes, f"rv:open:{a.id}"))
    # Approved meanwhile: the note prompt's message is refused.
    await bot.press(rita, f"rv:ask:{a.id}")
    await bot.press(rita, f"r:apv:{a.id}")
    await bot.text(rita, "Fix it")
    assert "already reviewed" in bot.tg.last_message(rita.id).text
    assert Revision.select().count() == 0
    check_invariants()


async def test_changing_an_answer_gives_back_the_hit_the_worker_was_answering(bot):
    from bot import input as waiting
    from core.users import commands as users

    rita, wes, _mal, a, qs = await setup(bot)
    other = f.hit(rita.id, title="Another one")
    b = work.accept(worker_id=wes.id, hit_id=other.id, now=NOW)
    working = {"kind": "answer", "assignment_id": b.id}
    users.set_pref(user_id=wes.id, key="awaiting", value=working)
    await bot.press(rita, f"rv:ask:{a.id}")
    await bot.text(rita, "Add a note")
    await bot.press(wes, f"rv:open:{a.id}")
    # A question of another HIT: refused, and nothing is waited for.
    forged = await bot.press(wes, f"rv:q:{a.id}:{qs['animal'].id + 999}")
    assert alert(forged) == "This button is no longer valid."
    assert waiting.waiting_for(user_id=wes.id) == working
    await bot.press(wes, f"rv:q:{a.id}:{qs['notes'].id}", bot.tg.last_message(wes.id).message_id)
    assert waiting.waiting_for(user_id=wes.id)["kind"] == "revise"
    await bot.text(wes, "Tabby, striped")
    assert waiting.waiting_for(user_id=wes.id) == working  # the next message answers that HIT again
    await bot.press_label(wes, "Resubmit")
    assert stored(a) == {"animal": "cat", "notes": "Tabby, striped"}
    assert waiting.waiting_for(user_id=wes.id) == working
