"""The test-client API: users, messages, presses, payments, blocking, chat long-poll, stats."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

ANN = 1001
MARKUP = {"inline_keyboard": [[{"text": "Accept", "callback_data": "a:acc:7"},
                               {"text": "Docs", "url": "https://example.org"}]]}


@pytest.mark.parametrize("body, error", [
    ({"first_name": "Ann"}, "id must be"),
    ({"id": -5, "first_name": "Ann"}, "id must be"),
    ({"id": 5, "first_name": ""}, "first_name must be"),
    ({"id": 5, "first_name": "x" * 65}, "first_name must be"),
    ({"id": 5, "first_name": "Ann", "username": "a b"}, "username must be"),
    ({"id": 5, "first_name": "Ann", "language_code": "english!"}, "language_code must be"),
])
async def test_create_user_validates(api, body, error):
    status, resp = await api.post("/sandbox/api/users", json=body)
    assert status == 400 and resp["error"].startswith(error)
    assert (await api.get("/sandbox/api/users"))[1] == {"users": []}


async def test_create_user_updates_in_place(api):
    await api.user(ANN, "Ann", username="ann_sbx")
    again = await api.user(ANN, "Annie", language_code="de")
    assert again == {"id": ANN, "first_name": "Annie", "username": None, "language_code": "de", "blocked": False}
    assert len((await api.get("/sandbox/api/users"))[1]["users"]) == 1


async def test_text_message_becomes_an_update_with_command_entity(api):
    await api.user(ANN, username="ann_sbx")
    status, body = await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "/start hello"})
    assert status == 200 and body == {"message_id": 1}
    (update,) = await api.updates()
    msg = update["message"]
    assert msg["text"] == "/start hello" and msg["from"]["id"] == ANN and msg["from"]["is_bot"] is False
    assert msg["from"]["username"] == "ann_sbx" and msg["chat"]["type"] == "private"
    assert msg["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # user and bot messages share the chat's message ids
    assert (await api.ok("sendMessage", chat_id=ANN, text="hi"))["message_id"] == 2


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "x" * 4097}, {"location": {"latitude": 99, "longitude": 0}},
                                  {"location": {"latitude": "north"}}])
async def test_bad_messages_are_refused_and_deliver_nothing(api, body):
    await api.user(ANN)
    status, resp = await api.post(f"/sandbox/api/users/{ANN}/messages", json=body)
    assert status == 400 and resp["error"]
    assert await api.updates() == [] and (await api.chat(ANN))["messages"] == []


async def test_unknown_user_is_404(api):
    status, body = await api.post("/sandbox/api/users/77/messages", json={"text": "hi"})
    assert status == 404 and "POST /sandbox/api/users" in body["error"]


async def test_location_and_uploads(api):
    await api.user(ANN)
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"location": {"latitude": 48.1, "longitude": 11.6}})
    for kind, mime in (("photo", "image/png"), ("document", "application/pdf"), ("voice", "audio/ogg")):
        form = aiohttp.FormData()
        form.add_field(kind, b"bytes of " + kind.encode(), filename=f"f.{kind}", content_type=mime)
        form.add_field("caption", f"my {kind}")
        if kind == "voice":
            form.add_field("duration", "7")
        status, body = await api.post(f"/sandbox/api/users/{ANN}/messages", data=form)
        assert status == 200, body
    ups = [u["message"] for u in await api.updates()]
    assert ups[0]["location"] == {"latitude": 48.1, "longitude": 11.6}
    assert ups[1]["photo"][-1]["file_size"] == len(b"bytes of photo") and ups[1]["caption"] == "my photo"
    assert ups[2]["document"]["file_name"] == "f.document" and ups[2]["document"]["mime_type"] == "application/pdf"
    assert ups[3]["voice"]["duration"] == 7
    info = await api.ok("getFile", file_id=ups[3]["voice"]["file_id"])
    assert info["file_size"] == len(b"bytes of voice")
    chat = await api.chat(ANN)
    assert chat["messages"][1]["photo"] and chat["messages"][2]["document"]["file_name"] == "f.document"
    form = aiohttp.FormData()
    form.add_field("caption", "no file")
    status, body = await api.post(f"/sandbox/api/users/{ANN}/messages", data=form)
    assert status == 400 and "exactly one file" in body["error"]


async def _bot_answers(api, kind: str, method: str, **answer):
    """Play the bot: poll for the newest `kind` query (callback_query, pre_checkout_query) and answer it
    with `method`."""
    for _ in range(50):
        ups = [u for u in await api.updates() if kind in u]
        if ups:
            query = ups[-1][kind]
            await api.ok(method, **{f"{kind}_id": query["id"]}, **answer)
            return query
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {kind} arrived")


async def _bot_answers_next_callback(api, **answer):
    return await _bot_answers(api, "callback_query", "answerCallbackQuery", **answer)


async def test_press_waits_for_the_bots_answer(api):
    await api.user(ANN)
    sent = await api.ok("sendMessage", chat_id=ANN, text="A HIT", reply_markup=MARKUP)
    press = asyncio.create_task(api.post(f"/sandbox/api/users/{ANN}/press",
                                         json={"message_id": sent["message_id"], "callback_data": "a:acc:7"}))
    query = await _bot_answers_next_callback(api, text="Accepted", show_alert=True)
    status, body = await press
    waited = body.pop("answered_ms")
    assert status == 200 and body == {"answered": True, "text": "Accepted", "show_alert": True}
    assert isinstance(waited, float) and waited > 0  # from the press until the bot's answer came
    assert query["data"] == "a:acc:7" and query["from"]["id"] == ANN and query["chat_instance"]
    assert query["message"]["message_id"] == sent["message_id"] and query["message"]["from"]["is_bot"]
    # a second answer to the same query is refused as on Telegram
    status, err = await api.fails("answerCallbackQuery", callback_query_id=query["id"])
    assert "query is too old" in err


async def test_press_unanswered_times_out(api):
    await api.user(ANN)
    sent = await api.ok("sendMessage", chat_id=ANN, text="A HIT", reply_markup=MARKUP)
    status, body = await api.post(f"/sandbox/api/users/{ANN}/press",
                                  json={"message_id": sent["message_id"], "callback_data": "a:acc:7"})
    assert status == 200 and body == {"answered": False, "text": None, "show_alert": False, "answered_ms": None}


@pytest.mark.parametrize("body", [{"message_id": 1, "callback_data": "a:acc:8"},
                                  {"message_id": 1, "callback_data": "https://example.org"},
                                  {"message_id": 99, "callback_data": "a:acc:7"}, {"callback_data": "a:acc:7"}])
async def test_press_without_such_button_is_400(api, body):
    await api.user(ANN)
    await api.ok("sendMessage", chat_id=ANN, text="A HIT", reply_markup=MARKUP)
    status, resp = await api.post(f"/sandbox/api/users/{ANN}/press", json=body)
    assert status == 400 and resp["error"]
    assert await api.updates() == []


async def _invoice(api):
    return await api.ok("sendInvoice", chat_id=ANN, title="Top up", description="Balance", payload="topup:1",
                        provider_token="t", currency="EUR", prices=[{"label": "Top-up", "amount": 1250}])


async def _bot_answers_pre_checkout(api, **answer):
    return await _bot_answers(api, "pre_checkout_query", "answerPreCheckoutQuery", **answer)


async def test_pay_runs_pre_checkout_then_successful_payment(api):
    await api.user(ANN)
    inv = await _invoice(api)
    pay = asyncio.create_task(api.post(f"/sandbox/api/users/{ANN}/pay", json={"message_id": inv["message_id"]}))
    query = await _bot_answers_pre_checkout(api, ok=True)
    assert (query["currency"], query["total_amount"], query["invoice_payload"]) == ("EUR", 1250, "topup:1")
    status, body = await pay
    assert status == 200 and body["paid"] is True
    last = (await api.updates())[-1]["message"]
    payment = last["successful_payment"]
    assert payment["total_amount"] == 1250 and payment["telegram_payment_charge_id"] == body["telegram_payment_charge_id"]
    chat = await api.chat(ANN)
    assert chat["messages"][0]["invoice"]["paid"] is True and chat["messages"][1]["payment"]["total_amount"] == 1250
    status, body = await api.post(f"/sandbox/api/users/{ANN}/pay", json={"message_id": inv["message_id"]})
    assert status == 409


async def test_pay_refused_by_bot_delivers_no_payment(api):
    await api.user(ANN)
    inv = await _invoice(api)
    pay = asyncio.create_task(api.post(f"/sandbox/api/users/{ANN}/pay", json={"message_id": inv["message_id"]}))
    await _bot_answers_pre_checkout(api, ok=False, error_message="This invoice is out of date.")
    status, body = await pay
    assert body == {"paid": False, "error": "This invoice is out of date."}
    assert not any("successful_payment" in u.get("message", {}) for u in await api.updates())
    status, body = await api.post(f"/sandbox/api/users/{ANN}/pay",
                                  json={"message_id": (await api.ok("sendMessage", chat_id=ANN, text="x"))["message_id"]})
    assert status == 400 and body["error"] == "That message is not an invoice."


async def test_block_unblock_send_member_updates_and_refuse_acting(api):
    await api.user(ANN)
    status, body = await api.post(f"/sandbox/api/users/{ANN}/block")
    assert status == 200 and body["blocked"] is True
    status, body = await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "hi"})
    assert status == 409 and "unblock" in body["error"]
    await api.post(f"/sandbox/api/users/{ANN}/unblock")
    kinds = [(u["my_chat_member"]["old_chat_member"]["status"], u["my_chat_member"]["new_chat_member"]["status"])
             for u in await api.updates()]
    assert kinds == [("member", "kicked"), ("kicked", "member")]


async def test_chat_long_poll_returns_on_change(api):
    await api.user(ANN)
    first = await api.chat(ANN)
    assert first["version"] == 0 and first["messages"] == []
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, same = await api.get(f"/sandbox/api/users/{ANN}/chat", params={"after_version": "0", "timeout": "0.5"})
    assert same["version"] == 0 and loop.time() - started >= 0.45
    waiter = asyncio.create_task(api.get(f"/sandbox/api/users/{ANN}/chat",
                                         params={"after_version": "0", "timeout": "10"}))
    await asyncio.sleep(0.2)
    assert not waiter.done()
    sent = await api.ok("sendMessage", chat_id=ANN, text="news",
                        reply_markup={"keyboard": [["Yes", "No"]], "one_time_keyboard": True})
    status, body = await asyncio.wait_for(waiter, 3)
    assert body["version"] == 1 and body["messages"][0]["text"] == "news" and body["keyboard"] == [["Yes", "No"]]
    await api.ok("deleteMessage", chat_id=ANN, message_id=sent["message_id"])
    assert (await api.chat(ANN))["version"] == 2
    await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "Yes"})
    assert (await api.chat(ANN))["keyboard"] is None  # a one-time keyboard goes once used
    status, body = await api.get(f"/sandbox/api/users/{ANN}/chat", params={"timeout": "999"})
    assert status == 400


async def test_web_chat_page_is_served(api):
    resp = await api.client.get("/")
    page = await resp.text()
    assert resp.status == 200 and "hitbot sandbox" in page
    for asset in ("/static/app.js", "/static/style.css"):
        assert asset in page
        assert (await api.client.get(asset)).status == 200


async def test_forged_press_reaches_the_bot_only_when_asked_for(api):
    await api.user(ANN)
    sent = await api.ok("sendMessage", chat_id=ANN, text="plain, no buttons")
    status, _ = await api.post(f"/sandbox/api/users/{ANN}/press",
                               json={"message_id": sent["message_id"], "callback_data": "r:apv:1"})
    assert status == 400 and await api.updates() == []
    press = asyncio.create_task(api.post(f"/sandbox/api/users/{ANN}/press", json={
        "message_id": sent["message_id"], "callback_data": "r:apv:1", "forged": True}))
    query = await _bot_answers_next_callback(api, text="This button is no longer valid.", show_alert=True)
    assert query["data"] == "r:apv:1"
    assert (await press)[1]["text"] == "This button is no longer valid."
    status, _ = await api.post(f"/sandbox/api/users/{ANN}/press", json={
        "message_id": sent["message_id"], "callback_data": "x" * 65, "forged": True})
    assert status == 400


async def test_command_menu_per_language_with_fallback(api):
    assert (await api.get("/sandbox/api/commands"))[1] == {"commands": []}
    await api.ok("setMyCommands", commands=[{"command": "start", "description": "Start"}])
    await api.ok("setMyCommands", commands=[{"command": "start", "description": "Starten"}], language_code="de")
    assert (await api.get("/sandbox/api/commands", params={"language_code": "de"}))[1]["commands"][0]["description"] \
        == "Starten"
    assert (await api.get("/sandbox/api/commands", params={"language_code": "fr"}))[1]["commands"][0]["description"] \
        == "Start"


async def test_a_chats_own_menu_comes_before_the_language_ones(api):
    await api.ok("setMyCommands", commands=[{"command": "start", "description": "Start"}])
    await api.ok("setMyCommands", commands=[{"command": "start", "description": "Starten"}], language_code="de")
    await api.ok("setMyCommands", commands=[{"command": "start", "description": "Начать"}],
                 scope={"type": "chat", "chat_id": ANN})

    def shown(**params):
        return api.get("/sandbox/api/commands", params=params)

    assert (await shown(chat_id=ANN, language_code="de"))[1]["commands"][0]["description"] == "Начать"
    assert (await shown(chat_id=ANN + 1, language_code="de"))[1]["commands"][0]["description"] == "Starten"
    assert (await shown(chat_id=ANN + 1))[1]["commands"][0]["description"] == "Start"


async def test_photo_sizes_follow_the_image(api):
    import struct
    import zlib

    def png(width: int, height: int) -> bytes:
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))

    jpeg = b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + b"\0" * 9 + \
        b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 300, 400) + b"\0" * 12
    await api.user(ANN)
    for data, mime, small, big in ((png(2000, 1000), "image/png", (90, 45), (1280, 640)),
                                   (jpeg, "image/jpeg", (90, 68), (400, 300))):
        form = aiohttp.FormData()
        form.add_field("photo", data, filename="p", content_type=mime)
        await api.post(f"/sandbox/api/users/{ANN}/messages", data=form)
        sizes = (await api.updates())[-1]["message"]["photo"]
        assert [(s["width"], s["height"]) for s in sizes] == [small, big]


async def test_changes_feed_one_long_poll_for_all_chats(api):
    await api.user(ANN)
    await api.user(1002, "Bob")
    status, first = await api.get("/sandbox/api/changes", params={"since": "0", "timeout": "0"})
    assert status == 200 and first["users"] == [ANN, 1002]
    waiter = asyncio.create_task(api.get("/sandbox/api/changes", params={"since": str(first["version"]),
                                                                         "timeout": "10"}))
    await asyncio.sleep(0.2)
    assert not waiter.done()
    await api.ok("sendMessage", chat_id=1002, text="for Bob only")
    status, changed = await asyncio.wait_for(waiter, 3)
    assert changed["users"] == [1002] and changed["version"] > first["version"]
    status, idle = await api.get("/sandbox/api/changes", params={"since": str(changed["version"]), "timeout": "0.2"})
    assert idle == {"version": changed["version"], "users": []}
    assert (await api.get("/sandbox/api/changes", params={"since": "-1"}))[0] == 400


async def test_stars_invoice_payment_and_refund_once(api):
    """Telegram Stars (XTR): no provider token and one price; the payment's charge can be refunded
    once, by the bot, to the user who paid."""
    await api.user(ANN)
    await api.user(1002, "Bob")
    stars = {"chat_id": ANN, "title": "Top up", "description": "100 Stars", "payload": "stars:1", "currency": "XTR",
             "prices": [{"label": "Top-up", "amount": 100}]}
    assert (await api.fails("sendInvoice", **stars, provider_token="t"))[1] == "Bad Request: PROVIDER_TOKEN_INVALID"
    assert (await api.fails("sendInvoice", **{**stars, "prices": [{"label": "a", "amount": 60},
                                                                  {"label": "b", "amount": 40}]}))[1] == \
        "Bad Request: STARS_INVOICE_INVALID"
    assert (await api.fails("sendInvoice", **{**stars, "currency": "USD"}))[1] == "Bad Request: PAYMENT_PROVIDER_INVALID"
    inv = await api.ok("sendInvoice", **stars)
    pay = asyncio.create_task(api.post(f"/sandbox/api/users/{ANN}/pay", json={"message_id": inv["message_id"]}))
    query = await _bot_answers_pre_checkout(api, ok=True)
    assert (query["currency"], query["total_amount"]) == ("XTR", 100)
    status, body = await pay
    charge = body["telegram_payment_charge_id"]
    assert status == 200 and body["paid"] is True
    assert (await api.fails("refundStarPayment", user_id=1002, telegram_payment_charge_id=charge))[1] == \
        "Bad Request: CHARGE_ID_INVALID"  # not Bob's payment
    assert (await api.fails("refundStarPayment", user_id=ANN, telegram_payment_charge_id="sbx_nope"))[1] == \
        "Bad Request: CHARGE_ID_INVALID"
    assert await api.ok("refundStarPayment", user_id=ANN, telegram_payment_charge_id=charge) is True
    assert (await api.fails("refundStarPayment", user_id=ANN, telegram_payment_charge_id=charge))[1] == \
        "Bad Request: CHARGE_ALREADY_REFUNDED"
    _, stats = await api.get("/sandbox/api/stats")
    assert stats["charges"][charge] == {"user_id": ANN, "currency": "XTR", "total_amount": 100, "refunded": True}


async def test_a_card_payment_is_not_refunded_as_stars(api):
    await api.user(ANN)
    inv = await _invoice(api)
    pay = asyncio.create_task(api.post(f"/sandbox/api/users/{ANN}/pay", json={"message_id": inv["message_id"]}))
    await _bot_answers_pre_checkout(api, ok=True)
    _, body = await pay
    assert (await api.fails("refundStarPayment", user_id=ANN,
                            telegram_payment_charge_id=body["telegram_payment_charge_id"]))[1] == \
        "Bad Request: CHARGE_ID_INVALID"
