"""The Bot API side: /bot<token>/<method> and /file/bot<token>/<path>, with JSON, form and
multipart bodies as python-telegram-bot sends them, and Telegram's replies and errors."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from sandbox.files import StoredFile
from sandbox.keys import WORLD
from sandbox.markup import MAX_CAPTION, MAX_TEXT, ApiError, bad_request, check_markup, render, utf16_len
from sandbox.params import Params, read_params
from sandbox.state import Chat, Message, World

_TOKEN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                 "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}


def _error_body(exc: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return body


async def handle_method(request: web.Request) -> web.Response:
    world: World = request.app[WORLD]
    token, name = request.match_info["token"], request.match_info["method"]
    world.calls[name] += 1
    try:
        match = _TOKEN.match(token)
        if not match:
            raise ApiError(401, "Unauthorized")
        world.bot_id = int(match.group(1))
        world.bot_token = token  # what Mini App initData is signed with, as Telegram does
        method = METHODS.get(name.lower())
        if method is None:
            raise ApiError(404, "Not Found: method not found")
        result = await method(world, await read_params(request))
    except ApiError as exc:
        world.errors[exc.code] += 1
        world.last_errors.append({"method": name, "error_code": exc.code, "description": exc.description})
        return web.json_response(_error_body(exc), status=exc.code)
    return web.json_response({"ok": True, "result": result})


async def handle_file(request: web.Request) -> web.Response:
    world: World = request.app[WORLD]
    if not _TOKEN.match(request.match_info["token"]):
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    path = request.match_info["path"]
    f = world.files.get(path.rsplit("/", 1)[-1]) if path.startswith("files/") else None
    data = f.read() if f is not None else None
    if data is None:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
    return web.Response(body=data, content_type=f.mime_type or "application/octet-stream")


# Sending ---------------------------------------------------------------------------------
def _formatted(p: Params, field: str, limit: int, too_long: str) -> tuple[str | None, str | None]:
    raw = p.str(field)
    if raw is None or raw == "":
        return None, None
    plain, safe = render(raw, p.str("parse_mode"))
    if utf16_len(plain) > limit:
        raise bad_request(too_long)
    if not plain.strip():
        raise bad_request("message text is empty" if field == "text" else "message caption is empty")
    return plain, safe


def _send(world: World, p: Params, **fields: Any) -> dict[str, Any]:
    markup = check_markup(p.obj("reply_markup"))
    chat = world.chat_for_bot(p.raw("chat_id") if p.raw("chat_id") is not None else _missing_chat())
    world.flood.check(chat.user.id)
    msg = world.add_message(chat, from_bot=True, markup=markup, **fields)
    return world.telegram_message(msg)


def _missing_chat() -> Any:
    raise bad_request("chat_id is empty")


async def send_message(world: World, p: Params) -> dict[str, Any]:
    text, safe = _formatted(p, "text", MAX_TEXT, "message is too long")
    if text is None:
        raise bad_request("message text is empty")
    return _send(world, p, text=text, html=safe)


def _input_file(world: World, p: Params, name: str, default_mime: str) -> StoredFile:
    value = p.file(name)
    if isinstance(value, FileField):
        data = value.file.read()
        if not data:
            raise bad_request("file must be non-empty")
        mime = value.content_type if value.content_type and value.content_type != "application/octet-stream" \
            else default_mime
        return world.store_file(data, file_name=value.filename, mime_type=mime)
    if isinstance(value, str) and value:
        if value in world.files:
            return world.files[value]
        if re.match(r"^https?://", value):
            return world.store_file(None, file_name=value.rsplit("/", 1)[-1] or "file", url=value)
        raise bad_request("wrong file identifier/HTTP URL specified")
    raise bad_request(f"there is no {name} in the request")


def _media(kind: str, default_mime: str) -> Callable[[World, Params], Awaitable[dict[str, Any]]]:
    async def send(world: World, p: Params) -> dict[str, Any]:
        caption, safe = _formatted(p, "caption", MAX_CAPTION, "message caption is too long")
        f = _input_file(world, p, kind, default_mime)
        extra: dict[str, Any] = {kind: f}
        if kind == "voice":
            extra["voice_duration"] = p.int("duration", default=1) or 1
        return _send(world, p, caption=caption, html=safe, **extra)
    return send


async def send_location(world: World, p: Params) -> dict[str, Any]:
    lat, lon = p.float("latitude"), p.float("longitude")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad_request("wrong location specified")
    return _send(world, p, location={"latitude": lat, "longitude": lon})


async def send_invoice(world: World, p: Params) -> dict[str, Any]:
    title, description, payload = p.str("title") or "", p.str("description") or "", p.str("payload") or ""
    currency = (p.str("currency") or "").upper()
    if not 1 <= len(title) <= 32:
        raise bad_request("TITLE_INVALID" if title else "title is empty")
    if not 1 <= len(description) <= 255:
        raise bad_request("DESCRIPTION_INVALID" if description else "description is empty")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("PAYLOAD_INVALID" if payload else "invoice payload is empty")
    if not re.match(r"^[A-Z]{3}$", currency):
        raise bad_request("CURRENCY_INVALID")
    prices = p.obj("prices")
    if not isinstance(prices, list) or not prices or not all(isinstance(x, dict) and isinstance(x.get("amount"), int)
                                                              and x.get("label") for x in prices):
        raise bad_request("can't parse prices JSON object")
    total = sum(x["amount"] for x in prices)
    if total <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    if currency == "XTR" and (p.str("provider_token") or len(prices) != 1):
        # Telegram Stars: no payment provider, and exactly one price.
        raise bad_request("PROVIDER_TOKEN_INVALID" if p.str("provider_token") else "STARS_INVOICE_INVALID")
    if currency != "XTR" and not p.str("provider_token"):
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    invoice = {"title": title, "description": description, "start_parameter": p.str("start_parameter") or "",
               "currency": currency, "total_amount": total, "payload": payload}
    return _send(world, p, text=None, invoice=invoice)


# Editing ---------------------------------------------------------------------------------
def _target(world: World, p: Params, verb: str) -> tuple[Chat, Message]:
    if p.raw("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = world.chat_for_bot(p.raw("chat_id") if p.raw("chat_id") is not None else _missing_chat())
    mid = p.int("message_id", required=True)
    msg = chat.messages.get(mid)
    if msg is None:
        raise bad_request(f"message to {verb} not found")
    if verb == "edit" and not msg.from_bot:
        raise bad_request("message can't be edited")
    return chat, msg


_NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                 "as a current content and reply markup of the message")


def _apply_edit(world: World, chat: Chat, msg: Message, **changes: Any) -> dict[str, Any]:
    if all(getattr(msg, k) == v for k, v in changes.items()):
        raise bad_request(_NOT_MODIFIED)
    for k, v in changes.items():
        setattr(msg, k, v)
    msg.edited = True
    msg.edit_date = int(time.time())
    world.changed(chat, msg)
    return world.telegram_message(msg)


async def edit_message_text(world: World, p: Params) -> dict[str, Any]:
    chat, msg = _target(world, p, "edit")
    text, safe = _formatted(p, "text", MAX_TEXT, "message is too long")
    if text is None:
        raise bad_request("message text is empty")
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    return _apply_edit(world, chat, msg, text=text, html=safe, markup=check_markup(p.obj("reply_markup")))


async def edit_message_caption(world: World, p: Params) -> dict[str, Any]:
    chat, msg = _target(world, p, "edit")
    if msg.text is not None or msg.invoice:
        raise bad_request("there is no caption in the message to edit")
    caption, safe = _formatted(p, "caption", MAX_CAPTION, "message caption is too long")
    return _apply_edit(world, chat, msg, caption=caption, html=safe, markup=check_markup(p.obj("reply_markup")))


async def edit_message_reply_markup(world: World, p: Params) -> dict[str, Any]:
    chat, msg = _target(world, p, "edit")
    return _apply_edit(world, chat, msg, markup=check_markup(p.obj("reply_markup")))


async def delete_message(world: World, p: Params) -> bool:
    chat, msg = _target(world, p, "delete")
    del chat.messages[msg.message_id]
    world.changed(chat, deleted=msg.message_id)
    return True


# Queries, commands, files, updates ----------------------------------------------------------
_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


async def answer_callback_query(world: World, p: Params) -> bool:
    future = world.callbacks.get(p.str("callback_query_id") or "")
    if future is None or future.done():
        raise bad_request(_TOO_OLD)
    text = p.str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    future.set_result({"answered": True, "text": text, "show_alert": p.bool("show_alert"), "url": p.str("url"),
                       "at": time.perf_counter()})
    return True


async def refund_star_payment(world: World, p: Params) -> bool:
    """Gives a Stars payment back to the user who made it (the whole payment, once)."""
    user_id, charge_id = p.int("user_id", required=True), p.str("telegram_payment_charge_id") or ""
    charge = world.charges.get(charge_id)
    if charge is None or charge["user_id"] != user_id or charge["currency"] != "XTR":
        raise bad_request("CHARGE_ID_INVALID")
    if charge["refunded"]:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge["refunded"] = True
    return True


async def answer_pre_checkout_query(world: World, p: Params) -> bool:
    future = world.pre_checkouts.get(p.str("pre_checkout_query_id") or "")
    if future is None or future.done():
        raise bad_request(_TOO_OLD)
    ok = p.bool("ok")
    if not ok and not p.str("error_message"):
        raise bad_request("ERROR_MESSAGE_EMPTY")
    future.set_result({"ok": ok, "error_message": p.str("error_message")})
    return True


def _commands_key(p: Params) -> str:
    scope = p.obj("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (p.str("language_code") or "")


async def set_my_commands(world: World, p: Params) -> bool:
    commands = p.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object" if not isinstance(commands, list) else "too many commands")
    for c in commands:
        if not isinstance(c, dict) or not _COMMAND.match(str(c.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(c.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    world.set_commands(_commands_key(p), [{"command": c["command"], "description": c["description"]}
                                          for c in commands])
    return True


async def get_my_commands(world: World, p: Params) -> list[dict[str, str]]:
    return world.commands.get(_commands_key(p), [])


async def delete_my_commands(world: World, p: Params) -> bool:
    world.set_commands(_commands_key(p), None)
    return True


async def get_file(world: World, p: Params) -> dict[str, Any]:
    f = world.files.get(p.str("file_id") or "")
    if f is None:
        raise bad_request("invalid file_id")
    size = f.size
    if size is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    return {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": size,
            "file_path": f.file_path}


async def get_updates(world: World, p: Params) -> list[dict[str, Any]]:
    if world.webhook_url:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                            "to delete the webhook first")
    limit = min(100, max(1, p.int("limit", default=100) or 100))
    timeout = min(50.0, max(0.0, float(p.int("timeout", default=0) or 0)))
    allowed = p.obj("allowed_updates") or None
    return await world.get_updates(p.int("offset"), limit, timeout, allowed)


_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


async def set_webhook(world: World, p: Params) -> bool:
    url = p.str("url") or ""
    if not url:
        return await delete_webhook(world, p)
    if not re.match(r"^https?://[^/\s]+", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.str("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    if p.bool("drop_pending_updates"):
        world.clear_updates()
    world.webhook_url = url
    if world.webhook_sender is not None:
        world.webhook_sender.set(url, secret)
    return True


async def delete_webhook(world: World, p: Params) -> bool:
    world.webhook_url = ""
    if world.webhook_sender is not None:
        world.webhook_sender.clear()
    if p.bool("drop_pending_updates"):
        world.clear_updates()
    return True


async def get_webhook_info(world: World, p: Params) -> dict[str, Any]:
    if world.webhook_sender is not None:
        return world.webhook_sender.info()
    return {"url": world.webhook_url, "has_custom_certificate": False, "pending_update_count": len(world.updates)}


async def get_me(world: World, p: Params) -> dict[str, Any]:
    return {**world.bot_user(), "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}


async def get_chat(world: World, p: Params) -> dict[str, Any]:
    chat = world.chats.get(p.int("chat_id", required=True) or 0)
    if chat is None:
        raise bad_request("chat not found")
    return {**chat.user.as_chat(), "accent_color_id": 0, "max_reaction_count": 11}


async def send_chat_action(world: World, p: Params) -> bool:
    if p.str("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.chat_for_bot(p.raw("chat_id") if p.raw("chat_id") is not None else _missing_chat())
    return True


async def _true(world: World, p: Params) -> bool:
    return True


METHODS: dict[str, Callable[[World, Params], Awaitable[Any]]] = {
    "getme": get_me, "getupdates": get_updates, "setwebhook": set_webhook, "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info, "logout": _true, "close": _true,
    "sendmessage": send_message, "sendphoto": _media("photo", "image/jpeg"),
    "senddocument": _media("document", "application/octet-stream"), "sendvoice": _media("voice", "audio/ogg"),
    "sendlocation": send_location, "sendinvoice": send_invoice, "sendchataction": send_chat_action,
    "editmessagetext": edit_message_text, "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup, "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query, "answerprecheckoutquery": answer_pre_checkout_query,
    "refundstarpayment": refund_star_payment,
    "setmycommands": set_my_commands, "getmycommands": get_my_commands, "deletemycommands": delete_my_commands,
    "getfile": get_file, "getchat": get_chat,
}
