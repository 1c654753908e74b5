"""sandbox.scripting.Person: the helper scripts and the end-to-end tests act through."""
from __future__ import annotations

import httpx
import pytest

from sandbox.scripting import Person, SandboxError
from sandbox.server import SandboxServer

TOKEN = "55:script"


@pytest.fixture
def sandbox():
    with SandboxServer(flood_control=False, press_wait_s=0.3) as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            yield server, http


def _bot(http: httpx.Client, method: str, **params):
    body = http.post(f"/bot{TOKEN}/{method}", json=params).json()
    assert body["ok"], body
    return body["result"]


def test_wait_for_sees_new_and_edited_messages_only(sandbox):
    server, http = sandbox
    ann = Person(http, 5, "Ann")
    old = _bot(http, "sendMessage", chat_id=5, text="Balance: $1")
    ann.send("/balance")
    with pytest.raises(SandboxError, match="never saw"):
        ann.wait_for("Balance", timeout=0.3)  # the old message doesn't count
    _bot(http, "editMessageText", chat_id=5, message_id=old["message_id"], text="Balance: $2")
    assert ann.wait_for("Balance: $2")["edited"] is True
    assert ann.wait_for("$2", fresh=False)["message_id"] == old["message_id"]


def test_press_finds_buttons_by_label_and_reports_silence(sandbox):
    server, http = sandbox
    ann = Person(http, 6, "Ann")
    _bot(http, "sendMessage", chat_id=6, text="Pick",
         reply_markup={"inline_keyboard": [[{"text": "✅ Approve", "callback_data": "r:apv:1"}]]})
    assert ann.button("approve")[1] == "r:apv:1"
    with pytest.raises(SandboxError, match="no button 'Reject'"):
        ann.press("Reject")
    with pytest.raises(SandboxError, match="did not answer"):
        ann.press("Approve")  # nobody plays the bot here: unanswered after the wait
    ann.block()
    with pytest.raises(SandboxError, match="409"):
        ann.send("hello?")
    ann.unblock()
    ann.send("hello again")
