"""Issue 18, messages in chat: a worker asks from a HIT's preview, the requester answers from the
notice, the worker replies, /messages lists and opens the thread; a requester writes from a review
card; forged presses are refused before any typing and nothing is sent."""
from __future__ import annotations

from core.models import Message
from core.mturk.commands import worker_ref
from tests import factories as f
from tests.bot.chat import last_text, newest, start
from tests.fakes.telegram import TgUser, answers


def delivered(to: int):
    """The newest message.received notice for `to`, as the jobs worker would send it."""
    return newest("message.received", to)


async def test_worker_asks_from_the_preview_and_the_conversation_goes_both_ways(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    wes = await start(bot, TgUser(651, "Wes", username="wes_private"))
    hit = f.hit(r.id, title="Label the photo")
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Ask the requester")
    assert "They will not see your Telegram name or username" in last_text(bot, wes)
    assert bot.tg.last_message(wes.id).buttons[0][0] == "✖️ Cancel"
    await bot.text(wes, "Is a kitten a cat?")
    assert "Sent" in last_text(bot, wes)

    notice = delivered(r.id)
    alias = f"Worker #{worker_ref(r.id, wes.id)}"
    assert notice.text.startswith(f"<b>✉️ Message from {alias}</b>\nAbout the HIT “Label the photo”")
    assert "Is a kitten a cat?" in notice.text
    for secret in ("Wes", "wes_private", str(wes.id)):
        assert secret not in notice.text
    (reply, _), = [(b.callback_data, b.text) for row in notice.reply_markup.inline_keyboard for b in row
                   if "Reply" in b.text]
    await bot.press(rita, reply)
    await bot.text(rita, "Yes, kittens count.")
    back = delivered(wes.id)
    assert back.text.startswith("<b>✉️ Message from Rita</b>") and "Yes, kittens count." in back.text
    await bot.press(wes, next(b.callback_data for row in back.reply_markup.inline_keyboard for b in row
                              if "Reply" in b.text))
    await bot.text(wes, "Thanks!")

    await bot.text(rita, "/messages")
    assert f"{alias} · 2 new" in last_text(bot, rita)
    await bot.press_label(rita, alias)
    thread = last_text(bot, rita)
    assert thread.index("Is a kitten a cat?") < thread.index("Yes, kittens count.") < thread.index("Thanks!")
    await bot.text(rita, "/messages")
    assert "new" not in last_text(bot, rita)  # opened: read


async def test_requester_messages_from_the_review_card_and_forged_presses_change_nothing(bot, now):
    r = f.requester(10_00)
    rita = await start(bot, TgUser(r.id, "Rita"))
    (a,) = f.submitted(r.id, 1, now)
    worker = await start(bot, TgUser(a.worker_id, "Wes"))
    mallory = await start(bot, TgUser(659, "Mallory"))
    await bot.text(rita, "/review")
    await bot.press_label(rita, "✉️ Message")
    await bot.text(rita, "Great work, more coming.")
    assert "Great work, more coming." in delivered(worker.id).text

    thread_id = Message.get().thread_id
    for data in (f"ms:wr:{a.id}", f"ms:rp:{thread_id}", f"ms:op:{thread_id}", f"ms:rp:{thread_id + 99}"):
        refused = await bot.press(mallory, data)
        assert answers(refused)[0].params["text"] == "This button is no longer valid."
    await bot.text(mallory, "let me in")  # no prompt was opened: this is not a message
    assert Message.select().count() == 1


async def test_too_long_a_message_is_refused_and_the_prompt_stays(bot, now):
    r = f.requester(10_00)
    await start(bot, TgUser(r.id, "Rita"))
    wes = await start(bot, TgUser(661, "Wes"))
    hit = f.hit(r.id)
    await bot.press(wes, f"ms:ask:{hit.id}")
    await bot.text(wes, "x" * 4097)
    assert "1 to 4096 characters" in last_text(bot, wes) and Message.select().count() == 0
    await bot.text(wes, "Shorter now")
    assert Message.select().count() == 1


async def test_cancel_ends_the_prompt_and_nothing_is_sent(bot, now):
    r = f.requester(10_00)
    await start(bot, TgUser(r.id, "Rita"))
    wes = await start(bot, TgUser(671, "Wes"))
    await bot.press(wes, f"ms:ask:{f.hit(r.id).id}")
    await bot.press_label(wes, "Cancel")
    assert "Cancelled the message; nothing was sent." in last_text(bot, wes)
    await bot.text(wes, "Is this still sent?")
    assert Message.select().count() == 0
