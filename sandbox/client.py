"""The test-client API under /sandbox/api/: act as users (messages, button presses,
payments, blocking) and read chats back. Used by the web chat, e2e tests and scripts."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import uuid
from urllib.parse import quote, urlencode
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from sandbox.markup import MAX_CAPTION, MAX_TEXT, utf16_len
from sandbox.keys import PAY_WAIT_S, PRESS_WAIT_S, WORLD
from sandbox.state import Chat, Message, User, World

DEFAULT_PRESS_WAIT_S = 5.0
DEFAULT_PAY_WAIT_S = 10.0
MAX_CHAT_WAIT_S = 60.0
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # what a bot may download through the Bot API
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


class ClientError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@web.middleware
async def client_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ClientError as exc:
        return web.json_response({"error": exc.message}, status=exc.status)
    except ConnectionResetError:  # the peer hung up while its request was read (a stopping bot): nobody to answer
        return web.Response(status=400)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise ClientError(400, "The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise ClientError(400, "The body must be a JSON object.")
    return data


def _world(request: web.Request) -> World:
    return request.app[WORLD]


def _user(request: web.Request, *, active: bool = True) -> tuple[World, User, Chat]:
    world = _world(request)
    try:
        user = world.users[int(request.match_info["user_id"])]
    except (KeyError, ValueError):
        raise ClientError(404, "No such user; create it with POST /sandbox/api/users first.") from None
    if active and user.blocked:
        raise ClientError(409, "This user has blocked the bot; unblock first.")
    return world, user, world.chats[user.id]


def _user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "first_name": user.first_name, "username": user.username,
            "language_code": user.language_code, "blocked": user.blocked}


async def create_user(request: web.Request) -> web.Response:
    data = await _json(request)
    uid, name = data.get("id"), data.get("first_name")
    if not isinstance(uid, int) or isinstance(uid, bool) or not 1 <= uid <= 2**52:
        raise ClientError(400, "id must be a positive whole number (a Telegram user id).")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
        raise ClientError(400, "first_name must be 1 to 64 characters.")
    username, lang = data.get("username"), data.get("language_code", "en")
    if username is not None and (not isinstance(username, str) or not re.fullmatch(r"[A-Za-z0-9_]{5,32}", username)):
        raise ClientError(400, "username must be 5 to 32 letters, digits or underscores.")
    if lang is not None and (not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", lang)):
        raise ClientError(400, "language_code must be an IETF code such as en or pt-BR.")
    user = _world(request).upsert_user(uid, name.strip(), username, lang)
    return web.json_response(_user_view(user))


async def list_users(request: web.Request) -> web.Response:
    return web.json_response({"users": [_user_view(u) for u in _world(request).users.values()]})


def _deliver(world: World, chat: Chat, **fields: Any) -> Message:
    msg = world.add_message(chat, from_bot=False, **fields)
    world.push_update("message", world.telegram_message(msg))
    return msg


async def send_message(request: web.Request) -> web.Response:
    world, user, chat = _user(request)
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _send_upload(request, world, chat)
    data = await _json(request)
    if "location" in data:
        loc = data["location"]
        try:
            lat, lon = float(loc["latitude"]), float(loc["longitude"])
        except (TypeError, KeyError, ValueError):
            raise ClientError(400, "location needs numeric latitude and longitude.") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ClientError(400, "latitude must be within -90..90 and longitude within -180..180.")
        msg = _deliver(world, chat, location={"latitude": lat, "longitude": lon})
        return web.json_response({"message_id": msg.message_id})
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ClientError(400, "Send {\"text\": ...}, {\"location\": {...}} or a multipart photo/document/voice.")
    if utf16_len(text) > MAX_TEXT:
        raise ClientError(400, f"A message holds at most {MAX_TEXT} characters.")
    entities = [{"type": "bot_command", "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group(0))}
                for m in _COMMAND.finditer(text) if m.start() == 0 or text[m.start() - 1].isspace()]
    keyboard = chat.reply_keyboard
    if keyboard and keyboard.get("one_time_keyboard") and any(
            (b if isinstance(b, str) else b.get("text")) == text for row in keyboard["keyboard"] for b in row):
        chat.reply_keyboard = None
    msg = _deliver(world, chat, text=text, entities=entities or None)
    return web.json_response({"message_id": msg.message_id})


async def _send_upload(request: web.Request, world: World, chat: Chat) -> web.Response:
    form = await request.post()
    kinds = [k for k in ("photo", "document", "voice") if isinstance(form.get(k), FileField)]
    if len(kinds) != 1:
        raise ClientError(400, "Attach exactly one file as photo, document or voice.")
    kind = kinds[0]
    upload: FileField = form[kind]
    data = upload.file.read()
    if not data:
        raise ClientError(400, "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ClientError(413, "Files are limited to 20 MB.")
    caption = form.get("caption") or None
    if caption is not None and utf16_len(str(caption)) > MAX_CAPTION:
        raise ClientError(400, f"A caption holds at most {MAX_CAPTION} characters.")
    defaults = {"photo": "image/jpeg", "document": "application/octet-stream", "voice": "audio/ogg"}
    mime = upload.content_type if upload.content_type and upload.content_type != "application/octet-stream" \
        else defaults[kind]
    stored = world.store_file(data, file_name=upload.filename or f"{kind}.bin", mime_type=mime)
    extra: dict[str, Any] = {kind: stored}
    if kind == "voice":
        try:
            extra["voice_duration"] = max(1, min(3600, int(form.get("duration") or 1)))
        except ValueError:
            raise ClientError(400, "duration must be a whole number of seconds.") from None
    msg = _deliver(world, chat, caption=str(caption) if caption else None, **extra)
    return web.json_response({"message_id": msg.message_id})


def _bot_message(chat: Chat, data: dict[str, Any]) -> Message:
    mid = data.get("message_id")
    msg = chat.messages.get(mid) if isinstance(mid, int) else None
    if msg is None or not msg.from_bot:
        raise ClientError(400, "No such message from the bot in this chat.")
    return msg


async def press(request: web.Request) -> web.Response:
    world, user, chat = _user(request)
    data = await _json(request)
    msg = _bot_message(chat, data)
    wanted = data.get("callback_data")
    buttons = [b for row in (msg.markup or {}).get("inline_keyboard", []) for b in row]
    if data.get("forged") is True:
        # A modified client can send any data with a press; the bot must re-check everything.
        if not isinstance(wanted, str) or not 1 <= len(wanted.encode()) <= 64:
            raise ClientError(400, "callback_data must be 1 to 64 bytes.")
    elif not isinstance(wanted, str) or not any(b.get("callback_data") == wanted for b in buttons):
        raise ClientError(400, "That message has no button with this callback_data.")
    if world.closed:
        raise ClientError(503, "The sandbox is stopping; try again once it is back.")
    query_id = world.new_query_id()
    pressed_at = time.perf_counter()
    future: asyncio.Future = asyncio.get_running_loop().create_future()
    world.callbacks[query_id] = future
    world.push_update("callback_query", {"id": query_id, "from": user.as_telegram(), "data": wanted,
                                         "chat_instance": str(user.id * 7 + 3),
                                         "message": world.telegram_message(msg)})
    try:
        result = await asyncio.wait_for(asyncio.shield(future), request.app[PRESS_WAIT_S])
    except asyncio.TimeoutError:
        result = {"answered": False, "text": None, "show_alert": False}
    finally:
        world.callbacks.pop(query_id, None)
    # How long the press waited for the bot's answer, as Telegram's servers would see it (the caller's own
    # round trip and event loop not counted).
    waited = round((result.get("at", time.perf_counter()) - pressed_at) * 1000, 1) if result["answered"] else None
    return web.json_response({"answered": result["answered"], "text": result["text"],
                              "show_alert": result["show_alert"], "answered_ms": waited})


def init_data(user: User, bot_token: str, now: float | None = None) -> str:
    """Mini App initData as Telegram signs it: HMAC-SHA256 of the sorted key=value lines under
    HMAC-SHA256 of the bot token keyed with "WebAppData"."""
    fields = {"query_id": f"AA{uuid.uuid4().hex[:20]}", "auth_date": str(int(now if now is not None else time.time())),
              "user": json.dumps(user.as_telegram(), separators=(",", ":"), ensure_ascii=False)}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def open_web_app(request: web.Request) -> web.Response:
    """A web_app button opened by that user: the URL to load, with initData in its fragment as
    Telegram passes it (tgWebAppData)."""
    world, user, chat = _user(request)
    data = await _json(request)
    msg = _bot_message(chat, data)
    buttons = [b for row in (msg.markup or {}).get("inline_keyboard", []) for b in row]
    url = data.get("url")
    if not any(isinstance(b.get("web_app"), dict) and b["web_app"].get("url") == url for b in buttons):
        raise ClientError(400, "That message has no web_app button with this URL.")
    fragment = urlencode({"tgWebAppData": init_data(user, world.bot_token), "tgWebAppVersion": "7.0",
                          "tgWebAppPlatform": "web"})
    return web.json_response({"url": f"{url}#{fragment}"})


async def pay(request: web.Request) -> web.Response:
    world, user, chat = _user(request)
    data = await _json(request)
    msg = _bot_message(chat, data)
    if not msg.invoice:
        raise ClientError(400, "That message is not an invoice.")
    if msg.paid:
        raise ClientError(409, "This invoice has already been paid.")
    inv = msg.invoice
    if world.closed:
        raise ClientError(503, "The sandbox is stopping; try again once it is back.")
    query_id = world.new_query_id()
    future: asyncio.Future = asyncio.get_running_loop().create_future()
    world.pre_checkouts[query_id] = future
    world.push_update("pre_checkout_query", {"id": query_id, "from": user.as_telegram(), "currency": inv["currency"],
                                             "total_amount": inv["total_amount"], "invoice_payload": inv["payload"]})
    try:
        answer = await asyncio.wait_for(asyncio.shield(future), request.app[PAY_WAIT_S])
    except asyncio.TimeoutError:
        return web.json_response({"paid": False, "error": "The bot did not confirm the payment in time."})
    finally:
        world.pre_checkouts.pop(query_id, None)
    if not answer["ok"]:
        return web.json_response({"paid": False, "error": answer["error_message"]})
    msg.paid = True
    world.changed(chat, msg)
    charge = f"sbx_{uuid.uuid4().hex[:20]}"
    world.charges[charge] = {"user_id": user.id, "currency": inv["currency"], "total_amount": inv["total_amount"],
                             "refunded": False}
    receipt = _deliver(world, chat, successful_payment={
        "currency": inv["currency"], "total_amount": inv["total_amount"], "invoice_payload": inv["payload"],
        "telegram_payment_charge_id": charge, "provider_payment_charge_id": f"prov_{charge}"})
    return web.json_response({"paid": True, "message_id": receipt.message_id, "telegram_payment_charge_id": charge})


def _member_update(world: World, user: User, old: str, new: str) -> None:
    now = int(time.time())
    world.push_update("my_chat_member", {
        "chat": user.as_chat(), "from": user.as_telegram(), "date": now,
        "old_chat_member": {"status": old, "user": world.bot_user(), **({"until_date": 0} if old == "kicked" else {})},
        "new_chat_member": {"status": new, "user": world.bot_user(), **({"until_date": 0} if new == "kicked" else {})}})


async def block(request: web.Request) -> web.Response:
    world, user, chat = _user(request, active=False)
    if not user.blocked:
        user.blocked = True
        _member_update(world, user, "member", "kicked")
        world.changed(chat)
    return web.json_response(_user_view(user))


async def unblock(request: web.Request) -> web.Response:
    world, user, chat = _user(request, active=False)
    if user.blocked:
        user.blocked = False
        _member_update(world, user, "kicked", "member")
        world.changed(chat)
    return web.json_response(_user_view(user))


def _number(request: web.Request, name: str, default: float | None, low: float, high: float) -> float | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ClientError(400, f"{name} must be a number.") from None
    if not low <= value <= high:
        raise ClientError(400, f"{name} must be between {low:g} and {high:g}.")
    return value


async def chat_view(request: web.Request) -> web.Response:
    world, user, chat = _user(request, active=False)
    after = _number(request, "after_version", None, 0, 2**53)
    timeout = _number(request, "timeout", 25.0, 0, MAX_CHAT_WAIT_S)
    if after is not None and chat.version <= after and not world.closed:
        try:
            await asyncio.wait_for(chat.changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass
    keyboard = None
    if chat.reply_keyboard:
        keyboard = [[b if isinstance(b, str) else b.get("text", "") for b in row]
                    for row in chat.reply_keyboard["keyboard"]]
    return web.json_response({"version": chat.version, "user": _user_view(user), "keyboard": keyboard,
                              "messages": [world.view_message(m) for m in chat.messages.values()]})


async def changes(request: web.Request) -> web.Response:
    """Which users' chats changed after version `since` (long poll up to `timeout` s): the web
    chat waits here once for all its open chats, instead of one connection per chat."""
    since = _number(request, "since", 0, 0, 2**53)
    timeout = _number(request, "timeout", 25.0, 0, MAX_CHAT_WAIT_S)
    version, users = await _world(request).changes(int(since), timeout)
    return web.json_response({"version": version, "users": users})


async def commands(request: web.Request) -> web.Response:
    """The bot's command menu as Telegram shows it behind the Menu button: with `chat_id`, that chat's
    own menu first (for its language, then any), then the default one for the language, then the default."""
    world = _world(request)
    lang = request.query.get("language_code", "")
    chat = request.query.get("chat_id", "")
    scopes = [json.dumps({"chat_id": int(chat), "type": "chat"}, sort_keys=True)] if chat.lstrip("-").isdigit() else []
    scopes.append('{"type": "default"}')
    for scope in scopes:
        for key in ([scope + "|" + lang] if lang else []) + [scope + "|"]:
            if world.commands.get(key) is not None:
                return web.json_response({"commands": world.commands[key]})
    return web.json_response({"commands": []})


async def stats(request: web.Request) -> web.Response:
    return web.json_response(_world(request).stats())


async def settings(request: web.Request) -> web.Response:
    world = _world(request)
    if request.method == "POST":
        data = await _json(request)
        if "flood_control" in data:
            if not isinstance(data["flood_control"], bool):
                raise ClientError(400, "flood_control must be true or false.")
            world.flood.enabled = data["flood_control"]
    return web.json_response({"flood_control": world.flood.enabled})


async def file_download(request: web.Request) -> web.Response:
    f = _world(request).files.get(request.match_info["file_id"])
    data = f.read() if f is not None else None
    if data is None:
        raise ClientError(404, "No such file.")
    headers = {}
    if f.file_name and not (f.mime_type or "").startswith("image/"):
        headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(f.file_name)
    return web.Response(body=data, content_type=f.mime_type or "application/octet-stream", headers=headers)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/sandbox/api/users", create_user)
    app.router.add_get("/sandbox/api/users", list_users)
    app.router.add_post("/sandbox/api/users/{user_id}/messages", send_message)
    app.router.add_post("/sandbox/api/users/{user_id}/press", press)
    app.router.add_post("/sandbox/api/users/{user_id}/pay", pay)
    app.router.add_post("/sandbox/api/users/{user_id}/webapp", open_web_app)
    app.router.add_post("/sandbox/api/users/{user_id}/block", block)
    app.router.add_post("/sandbox/api/users/{user_id}/unblock", unblock)
    app.router.add_get("/sandbox/api/users/{user_id}/chat", chat_view)
    app.router.add_get("/sandbox/api/changes", changes)
    app.router.add_get("/sandbox/api/commands", commands)
    app.router.add_get("/sandbox/api/stats", stats)
    app.router.add_route("*", "/sandbox/api/settings", settings)
    app.router.add_get("/sandbox/files/{file_id}", file_download)

