"""The emulator's memory across restarts: people, their chats with the bot (the newest
MAX_MESSAGES_PER_CHAT messages of each), files and the updates the bot has not confirmed,
in one SQLite file, `chats.sqlite3`, with each file's bytes beside it in `files/`.

Every change is written as it happens, in one transaction (WAL, so a crash or a kill loses
at most the change being written, never the file). What cannot be read back is skipped, not
fatal: a message whose row is damaged, a file whose bytes are gone. A file that is not a
database at all (or from a newer sandbox) is moved aside and the sandbox starts empty."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from sandbox.files import StoredFile
from sandbox.state import Chat, Message, User, World

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DB_NAME = "chats.sqlite3"
_FILE_ID = re.compile(r"^sbx[0-9a-f]{32}$")
_FILE_FIELDS = ("photo", "document", "voice")
_MESSAGE_FIELDS = [f.name for f in dataclasses.fields(Message) if f.name not in ("message_id", "chat_id")]
# Queries nobody waits for any more: the person's press or payment ended with the old process.
_STALE_KINDS = ("callback_query", "pre_checkout_query")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chats (
    user_id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, username TEXT, language_code TEXT,
    blocked INTEGER NOT NULL DEFAULT 0, last_message_id INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0, reply_keyboard TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY, file_unique_id TEXT NOT NULL, file_name TEXT, mime_type TEXT, url TEXT,
    on_disk INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS updates (update_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""
_UPSERT_CHAT = (
    "INSERT INTO chats (user_id, first_name, username, language_code, blocked, last_message_id, version, reply_keyboard,"
    " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name,"
    " username = excluded.username, language_code = excluded.language_code, blocked = excluded.blocked,"
    " last_message_id = excluded.last_message_id, version = excluded.version, reply_keyboard = excluded.reply_keyboard")
_UPSERT_FILE = ("INSERT OR REPLACE INTO files (file_id, file_unique_id, file_name, mime_type, url, on_disk)"
                " VALUES (?, ?, ?, ?, ?, ?)")


class ChatStore:
    """Writes a World's changes to `directory` and loads them back (`load_into`)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.files_dir = self.directory / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / DB_NAME
        self.conn = self._open()
        self._failing = False

    # Opening --------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=5)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing committed
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            raise sqlite3.DatabaseError(f"written by a newer sandbox (schema {version})")
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            self._move_aside(exc)
            return self._connect()

    def _move_aside(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{DB_NAME}.unreadable-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            except FileNotFoundError:
                pass
        log.warning("sandbox chats could not be read (%s); moved to %s and starting empty", exc, aside)

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass

    # Writing --------------------------------------------------------------------------------
    def _write(self, statements: list[tuple[str, tuple]]) -> None:
        """One transaction; a failing disk is reported once and the sandbox goes on in memory."""
        try:
            with self.conn:
                for sql, args in statements:
                    self.conn.execute(sql, args)
            self._failing = False
        except (sqlite3.Error, OSError) as exc:
            if not self._failing:
                log.warning("sandbox chats not saved (%s); they live in memory until this is fixed", exc)
            self._failing = True

    def save_chat(self, chat: Chat, feed_version: int, *, message: Message | None = None,
                  deleted: int | None = None) -> None:
        u = chat.user
        keyboard = json.dumps(chat.reply_keyboard) if chat.reply_keyboard else None
        statements = [
            (_UPSERT_CHAT,
             (u.id, u.first_name, u.username, u.language_code, int(u.blocked), chat.last_message_id, chat.version,
              keyboard, time.time())),
            ("INSERT OR REPLACE INTO meta (key, value) VALUES ('feed_version', ?)", (str(feed_version),))]
        if message is not None:
            statements.append(("INSERT OR REPLACE INTO messages (chat_id, message_id, body) VALUES (?, ?, ?)",
                               (chat.user.id, message.message_id, _message_body(message))))
            if message.message_id == chat.last_message_id and chat.messages:  # a new one: the oldest may go
                statements.append(("DELETE FROM messages WHERE chat_id = ? AND message_id < ?",
                                   (chat.user.id, next(iter(chat.messages)))))
        if deleted is not None:
            statements.append(("DELETE FROM messages WHERE chat_id = ? AND message_id = ?", (chat.user.id, deleted)))
        self._write(statements)

    def save_file(self, f: StoredFile) -> None:
        """The file's bytes go to files/<file_id> (written whole, then renamed into place) and
        leave memory; its description goes to the database."""
        on_disk = False
        if f.data is not None:
            target = self.files_dir / f.file_id
            part = target.with_name(target.name + ".part")
            try:
                part.write_bytes(f.data)
                os.replace(part, target)
                f.path, f.data, on_disk = target, None, True
            except OSError as exc:
                log.warning("sandbox file %s kept in memory only (%s)", f.file_id, exc)
        self._write([(_UPSERT_FILE, (f.file_id, f.file_unique_id, f.file_name, f.mime_type, f.url, int(on_disk)))])

    def save_commands(self, commands: dict[str, list[dict[str, str]]]) -> None:
        self._write([("INSERT OR REPLACE INTO meta (key, value) VALUES ('commands', ?)", (json.dumps(commands),))])

    def push_update(self, update_id: int, update: dict[str, Any]) -> None:
        self._write([("INSERT OR REPLACE INTO updates (update_id, body) VALUES (?, ?)",
                      (update_id, json.dumps(update, separators=(",", ":")))),
                     ("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_update_id', ?)", (str(update_id),))])

    def confirm_updates(self, below: int) -> None:
        self._write([("DELETE FROM updates WHERE update_id < ?", (below,))])

    # Loading --------------------------------------------------------------------------------
    def load_into(self, world: World) -> None:
        """Fill an empty world with what was saved, and attach this store to it."""
        try:
            saved = self._read(world.max_messages_per_chat)
        except sqlite3.DatabaseError as exc:  # damaged beyond what SQLite recovers by itself
            self.close()
            self._move_aside(exc)
            self.conn = self._connect()
            saved = self._read(world.max_messages_per_chat)
        _fill(world, self.files_dir, *saved)
        world.store = self

    def _read(self, per_chat: int) -> tuple:
        c = self.conn
        meta = dict(c.execute("SELECT key, value FROM meta").fetchall())
        files = c.execute("SELECT file_id, file_unique_id, file_name, mime_type, url, on_disk FROM files").fetchall()
        chats = c.execute("SELECT user_id, first_name, username, language_code, blocked, last_message_id, version, "
                          "reply_keyboard FROM chats ORDER BY created, user_id").fetchall()
        messages = {uid: c.execute("SELECT message_id, body FROM messages WHERE chat_id = ? ORDER BY message_id DESC "
                                   "LIMIT ?", (uid, per_chat)).fetchall()[::-1] for uid, *_ in chats}
        updates = c.execute("SELECT update_id, body FROM updates ORDER BY update_id").fetchall()
        return meta, files, chats, messages, updates


def _fill(world: World, files_dir: Path, meta: dict[str, str], files: list, chats: list,
          messages: dict[int, list], updates: list) -> None:
    for file_id, unique, name, mime, url, on_disk in files:
        if _FILE_ID.match(file_id):
            path = files_dir / file_id
            world.files[file_id] = StoredFile(file_id, unique, None, name, mime, url,
                                              path=path if on_disk and path.exists() else None)
    for uid, first_name, username, lang, blocked, last_id, version, keyboard in chats:
        user = world.users[uid] = User(uid, first_name, username, lang, bool(blocked))
        chat = world.chats[uid] = Chat(user, last_message_id=last_id, version=version,
                                       reply_keyboard=_json(keyboard), on_change=world._chat_changed)
        for mid, body in messages[uid]:
            msg = _message(uid, mid, body, world.files)
            if msg is not None:
                chat.messages[mid] = msg
                chat.last_message_id = max(chat.last_message_id, mid)
    world.commands.update(_json(meta.get("commands")) or {})
    last_update = _int(meta.get("last_update_id"))
    for update_id, body in updates:
        update = _json(body)
        last_update = max(last_update, update_id)
        if isinstance(update, dict) and not any(k in update for k in _STALE_KINDS):
            world.updates.append((update_id, update))
    world.last_update_id = last_update
    world.feed_version = _int(meta.get("feed_version"))


def _int(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _message_body(msg: Message) -> str:
    body = {name: getattr(msg, name) for name in _MESSAGE_FIELDS}
    for name in _FILE_FIELDS:
        body[name] = body[name].file_id if body[name] is not None else None
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _message(chat_id: int, message_id: int, body: str, files: dict[str, StoredFile]) -> Message | None:
    data = _json(body)
    if not isinstance(data, dict):
        log.warning("sandbox message %s/%s could not be read; skipped", chat_id, message_id)
        return None
    fields = {k: v for k, v in data.items() if k in _MESSAGE_FIELDS}
    for name in _FILE_FIELDS:
        file_id = fields.get(name)
        if file_id is not None:  # a file whose row is gone still shows, as one that cannot be fetched
            fields[name] = files.get(file_id) or StoredFile(file_id, file_id, None)
    try:
        return Message(message_id=message_id, chat_id=chat_id, **fields)
    except TypeError:
        return None
