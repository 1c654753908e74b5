"""Follow-up work and group messages in chat (issue 18): ➕ Offer follow-up work from a review card
(template, typed reward, ✅ Publish), the worker's notice with Preview, another worker refused; a
conversation's ➕; 📣 Message workers from /myhits with its progress card; /qual message NAME;
forged presses refused before anything is typed or stored."""
from __future__ import annotations

from bot.notices import render
from core import outbox
from core.messages import groups
from core.models import FollowupOffer, Hit, Message, OutboxEvent
from core.mturk.commands import worker_ref
from core.quals import commands as quals
from jobs.cards import plan
from tests import factories as f
from tests.bot.chat import last_text, newest, start
from tests.fakes.telegram import TgUser, answers

INVALID = "This button is no longer valid."


async def test_offer_follow_up_from_the_review_card(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    (a,) = f.submitted(r.id, 1, now)
    other = f.hit(r.id, title="Second task")
    wes = await start(bot, TgUser(a.worker_id, "Wes"))
    otto = await start(bot, TgUser(777, "Otto"))
    await bot.text(rita, "/review")
    await bot.press_label(rita, "➕ Offer follow-up work")
    screen = bot.tg.last_message(r.id)
    assert "Template: <b>Label the photo</b>" in screen.text and f"Worker #{worker_ref(r.id, wes.id)}" in screen.text
    assert [t for t, _ in screen.buttons[:2]] == ["✅ Label the photo", "Second task"]
    await bot.press_label(rita, "Second task")
    assert "Template: <b>Second task</b>" in last_text(bot, rita)
    await bot.text(rita, "lots")
    assert "reward" in last_text(bot, rita).lower() and FollowupOffer.get().reward_cents is None
    await bot.text(rita, "1.50")
    confirm = bot.tg.last_message(r.id)
    assert "Reward: $1.50 for 1 worker" in confirm.text
    assert Hit.select().count() == 2  # nothing published before ✅
    await bot.press_label(rita, "✅ Publish for")
    assert "Only they can see and accept it" in last_text(bot, rita)
    offer = FollowupOffer.get()
    assert offer.status == "published" and Hit.get_by_id(offer.hit_id).title == other.title

    notice = newest("followup.offered", wes.id)
    assert notice.text.startswith("➕ <b>Rita</b> offers you follow-up work: “Second task”") and "$1.50" in notice.text
    preview = next(b.callback_data for row in notice.reply_markup.inline_keyboard for b in row)
    assert preview == f"b:v:{offer.hit_id}:0"
    await bot.press(wes, preview)
    assert "Second task" in last_text(bot, wes)
    refused = await bot.press(otto, preview)  # someone else: the HIT does not exist for them
    assert "doesn't exist" in answers(refused)[0].params["text"]
    refused = await bot.press(otto, f"w:acc:{offer.hit_id}")  # nor can they accept it
    assert answers(refused)[0].params.get("show_alert") and Hit.get_by_id(offer.hit_id).available == 1
    await bot.press_label(wes, "✅ Accept")
    assert Hit.get_by_id(offer.hit_id).available == 0
    # A stale Publish (a double tap) and forged presses change nothing.
    before = f.available(r.id)
    stale = await bot.press(rita, f"fu:ok:{offer.id}")
    assert "already published" in answers(stale)[0].params["text"]
    for data in (f"fu:a:{a.id}", f"fu:ok:{offer.id}", f"fu:tp:{offer.id}:{other.id}", "fu:t:99"):
        refused = await bot.press(otto, data)
        assert answers(refused)[0].params["text"] in (INVALID, "This follow-up work was already published.")
    assert f.available(r.id) == before and FollowupOffer.select().count() == 1


async def test_offer_from_a_conversation(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    (a,) = f.submitted(r.id, 1, now)
    await start(bot, TgUser(a.worker_id, "Wes"))
    await bot.text(rita, "/review")
    await bot.press_label(rita, "✉️ Message")
    await bot.text(rita, "More soon")
    await bot.text(rita, "/messages")
    await bot.press_label(rita, f"Worker #{worker_ref(r.id, a.worker_id)}")
    await bot.press_label(rita, "➕ Offer follow-up work")
    assert "Template: <b>Label the photo</b>" in last_text(bot, rita)
    await bot.text(rita, "0.80")
    await bot.press_label(rita, "✅ Publish for")
    assert newest("followup.offered", a.worker_id) is not None


async def test_message_workers_from_myhits_with_progress(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    a1, a2 = f.submitted(r.id, 2, now)
    mallory = await start(bot, TgUser(666, "Mallory"))
    refused = await bot.press(mallory, f"gm:h:{a1.hit_id}")
    assert answers(refused)[0].params["text"] == INVALID
    await bot.text(rita, "/myhits")
    await bot.press_label(rita, "Label the photo")
    await bot.press_label(rita, "📣 Message workers")
    assert "2 workers of “Label the photo”" in last_text(bot, rita)
    await bot.text(rita, "Thanks both, a new batch is coming")
    card = bot.tg.last_message(r.id)
    assert "Sent 0/2" in card.text
    copies = list(OutboxEvent.select().where(OutboxEvent.kind == "message.received").order_by(OutboxEvent.id))
    assert sorted(e.user_id for e in copies) == sorted([a1.worker_id, a2.worker_id])
    for event in copies:  # as the jobs worker finishes each delivery
        outbox.finish(event.id, now=now)
        groups.delivered(event_id=event.id, now=now)
    refresh = OutboxEvent.select().where(OutboxEvent.kind == "cards.refresh").order_by(OutboxEvent.id.desc()).first()
    ((shown, (text, _markup)),) = plan(refresh)
    assert shown.message_id == card.message_id and "Sent 2/2" in text and "Sent to all 2 workers" in text
    notice = render(copies[0])
    assert "Thanks both" in notice.text and "Reply" in str(notice.reply_markup.inline_keyboard)
    assert Message.select().count() == 2


async def test_qual_message_reaches_holders_only(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    q = quals.create_type(owner_id=r.id, name="Trusted", now=now)
    holder, other = f.user(), f.user()
    quals.grant(owner_id=r.id, qtype_id=q.id, worker_id=holder.id, value=1, now=now)
    await bot.text(rita, "/qual message")
    picked = bot.tg.last_message(r.id)
    assert picked.buttons == [("📣 Trusted (1 holder)", f"gm:q:{q.id}")]
    await bot.press(rita, f"gm:q:{q.id}")
    assert "1 worker of “Trusted”" in last_text(bot, rita)
    await bot.text(rita, "/qual message Nope")
    assert "no qualification called" in last_text(bot, rita)
    await bot.text(rita, "/qual message Trusted")
    assert "1 worker of “Trusted”" in last_text(bot, rita)
    await bot.text(rita, "x" * 4097)
    assert "1 to 4096" in last_text(bot, rita) and not Message.select().exists()
    await bot.text(rita, "Hello holders")
    assert "Sent 0/1" in last_text(bot, rita)
    assert [e.user_id for e in OutboxEvent.select().where(OutboxEvent.kind == "message.received")] == [holder.id]
    await bot.text(rita, "/qual")  # /qual itself still answers
    assert "Trusted" in last_text(bot, rita)
    assert other.id
