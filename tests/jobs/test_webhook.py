"""`hitbot bot --webhook URL`: PTB's webhook server takes updates that carry the secret token
and answers them through the Bot API; updates without it are refused and change nothing."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.request

from core.config import get_settings
from core.models import User
from hitbot.run import serve_bot
from tests.jobs.conftest import wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, payload: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _update(update_id: int, user_id: int, text: str) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Hana", "language_code": "en"}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1_767_600_000, "from": user,
                                                "chat": {"id": user_id, "type": "private"}, "text": text,
                                                "entities": [{"type": "bot_command", "offset": 0,
                                                              "length": len(text)}]}}


def test_webhook_accepts_only_updates_with_the_secret(database, botapi):
    settings = get_settings()
    port = _free_port()
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(serve_bot(
        settings, stop, webhook_url="https://bot.example.test/tg/hook", listen="127.0.0.1", port=port,
        secret_token="s3cret-token", ready=ready)), daemon=True)
    thread.start()
    try:
        assert ready.wait(20), "the webhook server did not start"
        assert "setWebhook" in botapi.other
        url = f"http://127.0.0.1:{port}/tg/hook"
        assert _post(url, _update(1, 5150, "/start"), secret="wrong") == 403
        assert _post(url, _update(2, 5151, "/start"), secret=None) == 403
        assert _post(url, _update(3, 5152, "/start"), secret="s3cret-token") == 200
        assert wait_until(lambda: any(s.chat_id == 5152 for s in botapi.sent), 10), "no reply to the update"
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive(), "the bot did not stop"
    assert {s.chat_id for s in botapi.sent} == {5152}
    assert User.get_or_none(User.id == 5150) is None and User.get_or_none(User.id == 5151) is None
