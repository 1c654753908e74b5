"""`hitbot sandbox --demo` as a user runs it, and the demo seeding."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from core.models import Hit
from core.payments import accounts
from hitbot import sandbox_cmd
from sandbox.server import SandboxServer
from tests.invariants import check_invariants


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_seed_demo_is_funded_published_and_idempotent(database, now, monkeypatch):
    monkeypatch.setenv("HITBOT_ADMINS", str(sandbox_cmd.ADMIN["id"]))
    from core.config import get_settings
    get_settings.cache_clear()
    try:
        with SandboxServer(flood_control=False) as server:
            hits = sandbox_cmd.seed_demo(server.url, now=now)
            assert len(hits) == len(sandbox_cmd.DEMO_HITS)
            assert {u["id"] for u in _get(server.url + "/sandbox/api/users")["users"]} == {100, 101, 201, 202}
            balance = accounts.balances(user_id=sandbox_cmd.REQUESTER["id"]).available_cents
            assert 0 < balance < sandbox_cmd.DEMO_FUNDS_CENTS  # funded, and the HITs' escrow taken from it
            kinds = {q["kind"] for spec in sandbox_cmd.DEMO_HITS for q in spec["questions"]}
            assert len(kinds) >= 6
            assert sandbox_cmd.seed_demo(server.url, now=now) == []  # a second run publishes and pays nothing
            assert Hit.select().count() == len(sandbox_cmd.DEMO_HITS)
            assert accounts.balances(user_id=sandbox_cmd.REQUESTER["id"]).available_cents == balance
            check_invariants()
    finally:
        get_settings.cache_clear()


def test_seed_demo_adds_a_web_task_once_when_task_pages_are_served(database, now, monkeypatch):
    from core.config import get_settings
    from core.models import Question

    monkeypatch.setenv("HITBOT_ADMINS", str(sandbox_cmd.ADMIN["id"]))
    monkeypatch.setenv("HITBOT_TASKS_URL", "http://127.0.0.1:8766")
    get_settings.cache_clear()
    try:
        with SandboxServer(flood_control=False) as server:
            hits = sandbox_cmd.seed_demo(server.url, now=now)
            assert len(hits) == len(sandbox_cmd.DEMO_HITS) + 1
            web = Hit.get(Hit.title == sandbox_cmd.DEMO_WEB_HIT["title"])
            assert [q.kind for q in Question.select().where(Question.hit == web.id)] == ["web"]
            assert sandbox_cmd.seed_demo(server.url, now=now) == []
            assert Hit.select().count() == len(sandbox_cmd.DEMO_HITS) + 1
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
def test_hitbot_sandbox_demo_serves_chat_and_stops_on_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "HITBOT_", "DATABASE_", "REDIS_"))}
    env["HITBOT_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "hitbot.cli", "sandbox", "--demo", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        output = []
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "open http://" in line:
                url = line.split("open ", 1)[1].split()[0]
        assert url, "".join(output)
        assert len(_get(url + "/sandbox/api/users")["users"]) == 4
        chat = {}
        for _ in range(50):  # every demo chat opens on the bot's menu, nobody had to type /start
            chat = _get(url + "/sandbox/api/users/201/chat")
            if any(m["from_bot"] for m in chat["messages"]):
                break
            time.sleep(0.2)
        reply = [m for m in chat["messages"] if m["from_bot"]]
        assert reply and "Wes" in reply[0]["text"] and reply[0]["buttons"], chat
        _post(url + "/sandbox/api/users/101/messages", {"text": "/balance"})
        for _ in range(50):
            texts = [m["text"] or "" for m in _get(url + "/sandbox/api/users/101/chat")["messages"] if m["from_bot"]]
            if any("$44.54" in t for t in texts):
                break
            time.sleep(0.2)
        # Rita's $50.00 less the demo HITs' escrow (rewards x assignments + 20 % fee): $4.26 for the three
        # chat HITs, $1.20 for the web task (5 x $0.20 + fee)
        assert any("$44.54" in t for t in texts), texts
        commands = [c["command"] for c in _get(url + "/sandbox/api/commands")["commands"]]
        assert {"start", "browse", "newhit", "review", "withdraw"} <= set(commands)  # the ☰ menu
        with urllib.request.urlopen(url + "/", timeout=10) as resp:
            assert b"hitbot sandbox" in resp.read()
        assert (tmp_path / "sandbox" / "hitbot.sqlite3").exists()  # its own database under the data dir
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert "stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def restored_env():
    """`hitbot sandbox` rewrites this process's environment; put it back for the other tests."""
    from core.config import get_settings

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


def test_port_in_use_is_a_clear_error(tmp_path, capsys, restored_env):
    import socket

    from hitbot.cli import main

    os.environ["HITBOT_DATA_DIR"] = str(tmp_path)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        assert main(["sandbox", "--port", str(taken.getsockname()[1])]) == 2
    finally:
        taken.close()
    assert "pick another port with --port" in capsys.readouterr().err


def test_bad_port_is_refused_by_the_parser(capsys):
    from hitbot.cli import main

    with pytest.raises(SystemExit):
        main(["sandbox", "--port", "99999"])
    assert "between 0 and 65535" in capsys.readouterr().err


def test_demo_in_a_currency_without_cents_still_starts(database, now, monkeypatch, capsys):
    """Rewards such as 0.15 don't exist in yen: those HITs are skipped with a note, the rest seeds."""
    from core.config import get_settings

    monkeypatch.setenv("HITBOT_ADMINS", str(sandbox_cmd.ADMIN["id"]))
    monkeypatch.setenv("HITBOT_CURRENCY", "JPY")
    get_settings.cache_clear()
    try:
        with SandboxServer(flood_control=False) as server:
            assert sandbox_cmd.seed_demo(server.url, now=now) == []
        assert accounts.balances(user_id=sandbox_cmd.REQUESTER["id"]).available_cents == sandbox_cmd.DEMO_FUNDS_CENTS
        assert "not published" in capsys.readouterr().out
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
