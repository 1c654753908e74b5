"""python-telegram-bot itself, over HTTP, against the emulator: the bodies it really sends
(form-encoded, multipart) and the replies it parses, including its error classes. Each test runs
over PTB's own transport (httpx) and over the bot's (bot.transport, aiohttp): the same bodies, the
same errors."""
from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.transport import AiohttpRequest
from tests.sandbox.conftest import TOKEN

ANN = 2001


@pytest.fixture(params=["httpx", "aiohttp"])
async def ptb(api, request):
    transport = {} if request.param == "httpx" else {"request": AiohttpRequest(), "get_updates_request": AiohttpRequest(1)}
    bot = Bot(TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot", **transport)
    async with bot:
        yield bot


async def test_ptb_round_trip(api, ptb):
    await api.user(ANN)
    me = await ptb.get_me()
    assert me.id == 123456 and me.is_bot
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="a:acc:1")]])
    msg = await ptb.send_message(ANN, "<b>New HIT</b>", parse_mode="HTML", reply_markup=markup)
    assert msg.text == "New HIT" and msg.reply_markup.inline_keyboard[0][0].callback_data == "a:acc:1"
    edited = await msg.edit_text("Taken", reply_markup=None)
    assert edited.text == "Taken" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="[Mm]essage is not modified"):
        await msg.edit_text("Taken")
    doc = await ptb.send_document(ANN, b"a,b\n1,2\n", filename="results.csv", caption="Results")
    assert doc.document.file_name == "results.csv"
    f = await ptb.get_file(doc.document.file_id)
    assert bytes(await f.download_as_bytearray()) == b"a,b\n1,2\n"
    await ptb.send_photo(ANN, doc.document.file_id, caption="same bytes as a photo")
    await ptb.send_invoice(ANN, "Top up", "Adds to your balance", "topup:1", "USD",
                           [LabeledPrice("Top-up", 500)], provider_token="x")
    assert await ptb.set_my_commands([("start", "Start"), ("help", "Help")])
    assert [c.command for c in await ptb.get_my_commands()] == ["start", "help"]
    await ptb.delete_message(ANN, msg.message_id)
    kinds = [(m["text"], bool(m["document"]), bool(m["photo"]), "invoice" in m)
             for m in (await api.chat(ANN))["messages"]]
    assert kinds == [(None, True, False, False), (None, False, True, False), (None, False, False, True)]


async def test_ptb_sees_telegram_errors_as_its_own_exceptions(api, ptb):
    with pytest.raises(BadRequest, match="[Cc]hat not found"):
        await ptb.send_message(4242, "hi")
    await api.user(ANN)
    with pytest.raises(BadRequest, match="[Bb]utton_data_invalid"):
        await ptb.send_message(ANN, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("B", callback_data="x" * 65)]]))
    with pytest.raises(BadRequest, match="[Mm]essage is too long"):
        await ptb.send_message(ANN, "x" * 4097)
    await api.post(f"/sandbox/api/users/{ANN}/block")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb.send_message(ANN, "hi")
    await api.post(f"/sandbox/api/users/{ANN}/unblock")
    await api.post("/sandbox/api/settings", json={"flood_control": True})
    api.world.flood.reset(lambda: 5000.0)  # frozen: the burst can't refill on a slow machine
    for _ in range(api.world.flood.chat_burst):
        await ptb.send_message(ANN, "within the burst")
    with pytest.raises(RetryAfter) as info:
        await ptb.send_message(ANN, "one too many")
    retry = info.value.retry_after
    assert (retry if isinstance(retry, (int, float)) else retry.total_seconds()) >= 1


async def test_ptb_polls_updates_with_offsets(api, ptb):
    await api.user(ANN)
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "/start"})
    (first,) = await ptb.get_updates(timeout=1)
    assert first.message.text == "/start" and first.message.from_user.id == ANN
    poll = asyncio.create_task(ptb.get_updates(offset=first.update_id + 1, timeout=5))
    await asyncio.sleep(0.2)
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "second"})
    (second,) = await asyncio.wait_for(poll, 4)
    assert second.update_id > first.update_id and second.message.text == "second"
    assert await ptb.get_updates(offset=second.update_id + 1, timeout=0) == ()
