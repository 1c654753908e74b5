"""The emulator's world outlives its process when given a state directory: people, chats,
files, the command menu and unconfirmed updates come back after a restart, ids keep growing,
and what cannot be read back never stops the next start. Stopping answers every waiter."""
from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
import urllib.request

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from sandbox.server import SandboxServer, create_app
from sandbox.state import FloodControl, World
from sandbox.store import DB_NAME
from tests.sandbox.conftest import TOKEN, Api

ANN, BEN = 1001, 1002
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big") + b"\x08\x02"
MENU = {"inline_keyboard": [[{"text": "Browse", "callback_data": "m:browse"}]]}


@contextlib.asynccontextmanager
async def emulator(state_dir, world: World | None = None):
    """One run of the emulator on `state_dir`; leaving the block stops it as `hitbot sandbox` does."""
    app = create_app(flood_control=False, press_wait_s=0.3, pay_wait_s=0.3, state_dir=state_dir, world=world)
    async with TestClient(TestServer(app)) as client:
        yield Api(client)


async def _photo(api: Api, chat_id: int) -> dict:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("caption", "the sign")
    form.add_field("photo", PNG, filename="sign.png", content_type="image/png")
    resp = await api.client.post(f"/bot{TOKEN}/sendPhoto", data=form)
    body = await resp.json()
    assert body["ok"], body
    return body["result"]


async def test_a_restart_shows_the_same_people_chats_files_and_menu(tmp_path):
    async with emulator(tmp_path) as api:
        await api.user(ANN, "Ann", username="ann_sbx")
        await api.user(BEN, "Ben", language_code="de")
        await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "/start"})
        menu = await api.ok("sendMessage", chat_id=ANN, text="<b>Welcome</b>, Ann", parse_mode="HTML",
                            reply_markup=MENU)
        await api.ok("sendMessage", chat_id=ANN, text="pick one",
                     reply_markup={"keyboard": [["Yes", "No"]], "resize_keyboard": True})
        await api.ok("editMessageText", chat_id=ANN, message_id=menu["message_id"], text="Welcome back, Ann",
                     reply_markup=MENU)
        photo = await _photo(api, ANN)
        gone = await api.ok("sendMessage", chat_id=ANN, text="deleted later")
        await api.ok("deleteMessage", chat_id=ANN, message_id=gone["message_id"])
        form = aiohttp.FormData()
        form.add_field("document", b"a,b\n1,2\n", filename="rows.csv", content_type="text/csv")
        assert (await api.client.post(f"/sandbox/api/users/{BEN}/messages", data=form)).status == 200
        await api.post(f"/sandbox/api/users/{BEN}/block")
        await api.ok("setMyCommands", commands=[{"command": "browse", "description": "Open HITs"}])
        users, ann, ben = (await api.get("/sandbox/api/users"))[1], await api.chat(ANN), await api.chat(BEN)
        photo_id = photo["photo"][-1]["file_id"]
        document_url = ben["messages"][0]["document"]["url"]
        assert (tmp_path / "files" / photo_id).read_bytes() == PNG  # bytes on disk, beside the database

    async with emulator(tmp_path) as api:
        assert (await api.get("/sandbox/api/users"))[1] == users
        assert await api.chat(ANN) == ann and await api.chat(BEN) == ben  # messages, buttons, keyboard, blocked
        assert ann["keyboard"] == [["Yes", "No"]]
        assert (await api.get("/sandbox/api/commands"))[1]["commands"] == [
            {"command": "browse", "description": "Open HITs"}]
        got = await api.ok("getFile", file_id=photo_id)
        assert got["file_size"] == len(PNG)
        resp = await api.client.get(f"/file/bot{TOKEN}/{got['file_path']}")
        assert await resp.read() == PNG
        assert await (await api.client.get(document_url)).read() == b"a,b\n1,2\n"
        again = await api.ok("sendPhoto", chat_id=ANN, photo=photo_id)  # a file id from the last run still works
        assert again["photo"][-1]["width"] == 640
        # a deleted message's id is not reused
        assert again["message_id"] == max(m["message_id"] for m in ann["messages"]) + 2
        await api.ok("editMessageText", chat_id=ANN, message_id=menu["message_id"], text="edited after restart")


async def test_update_ids_keep_growing_and_only_unconfirmed_updates_come_back(tmp_path):
    async with emulator(tmp_path) as api:
        await api.user(ANN)
        for text in ("one", "two", "three"):
            await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": text})
        first = await api.updates(limit=2)
        await api.updates(offset=first[-1]["update_id"] + 1, limit=1)  # confirms "one" and "two"
        ids = [u["update_id"] for u in first]

    async with emulator(tmp_path) as api:
        (pending,) = await api.updates()
        assert pending["message"]["text"] == "three" and pending["update_id"] == ids[-1] + 1
        await api.post(f"/sandbox/api/users/{ANN}/messages", json={"text": "four"})
        later = await api.updates(offset=pending["update_id"] + 1)
        assert [u["message"]["text"] for u in later] == ["four"] and later[0]["update_id"] == ids[-1] + 2


async def test_a_press_nobody_waits_for_any_more_is_not_replayed(tmp_path):
    async with emulator(tmp_path) as api:
        await api.user(ANN)
        menu = await api.ok("sendMessage", chat_id=ANN, text="menu", reply_markup=MENU)
        status, answer = await api.post(f"/sandbox/api/users/{ANN}/press",
                                        json={"message_id": menu["message_id"], "callback_data": "m:browse"})
        assert status == 200 and answer["answered"] is False  # the bot never fetched it
    async with emulator(tmp_path) as api:
        assert await api.updates() == []


