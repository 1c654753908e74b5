"""Log format: readable lines on a terminal, JSON otherwise or when asked; chatty libraries quiet."""
from __future__ import annotations

import io
import json
import logging

import pytest

from core.config import load_settings
from hitbot import logs


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in (*logs.QUIET_LOGGERS, logs.BANNER_LOGGER)}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)


def _emit(stream, **kw) -> str:
    logs.configure(stream=stream, **kw)
    logging.getLogger("jobs.delivery").info("sent to postgresql://u:hunter2@db/x", extra={"chat": 42})
    return stream.getvalue()


def test_a_terminal_gets_readable_lines():
    out = _emit(Tty())
    assert not out.startswith("{")
    assert "INFO" in out and "jobs.delivery" in out and "sent to postgresql://u:***@db/x" in out and "chat=42" in out
    assert "hunter2" not in out


def test_a_pipe_gets_json_and_so_does_a_terminal_that_asks():
    for stream, fmt in ((io.StringIO(), "auto"), (Tty(), "json")):
        record = json.loads(_emit(stream, log_format=fmt).splitlines()[0])
        assert record["msg"] == "sent to postgresql://u:***@db/x" and record["chat"] == "42"
        assert record["level"] == "INFO" and record["logger"] == "jobs.delivery"


def test_human_can_be_forced_on_a_pipe():
    assert not _emit(io.StringIO(), log_format="human").startswith("{")


def test_third_party_loggers_stay_at_warning_unless_debug():
    stream = io.StringIO()
    logs.configure(stream=stream, level="INFO")
    logging.getLogger("apscheduler.scheduler").info("Adding job tentatively")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:x/getMe")
    logging.getLogger("aiohttp.access").info("127.0.0.1 GET /")
    logging.getLogger("apscheduler.scheduler").warning("job missed")
    assert stream.getvalue().count("\n") == 1 and "job missed" in stream.getvalue()

    stream = io.StringIO()
    logs.configure(stream=stream, level="DEBUG")
    logging.getLogger("apscheduler.scheduler").info("Adding job tentatively")
    assert "Adding job tentatively" in stream.getvalue()


def test_the_banner_shows_even_at_warning_and_masks_the_password(tmp_path):
    from hitbot.startup import banner

    stream = Tty()
    logs.configure(stream=stream, level="WARNING")
    settings = load_settings(database_url="postgresql://hitbot:hunter2@db.example:5432/market",
                             redis_url="redis://:s3cret@cache:6379/0", data_dir=tmp_path)
    banner("worker", settings, metrics_port=9100)
    out = stream.getvalue()
    assert out.startswith("hitbot worker started")
    assert "PostgreSQL hitbot:***@db.example:5432/market" in out and "Redis at redis://:***@cache:6379/0" in out
    assert str(tmp_path) in out and "9100" in out
    assert "hunter2" not in out and "s3cret" not in out


def test_log_format_is_a_setting():
    assert load_settings(log_format="json").log_format == "json"
    with pytest.raises(Exception, match="HITBOT_LOG_FORMAT"):
        load_settings(HITBOT_LOG_FORMAT="xml")
