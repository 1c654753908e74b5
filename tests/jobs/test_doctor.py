"""`hitbot doctor` as an operator runs it: every check passing against the sandbox emulator, a
throwaway redis-server and a payment service that checks signatures; and each one failing with
its fix (a wrong database URL, a stopped Redis, a refused token, a wrong payout secret, ...)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.config import load_settings
from hitbot import doctor
from jobs.payouts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from sandbox.server import SandboxServer
from tests.jobs.conftest import ON_RABBITMQ, wait_until

pytestmark = pytest.mark.skipif(ON_RABBITMQ, reason="Redis-specific: the doctor's broker checks run against "
                                "a redis-server of their own")

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:DOCTORTOKEN"
PAYOUT_SECRET = "payout-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "HITBOT_", "DATABASE_", "REDIS_",
                                                                    "TELEGRAM_"))}
    env.update({"PYTHONPATH": str(ROOT), "HITBOT_DATA_DIR": str(data_dir)})
    env.update(extra)
    return env


def _hitbot(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hitbot.cli", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def _lines(done: subprocess.CompletedProcess) -> dict[str, str]:
    """check name -> its whole line, from doctor's output."""
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    out = {}
    for line in done.stdout.splitlines():
        mark, rest = line.split(" ", 1)
        assert mark in ("✓", "✗"), line
        out[rest.split(":", 1)[0]] = line
    return out


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of this test's own on a free port, stopped by its pid afterwards."""
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    assert wait_until(up, 15), "redis-server did not start"
    yield proc, url
    if proc.poll() is None:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def payment_service():
    """A payout webhook that answers 200 to a correctly signed test call and 401 otherwise."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            good = verify(PAYOUT_SECRET, body, self.headers.get(TIMESTAMP_HEADER), self.headers.get(SIGNATURE_HEADER))
            seen.append({"body": json.loads(body), "test": self.headers.get(doctor.PAYOUT_TEST_HEADER), "good": good})
            self.send_response(200 if good and self.headers.get(doctor.PAYOUT_TEST_HEADER) == "1" else 401)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/payouts", seen
    server.shutdown()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("doctor") / "data"
    done = _hitbot("migrate", env=_env(data))
    assert done.returncode == 0, done.stderr
    return data


@pytest.mark.slow
def test_every_check_passes_on_a_healthy_deployment(migrated, redis_server, payment_service):
    _, redis_url = redis_server
    payout_url, seen = payment_service
    with SandboxServer(flood_control=False) as telegram:
        done = _hitbot("doctor", env=_env(migrated, REDIS_URL=redis_url, TELEGRAM_API_URL=telegram.url,
                                          TELEGRAM_BOT_TOKEN=TOKEN, HITBOT_PAYMENT_PROVIDER_TOKEN="provider",
                                          HITBOT_PAYOUT_PROVIDER="webhook", HITBOT_PAYOUT_WEBHOOK_URL=payout_url,
                                          HITBOT_PAYOUT_WEBHOOK_SECRET=PAYOUT_SECRET))
    lines = _lines(done)
    assert done.returncode == 0, done.stdout
    assert set(lines) == {"configuration", "database", "broker", "clock lock", "telegram", "webhook", "payments",
                          "payouts", "disk"}
    assert all(line.startswith("✓") for line in lines.values()), done.stdout
    assert "latest version" in lines["database"] and "@" in lines["telegram"] and "polling" in lines["webhook"]
    assert seen and seen[0]["good"] and seen[0]["test"] == "1" and seen[0]["body"]["test"] is True
    assert "DOCTORTOKEN" not in done.stdout + done.stderr and PAYOUT_SECRET not in done.stdout


@pytest.mark.slow
def test_each_broken_part_fails_with_its_fix(tmp_path, redis_server, payment_service):
    proc, redis_url = redis_server
    proc.terminate()  # a Redis that was there and is stopped now
    proc.wait(10)
    payout_url, _ = payment_service
    with SandboxServer(flood_control=False) as telegram:
        done = _hitbot("doctor", env=_env(tmp_path / "data", REDIS_URL=redis_url, TELEGRAM_API_URL=telegram.url,
                                          DATABASE_URL=f"postgresql://hitbot:hunter2@127.0.0.1:{_free_port()}/x",
                                          TELEGRAM_BOT_TOKEN="refused", HITBOT_PAYOUT_PROVIDER="webhook",
                                          HITBOT_PAYOUT_WEBHOOK_URL=payout_url,
                                          HITBOT_PAYOUT_WEBHOOK_SECRET="not-the-right-secret"))
    lines = _lines(done)
    assert done.returncode == 1
    for name in ("database", "broker", "clock lock", "telegram", "payments", "payouts"):
        assert lines[name].startswith("✗"), done.stdout
    assert lines["configuration"].startswith("✓") and lines["disk"].startswith("✓")
    assert "refuses the connection" in lines["database"] and "DATABASE_URL" in lines["database"]
    assert "connection refused" in lines["broker"] and "REDIS_URL" in lines["broker"]
    assert "401" in lines["telegram"] and "@BotFather" in lines["telegram"]
    assert "HITBOT_PAYMENT_PROVIDER_TOKEN" in lines["payments"]
    assert "signature" in lines["payouts"] and "HITBOT_PAYOUT_WEBHOOK_SECRET" in lines["payouts"]
    assert "hunter2" not in done.stdout + done.stderr


@pytest.mark.slow
def test_unreachable_telegram_and_a_database_never_migrated(tmp_path):
    done = _hitbot("doctor", env=_env(tmp_path / "data", TELEGRAM_BOT_TOKEN=TOKEN,
                                      TELEGRAM_API_URL=f"http://127.0.0.1:{_free_port()}"))
    lines = _lines(done)
    assert done.returncode == 1
    assert lines["telegram"].startswith("✗") and "unreachable" in lines["telegram"]
    assert "connection refused" in lines["telegram"]
    assert lines["database"].startswith("✗") and "hitbot migrate" in lines["database"]
    assert not (tmp_path / "data" / "hitbot.sqlite3").exists(), "doctor created the database"


@pytest.mark.slow
def test_a_configuration_that_does_not_parse(tmp_path):
    done = _hitbot("doctor", env=_env(tmp_path, HITBOT_FEE_PERCENT="500"))
    assert done.returncode == 1
    assert done.stdout.startswith("✗ configuration:") and "HITBOT_FEE_PERCENT" in done.stdout


def _bot_api(api: str, method: str, **params: object) -> dict:
    req = urllib.request.Request(f"{api}/bot{TOKEN}/{method}", data=json.dumps(params).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["result"]


@pytest.mark.slow
def test_webhook_state_against_the_mode_configured(migrated):
    hook = f"http://127.0.0.1:{_free_port()}/hook"  # nobody listens: Telegram's deliveries fail
    with SandboxServer(flood_control=False) as telegram:
        env = _env(migrated, TELEGRAM_API_URL=telegram.url, TELEGRAM_BOT_TOKEN=TOKEN)
        _bot_api(telegram.url, "setWebhook", url=hook)
        polling = _lines(_hitbot("doctor", env=env))["webhook"]
        assert polling.startswith("✗") and hook in polling and "polls" in polling

        with urllib.request.urlopen(urllib.request.Request(
                telegram.url + "/sandbox/api/users", data=json.dumps({"id": 5, "first_name": "Ann"}).encode(),
                headers={"Content-Type": "application/json"}), timeout=10):
            pass
        with urllib.request.urlopen(urllib.request.Request(
                telegram.url + "/sandbox/api/users/5/messages", data=json.dumps({"text": "/start"}).encode(),
                headers={"Content-Type": "application/json"}), timeout=10):
            pass
        assert wait_until(lambda: _bot_api(telegram.url, "getWebhookInfo").get("last_error_message"), 20)
        failing = _lines(_hitbot("doctor", "--webhook", hook, env=env))["webhook"]
        assert failing.startswith("✗") and "1 pending update" in failing and "last error" in failing

        other = _lines(_hitbot("doctor", "--webhook", "https://bot.example.org/tg", env=env))["webhook"]
        assert other.startswith("✗") and "not https://bot.example.org/tg" in other

        _bot_api(telegram.url, "deleteWebhook", drop_pending_updates=True)
        _bot_api(telegram.url, "setWebhook", url="https://bot.example.org/tg")
        good = _lines(_hitbot("doctor", "--webhook", "https://bot.example.org/tg", env=env))["webhook"]
        assert good.startswith("✓") and "0 pending updates" in good


def test_a_nearly_full_disk_fails(tmp_path):
    settings = load_settings(data_dir=tmp_path / "not-yet")
    assert doctor.check_disk(settings).ok
    full = doctor.check_disk(settings, min_free_bytes=10 ** 18)
    assert not full.ok and "free" in full.line() and "HITBOT_DATA_DIR" in full.line()


def test_a_check_that_breaks_is_a_failed_line_not_a_traceback(monkeypatch):
    def boom(settings):
        raise RuntimeError("surprise")

    monkeypatch.setattr(doctor, "check_payments", boom)
    for name in ("check_database", "check_broker", "check_telegram"):  # not this test's subject
        monkeypatch.setattr(doctor, name, lambda settings, **kw: doctor.passed("x", "fine"))
    found = {c.name: c for c in doctor.checks(load_settings(payout_provider="sandbox"))
             if c.name in ("payments", "disk")}
    assert not found["payments"].ok and "surprise" in found["payments"].detail and found["disk"].ok


def _lines_of(found: list[doctor.Check]) -> dict[str, str]:
    return {c.name: c.line() for c in found}


def test_every_enabled_payout_method_needs_a_provider():
    assert doctor.check_payout_methods(load_settings(payout_methods="", payout_providers="")) == []
    [gap] = doctor.check_payout_methods(load_settings(payout_methods="paypal,sepa,ach",
                                                      payout_providers="paypal=sandbox"))
    assert gap.line().startswith("✗ payout methods: sepa, ach enabled") and "can't choose it" in gap.line()
    assert "add sepa=webhook (or =sandbox) to HITBOT_PAYOUT_PROVIDERS" in gap.line()
    [routed] = doctor.check_payout_methods(load_settings(payout_methods="paypal,sepa",
                                                         payout_providers="paypal=webhook,sepa=sandbox"))
    assert routed.ok and "paypal → webhook, sepa → sandbox" in routed.line()
    assert "no real money moves for sepa" in routed.line()
    [default] = doctor.check_payout_methods(load_settings(payout_methods="sepa", payout_providers="",
                                                          payout_provider="webhook"))
    assert default.ok and "sepa → webhook" in default.line()  # no routes: HITBOT_PAYOUT_PROVIDER takes them all
    [unused] = doctor.check_payout_methods(load_settings(payout_methods="", payout_providers="sepa=webhook"))
    assert not unused.ok and "set HITBOT_PAYOUT_METHODS" in unused.line()


def test_a_method_routed_to_the_webhook_gets_the_webhook_checked(payment_service):
    payout_url, seen = payment_service
    routed = {"payout_provider": "sandbox", "payout_methods": "paypal,sepa",
              "payout_providers": "paypal=webhook,sepa=sandbox", "payout_webhook_url": payout_url}
    good = doctor.check_payouts(load_settings(**routed, payout_webhook_secret=PAYOUT_SECRET))
    assert good.ok and "accepted a signed test call" in good.line() and "for paypal" in good.line()
    assert [s["good"] for s in seen] == [True]
    bad = doctor.check_payouts(load_settings(**routed, payout_webhook_secret="not-the-right-secret"))
    assert not bad.ok and "signature" in bad.line() and "HITBOT_PAYOUT_WEBHOOK_SECRET" in bad.line()
    missing = doctor.check_payouts(load_settings(**(routed | {"payout_webhook_url": None})))
    assert not missing.ok and "(paypal) has no URL or secret" in missing.line()
    sandbox_only = doctor.check_payouts(load_settings(**(routed | {"payout_providers": "paypal=sandbox,sepa=sandbox"})))
    assert sandbox_only.ok and "sandbox provider" in sandbox_only.line() and len(seen) == 2


@pytest.mark.parametrize("url", ["pay.example.com/payouts", "ftp://pay.example.com/payouts", "https:///payouts"])
def test_a_malformed_webhook_url_fails_with_its_fix_before_any_call(url):
    check = doctor.check_payouts(load_settings(payout_provider="webhook", payout_providers="", payout_methods="",
                                               payout_webhook_url=url, payout_webhook_secret=PAYOUT_SECRET))
    assert not check.ok and "is not an http(s) URL with a host" in check.line()
    assert "set it to the payment service's URL" in check.line() and PAYOUT_SECRET not in check.line()


def test_stars_rate_sane_or_failed_with_the_range():
    assert doctor.check_stars(load_settings(stars_rate_cents=None)) == []
    [fine] = doctor.check_stars(load_settings(currency="USD", stars_rate_cents=2))
    assert fine.ok and "1 ⭐ = $0.02" in fine.line() and "10,000 ⭐ (one invoice's most) = $200.00" in fine.line()
    [generous] = doctor.check_stars(load_settings(currency="USD", stars_rate_cents=50))
    assert not generous.ok and "far more than Telegram pays" in generous.line()
    assert "set HITBOT_STARS_RATE_CENTS from 1 to 3" in generous.line()
    [stingy] = doctor.check_stars(load_settings(currency="INR", stars_rate_cents=5))
    assert not stingy.ok and "far less" in stingy.line() and "from 44 to 275" in stingy.line()
    [yen] = doctor.check_stars(load_settings(currency="JPY", stars_rate_cents=2))
    assert yen.ok
    [unknown] = doctor.check_stars(load_settings(currency="SEK", stars_rate_cents=15))
    assert unknown.ok and "no reference value for SEK" in unknown.line()


def test_doctor_runs_the_stars_and_method_checks(monkeypatch):
    for name in ("check_database", "check_broker", "check_telegram"):  # not this test's subject
        monkeypatch.setattr(doctor, name, lambda settings, **kw: doctor.passed("x", "fine"))
    settings = load_settings(payment_provider_token="", stars_rate_cents=400, payout_provider="sandbox",
                             payout_methods="paypal,giftcard", payout_providers="paypal=sandbox")
    lines = _lines_of(list(doctor.checks(settings)))
    assert lines["payments"].startswith("✓ payments: /topup takes Telegram Stars only")  # Stars need no token
    assert lines["stars"].startswith("✗ stars: 1 ⭐ = $4.00")
    assert lines["payout methods"].startswith("✗ payout methods: giftcard enabled")
    assert lines["payouts"].startswith("✓") and lines["disk"].startswith("✓")
