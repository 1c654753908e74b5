"""The bot in webhook mode (`hitbot bot --webhook`): it registers its URL and secret with the
emulator, which then POSTs every update to the bot's own web server instead of waiting
for getUpdates."""
from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import pytest

from sandbox.server import SandboxServer
from sandbox.scripting import Person

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_updates_arrive_by_webhook_with_the_secret(database, monkeypatch):
    from bot.app import build_application
    from core.config import get_settings
    from hitbot.run import serve_bot

    with SandboxServer(flood_control=True) as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "700000003:webhook")
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        get_settings.cache_clear()
        settings = get_settings()
        port = _free_port()
        hook = f"http://127.0.0.1:{port}/tg-hook"
        stop, ready = threading.Event(), threading.Event()
        app = build_application(settings)
        thread = threading.Thread(target=lambda: asyncio.run(serve_bot(
            settings, stop, webhook_url=hook, listen="127.0.0.1", port=port, secret_token="hook-s3cret",
            application=app, ready=ready)), daemon=True)
        thread.start()
        try:
            assert ready.wait(30)
            http = httpx.Client(base_url=server.url, timeout=30)
            info = http.post("/bot700000003:webhook/getWebhookInfo").json()["result"]
            assert info["url"] == hook
            # a forger who knows the URL but not the secret is turned away by the bot
            forged = httpx.post(hook, json={"update_id": 999, "message": {
                "message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/start"}})
            assert forged.status_code == 403
            wes = Person(http, 651, "Wes")
            wes.send("/start")
            wes.wait_for("Hi, Wes")
            assert wes.press("Browse HITs")["answered"]
            wes.wait_for("HITs")
            stats = http.get("/sandbox/api/stats").json()
            assert stats["calls"].get("getUpdates", 0) == 0 and stats["calls"]["setWebhook"] == 1
        finally:
            stop.set()
            thread.join(30)
            monkeypatch.undo()
            get_settings.cache_clear()
