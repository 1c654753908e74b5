"""The emulator's world: users, their private chats with the bot, files, the update queue,
pending callback and pre-checkout queries, flood control and call statistics. In memory;
with a `store` (sandbox.store.ChatStore) every change is also written to disk as it happens,
so a restarted emulator shows the same people and conversations."""
from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.files import StoredFile, file_dict, photo_sizes
from sandbox.flood import FloodControl
from sandbox.markup import ApiError, inline_buttons

BOT_FIRST_NAME = "hitbot"
MAX_MESSAGES_PER_CHAT = 1000  # older messages are forgotten, in memory and on disk


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    blocked: bool = False

    def as_telegram(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out

    def as_chat(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        return out


@dataclass
class Message:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    caption: str | None = None
    html: str | None = None  # safe HTML of text or caption, for the web chat
    markup: dict[str, Any] | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    voice: StoredFile | None = None
    voice_duration: int = 1
    location: dict[str, float] | None = None
    invoice: dict[str, Any] | None = None
    successful_payment: dict[str, Any] | None = None
    entities: list[dict[str, Any]] | None = None
    edited: bool = False
    edit_date: int | None = None
    paid: bool = False


@dataclass
class Chat:
    user: User
    messages: dict[int, Message] = field(default_factory=dict)  # oldest first
    last_message_id: int = 0  # never reused, even after a delete
    version: int = 0
    reply_keyboard: dict[str, Any] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    on_change: Callable[[int], None] | None = None  # the world's feed of changed chats

    def touch(self) -> None:
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()
        if self.on_change is not None:
            self.on_change(self.user.id)


class World:
    def __init__(self, flood: FloodControl | None = None) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.flood = flood or FloodControl()
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.updates: deque[tuple[int, dict[str, Any]]] = deque()
        self.last_update_id = 0  # never reused: a bot that remembers its offset drops nothing
        self._new_update = asyncio.Event()
        self.callbacks: dict[str, asyncio.Future] = {}
        self.pre_checkouts: dict[str, asyncio.Future] = {}
        # Successful payments by charge id: who paid, in what currency, and whether Stars were refunded.
        self.charges: dict[str, dict] = {}
        self.calls: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()
        self.last_errors: deque[dict[str, Any]] = deque(maxlen=50)
        self.bot_id = 0
        self.bot_token = ""
        self.webhook_url = ""
        self.webhook_sender: Any = None  # sandbox.webhook.WebhookSender, set by the app
        self.releasing = False  # shutting down: long polls return at once
        self.feed: deque[tuple[int, int]] = deque(maxlen=10_000)  # (version, user id) per chat change
        self.feed_version = 0
        self._feed_event = asyncio.Event()
        self._poll_generation = 0  # a newer getUpdates ends the one still waiting, as on Telegram
        self.closed = False  # the server is stopping: every long poll and press answers now
        self.store: Any = None  # sandbox.store.ChatStore when the world outlives the process
        self.max_messages_per_chat = MAX_MESSAGES_PER_CHAT

    # Users and chats ----------------------------------------------------------------------
    def upsert_user(self, user_id: int, first_name: str, username: str | None, language_code: str | None) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id, first_name, username, language_code)
            self.chats[user_id] = Chat(user, on_change=self._chat_changed)
        else:
            user.first_name, user.username, user.language_code = first_name, username, language_code
        self._chat_changed(user_id)
        if self.store is not None:
            self.store.save_chat(self.chats[user_id], self.feed_version)
        return user

    def changed(self, chat: Chat, message: Message | None = None, *, deleted: int | None = None) -> None:
        """A chat changed (a message added, edited or deleted; the user blocked or back): tell
        its watchers and the store."""
        chat.touch()
        if self.store is not None:
            self.store.save_chat(chat, self.feed_version, message=message, deleted=deleted)

    def _chat_changed(self, user_id: int) -> None:
        self.feed_version += 1
        self.feed.append((self.feed_version, user_id))
        self._feed_event.set()
        self._feed_event = asyncio.Event()

    async def changes(self, since: int, timeout: float) -> tuple[int, list[int]]:
        """(version, ids of users whose chat changed after `since`), waiting up to `timeout`
        for a change: one long poll serves every chat a page shows."""
        if since > self.feed_version or self.closed:  # a page from an earlier run, or we are stopping
            return self.feed_version, list(self.users)
        if since == self.feed_version:
            try:
                await asyncio.wait_for(self._feed_event.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        if self.feed and since < self.feed[0][0] - 1:  # older than the feed remembers: everyone
            return self.feed_version, list(self.users)
        return self.feed_version, sorted({uid for v, uid in self.feed if v > since})

    def chat_for_bot(self, chat_id: Any) -> Chat:
        """The chat a bot call targets, or Telegram's error for a missing or blocking user."""
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        chat = self.chats.get(cid)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def add_message(self, chat: Chat, **fields: Any) -> Message:
        chat.last_message_id += 1
        msg = Message(message_id=chat.last_message_id, chat_id=chat.user.id, date=int(time.time()), **fields)
        chat.messages[msg.message_id] = msg
        if msg.from_bot and msg.markup is not None:
            if "keyboard" in msg.markup:
                chat.reply_keyboard = msg.markup
            elif msg.markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        while len(chat.messages) > self.max_messages_per_chat:
            del chat.messages[next(iter(chat.messages))]
        self.changed(chat, msg)
        return msg

    def store_file(self, data: bytes | None, *, file_name: str | None = None, mime_type: str | None = None,
                   url: str | None = None) -> StoredFile:
        unique = uuid.uuid4().hex[:16]
        f = StoredFile(f"sbx{uuid.uuid4().hex}", unique, data, file_name, mime_type, url)
        self.files[f.file_id] = f
        if self.store is not None:
            self.store.save_file(f)
        return f

    def set_commands(self, key: str, commands: list[dict[str, str]] | None) -> None:
        if commands is None:
            self.commands.pop(key, None)
        else:
            self.commands[key] = commands
        if self.store is not None:
            self.store.save_commands(self.commands)

    # Telegram shapes -----------------------------------------------------------------------
    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": "hitbot_sandbox_bot"}

    def telegram_message(self, msg: Message) -> dict[str, Any]:
        chat = self.chats[msg.chat_id]
        out: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date, "chat": chat.user.as_chat(),
                               "from": self.bot_user() if msg.from_bot else chat.user.as_telegram()}
        if msg.text is not None:
            out["text"] = msg.text
        if msg.caption is not None:
            out["caption"] = msg.caption
        if msg.entities:
            out["entities"] = msg.entities
        if msg.markup and "inline_keyboard" in msg.markup:
            out["reply_markup"] = msg.markup
        if msg.edit_date:
            out["edit_date"] = msg.edit_date
        if msg.photo:
            out["photo"] = photo_sizes(msg.photo)
        if msg.document:
            out["document"] = file_dict(msg.document, file_name=msg.document.file_name,
                                         mime_type=msg.document.mime_type)
        if msg.voice:
            out["voice"] = file_dict(msg.voice, duration=msg.voice_duration, mime_type=msg.voice.mime_type or "audio/ogg")
        if msg.location:
            out["location"] = msg.location
        if msg.invoice:
            out["invoice"] = {k: msg.invoice[k] for k in ("title", "description", "start_parameter", "currency",
                                                          "total_amount")}
        if msg.successful_payment:
            out["successful_payment"] = msg.successful_payment
        return out

    def view_message(self, msg: Message) -> dict[str, Any]:
        """One message as the test-client API and web chat show it."""
        def link(f: StoredFile) -> str:
            return f.url or f"/sandbox/files/{f.file_id}"

        out: dict[str, Any] = {"message_id": msg.message_id, "from_bot": msg.from_bot, "date": msg.date,
                               "text": msg.text, "caption": msg.caption, "html": msg.html,
                               "buttons": inline_buttons(msg.markup), "photo": link(msg.photo) if msg.photo else None,
                               "document": {"file_name": msg.document.file_name or "file",
                                            "url": link(msg.document)} if msg.document else None,
                               "voice": link(msg.voice) if msg.voice else None, "location": msg.location,
                               "edited": msg.edited}
        if msg.invoice:
            out["invoice"] = {"title": msg.invoice["title"], "description": msg.invoice["description"],
                              "currency": msg.invoice["currency"], "total_amount": msg.invoice["total_amount"],
                              "paid": msg.paid}
        if msg.successful_payment:
            out["payment"] = {"currency": msg.successful_payment["currency"],
                              "total_amount": msg.successful_payment["total_amount"]}
        return out

    # Updates ------------------------------------------------------------------------------
    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        self.last_update_id += 1
        update_id = self.last_update_id
        update = {"update_id": update_id, kind: payload}
        self.updates.append((update_id, update))
        if self.store is not None:
            self.store.push_update(update_id, update)
        self._new_update.set()
        self._new_update = asyncio.Event()
        return update_id

    def confirm_updates(self, below: int) -> None:
        """Forget the updates numbered below `below` (delivered and confirmed)."""
        if not self.updates or self.updates[0][0] >= below:
            return
        while self.updates and self.updates[0][0] < below:
            self.updates.popleft()
        if self.store is not None:
            self.store.confirm_updates(below)

    def clear_updates(self) -> None:
        self.updates.clear()
        if self.store is not None:
            self.store.confirm_updates(self.last_update_id + 1)

    async def get_updates(self, offset: int | None, limit: int, timeout: float,
                          allowed: list[str] | None) -> list[dict[str, Any]]:
        """Telegram's offset semantics: asking with offset N confirms every update below N."""
        if offset is not None and offset > 0:
            self.confirm_updates(offset)
        self._poll_generation += 1
        mine = self._poll_generation
        self._new_update.set()  # wake an older poll so that it sees it was superseded
        self._new_update = asyncio.Event()
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            if mine != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one "
                                    "bot instance is running")
            ready = [u for _, u in self.updates if not allowed or any(k in u for k in allowed)]
            if ready or self.releasing or time.monotonic() >= deadline:
                return ready[:limit]
            event = self._new_update
            try:
                await asyncio.wait_for(event.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                pass

    def wake(self) -> None:
        """Wake whoever waits for updates (pollers, the webhook sender)."""
        self._new_update.set()
        self._new_update = asyncio.Event()

    async def wait_for_update(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._new_update.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def release_pollers(self) -> None:
        """Answer every pending and future getUpdates at once (the bot is stopping)."""
        self.releasing = True
        self._new_update.set()

    def close(self) -> None:
        """The server is stopping: every long poll (getUpdates, the web chat's) answers now, and
        every press or payment still waiting for the bot is answered as unanswered."""
        self.closed = True
        self.release_pollers()
        self._feed_event.set()
        for chat in self.chats.values():
            chat.changed.set()
        for future in self.callbacks.values():
            if not future.done():
                future.set_result({"answered": False, "text": None, "show_alert": False})
        for future in self.pre_checkouts.values():
            if not future.done():
                future.set_result({"ok": False, "error_message": "The sandbox stopped."})

    def new_query_id(self) -> str:
        return str(uuid.uuid4().int >> 64)

    def stats(self) -> dict[str, Any]:
        return {"calls": dict(self.calls), "total_calls": sum(self.calls.values()),
                "too_many_requests": self.errors.get(429, 0),
                "client_errors": sum(n for code, n in self.errors.items() if 400 <= code < 500),
                "errors_by_code": {str(k): v for k, v in self.errors.items()},
                "recent_errors": list(self.last_errors),
                "charges": {charge_id: dict(c) for charge_id, c in self.charges.items()}}
