"""The Bot API side of the emulator: every method, Telegram's shapes, errors and limits."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.sandbox.conftest import TOKEN

ANN = 1001


async def test_get_me_is_the_bot_of_the_token(api):
    me = await api.ok("getMe")
    assert me["id"] == 123456 and me["is_bot"] is True and me["username"]


async def test_bad_token_is_unauthorized_and_unknown_method_not_found(api):
    resp = await api.client.post("/botnot-a-token/getMe")
    assert resp.status == 401 and (await resp.json())["description"] == "Unauthorized"
    status, desc = await api.fails("sendTelepathy", chat_id=ANN)
    assert (status, desc) == (404, "Not Found: method not found")


async def test_send_message_shape_and_per_chat_ids(api):
    await api.user(ANN)
    await api.user(1002, "Bob")
    first = await api.ok("sendMessage", chat_id=ANN, text="hello")
    second = await api.ok("sendMessage", chat_id=ANN, text="again")
    other = await api.ok("sendMessage", chat_id=1002, text="hi Bob")
    assert (first["message_id"], second["message_id"], other["message_id"]) == (1, 2, 1)
    assert first["from"]["is_bot"] is True and first["chat"] == {"id": ANN, "type": "private", "first_name": "Ann"}
    assert isinstance(first["date"], int) and first["date"] > 1_600_000_000
    assert [m["text"] for m in (await api.chat(ANN))["messages"]] == ["hello", "again"]


async def test_form_encoded_bodies_as_ptb_sends_them(api):
    await api.user(ANN)
    markup = json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "a:go:1"}]]})
    resp = await api.client.post(f"/bot{TOKEN}/sendMessage",
                                 data={"chat_id": str(ANN), "text": "<b>bold</b>", "parse_mode": "HTML",
                                       "reply_markup": markup})
    body = await resp.json()
    assert body["ok"], body
    assert body["result"]["text"] == "bold"
    msg = (await api.chat(ANN))["messages"][-1]
    assert msg["buttons"] == [[{"text": "Go", "callback_data": "a:go:1"}]]
    assert msg["html"] == "<b>bold</b>"


async def test_unknown_chat_and_blocked_user(api):
    status, desc = await api.fails("sendMessage", chat_id=4242, text="x")
    assert (status, desc) == (400, "Bad Request: chat not found")
    await api.user(ANN)
    await api.post(f"/sandbox/api/users/{ANN}/block")
    status, desc = await api.fails("sendMessage", chat_id=ANN, text="x")
    assert (status, desc) == (403, "Forbidden: bot was blocked by the user")
    await api.post(f"/sandbox/api/users/{ANN}/unblock")
    await api.ok("sendMessage", chat_id=ANN, text="welcome back")


async def test_text_and_caption_limits_count_utf16(api):
    await api.user(ANN)
    await api.ok("sendMessage", chat_id=ANN, text="x" * 4096)
    assert await api.fails("sendMessage", chat_id=ANN, text="x" * 4097) == (400, "Bad Request: message is too long")
    # an emoji is two UTF-16 code units, as Telegram counts
    assert (await api.fails("sendMessage", chat_id=ANN, text="😀" * 2049))[1] == "Bad Request: message is too long"
    # markup doesn't count, only the visible text
    await api.ok("sendMessage", chat_id=ANN, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert await api.fails("sendMessage", chat_id=ANN, text="") == (400, "Bad Request: message text is empty")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ANN))
    form.add_field("caption", "c" * 1025)
    form.add_field("photo", b"\x89PNG....", filename="a.png", content_type="image/png")
    resp = await api.client.post(f"/bot{TOKEN}/sendPhoto", data=form)
    assert resp.status == 400 and (await resp.json())["description"] == "Bad Request: message caption is too long"


@pytest.mark.parametrize("data", ["", "x" * 65, "é" * 33])
async def test_callback_data_must_be_1_to_64_bytes(api, data):
    await api.user(ANN)
    markup = {"inline_keyboard": [[{"text": "B", "callback_data": data}]]}
    assert await api.fails("sendMessage", chat_id=ANN, text="t", reply_markup=markup) == \
        (400, "Bad Request: BUTTON_DATA_INVALID")
    assert (await api.chat(ANN))["messages"] == []


async def test_at_most_100_buttons(api):
    await api.user(ANN)
    row = [{"text": str(i), "callback_data": f"d{i}"} for i in range(10)]
    await api.ok("sendMessage", chat_id=ANN, text="t", reply_markup={"inline_keyboard": [row] * 10})
    status, desc = await api.fails("sendMessage", chat_id=ANN, text="t", reply_markup={"inline_keyboard": [row] * 11})
    assert (status, desc) == (400, "Bad Request: reply markup is too long")


async def test_html_and_markdown_v2_are_validated(api):
    await api.user(ANN)
    sent = await api.ok("sendMessage", chat_id=ANN, text="<b>a</b> &amp; <a href=\"https://x.org\">l</a>",
                        parse_mode="HTML")
    assert sent["text"] == "a & l"
    for bad in ["<b>open", "<div>x</div>", "a < b", "a & b", "<b>x</i>"]:
        status, desc = await api.fails("sendMessage", chat_id=ANN, text=bad, parse_mode="HTML")
        assert status == 400 and desc.startswith("Bad Request: can't parse entities"), (bad, desc)
    ok = await api.ok("sendMessage", chat_id=ANN, text="*bold* _it_ 1\\.5 `a.b` [l](https://x.org)",
                      parse_mode="MarkdownV2")
    assert ok["text"] == "bold it 1.5 a.b l"
    status, desc = await api.fails("sendMessage", chat_id=ANN, text="costs 1.50", parse_mode="MarkdownV2")
    assert desc == "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the " \
                   "preceding '\\'"
    status, desc = await api.fails("sendMessage", chat_id=ANN, text="*never closed", parse_mode="MarkdownV2")
    assert "Can't find end of Bold entity" in desc


async def test_edit_text_in_place_and_not_modified(api):
    await api.user(ANN)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    sent = await api.ok("sendMessage", chat_id=ANN, text="v1", reply_markup=markup)
    version = (await api.chat(ANN))["version"]
    edited = await api.ok("editMessageText", chat_id=ANN, message_id=sent["message_id"], text="v2",
                          reply_markup=markup)
    assert edited["text"] == "v2" and edited["edit_date"] >= sent["date"]
    chat = await api.chat(ANN)
    assert chat["version"] > version
    assert [(m["text"], m["edited"]) for m in chat["messages"]] == [("v2", True)]
    status, desc = await api.fails("editMessageText", chat_id=ANN, message_id=sent["message_id"], text="v2",
                                   reply_markup=markup)
    assert status == 400 and desc.startswith("Bad Request: message is not modified")
    # without reply_markup the keyboard goes, as on Telegram
    await api.ok("editMessageText", chat_id=ANN, message_id=sent["message_id"], text="v2")
    assert (await api.chat(ANN))["messages"][0]["buttons"] == []
    assert await api.fails("editMessageText", chat_id=ANN, message_id=99, text="x") == \
        (400, "Bad Request: message to edit not found")
    assert await api.fails("editMessageText", chat_id=ANN, message_id=sent["message_id"], text="y" * 4097) == \
        (400, "Bad Request: message is too long")


async def test_edit_reply_markup_caption_and_users_messages(api):
    await api.user(ANN)
    sent = await api.ok("sendMessage", chat_id=ANN, text="t")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    await api.ok("editMessageReplyMarkup", chat_id=ANN, message_id=sent["message_id"], reply_markup=markup)
    assert (await api.chat(ANN))["messages"][0]["buttons"] == [[{"text": "A", "callback_data": "a"}]]
    status, desc = await api.fails("editMessageReplyMarkup", chat_id=ANN, message_id=sent["message_id"],
                                   reply_markup=markup)
    assert desc.startswith("Bad Request: message is not modified")
    assert (await api.fails("editMessageCaption", chat_id=ANN, message_id=sent["message_id"], caption="c"))[1] == \
        "Bad Request: there is no caption in the message to edit"
    _, mine = await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "user text"})
    assert (await api.fails("editMessageText", chat_id=ANN, message_id=mine["message_id"], text="x"))[1] == \
        "Bad Request: message can't be edited"


async def test_delete_message(api):
    await api.user(ANN)
    sent = await api.ok("sendMessage", chat_id=ANN, text="gone soon")
    assert await api.ok("deleteMessage", chat_id=ANN, message_id=sent["message_id"]) is True
    assert (await api.chat(ANN))["messages"] == []
    assert (await api.fails("deleteMessage", chat_id=ANN, message_id=sent["message_id"]))[1] == \
        "Bad Request: message to delete not found"


async def test_send_photo_document_voice_upload_and_by_file_id(api):
    await api.user(ANN)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ANN))
    form.add_field("caption", "<i>look</i>")
    form.add_field("parse_mode", "HTML")
    form.add_field("photo", b"PNGDATA", filename="p.png", content_type="image/png")
    resp = await api.client.post(f"/bot{TOKEN}/sendPhoto", data=form)
    photo = (await resp.json())["result"]
    assert photo["caption"] == "look" and photo["photo"][-1]["file_size"] == 7
    file_id = photo["photo"][-1]["file_id"]
    again = await api.ok("sendPhoto", chat_id=ANN, photo=file_id)
    assert again["photo"][-1]["file_id"] == file_id
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ANN))
    form.add_field("document", b"a,b\n1,2\n", filename="results.csv", content_type="text/csv")
    doc = (await (await api.client.post(f"/bot{TOKEN}/sendDocument", data=form)).json())["result"]
    assert doc["document"]["file_name"] == "results.csv" and doc["document"]["mime_type"] == "text/csv"
    voice = await api.ok("sendVoice", chat_id=ANN, voice=file_id, duration=4)
    assert voice["voice"]["duration"] == 4
    assert (await api.fails("sendPhoto", chat_id=ANN, photo="no-such-file"))[1] == \
        "Bad Request: wrong file identifier/HTTP URL specified"
    msgs = (await api.chat(ANN))["messages"]
    assert msgs[0]["photo"].startswith("/sandbox/files/") and msgs[2]["document"]["file_name"] == "results.csv"
    resp = await api.client.get(msgs[2]["document"]["url"])
    assert await resp.read() == b"a,b\n1,2\n"


async def test_attach_uri_multipart(api):
    await api.user(ANN)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ANN))
    form.add_field("document", "attach://file0")
    form.add_field("file0", b"hello", filename="h.txt", content_type="text/plain")
    resp = await api.client.post(f"/bot{TOKEN}/sendDocument", data=form)
    assert (await resp.json())["result"]["document"]["file_name"] == "h.txt"


async def test_get_file_and_download(api):
    await api.user(ANN)
    form = aiohttp.FormData()
    form.add_field("document", b"spec: 1", filename="spec.yaml", content_type="application/x-yaml")
    _, sent = await api.post(f"/sandbox/api/users/{ANN}/messages", data=form)
    update = (await api.updates())[-1]
    file_id = update["message"]["document"]["file_id"]
    info = await api.ok("getFile", file_id=file_id)
    assert info["file_size"] == 7 and info["file_path"]
    resp = await api.client.get(f"/file/bot{TOKEN}/{info['file_path']}")
    assert resp.status == 200 and await resp.read() == b"spec: 1"
    assert (await api.fails("getFile", file_id="nope"))[1] == "Bad Request: invalid file_id"
    assert (await api.client.get(f"/file/bot{TOKEN}/files/nope")).status == 404


async def test_send_location_and_chat_action(api):
    await api.user(ANN)
    loc = await api.ok("sendLocation", chat_id=ANN, latitude=52.5, longitude=13.4)
    assert loc["location"] == {"latitude": 52.5, "longitude": 13.4}
    assert (await api.fails("sendLocation", chat_id=ANN, latitude=91, longitude=0))[1] == \
        "Bad Request: wrong location specified"
    assert await api.ok("sendChatAction", chat_id=ANN, action="typing") is True
    assert (await api.fails("sendChatAction", chat_id=ANN, action="dancing"))[0] == 400


async def test_commands_per_scope_and_language(api):
    cmds = [{"command": "start", "description": "Start"}, {"command": "help", "description": "Help"}]
    assert await api.ok("setMyCommands", commands=cmds) is True
    await api.ok("setMyCommands", commands=[{"command": "start", "description": "Starten"}], language_code="de")
    assert await api.ok("getMyCommands") == cmds
    assert (await api.ok("getMyCommands", language_code="de"))[0]["description"] == "Starten"
    assert (await api.fails("setMyCommands", commands=[{"command": "Bad-Name", "description": "x"}]))[1] == \
        "Bad Request: BOT_COMMAND_INVALID"
    await api.ok("deleteMyCommands")
    assert await api.ok("getMyCommands") == []


async def test_invoice_shape_and_validation(api):
    await api.user(ANN)
    inv = await api.ok("sendInvoice", chat_id=ANN, title="Top up", description="Adds to your balance",
                       payload="topup:1001:500", provider_token="x", currency="USD",
                       prices=[{"label": "Top-up", "amount": 500}])
    assert inv["invoice"]["total_amount"] == 500 and inv["invoice"]["currency"] == "USD"
    assert (await api.fails("sendInvoice", chat_id=ANN, title="T", description="D", payload="p", provider_token="x",
                            currency="USD", prices=[{"label": "x", "amount": 0}]))[1] == \
        "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"
    assert (await api.fails("sendInvoice", chat_id=ANN, title="T" * 33, description="D", payload="p",
                            provider_token="x", currency="USD", prices=[{"label": "x", "amount": 1}]))[1] == \
        "Bad Request: TITLE_INVALID"
    view = (await api.chat(ANN))["messages"][0]
    assert view["invoice"] == {"title": "Top up", "description": "Adds to your balance", "currency": "USD",
                               "total_amount": 500, "paid": False}


async def test_get_updates_offsets_confirm_and_ids_increase(api):
    await api.user(ANN)
    for text in ("one", "two", "three"):
        await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": text})
    ups = await api.updates()
    ids = [u["update_id"] for u in ups]
    assert [u["message"]["text"] for u in ups] == ["one", "two", "three"] and ids == sorted(set(ids))
    # without an offset nothing is confirmed
    assert [u["update_id"] for u in await api.updates()] == ids
    assert [u["update_id"] for u in await api.updates(offset=ids[1])] == ids[1:]
    # confirmed updates are dropped for good
    assert [u["update_id"] for u in await api.updates()] == ids[1:]
    assert [u["update_id"] for u in await api.updates(limit=1)] == ids[1:2]
    assert await api.updates(offset=ids[-1] + 1) == []
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "four"})
    (new,) = await api.updates(offset=ids[-1] + 1)
    assert new["update_id"] > ids[-1]


async def test_get_updates_long_polls_until_an_update_arrives(api):
    await api.user(ANN)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await api.updates(timeout=1) == []
    assert loop.time() - started >= 0.9  # it really waited
    poll = asyncio.create_task(api.updates(timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done()
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "wake up"})
    ups = await asyncio.wait_for(poll, 3)
    assert ups[0]["message"]["text"] == "wake up"
    assert loop.time() - started < 5


async def test_get_updates_filters_allowed_updates_and_webhook_conflict(api):
    await api.user(ANN)
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "hi"})
    await api.post(f"/sandbox/api/users/{ANN}/block")
    assert [list(u)[1] for u in await api.updates(allowed_updates=["my_chat_member"])] == ["my_chat_member"]
    await api.ok("setWebhook", url="https://example.invalid/hook")
    status, desc = await api.fails("getUpdates")
    assert status == 409 and desc.startswith("Conflict")
    await api.ok("deleteWebhook", drop_pending_updates=True)
    assert await api.updates() == []


async def test_answer_callback_query_twice_is_too_old(api):
    assert (await api.fails("answerCallbackQuery", callback_query_id="123"))[1] == \
        "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def test_flood_control_per_chat_gives_429_with_retry_after(flood_api):
    api = flood_api
    await api.user(ANN)
    burst = api.world.flood.chat_burst
    for i in range(burst):
        await api.ok("sendMessage", chat_id=ANN, text=f"m{i}")
    status, body = await api.bot("sendMessage", chat_id=ANN, text="one too many")
    assert status == 429 and body["error_code"] == 429
    assert body["parameters"]["retry_after"] >= 1
    assert body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    assert len((await api.chat(ANN))["messages"]) == burst  # refused messages are not delivered
    api.clock.advance(0.5)
    assert (await api.bot("sendMessage", chat_id=ANN, text="too early"))[0] == 429
    api.clock.advance(0.5)
    await api.ok("sendMessage", chat_id=ANN, text="after waiting")
    stats = (await api.get("/sandbox/api/stats"))[1]
    assert stats["too_many_requests"] == 2 and stats["calls"]["sendMessage"] == burst + 3


async def test_flood_control_per_bot_and_switch(flood_api):
    api = flood_api
    for uid in range(1, 32):
        await api.user(uid, f"U{uid}")
    codes = [(await api.bot("sendMessage", chat_id=uid, text="hi"))[0] for uid in range(1, 32)]
    assert codes[:30] == [200] * 30 and codes[30] == 429
    status, body = await api.post("/sandbox/api/settings", json={"flood_control": False})
    assert body == {"flood_control": False}
    codes = [(await api.bot("sendMessage", chat_id=1, text="hi"))[0] for _ in range(10)]
    assert codes == [200] * 10


async def test_stats_count_calls_and_errors(api):
    await api.user(ANN)
    await api.ok("getMe")
    await api.ok("sendMessage", chat_id=ANN, text="x")
    await api.fails("sendMessage", chat_id=5, text="x")
    stats = (await api.get("/sandbox/api/stats"))[1]
    assert stats["calls"] == {"getMe": 1, "sendMessage": 2}
    assert stats["client_errors"] == 1 and stats["too_many_requests"] == 0
    assert stats["recent_errors"][-1]["description"] == "Bad Request: chat not found"


async def test_a_second_poller_ends_the_first_with_409(api):
    first = asyncio.create_task(api.bot("getUpdates", timeout=10))
    await asyncio.sleep(0.2)
    assert await api.updates(timeout=0) == []
    status, body = await asyncio.wait_for(first, 3)
    assert status == 409 and body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_get_chat_webhook_info_and_session_methods(api):
    await api.user(ANN, username="ann_sbx")
    chat = await api.ok("getChat", chat_id=ANN)
    assert (chat["id"], chat["type"], chat["username"]) == (ANN, "private", "ann_sbx")
    assert (await api.fails("getChat", chat_id=5))[1] == "Bad Request: chat not found"
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "pending"})
    info = await api.ok("getWebhookInfo")
    assert (info["url"], info["pending_update_count"]) == ("", 1)
    assert await api.ok("logOut") is True and await api.ok("close") is True
    # method names are case-insensitive, as on Telegram
    assert (await api.ok("getme"))["is_bot"] is True


async def test_webhook_delivers_updates_in_order_with_the_secret_and_retries(api):
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    got: list[tuple[str | None, dict]] = []
    failing = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if failing["left"]:
            failing["left"] -= 1
            return web.Response(status=500)
        got.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    async with TestServer(receiver) as server:
        await api.user(ANN)
        assert (await api.fails("setWebhook", url="ftp://x"))[0] == 400
        assert (await api.fails("setWebhook", url=str(server.make_url("/hook")), secret_token="bad secret!"))[0] == 400
        await api.ok("setWebhook", url=str(server.make_url("/hook")), secret_token="s3cret")
        for text in ("one", "two"):
            await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": text})
        for _ in range(100):
            if len(got) == 2:
                break
            await asyncio.sleep(0.05)
        assert [(secret, u["message"]["text"]) for secret, u in got] == [("s3cret", "one"), ("s3cret", "two")]
        info = await api.ok("getWebhookInfo")
        assert info["pending_update_count"] == 0
        assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
        assert (await api.fails("getUpdates"))[0] == 409
        await api.ok("deleteWebhook")
        await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "three"})
        await asyncio.sleep(0.2)
        assert len(got) == 2  # no webhook: updates wait for getUpdates again
        assert [u["message"]["text"] for u in await api.updates()] == ["three"]


async def test_edit_caption_of_a_photo_in_place(api):
    await api.user(ANN)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ANN))
    form.add_field("caption", "before")
    form.add_field("photo", b"\x89PNG\r\n\x1a\n....", filename="p.png", content_type="image/png")
    sent = (await (await api.client.post(f"/bot{TOKEN}/sendPhoto", data=form)).json())["result"]
    edited = await api.ok("editMessageCaption", chat_id=ANN, message_id=sent["message_id"], caption="<b>after</b>",
                          parse_mode="HTML")
    assert edited["caption"] == "after" and edited["photo"] == sent["photo"]
    (msg,) = (await api.chat(ANN))["messages"]
    assert (msg["caption"], msg["html"], msg["edited"]) == ("after", "<b>after</b>", True)
    assert (await api.fails("editMessageCaption", chat_id=ANN, message_id=sent["message_id"], caption="<b>after</b>",
                            parse_mode="HTML"))[1].startswith("Bad Request: message is not modified")
    assert (await api.fails("editMessageCaption", chat_id=ANN, message_id=sent["message_id"],
                            caption="c" * 1025))[1] == "Bad Request: message caption is too long"
    assert (await api.fails("editMessageText", chat_id=ANN, message_id=sent["message_id"], text="x"))[1] == \
        "Bad Request: there is no text in the message to edit"