async def test_messages_kept_per_chat_are_capped_in_memory_and_on_disk(tmp_path):
    world = World(FloodControl(enabled=False))
    world.max_messages_per_chat = 5
    async with emulator(tmp_path, world) as api:
        await api.user(ANN)
        for i in range(8):
            await api.ok("sendMessage", chat_id=ANN, text=f"n{i}")
        assert [m["text"] for m in (await api.chat(ANN))["messages"]] == [f"n{i}" for i in range(3, 8)]
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (5,)
    async with emulator(tmp_path) as api:
        assert [m["text"] for m in (await api.chat(ANN))["messages"]] == [f"n{i}" for i in range(3, 8)]
        assert (await api.ok("sendMessage", chat_id=ANN, text="next"))["message_id"] == 9


async def test_what_cannot_be_read_back_is_skipped_not_fatal(tmp_path):
    async with emulator(tmp_path) as api:
        await api.user(ANN)
        await api.ok("sendMessage", chat_id=ANN, text="kept")
        await api.ok("sendMessage", chat_id=ANN, text="damaged")
        photo = await _photo(api, ANN)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE messages SET body = '{\"text\": \"half' WHERE message_id = 2")  # a torn write
    (tmp_path / "files" / photo["photo"][-1]["file_id"]).unlink()  # bytes removed by hand
    async with emulator(tmp_path) as api:
        chat = await api.chat(ANN)
        assert [m["text"] for m in chat["messages"]] == ["kept", None]  # the photo still shows, without bytes
        assert (await api.fails("getFile", file_id=photo["photo"][-1]["file_id"]))[0] == 400
        assert (await api.client.get(chat["messages"][1]["photo"])).status == 404
        assert (await api.ok("sendMessage", chat_id=ANN, text="on we go"))["message_id"] == 4


async def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path, caplog):
    (tmp_path / DB_NAME).write_bytes(b"this is not a database\n" * 100)
    with caplog.at_level(logging.WARNING, logger="sandbox.store"):
        async with emulator(tmp_path) as api:
            await api.user(ANN)
            assert (await api.chat(ANN))["messages"] == []
    assert "moved to" in caplog.text
    assert [p.name for p in tmp_path.glob(f"{DB_NAME}.unreadable-*")]
    async with emulator(tmp_path) as api:  # and the fresh one is kept from then on
        assert [u["id"] for u in (await api.get("/sandbox/api/users"))[1]["users"]] == [ANN]


async def test_a_page_from_an_earlier_run_is_answered_at_once(tmp_path):
    async with emulator(tmp_path) as api:
        await api.user(ANN)
        version = (await api.get("/sandbox/api/changes?timeout=0"))[1]["version"]
    async with emulator(tmp_path) as api:
        started = time.monotonic()
        status, body = await api.get("/sandbox/api/changes", params={"since": version + 50, "timeout": 20})
        assert status == 200 and body == {"version": version, "users": [ANN]}
        assert time.monotonic() - started < 2
        # the feed goes on from where it was: the page's own `since` keeps working
        status, body = await api.get("/sandbox/api/changes", params={"since": version, "timeout": 0})
        assert body["users"] == []


def test_stop_answers_open_long_polls_and_presses_at_once(tmp_path):
    server = SandboxServer(flood_control=False, state_dir=tmp_path, press_wait_s=30).start()
    answers: list = []

    def call(path: str, body: bytes | None = None) -> None:
        req = urllib.request.Request(server.url + path, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                answers.append((path.split("?")[0], resp.status))
        except OSError as exc:
            answers.append((path, repr(exc)))

    urllib.request.urlopen(urllib.request.Request(server.url + "/sandbox/api/users", method="POST",
                                                  data=b'{"id": 1001, "first_name": "Ann"}'), timeout=10).read()
    sent = urllib.request.urlopen(f"{server.url}/bot{TOKEN}/sendMessage?chat_id={ANN}&text=menu&reply_markup="
                                  '{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}', timeout=10).read()
    assert b'"ok": true' in sent or b'"ok":true' in sent
    with urllib.request.urlopen(server.url + "/sandbox/api/changes?timeout=0", timeout=10) as resp:
        feed = json.loads(resp.read())["version"]
    with urllib.request.urlopen(f"{server.url}/sandbox/api/users/{ANN}/chat", timeout=10) as resp:
        version = json.loads(resp.read())["version"]
    threads = [threading.Thread(target=call, args=(p, b)) for p, b in [
        (f"/sandbox/api/changes?since={feed}&timeout=25", None),
        (f"/sandbox/api/users/{ANN}/chat?after_version={version}&timeout=25", None),
        (f"/bot{TOKEN}/getUpdates?timeout=25&allowed_updates=%5B%22message%22%5D", None),
        (f"/sandbox/api/users/{ANN}/press", b'{"message_id": 1, "callback_data": "go"}')]]
    for t in threads:
        t.start()
    time.sleep(0.5)
    assert answers == []  # all five are waiting
    started = time.monotonic()
    server.stop()
    for t in threads:
        t.join(5)
    assert time.monotonic() - started < 2
    assert sorted(answers) == sorted([("/sandbox/api/changes", 200),
                                      (f"/sandbox/api/users/{ANN}/chat", 200), (f"/bot{TOKEN}/getUpdates", 200),
                                      (f"/sandbox/api/users/{ANN}/press", 200)]), answers


async def test_without_a_state_directory_the_world_lives_in_memory(api):
    assert api.world.store is None
