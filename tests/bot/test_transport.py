"""The bot's aiohttp transport fails as PTB's own does: a Bot API that never answers is a TimedOut
within the read timeout, one that is not there a NetworkError, all connections busy a TimedOut
within the pool timeout; and it is reusable after shutdown (the same bodies and replies as PTB's:
tests/sandbox/test_ptb_client.py runs over both)."""
from __future__ import annotations

import asyncio
import socket
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram.error import NetworkError, TimedOut

from bot.transport import AiohttpRequest

TOKEN = "123456:SANDBOX-token"


async def _silent_server() -> tuple[asyncio.base_events.Server, str, list]:
    """Accepts connections and reads, never answers."""
    held: list = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read(65536)
        await asyncio.sleep(30)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}", held


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_bot_api_that_never_answers_times_out_within_the_read_timeout():
    server, url, held = await _silent_server()
    try:
        request = AiohttpRequest(read_timeout=0.3)
        await request.initialize()
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await request.post(f"{url}/bot{TOKEN}/sendMessage")
        assert time.monotonic() - started < 3
        await request.shutdown()
    finally:
        for w in held:
            w.close()
        server.close()


async def test_a_bot_api_that_is_not_there_is_a_network_error():
    request = AiohttpRequest(connect_timeout=2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as info:
            await request.post(f"http://127.0.0.1:{_closed_port()}/bot{TOKEN}/getMe")
        assert not isinstance(info.value, TimedOut)
    finally:
        await request.shutdown()


async def test_with_every_connection_busy_a_request_times_out_waiting_for_one():
    server, url, held = await _silent_server()
    request = AiohttpRequest(1, read_timeout=10, connect_timeout=0.2, pool_timeout=0.2)
    await request.initialize()
    try:
        first = asyncio.create_task(request.post(f"{url}/bot{TOKEN}/getMe"))
        await asyncio.sleep(0.2)  # the one connection is taken
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await request.post(f"{url}/bot{TOKEN}/getMe")
        assert time.monotonic() - started < 3
        first.cancel()
    finally:
        await request.shutdown()
        for w in held:
            w.close()
        server.close()


async def test_it_refuses_before_initialize_and_works_again_after_shutdown():
    async def get_me(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "hitbot"}})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/getMe", get_me)
    async with TestServer(app) as server:
        url = str(server.make_url(f"/bot{TOKEN}/getMe"))
        request = AiohttpRequest()
        with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps it, as for its own transport
            await request.post(url)
        for _ in range(2):
            await request.initialize()
            assert (await request.post(url))["is_bot"]
            await request.shutdown()


async def test_a_reply_comes_back_without_the_keyboard_sent_and_an_update_keeps_its_own():
    """bot.transport.LeanReplies: the message a send returns has its id, text and chat, not the keyboard
    it was sent with (hitbot never reads it back); what getUpdates brings is left whole."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    from bot.transport import LeanReplies
    from tests.fakes.telegram import FakeTelegram

    tg = FakeTelegram()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="w:acc:7")]])
    pressed = {"update_id": 1, "callback_query": {
        "id": "q1", "chat_instance": "c", "data": "w:acc:7", "from": {"id": 5, "is_bot": False, "first_name": "Wes"},
        "message": {"message_id": 3, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "A HIT",
                    "reply_markup": keyboard.to_dict()}}}

    async def get_updates(url, request_data=None, **timeouts):
        return [pressed] if url.endswith("/getUpdates") else await FakeTelegram.post(tg, url, request_data, **timeouts)

    tg.post = get_updates
    async with Bot(TOKEN, request=LeanReplies(tg), get_updates_request=LeanReplies(tg)) as bot:
        sent = await bot.send_message(5, "A HIT", reply_markup=keyboard)
        assert (sent.message_id, sent.text, sent.chat.id, sent.reply_markup) == (1, "A HIT", 5, None)
        assert tg.calls[-1].params["reply_markup"]  # it went to Telegram with the keyboard
        (update,) = await bot.get_updates()
        assert update.callback_query.message.reply_markup == keyboard
