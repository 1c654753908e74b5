"""A Bot API over real HTTP that enforces Telegram's flood limits like the real one:
429 with retry_after when a chat gets a second message within a second or when more than
30 messages arrive in any one second; 403 for chats that blocked the bot. It records
every request so tests can check the limits were honoured, not just survived."""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Sent:
    chat_id: int
    text: str
    at: float  # time.monotonic()
    file_id: str | None = None  # a sendPhoto's / sendDocument's file (its caption is `text`)


@dataclass
class Edit:
    chat_id: int
    message_id: int
    text: str
    markup: object
    at: float  # time.monotonic()


@dataclass
class FakeBotApi:
    chat_interval_s: float = 1.0
    global_per_s: int = 30
    retry_after_s: int = 1
    blocked: set[int] = field(default_factory=set)
    fail_first: set[int] = field(default_factory=set)  # chats whose first send gets a 429 regardless
    hang_first: set[int] = field(default_factory=set)  # chats whose first send never gets an answer

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[Sent] = []
        self.too_many: list[tuple[int, float, float]] = []  # (chat, at, retry_after_s)
        self.early: list[tuple[int, float]] = []  # requests that ignored a retry_after
        self.forbidden: list[int] = []
        self.hung: list[int] = []
        self.other: list[str] = []  # other methods called (setMyCommands, deleteWebhook, ...)
        self.edits: list[Edit] = []  # editMessageText calls that changed a message
        self.not_modified: list[tuple[int, int]] = []  # edits refused: "message is not modified"
        self._messages: dict[tuple[int, int], tuple[str, object]] = {}  # (chat, message id) -> (text, markup)
        self._last_ok: dict[int, float] = {}
        self._recent: deque[float] = deque()
        self._blocked_until: dict[int, float] = defaultdict(float)
        self._server: ThreadingHTTPServer | None = None

    # --- the HTTP side ---
    def start(self) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.path.rsplit("/", 1)[-1]
                params = api._params(self.headers.get("Content-Type", ""), body)
                code, answer = api.handle(method, params)
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:  # a client that hung up is not news
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @staticmethod
    def _params(ctype: str, body: bytes) -> dict:
        if not body:
            return {}
        if "json" in ctype:
            return json.loads(body)
        return {k: v[0] for k, v in parse_qs(body.decode()).items()}

    # --- what a send and an edit check alike (under the lock) ---
    def _forbidden(self, chat: int, now: float) -> tuple[int, dict] | None:
        """403 for a chat that blocked the bot; a request before its retry_after is over is noted."""
        if now < self._blocked_until[chat]:
            self.early.append((chat, self._blocked_until[chat] - now))
        if chat in self.blocked:
            self.forbidden.append(chat)
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        return None

    def _flooded(self, chat: int, now: float, forced: bool = False) -> tuple[int, dict] | None:
        """429 with retry_after past the per-chat interval or the global rate (or when `forced`)."""
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if forced or now - self._last_ok.get(chat, -1e9) < self.chat_interval_s or len(self._recent) >= self.global_per_s:
            self._blocked_until[chat] = now + self.retry_after_s
            self.too_many.append((chat, now, self.retry_after_s))
            return 429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {self.retry_after_s}",
                         "parameters": {"retry_after": self.retry_after_s}}
        return None

    def _passed(self, chat: int, now: float) -> None:
        self._last_ok[chat] = now
        self._recent.append(now)

    # --- the Bot API side ---
    def handle(self, method: str, p: dict) -> tuple[int, dict]:
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "hitbot", "username": "hitbot_bot"}}
        if method == "getUpdates":  # a bot with nothing to do: long polls come back empty
            time.sleep(min(float(p.get("timeout") or 0), 0.5))
            return 200, {"ok": True, "result": []}
        if method == "editMessageText":
            return self._edit(p)
        if method not in ("sendMessage", "sendPhoto", "sendDocument"):
            self.other.append(method)
            return 200, {"ok": True, "result": True}
        chat = int(p["chat_id"])
        if chat in self.hang_first:
            self.hang_first.discard(chat)
            self.hung.append(chat)
            time.sleep(120)  # the sender is killed meanwhile; this request never counts
            return 500, {"ok": False, "error_code": 500, "description": "hung"}
        now = time.monotonic()
        with self.lock:
            refused = self._forbidden(chat, now)
            if refused:
                return refused
            refused = self._flooded(chat, now, forced=chat in self.fail_first)
            if refused:
                self.fail_first.discard(chat)
                return refused
            self._passed(chat, now)
            self.sent.append(Sent(chat, p.get("text", p.get("caption", "")), now, p.get("photo") or p.get("document")))
            message_id = len(self.sent)
            self._messages[(chat, message_id)] = (p.get("text", ""), _markup(p))
        return 200, {"ok": True, "result": {"message_id": message_id, "date": int(time.time()),
                                            "chat": {"id": chat, "type": "private"}, "text": p.get("text", "")}}

    def _edit(self, p: dict) -> tuple[int, dict]:
        """editMessageText as Telegram answers it: flood limits like a send, 400 for a message it
        does not have, 400 "message is not modified" when nothing would change."""
        chat, mid = int(p["chat_id"]), int(p["message_id"])
        text, markup = p.get("text", ""), _markup(p)
        now = time.monotonic()
        with self.lock:
            refused = self._forbidden(chat, now)
            if refused:
                return refused
            if (chat, mid) not in self._messages:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}
            refused = self._flooded(chat, now)
            if refused:
                return refused
            self._passed(chat, now)
            if self._messages[(chat, mid)] == (text, markup):
                self.not_modified.append((chat, mid))
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified: "
                             "specified new message content and reply markup are exactly the same"}
            self._messages[(chat, mid)] = (text, markup)
            self.edits.append(Edit(chat, mid, text, markup, now))
        return 200, {"ok": True, "result": {"message_id": mid, "date": int(time.time()), "edit_date": int(time.time()),
                                            "chat": {"id": chat, "type": "private"}, "text": text}}

    # --- what tests look at ---
    def by_chat(self) -> dict[int, list[Sent]]:
        out: dict[int, list[Sent]] = defaultdict(list)
        for s in self.sent:
            out[s.chat_id].append(s)
        return out

    def min_gap_s(self) -> float:
        gaps = [b.at - a.at for msgs in self.by_chat().values() for a, b in zip(msgs, msgs[1:])]
        return min(gaps, default=float("inf"))

    def max_per_second(self) -> int:
        times = sorted(s.at for s in self.sent)
        best, j = 0, 0
        for i, t in enumerate(times):
            while t - times[j] >= 1.0:
                j += 1
            best = max(best, i - j + 1)
        return best


def _markup(p: dict) -> object:
    markup = p.get("reply_markup")
    return json.loads(markup) if isinstance(markup, str) else markup
