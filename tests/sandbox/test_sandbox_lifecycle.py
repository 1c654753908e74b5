"""`hitbot sandbox` as a person runs it, across Ctrl-C and restarts: it stops within 3 s and
quietly (long polls open or not), and a restart on the same data directory shows the same
people and conversations, with a bot that still answers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.scripting import Person

STOP_WITHIN_S = 3.0


def _get(url: str, timeout: float = 10) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


class SandboxProcess:
    """`hitbot sandbox --port 0` in a subprocess on a data directory, ready once it has
    printed its banner (the bot is polling by then)."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "HITBOT_", "DATABASE_", "REDIS_"))}
        env["HITBOT_DATA_DIR"] = str(data_dir)
        self.proc = subprocess.Popen([sys.executable, "-m", "hitbot.cli", "sandbox", "--port", "0", *args],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True).start()
        if not self._ready.wait(90) or not self.url:
            self.kill()
            time.sleep(0.2)  # let the readers drain the pipes
            raise AssertionError(f"the sandbox did not start (exit {self.proc.poll()}): " + "".join(self.out)
                                 + "".join(self.err))

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            self.out.append(line)
            if "open http://" in line:
                self.url = line.split("open ", 1)[1].split()[0]
            if "Ctrl-C stops everything" in line:
                self._ready.set()
        self._ready.set()

    def interrupt(self) -> tuple[float, int]:
        """Ctrl-C: (seconds until the process was gone, exit status)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the sandbox did not stop within 30 s of Ctrl-C") from None
        elapsed = time.monotonic() - started
        time.sleep(0.2)  # let the readers drain the pipes
        return elapsed, code

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def sandboxes():
    started: list[SandboxProcess] = []

    def start(data_dir: Path, *args: str) -> SandboxProcess:
        p = SandboxProcess(data_dir, *args)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


def _long_poll(url: str, results: list) -> threading.Thread:
    def run() -> None:
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:
                results.append(resp.status)
        except (urllib.error.URLError, OSError) as exc:  # the server went away: also an answer
            results.append(type(exc).__name__)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _assert_quiet_stop(p: SandboxProcess) -> float:
    elapsed, code = p.interrupt()
    assert code == 0, p.stderr
    assert "Traceback" not in p.stderr and "Connection lost" not in p.stderr, p.stderr
    assert elapsed < STOP_WITHIN_S, f"Ctrl-C took {elapsed:.1f} s"
    assert "hitbot sandbox stopped." in "".join(p.out)
    return elapsed


def _wait_for_bot(url: str, uid: int, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        messages = _get(f"{url}/sandbox/api/users/{uid}/chat")["messages"]
        if sum(m["from_bot"] for m in messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.2)


def _settled(person: Person, quiet_s: float = 1.0) -> dict[str, Any]:
    """The chat once the bot has stopped changing it for `quiet_s`."""
    chat = person.chat()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        later = person.chat(after_version=chat["version"], timeout=quiet_s)
        if later["version"] == chat["version"]:
            return later
        chat = later
    return chat


@pytest.mark.slow
def test_ctrl_c_stops_within_3_s_quietly_with_long_polls_open_and_demo_restarts_without_duplicates(
        tmp_path, sandboxes):
    first = sandboxes(tmp_path, "--demo")
    assert sum(m["from_bot"] for m in _wait_for_bot(first.url, 201)) == 1
    _assert_quiet_stop(first)  # idle: only the bot's own getUpdates poll is in flight

    again = sandboxes(tmp_path, "--demo")  # --demo on a data directory that already has the demo
    users = _get(again.url + "/sandbox/api/users")["users"]
    assert sorted(u["id"] for u in users) == [100, 101, 201, 202]
    time.sleep(1.0)  # a /start queued again would have been answered by now
    wes = _get(again.url + "/sandbox/api/users/201/chat")["messages"]
    assert [m["text"] for m in wes if not m["from_bot"]] == ["/start"], wes  # the chat is back, not re-seeded
    assert sum(m["from_bot"] for m in wes) == 1

    version = _get(again.url + "/sandbox/api/changes?timeout=0")["version"]
    chat_version = _get(again.url + "/sandbox/api/users/201/chat")["version"]
    answers: list = []
    polls = [_long_poll(f"{again.url}/sandbox/api/changes?since={version}&timeout=25", answers),
             _long_poll(f"{again.url}/sandbox/api/users/201/chat?after_version={chat_version}&timeout=25", answers)]
    time.sleep(0.5)  # both are waiting in the server now, and so is the bot's getUpdates
    assert not answers
    _assert_quiet_stop(again)
    for t in polls:
        t.join(5)
    assert len(answers) == 2, answers  # the page's polls were answered (or closed), not left hanging


@pytest.mark.slow
def test_restart_keeps_people_and_conversations_and_the_bot_still_answers(tmp_path, sandboxes):
    first = sandboxes(tmp_path)
    with httpx.Client(base_url=first.url, timeout=30) as http:
        pia = Person(http, 301, "Pia")  # added in the page, not by --demo
        pia.send("/start")
        welcome = pia.wait_for("Pia")
        pia.send("/balance")
        pia.wait_for("$")
        before = _settled(pia)
    assert len(before["messages"]) >= 4
    _assert_quiet_stop(first)

    second = sandboxes(tmp_path)
    with httpx.Client(base_url=second.url, timeout=30) as http:
        users = http.get("/sandbox/api/users").json()["users"]
        assert [(u["id"], u["first_name"]) for u in users] == [(301, "Pia")]
        after = http.get("/sandbox/api/users/301/chat").json()
        assert after["messages"] == before["messages"]  # the same conversation, ids, buttons and all
        assert after["version"] >= before["version"]
        time.sleep(1.0)
        assert http.get("/sandbox/api/users/301/chat").json()["messages"] == before["messages"]  # nothing replayed
        pia = Person(http, 301, "Pia")
        pia.send("/start")  # a new update, numbered after the old ones: the bot answers it
        again = pia.wait_for("Pia")
        assert again["message_id"] > max(m["message_id"] for m in before["messages"])
        assert again["text"] == welcome["text"]
        pia.press(welcome["buttons"][0][0]["text"], welcome)  # a button on a message from the last run works
        last = _settled(pia)["messages"]
    second.kill()  # a crash, not a stop: what was shown before it is still there

    third = sandboxes(tmp_path)
    with httpx.Client(base_url=third.url, timeout=30) as http:
        kept = http.get("/sandbox/api/users/301/chat").json()["messages"]
        assert {m["message_id"] for m in last} <= {m["message_id"] for m in kept}
        assert [m for m in kept if not m["from_bot"]] == [m for m in last if not m["from_bot"]]
    _assert_quiet_stop(third)
