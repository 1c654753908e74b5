"""Process wiring: metrics/health endpoint, update instrumentation, log redaction."""
from __future__ import annotations

import json
import logging
import urllib.request

import pytest

from hitbot.cli import JsonFormatter, build_parser
from hitbot.run import Running
from jobs.metrics import serve
from tests.bot.conftest import bot, clock  # noqa: F401  (the fake-Telegram bot fixture)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_healthz_and_metrics(jobs):
    from core.config import load_settings

    running = Running(load_settings(), jobs=jobs)
    server = serve(0, running.health, host="127.0.0.1")
    port = server.server_address[1]
    try:
        code, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert code == 200 and json.loads(body) == {"ok": True, "broker": "up"}
        code, body = _get(f"http://127.0.0.1:{port}/metrics")
        assert code == 200 and "hitbot_notifications_total" in body and "hitbot_outbox_backlog" in body
        assert _get(f"http://127.0.0.1:{port}/nope")[0] == 404
    finally:
        server.shutdown()


def test_worker_without_broker_is_unhealthy(jobs):
    from core.config import load_settings

    class DeadRedis:
        def ping(self):
            raise ConnectionError("down")

    running = Running(load_settings(), jobs=type("J", (), {"redis": DeadRedis()})(), worker=object())
    assert running.health() == {"ok": False, "broker": "down", "worker": "running"}
    bot_only = Running(load_settings(), jobs=type("J", (), {"redis": DeadRedis()})())
    assert bot_only.health()["ok"] is True  # the bot keeps answering chats without Redis


def test_logs_mask_tokens_and_passwords():
    fmt = JsonFormatter()
    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               "POST https://api.telegram.org/bot123456:AAHsecretTOKEN/sendMessage via "
                               "postgresql://hitbot:hunter2@db/hitbot", (), None)
    record.bot_token = "123456:AAHsecretTOKEN"
    record.chat = 42
    out = json.loads(fmt.format(record))
    text = json.dumps(out)
    assert "AAHsecretTOKEN" not in text and "hunter2" not in text
    assert "/bot<token>/sendMessage" in out["msg"] and "hitbot:***@db" in out["msg"]
    assert out["chat"] == "42" and "bot_token" not in out


@pytest.mark.parametrize("argv, message", [
    (["worker", "--processes", "0"], "between 1 and 64"),
    (["worker", "--threads", "lots"], "not a whole number"),
])
def test_cli_rejects_bad_numbers(argv, message, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
    assert message in capsys.readouterr().err


async def test_updates_are_counted_and_timed(bot):
    from hitbot.run import instrument
    from jobs.metrics import HANDLER_SECONDS, UPDATES
    from tests.fakes.telegram import TgUser

    instrument(bot.app)
    before = UPDATES._value.get()
    count_before = _hist_count(HANDLER_SECONDS)
    await bot.text(TgUser(4242, "Ann"), "/start")
    assert UPDATES._value.get() == before + 1
    assert _hist_count(HANDLER_SECONDS) == count_before + 1


def _hist_count(h) -> float:
    return next(s.value for m in h.collect() for s in m.samples if s.name.endswith("_count"))


@pytest.mark.parametrize("command", ["bot", "run"])
def test_bot_and_run_without_a_token_explain_and_start_nothing(command, tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "REDIS_URL", "DATABASE_URL")}
    env["HITBOT_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", "hitbot.cli", command], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in done.stderr
    assert not (tmp_path / "data").exists(), "it started the database or Redis before checking"
