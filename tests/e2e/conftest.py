"""End to end over real HTTP: the sandbox emulator on a free port, the real bot polling it,
the jobs worker and the clock running against the test database and Redis. Tests act
only through the emulator's test-client API, as a person in the web chat would."""
from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.server import SandboxServer

TOKEN = "700000002:e2e-token"
WAIT_S = 20.0


class Person:
    """One sandbox user: acts through the test-client API and waits for what the bot shows."""

    def __init__(self, http: httpx.Client, uid: int, name: str) -> None:
        self.http = http
        self.id = uid
        self.name = name
        self._seen: dict[int, tuple] = {}
        resp = http.post("/sandbox/api/users", json={"id": uid, "first_name": name, "language_code": "en"})
        resp.raise_for_status()

    # What the chat shows ----------------------------------------------------------------------
    def chat(self, after_version: int | None = None, timeout: float = 0) -> dict[str, Any]:
        params = {} if after_version is None else {"after_version": after_version, "timeout": timeout}
        resp = self.http.get(f"/sandbox/api/users/{self.id}/chat", params=params, timeout=timeout + 10)
        resp.raise_for_status()
        return resp.json()

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.chat()["messages"] if m["from_bot"]]

    def mark(self) -> None:
        """Remember the chat as it is; wait_for then looks only at what is new or changed."""
        self._seen = {m["message_id"]: _content(m) for m in self.chat()["messages"]}

    def wait_for(self, *needles: str, timeout: float = WAIT_S, fresh: bool = True) -> dict[str, Any]:
        """The first bot message, new or changed since mark() (any, if not `fresh`), whose
        text and button labels hold every needle."""
        deadline = time.monotonic() + timeout
        chat = self.chat()
        while True:
            for m in chat["messages"]:
                if m["from_bot"] and (not fresh or self._seen.get(m["message_id"]) != _content(m)) and \
                        all(n.lower() in _text(m).lower() for n in needles):
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                recent = [(_text(m)[:160], [b["text"] for r in m["buttons"] for b in r]) for m in chat["messages"][-6:]]
                raise AssertionError(f"{self.name} never saw {needles!r}; last messages: {recent}")
            chat = self.chat(after_version=chat["version"], timeout=min(left, 5))

    # Acting ---------------------------------------------------------------------------------
    def send(self, text: str) -> None:
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/messages", json={"text": text})
        assert resp.status_code == 200, resp.text

    def upload(self, kind: str, content: bytes, filename: str, mime: str, caption: str | None = None) -> None:
        self.mark()
        data = {"caption": caption} if caption else {}
        resp = self.http.post(f"/sandbox/api/users/{self.id}/messages", data=data,
                              files={kind: (filename, content, mime)})
        assert resp.status_code == 200, resp.text

    def location(self, latitude: float, longitude: float) -> None:
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/messages",
                              json={"location": {"latitude": latitude, "longitude": longitude}})
        assert resp.status_code == 200, resp.text

    def button(self, label: str, message: dict[str, Any] | None = None) -> tuple[int, str]:
        """(message_id, callback_data) of the newest button whose label contains `label`."""
        messages = [message] if message else reversed(self.bot_messages())
        for m in messages:
            for row in m["buttons"]:
                for b in row:
                    if label.lower() in b["text"].lower() and "callback_data" in b:
                        return m["message_id"], b["callback_data"]
        raise AssertionError(f"{self.name} has no button {label!r}: "
                             f"{[[b['text'] for r in m['buttons'] for b in r] for m in self.bot_messages()[-3:]]}")

    def press(self, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        mid, data = self.button(label, message)
        return self.press_data(mid, data)

    def press_data(self, message_id: int, data: str) -> dict[str, Any]:
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/press", json={"message_id": message_id,
                                                                           "callback_data": data})
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        assert answer["answered"], f"the bot did not answer {data!r} for {self.name}"
        return answer

    def pay_invoice(self) -> dict[str, Any]:
        invoice = next(m for m in reversed(self.bot_messages()) if m.get("invoice") and not m["invoice"]["paid"])
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/pay", json={"message_id": invoice["message_id"]})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def block(self) -> None:
        assert self.http.post(f"/sandbox/api/users/{self.id}/block").status_code == 200

    def unblock(self) -> None:
        assert self.http.post(f"/sandbox/api/users/{self.id}/unblock").status_code == 200


def _text(m: dict[str, Any]) -> str:
    inv = m.get("invoice") or {}
    return " ".join([m.get("text") or m.get("caption") or "", inv.get("title", ""), inv.get("description", ""),
                     *(b["text"] for row in m["buttons"] for b in row)])


def _content(m: dict[str, Any]) -> tuple:
    return (m.get("text"), m.get("caption"), str(m["buttons"]), m.get("invoice", {}).get("paid"))


@dataclass
class Stack:
    url: str
    http: httpx.Client
    server: SandboxServer

    def person(self, uid: int, name: str) -> Person:
        return Person(self.http, uid, name)

    def stats(self) -> dict[str, Any]:
        return self.http.get("/sandbox/api/stats").json()


@pytest.fixture(scope="session")
def e2e_redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        return url
    from jobs.broker import embedded_redis_url

    return embedded_redis_url(tmp_path_factory.mktemp("e2e-redis"))


@pytest.fixture
def stack(database, e2e_redis_url, monkeypatch):
    """Emulator + bot + worker + clock, all real, over HTTP; torn down in reverse order."""
    from bot.app import build_application
    from core.config import get_settings
    from hitbot.run import prepare, serve_bot, start_clock, start_worker
    from jobs import relay

    server = SandboxServer(flood_control=True).start()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", server.url)
    monkeypatch.setenv("HITBOT_PAYMENT_PROVIDER_TOKEN", "sandbox-provider")
    monkeypatch.setenv("DATABASE_URL", database)
    get_settings.cache_clear()
    settings = get_settings()
    namespace = f"hitbot-e2e-{uuid.uuid4().hex[:10]}"
    jobs = prepare(settings, broker_url=e2e_redis_url, namespace=namespace)
    worker = start_worker(jobs, threads=2)  # few connections: the test server is shared
    clock = start_clock(settings, jobs)
    stop, ready = threading.Event(), threading.Event()
    app = build_application(settings)
    bot_thread = threading.Thread(target=lambda: asyncio.run(serve_bot(settings, stop, application=app, ready=ready)),
                                  name="e2e-bot", daemon=True)
    bot_thread.start()
    assert ready.wait(30), "the bot did not start polling"
    http = httpx.Client(base_url=server.url, timeout=30)
    try:
        yield Stack(server.url, http, server)
    finally:
        http.close()
        stop.set()
        server.release_pollers()
        bot_thread.join(30)
        clock.stop()
        worker.stop(timeout=10_000)
        relay.uninstall()
        jobs.broker.close()
        if jobs.redis is not None:
            keys = list(jobs.redis.scan_iter(match=f"{namespace}*", count=1000))
            if keys:
                jobs.redis.delete(*keys)
        server.stop()
        from core.db import db

        if hasattr(db.obj, "close_all"):  # this test's pool (prepare() opened a new one)
            db.obj.close_all()
        monkeypatch.undo()
        get_settings.cache_clear()
