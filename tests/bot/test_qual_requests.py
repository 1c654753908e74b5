"""Issue 18, qualification requests in chat: a worker who misses a requester's qualification asks
from the preview (with a message or none, Cancel ends it), the requester reads it with the worker's
history under their alias only and grants or refuses; the worker is told and can then take the HIT.
Forged and stale presses are refused and change nothing."""
from __future__ import annotations

from core.models import QualificationGrant, QualificationRequest as Req
from core.mturk.commands import worker_ref
from core.quals import commands as quals
from tests import factories as f
from tests.bot.chat import last_text, newest, start
from tests.fakes.telegram import TgUser, answers


def data_of(notice, label: str) -> str:
    return next(b.callback_data for row in notice.reply_markup.inline_keyboard for b in row if label in b.text)


async def _setup(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    qtype = quals.create_type(owner_id=r.id, name="Bird expert", now=now)
    hit = f.hit(r.id, title="Label the bird", qualifications=[{"name": "Bird expert", "comparator": ">=", "value": 3}])
    return rita, qtype, hit


async def test_worker_requests_requester_grants_from_the_chat_and_the_worker_takes_the_hit(bot, now):
    rita, qtype, hit = await _setup(bot, now)
    wes = await start(bot, TgUser(652, "Wes", username="wes_private"))
    await bot.text(wes, f"/start hit_{hit.id}")
    assert "🙋 Request this qualification" in [b for row in bot.tg.last_message(wes.id).buttons for b in row]
    await bot.press_label(wes, "Request this qualification")
    assert "Write a short message for the requester" in last_text(bot, wes)
    await bot.text(wes, "I ring birds every weekend")
    assert "was sent" in last_text(bot, wes)

    notice = newest("qualification.requested", rita.id)
    alias = f"Worker #{worker_ref(rita.id, wes.id)}"
    assert notice.text.startswith(f"🙋 <b>{alias}</b> asks for your qualification “Bird expert”")
    assert "0 approved · 0 rejected" in notice.text and "I ring birds every weekend" in notice.text
    for secret in ("Wes", "wes_private", str(wes.id)):
        assert secret not in notice.text
    await bot.press(rita, data_of(notice, "Grant (value 3)"))
    assert f"You granted “Bird expert” = 3 to {alias}" in last_text(bot, rita)
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 3

    told = newest("qualification.request_decided", wes.id)
    assert "you now hold “Bird expert” (value 3)" in told.text
    await bot.press(wes, data_of(told, "Preview the HIT"))
    await bot.press_label(wes, "Accept")
    assert "Accept" not in [b for row in bot.tg.last_message(wes.id).buttons for b in row]
    from core.models import Assignment
    assert Assignment.select().where((Assignment.worker == wes.id) & (Assignment.hit == hit.id)).exists()


async def test_refuse_with_a_reason_then_a_stale_grant_and_forged_presses_change_nothing(bot, now):
    rita, qtype, hit = await _setup(bot, now)
    wes = await start(bot, TgUser(653, "Wes"))
    mallory = await start(bot, TgUser(654, "Mallory"))
    await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")
    await bot.press_label(wes, "Send without a message")
    notice = newest("qualification.requested", rita.id)
    req = Req.get()
    for data in (f"qr:g:{req.id}:5", f"qr:rf:{req.id}", f"qr:gv:{req.id}", f"qr:rn:{req.id}",
                 f"qr:ask:{hit.id}:{qtype.id + 50}"):
        refused = await bot.press(mallory, data)
        assert answers(refused)[0].params["text"] == "This button is no longer valid."
    await bot.press(rita, data_of(notice, "Refuse"))
    assert "Why do you refuse?" in last_text(bot, rita)
    await bot.text(rita, "x" * 1001)
    assert Req.get_by_id(req.id).status == Req.PENDING
    await bot.text(rita, "Please take the bird quiz first")
    assert "You refused" in last_text(bot, rita)
    told = newest("qualification.request_decided", wes.id)
    assert "was refused" in told.text and "Please take the bird quiz first" in told.text
    stale = await bot.press(rita, data_of(notice, "Grant"))
    assert answers(stale)[0].params["text"] == "This button is no longer valid."
    assert Req.get_by_id(req.id).status == Req.REFUSED and QualificationGrant.select().count() == 0
    again = await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")  # within the retry delay
    assert "again from" in answers(again)[0].params["text"]


async def test_cancel_ends_the_prompt_and_nothing_is_sent(bot, now):
    rita, qtype, hit = await _setup(bot, now)
    wes = await start(bot, TgUser(655, "Wes"))
    await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")
    await bot.press_label(wes, "Cancel")
    await bot.text(wes, "is this sent?")
    assert Req.select().count() == 0


async def test_qual_auto_grants_requests_at_once(bot, now):
    rita, qtype, hit = await _setup(bot, now)
    await bot.text(rita, "/qual auto Bird expert on 4")
    assert "granted at once with the value 4" in last_text(bot, rita)
    await bot.text(rita, "/qual retry Bird expert 2h")
    assert "ask again 2 hours after" in last_text(bot, rita)
    wes = await start(bot, TgUser(656, "Wes"))
    await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")
    assert "is granted: you can take the HIT now" in last_text(bot, wes)
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 4


async def test_qual_requests_lists_what_waits_and_grants_from_the_list(bot, now):
    rita, qtype, hit = await _setup(bot, now)
    await bot.text(rita, "/qual requests")
    assert last_text(bot, rita) == "🙋 No qualification requests wait for you."
    wes = await start(bot, TgUser(657, "Wes"))
    await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")
    await bot.text(wes, "Please")
    await bot.text(rita, "/qual requests")
    card = bot.tg.last_message(rita.id)
    assert f"Worker #{worker_ref(rita.id, wes.id)}" in card.text and "Please" in card.text
    texts = [m.text for _, m in sorted(bot.tg.chats[rita.id].items())]
    assert texts[-2] == "🙋 1 qualification request waits for you."
    await bot.press_label(rita, "Grant (value 3)")
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 3


async def test_asking_mid_assignment_leaves_the_assignment_taking_the_next_answer(bot, now):
    from bot import input as waiting

    rita, qtype, hit = await _setup(bot, now)
    wes = await start(bot, TgUser(658, "Wes"))
    other = f.hit(rita.id, title="Plain work")
    await bot.text(wes, f"/start hit_{other.id}")
    await bot.press_label(wes, "Accept")
    answering = waiting.waiting_for(user_id=wes.id)
    assert answering and answering["kind"] == "answer"
    await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")
    await bot.text(wes, "I know birds")
    assert Req.get().message == "I know birds"
    assert waiting.waiting_for(user_id=wes.id) == answering  # the next message answers the assignment again


async def test_a_request_decided_elsewhere_while_a_value_is_typed_ends_the_prompt(bot, now):
    from bot import input as waiting
    from core.quals import requests

    rita, qtype, hit = await _setup(bot, now)
    wes = await start(bot, TgUser(659, "Wes"))
    await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")
    await bot.press_label(wes, "Send without a message")
    notice = newest("qualification.requested", rita.id)
    await bot.press(rita, data_of(notice, "Grant another value"))
    assert "Send the value to grant" in last_text(bot, rita)
    await bot.text(rita, "lots")
    assert last_text(bot, rita) == "Send a whole number from 0 to 1000000."  # still asked for the value
    requests.decide(requester_id=rita.id, request_id=Req.get().id, grant=False, via="api", now=now)
    await bot.text(rita, "7")
    assert last_text(bot, rita) == "This button is no longer valid."
    assert waiting.waiting_for(user_id=rita.id) is None and QualificationGrant.select().count() == 0
    assert Req.get().status == Req.REFUSED


async def test_an_old_send_without_a_message_press_leaves_the_assignment_wait_alone(bot, now):
    from bot import input as waiting

    rita, qtype, hit = await _setup(bot, now)
    wes = await start(bot, TgUser(660, "Wes"))
    await bot.press(wes, f"qr:ask:{hit.id}:{qtype.id}")
    await bot.press_label(wes, "Cancel")
    other = f.hit(rita.id, title="Plain work")
    await bot.text(wes, f"/start hit_{other.id}")
    await bot.press_label(wes, "Accept")
    answering = waiting.waiting_for(user_id=wes.id)
    await bot.press(wes, f"qr:nm:{hit.id}:{qtype.id}")  # the old prompt's button, pressed now
    assert Req.select().count() == 1 and waiting.waiting_for(user_id=wes.id) == answering
