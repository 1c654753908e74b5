"""`hitbot sandbox [--demo]`: the Bot API emulator with its web chat, and the whole of hitbot
(bot, jobs worker, clock) pointed at it. No token, no internet; everything lives under
<HITBOT_DATA_DIR>/sandbox so it never touches a real deployment's database or Redis: the
marketplace's database and Redis, and the emulator's people, chats and files (emulator/),
so a restart shows the same conversations."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import urllib.request
from datetime import datetime, timezone
from typing import Any

from sandbox.server import SandboxServer

log = logging.getLogger("hitbot.sandbox")

SANDBOX_TOKEN = "700000001:sandbox-token"
PROVIDER_TOKEN = "sandbox-provider"  # the emulator accepts any provider token

ADMIN = {"id": 100, "first_name": "Ada", "username": "ada_admin"}
REQUESTER = {"id": 101, "first_name": "Rita", "username": "rita_requester"}
WORKERS = [{"id": 201, "first_name": "Wes", "username": "wes_worker"},
           {"id": 202, "first_name": "Willa", "username": "willa_worker"}]
DEMO_FUNDS_CENTS = 50_00
WORKER_IDLE_POLL_MS = 250  # Ctrl-C waits up to twice this for the jobs worker (the embedded Redis is local)
EMULATOR_DIR = "emulator"  # under the sandbox's data directory: the web chat's people, chats and files

DEMO_HITS: list[dict[str, Any]] = [
    {"title": "Which bird is in the photo?", "description": "Look at the linked photo and pick the bird.",
     "keywords": ["birds", "images"], "reward": "0.15", "assignments": 3, "duration": "10m", "lifetime": "7d",
     "attachment": "https://example.org/birds/sparrow.jpg",
     "questions": [{"id": "bird", "kind": "choice", "prompt": "Which bird is it?",
                    "options": ["sparrow", "robin", "blackbird"]},
                   {"id": "count", "kind": "number", "prompt": "How many birds do you see?", "min": 0, "max": 50},
                   {"id": "notes", "kind": "text", "prompt": "Anything else?", "max_length": 300,
                    "required": False}]},
    {"title": "Rate three product names", "description": "Tell us how catchy each name sounds.",
     "keywords": ["survey", "names"], "reward": "0.30", "assignments": 5, "duration": "15m", "lifetime": "7d",
     "questions": [{"id": "zapp", "kind": "rating", "prompt": "How catchy is 'Zapp'?"},
                   {"id": "lumo", "kind": "rating", "prompt": "How catchy is 'Lumo'?"},
                   {"id": "best", "kind": "choice", "prompt": "Which one would you buy?",
                    "options": ["Zapp", "Lumo", "Neither"]}]},
    {"title": "Photograph a street sign near you", "description": "A clear photo of the nearest street sign, "
     "and where you took it.", "keywords": ["photo", "field"], "reward": "0.80", "assignments": 2,
     "duration": "1h", "lifetime": "7d",
     "questions": [{"id": "sign", "kind": "photo", "prompt": "Send a photo of the sign."},
                   {"id": "where", "kind": "location", "prompt": "Share where you took it."}]},
]


# A web task (an HTMLQuestion, as a boto3 script would post it), seeded when task pages are served: an
# MTurk template on Crowd HTML Elements (a box to draw on a picture, a label to pick). The picture is
# inline (a data: URL), so the demo works with no internet.
_DEMO_STREET = ("data:image/svg+xml;base64," + __import__("base64").b64encode(
    b"<svg xmlns='http://www.w3.org/2000/svg' width='480' height='240'><rect width='480' height='240' fill='#bfe3ff'/>"
    b"<rect y='170' width='480' height='70' fill='#777'/><rect x='40' y='130' width='150' height='55' rx='12' "
    b"fill='#e53935'/><circle cx='75' cy='188' r='16' fill='#222'/><circle cx='155' cy='188' r='16' fill='#222'/>"
    b"<rect x='290' y='140' width='130' height='45' rx='10' fill='#1e88e5'/><circle cx='320' cy='188' r='14' "
    b"fill='#222'/><circle cx='390' cy='188' r='14' fill='#222'/><circle cx='420' cy='50' r='28' fill='#ffd54f'/>"
    b"</svg>").decode())
DEMO_WEB_PAGE = f"""<!DOCTYPE html><html><head><meta name='viewport' content='width=device-width'>
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<style>body{{font:16px system-ui,sans-serif;margin:1em}}</style></head><body>
<crowd-form>
<crowd-instructions link-text="How to do it"><p>Drag on the picture to draw one box around each car.
Tap × on a box to remove it.</p></crowd-instructions>
<crowd-bounding-box name="cars" src="{_DEMO_STREET}" header="Draw a box around each car" labels="['Car']">
</crowd-bounding-box>
<p>Is it day or night?</p>
<crowd-radio-group required><crowd-radio-button name="day" value="day">Day</crowd-radio-button>
<crowd-radio-button name="night" value="night">Night</crowd-radio-button></crowd-radio-group>
<crowd-input name="comment" label="Anything to add? (optional)"></crowd-input>
</crowd-form></body></html>"""
DEMO_WEB_QUESTION = ("<HTMLQuestion xmlns='http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
                     f"2011-11-11/HTMLQuestion.xsd'><HTMLContent><![CDATA[{DEMO_WEB_PAGE}]]></HTMLContent>"
                     "<FrameHeight>0</FrameHeight></HTMLQuestion>")
DEMO_WEB_HIT = {"title": "Draw boxes around the cars (a web task)",
                "description": "Draw a box around each car on the task's page.", "keywords": ["web", "image", "boxes"],
                "reward": "0.20", "assignments": 5, "duration": 600, "lifetime": 7 * 86_400}


def _seed_web_task(now: datetime) -> int | None:
    """The demo web task, made as CreateHIT makes one; None when seeded before or not served here."""
    from api.questionform import parse
    from core.config import get_settings
    from core.errors import DuplicateRequest
    from core.mturk.commands import create_hit

    if not get_settings().tasks_url:
        return None
    form = parse(DEMO_WEB_QUESTION)
    try:
        return create_hit(requester_id=REQUESTER["id"], spec={**DEMO_WEB_HIT, "questions": form.questions}, now=now,
                          token="sandbox-demo-web", description=DEMO_WEB_HIT["description"],
                          question=DEMO_WEB_QUESTION, identifiers=form.identifiers).id
    except DuplicateRequest:
        return None


def _mturk_app():
    from api.app import MOUNTED_PATHS, create_app

    return create_app(paths=MOUNTED_PATHS)


# What the emulator serves beside its own pages: the MTurk API at <sandbox URL>/mturk.
MOUNTS = {"/mturk": _mturk_app}


def start_tasks(host: str, port: int):
    """Web tasks' pages on a port of their own (another origin than the chat and the API), and
    HITBOT_TASKS_URL pointing there, so the bot links to them."""
    from api.taskpages import TaskServer
    from core.config import get_settings

    tasks = TaskServer(host, port).start()
    os.environ["HITBOT_TASKS_URL"] = tasks.url
    get_settings.cache_clear()
    return tasks


def configure_environment(data_dir: str | None = None) -> str:
    """Point hitbot at the sandbox: its own data directory (SQLite, embedded Redis), a fake
    token, payments on, the demo admin. Returns the sandbox data directory."""
    from core.config import get_settings

    base = data_dir or os.environ.get("HITBOT_DATA_DIR") or ".hitbot"
    sandbox_dir = os.path.join(base, "sandbox")
    os.makedirs(sandbox_dir, exist_ok=True)
    os.environ["HITBOT_DATA_DIR"] = sandbox_dir
    for name in ("DATABASE_URL", "REDIS_URL"):  # never seed demo data into a real deployment
        os.environ.pop(name, None)
    os.environ["TELEGRAM_BOT_TOKEN"] = SANDBOX_TOKEN
    os.environ.setdefault("HITBOT_PAYMENT_PROVIDER_TOKEN", PROVIDER_TOKEN)
    admins = {a for a in os.environ.get("HITBOT_ADMINS", "").replace(";", ",").split(",") if a.strip()}
    os.environ["HITBOT_ADMINS"] = ",".join(sorted(admins | {str(ADMIN["id"])}))
    os.environ.setdefault("HITBOT_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    return sandbox_dir


def _get(base_url: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(base_url + path, timeout=10) as resp:
        return json.loads(resp.read())


def _post(base_url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def seed_demo(base_url: str, now: datetime | None = None) -> list[int]:
    """A requester with funds, an admin, two workers (in hitbot and in the emulator) and a few
    HITs of different kinds. Safe to run again: nothing is paid or published twice."""
    from core.errors import HitbotError, StaleAction
    from core.hits.publishing import publish_hit
    from core.payments import accounts
    from core.users import commands as users

    now = now or datetime.now(timezone.utc)
    for person in (ADMIN, REQUESTER, *WORKERS):
        users.register(user_id=person["id"], first_name=person["first_name"], username=person["username"],
                       language_code="en", now=now)
        _post(base_url, "/sandbox/api/users", {**person, "language_code": "en"})
    accounts.credit(admin_id=ADMIN["id"], user_id=REQUESTER["id"], amount_cents=DEMO_FUNDS_CENTS,
                    reason="sandbox demo funds", now=now, key="sandbox-demo-funds")
    published = []
    for i, spec in enumerate(DEMO_HITS, start=1):
        try:
            published.append(publish_hit(requester_id=REQUESTER["id"], spec=spec, now=now, key=f"sandbox-demo-{i}").id)
        except StaleAction:  # seeded on an earlier run
            pass
        except HitbotError as exc:  # e.g. a currency without cents, or limits set tighter
            log.warning("demo HIT %d not published: %s", i, exc)
            print(f"  (demo HIT “{spec['title']}” not published: {exc})", flush=True)
    try:
        web = _seed_web_task(now)
    except HitbotError as exc:
        log.warning("demo web task not published: %s", exc)
        web = None
    return published + ([web] if web is not None else [])


def run_stack(settings, stop: threading.Event, *, ready: threading.Event | None = None,
              broker_url: str | None = None, threads: int = 2) -> None:
    """The bot polling the emulator, with the jobs worker and clock. Blocks until `stop` is set."""
    from bot.app import build_application
    from hitbot.run import run_all

    application = build_application(settings)
    run_all(settings, stop, threads=threads, application=application, ready=ready, broker_url=broker_url,
            idle_poll_ms=WORKER_IDLE_POLL_MS)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from core.config import get_settings
    from core.migrations import migrate
    from hitbot.cli import _setup, _stop_on_signals

    sandbox_dir = configure_environment()
    try:
        server = SandboxServer(args.host, args.port, flood_control=not args.no_flood_control,
                               state_dir=os.path.join(sandbox_dir, EMULATOR_DIR), mounts=MOUNTS).start()
    except OSError as exc:
        print(f"hitbot: cannot serve the sandbox on {args.host}:{args.port} ({exc.strerror or exc}); "
              "pick another port with --port", file=sys.stderr)
        return 2
    stop = _stop_on_signals()  # from here on Ctrl-C is a clean stop, even during start-up
    os.environ["TELEGRAM_API_URL"] = server.url
    get_settings.cache_clear()
    tasks = None
    try:
        settings = _setup()
        migrate()
        tasks_port = args.tasks_port if args.tasks_port is not None else (server.port + 1 if args.port else 0)
        try:
            tasks = start_tasks(args.host, tasks_port)
        except OSError as exc:
            print(f"hitbot: cannot serve the web task pages on {args.host}:{tasks_port} ({exc.strerror or exc}); "
                  "pick another port with --tasks-port", file=sys.stderr)
            return 2
        settings = get_settings()
        lines = [f"hitbot sandbox: open {server.url} in your browser",
                 f"  data: {sandbox_dir} (marketplace and chats; both kept across restarts)",
                 f"  MTurk API: {server.url}/mturk (boto3 endpoint_url; a key from /apikey in the chat)",
                 f"  web task pages: {tasks.url} (an origin of their own)"]
        if args.demo:
            new = [p for p in (ADMIN, REQUESTER, *WORKERS)
                   if not any(u["id"] == p["id"] for u in _get(server.url, "/sandbox/api/users")["users"])]
            seed_demo(server.url)
            for person in new:  # answered once the bot polls: new chats open on its menu (kept ones stay as they were)
                _post(server.url, f"/sandbox/api/users/{person['id']}/messages", {"text": "/start"})
            lines.append(f"  demo users: {ADMIN['first_name']} (admin {ADMIN['id']}), {REQUESTER['first_name']} "
                         f"(requester {REQUESTER['id']}, funded), " + ", ".join(
                             f"{w['first_name']} (worker {w['id']})" for w in WORKERS))
        ready = threading.Event()
        threading.Thread(target=lambda: ready.wait(60) and print("\n".join(lines + ["  Ctrl-C stops everything."]),
                                                                 flush=True), daemon=True).start()
        if not stop.is_set():
            run_stack(settings, stop, ready=ready)
    finally:
        if tasks is not None:
            tasks.stop()
        server.stop()
    print("hitbot sandbox stopped.")
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65_535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="try hitbot locally: a Telegram emulator with a web chat, no token needed")
    p.add_argument("--demo", action="store_true", help="seed a funded requester, an admin, two workers and HITs")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port to serve on (default 8765; 0 picks a free one)")
    p.add_argument("--no-flood-control", action="store_true", help="don't answer bursts with 429 Too Many Requests")
    p.add_argument("--tasks-port", type=_port, default=None,
                   help="port of the web task pages (default: --port + 1; their own origin)")
    p.set_defaults(func=cmd_sandbox)
