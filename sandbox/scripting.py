"""Script a scenario against a running sandbox (`hitbot sandbox`, or SandboxServer in a
test) as people in the web chat would act: send, upload, press buttons, pay, block, and
wait for what the bot shows.

    import httpx
    from sandbox.scripting import Person

    http = httpx.Client(base_url="http://127.0.0.1:8765", timeout=30)
    wes = Person(http, 201, "Wes")
    wes.send("/browse")
    listing = wes.wait_for("Open HITs")
    wes.press("Which bird", listing)
"""
from __future__ import annotations

import time
from typing import Any

import httpx

WAIT_S = 20.0


class SandboxError(AssertionError):
    """Raised when the sandbox refuses an action or the bot never shows what was waited for."""


def _ok(resp: httpx.Response) -> None:
    if resp.status_code != 200:
        raise SandboxError(f"{resp.request.method} {resp.request.url.path}: {resp.status_code} {resp.text}")


class Person:
    """One sandbox user: acts through the test-client API and waits for what the bot shows.

    `http` is an httpx.Client whose base_url is the sandbox (e.g. http://127.0.0.1:8765).
    Creating a Person creates (or updates) the user."""

    def __init__(self, http: httpx.Client, uid: int, name: str, language_code: str = "en") -> None:
        self.http = http
        self.id = uid
        self.name = name
        self._seen: dict[int, tuple] = {}
        resp = http.post("/sandbox/api/users", json={"id": uid, "first_name": name, "language_code": language_code})
        _ok(resp)

    # What the chat shows ----------------------------------------------------------------------
    def chat(self, after_version: int | None = None, timeout: float = 0) -> dict[str, Any]:
        params = {} if after_version is None else {"after_version": after_version, "timeout": timeout}
        resp = self.http.get(f"/sandbox/api/users/{self.id}/chat", params=params, timeout=timeout + 10)
        _ok(resp)
        return resp.json()

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.chat()["messages"] if m["from_bot"]]

    def mark(self) -> None:
        """Remember the chat as it is; wait_for then looks only at what is new or changed."""
        self._seen = {m["message_id"]: _content(m) for m in self.chat()["messages"]}

    def wait_for(self, *needles: str, timeout: float = WAIT_S, fresh: bool = True) -> dict[str, Any]:
        """The first bot message, new or changed since mark() (any, if not `fresh`), whose
        text and button labels hold every needle."""
        return self._wait(lambda text: all(n.lower() in text for n in needles), needles, timeout, fresh)

    def wait_for_any(self, *choices: str, timeout: float = WAIT_S) -> str:
        """Which of `choices` the bot shows first in a message new or changed since mark() (an outcome
        that may go either way: the question, or "just filled up")."""
        m = self._wait(lambda text: any(c.lower() in text for c in choices), choices, timeout, True)
        return next(c for c in choices if c.lower() in _text(m).lower())

    def _wait(self, match, needles: tuple[str, ...], timeout: float, fresh: bool) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        chat = self.chat()
        while True:
            for m in chat["messages"]:
                if m["from_bot"] and (not fresh or self._seen.get(m["message_id"]) != _content(m)) and \
                        match(_text(m).lower()):
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                recent = [(_text(m)[:160], [b["text"] for r in m["buttons"] for b in r]) for m in chat["messages"][-6:]]
                raise SandboxError(f"{self.name} never saw {needles!r}; last messages: {recent}")
            chat = self.chat(after_version=chat["version"], timeout=min(left, 5))

    # Acting ---------------------------------------------------------------------------------
    def send(self, text: str) -> None:
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/messages", json={"text": text})
        _ok(resp)

    def upload(self, kind: str, content: bytes, filename: str, mime: str, caption: str | None = None) -> None:
        self.mark()
        data = {"caption": caption} if caption else {}
        resp = self.http.post(f"/sandbox/api/users/{self.id}/messages", data=data,
                              files={kind: (filename, content, mime)})
        _ok(resp)

    def location(self, latitude: float, longitude: float) -> None:
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/messages",
                              json={"location": {"latitude": latitude, "longitude": longitude}})
        _ok(resp)

    def button(self, label: str, message: dict[str, Any] | None = None) -> tuple[int, str]:
        """(message_id, callback_data) of the newest button whose label contains `label`."""
        messages = [message] if message else reversed(self.bot_messages())
        for m in messages:
            for row in m["buttons"]:
                for b in row:
                    if label.lower() in b["text"].lower() and "callback_data" in b:
                        return m["message_id"], b["callback_data"]
        raise SandboxError(f"{self.name} has no button {label!r}: "
                             f"{[[b['text'] for r in m['buttons'] for b in r] for m in self.bot_messages()[-3:]]}")

    def press(self, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        mid, data = self.button(label, message)
        return self.press_data(mid, data)

    def press_data(self, message_id: int, data: str) -> dict[str, Any]:
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/press", json={"message_id": message_id,
                                                                           "callback_data": data})
        _ok(resp)
        answer = resp.json()
        if not answer["answered"]:
            raise SandboxError(f"the bot did not answer {data!r} for {self.name}")
        return answer

    def web_app(self, label: str, message: dict[str, Any] | None = None) -> str:
        """Open the newest web_app button whose label contains `label`, as Telegram does: the URL
        with the signed initData (tgWebAppData) in its fragment."""
        messages = [message] if message else reversed(self.bot_messages())
        for m in messages:
            for row in m["buttons"]:
                for b in row:
                    if label.lower() in b["text"].lower() and "web_app" in b:
                        resp = self.http.post(f"/sandbox/api/users/{self.id}/webapp",
                                              json={"message_id": m["message_id"], "url": b["web_app"]["url"]})
                        _ok(resp)
                        return resp.json()["url"]
        raise SandboxError(f"{self.name} has no web_app button {label!r}")

    def pay_invoice(self) -> dict[str, Any]:
        invoice = next(m for m in reversed(self.bot_messages()) if m.get("invoice") and not m["invoice"]["paid"])
        self.mark()
        resp = self.http.post(f"/sandbox/api/users/{self.id}/pay", json={"message_id": invoice["message_id"]})
        _ok(resp)
        return resp.json()

    def block(self) -> None:
        _ok(self.http.post(f"/sandbox/api/users/{self.id}/block"))

    def unblock(self) -> None:
        _ok(self.http.post(f"/sandbox/api/users/{self.id}/unblock"))


def _text(m: dict[str, Any]) -> str:
    inv = m.get("invoice") or {}
    return " ".join([m.get("text") or m.get("caption") or "", inv.get("title", ""), inv.get("description", ""),
                     *(b["text"] for row in m["buttons"] for b in row)])


def _content(m: dict[str, Any]) -> tuple:
    return (m.get("text"), m.get("caption"), str(m["buttons"]), m.get("invoice", {}).get("paid"))
