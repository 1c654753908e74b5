"""An in-process Telegram: a BaseRequest that records every Bot API call and answers
with Telegram-shaped JSON, plus a harness that feeds real Updates to the Application
(the way python-telegram-bot's own test suite works). No network."""
from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

BOT_ID = 777_000


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [(b.get("text", ""), b.get("callback_data") or b.get("url") or "")
                for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class ChatMessage:
    message_id: int
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)
    edited: bool = False
    kind: str = "text"


class FakeTelegram(BaseRequest):
    """Records calls; keeps each chat's messages as the user would see them."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.chats: dict[int, dict[int, ChatMessage]] = defaultdict(dict)
        self._ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self.blocked: set[int] = set()
        self.files: dict[str, bytes] = {}
        self.file_errors: dict[str, str] = {}  # getFile of this file id fails with this Bot API description
        self.unreachable_urls: set[str] = set()  # sendPhoto with one of these fails as Telegram's would
        self.strict_edits = False  # True: refuse edits as Telegram does (gone message, nothing changed)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    def next_message_id(self, chat_id: int) -> int:
        return next(self._ids[chat_id])

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None, connect_timeout: Any = None,
                         pool_timeout: Any = None) -> tuple[int, bytes]:
        if "/file/bot" in url:  # a file download: serve what the test put in `files`
            file_id = url.rsplit("/", 1)[-1]
            return (200, self.files[file_id]) if file_id in self.files else (404, b"Not Found")
        api_method = url.rsplit("/", 1)[-1]
        params = _plain(request_data.parameters) if request_data else {}
        self.calls.append(Call(api_method, params))
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked:
            return 403, json.dumps({"ok": False, "error_code": 403,
                                    "description": "Forbidden: bot was blocked by the user"}).encode()
        if api_method == "sendPhoto" and params.get("photo") in self.unreachable_urls:
            return 400, json.dumps({"ok": False, "error_code": 400,
                                    "description": "Bad Request: failed to get HTTP URL content"}).encode()
        if api_method == "getFile" and params.get("file_id") in self.file_errors:
            return 400, json.dumps({"ok": False, "error_code": 400,
                                    "description": self.file_errors[params["file_id"]]}).encode()
        refused = self._refused_edit(api_method, params)
        if refused:
            return 400, json.dumps({"ok": False, "error_code": 400, "description": refused}).encode()
        result = self._result(api_method, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _refused_edit(self, method: str, p: dict[str, Any]) -> str | None:
        if not self.strict_edits or method not in ("editMessageText", "editMessageReplyMarkup"):
            return None
        old = self.chats[int(p["chat_id"])].get(int(p["message_id"]))
        if old is None:
            return "Bad Request: message to edit not found"
        call = self.calls[-1]
        if (method == "editMessageReplyMarkup" or call.text == old.text) and call.buttons == old.buttons:
            return ("Bad Request: message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message")
        return None

    def _result(self, method: str, p: dict[str, Any]) -> Any:
        now = int(datetime.now(timezone.utc).timestamp())
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "hitbot", "username": "hitbot_bot",
                    "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
        if method in ("sendMessage", "sendPhoto", "sendDocument", "sendInvoice", "sendVoice", "sendLocation"):
            chat_id = int(p["chat_id"])
            mid = self.next_message_id(chat_id)
            call = self.calls[-1]
            self.chats[chat_id][mid] = ChatMessage(mid, call.text, call.buttons, kind=method[4:].lower())
            msg = {"message_id": mid, "date": now, "chat": {"id": chat_id, "type": "private"},
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "hitbot"}}
            if "text" in p:
                msg["text"] = p["text"]
            if "caption" in p:
                msg["caption"] = p["caption"]
            if p.get("reply_markup"):
                msg["reply_markup"] = p["reply_markup"] if isinstance(p["reply_markup"], dict) \
                    else json.loads(p["reply_markup"])
            if method == "sendPhoto":
                msg["photo"] = [{"file_id": "sent-photo", "file_unique_id": "u", "width": 1, "height": 1}]
            if method == "sendDocument":
                msg["document"] = {"file_id": "sent-doc", "file_unique_id": "d"}
            if method == "sendInvoice":
                msg["invoice"] = {"title": p.get("title", ""), "description": p.get("description", ""),
                                  "start_parameter": "", "currency": p.get("currency", "USD"),
                                  "total_amount": sum(x["amount"] for x in p.get("prices", []))}
            return msg
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            chat_id, mid = int(p["chat_id"]), int(p["message_id"])
            old = self.chats[chat_id].get(mid)
            call = self.calls[-1]
            text = call.text if method != "editMessageReplyMarkup" else (old.text if old else "")
            self.chats[chat_id][mid] = ChatMessage(mid, text, call.buttons, edited=True,
                                                   kind=old.kind if old else "text")
            msg = {"message_id": mid, "date": now, "chat": {"id": chat_id, "type": "private"}, "text": text,
                   "edit_date": now}
            return msg
        if method == "deleteMessage":
            self.chats[int(p["chat_id"])].pop(int(p["message_id"]), None)
            return True
        if method == "getFile":
            size = len(self.files[p["file_id"]]) if p["file_id"] in self.files else 3
            return {"file_id": p["file_id"], "file_unique_id": "f", "file_size": size,
                    "file_path": f"files/{p['file_id']}"}
        if method == "getMyCommands":
            return []
        return True

    # Reading what users see -------------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if str(c.params.get("chat_id")) == str(chat_id)]

    def last_message(self, chat_id: int) -> ChatMessage:
        msgs = self.chats[chat_id]
        return msgs[max(msgs)]


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if hasattr(value, "input_file_content"):  # an uploaded file
            out[key] = {"upload": getattr(value, "filename", None) or "file", "size": len(value.input_file_content)}
        else:
            out[key] = value
    return out


@dataclass
class TgUser:
    id: int
    first_name: str = "Test"
    language_code: str = "en"
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code}
        if self.username:
            d["username"] = self.username
        return d


class BotHarness:
    """Feed updates as a user would; read back the calls the bot made."""

    def __init__(self, app: Application, tg: FakeTelegram) -> None:
        self.app = app
        self.tg = tg
        self._update_ids = itertools.count(1)
        self._user_msg_ids = itertools.count(10_000)

    async def _feed(self, payload: dict[str, Any]) -> list[Call]:
        start = len(self.tg.calls)
        payload["update_id"] = next(self._update_ids)
        await self.app.process_update(Update.de_json(payload, self.app.bot))
        return self.tg.calls[start:]

    def _message(self, user: TgUser, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._user_msg_ids), "date": int(datetime.now(timezone.utc).timestamp()),
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": user.as_dict(), **content}

    async def text(self, user: TgUser, text: str) -> list[Call]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            cmd = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(cmd)}]
        return await self._feed({"message": self._message(user, **content)})

    async def photo(self, user: TgUser, file_id: str = "photo-1", caption: str | None = None) -> list[Call]:
        content: dict[str, Any] = {"photo": [{"file_id": file_id, "file_unique_id": file_id + "u", "width": 90,
                                              "height": 90, "file_size": 1000}]}
        if caption:
            content["caption"] = caption
        return await self._feed({"message": self._message(user, **content)})

    async def document(self, user: TgUser, file_id: str = "doc-1", file_name: str = "file.pdf",
                       mime_type: str = "application/pdf", content_bytes: bytes | None = None) -> list[Call]:
        if content_bytes is not None:
            self.tg.files[file_id] = content_bytes
        return await self._feed({"message": self._message(user, document={
            "file_id": file_id, "file_unique_id": file_id + "u", "file_name": file_name, "mime_type": mime_type,
            "file_size": len(content_bytes or b"x")})})

    async def voice(self, user: TgUser, file_id: str = "voice-1", duration: int = 3) -> list[Call]:
        return await self._feed({"message": self._message(user, voice={
            "file_id": file_id, "file_unique_id": file_id + "u", "duration": duration})})

    async def location(self, user: TgUser, latitude: float, longitude: float) -> list[Call]:
        return await self._feed({"message": self._message(user, location={"latitude": latitude,
                                                                           "longitude": longitude})})

    async def press(self, user: TgUser, data: str, message_id: int | None = None) -> list[Call]:
        mid = message_id if message_id is not None else max(self.tg.chats[user.id] or {1: None})
        msg = {"message_id": mid, "date": int(datetime.now(timezone.utc).timestamp()),
               "chat": {"id": user.id, "type": "private"},
               "from": {"id": BOT_ID, "is_bot": True, "first_name": "hitbot"}, "text": "…"}
        shown = self.tg.chats[user.id].get(mid)
        if shown is not None and shown.buttons:  # as Telegram does: the pressed message comes with its keyboard
            msg["reply_markup"] = {"inline_keyboard": [[{"text": t, "url" if d.startswith("http") else "callback_data": d}]
                                                       for t, d in shown.buttons]}
        return await self._feed({"callback_query": {"id": str(next(self._update_ids)), "from": user.as_dict(),
                                                    "chat_instance": f"ci{user.id}", "data": data, "message": msg}})

    async def press_label(self, user: TgUser, label: str, message_id: int | None = None) -> list[Call]:
        """Press the button whose label contains `label` on a message (the latest by default)."""
        chat = self.tg.chats[user.id]
        ids = [message_id] if message_id is not None else sorted(chat, reverse=True)
        for mid in ids:
            for text, data in chat[mid].buttons:
                if label.lower() in text.lower():
                    return await self.press(user, data, mid)
        raise AssertionError(f"no button {label!r} in chat {user.id}: {[chat[m].buttons for m in ids[:3]]}")


def answers(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "answerCallbackQuery"]
