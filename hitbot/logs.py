"""How a hitbot process logs: readable lines on a terminal, one JSON object per line otherwise
(or with HITBOT_LOG_FORMAT=json), secrets masked either way. Chatty third-party loggers
(APScheduler, httpx, aiohttp's access log) stay at WARNING unless HITBOT_LOG_LEVEL=DEBUG."""
from __future__ import annotations

import json
import logging
import re
import sys
from typing import TextIO

SECRET_WORDS = ("token", "secret", "password")
QUIET_LOGGERS = ("apscheduler", "httpx", "httpcore", "aiohttp.access")
BANNER_LOGGER = "hitbot.banner"  # shown at any HITBOT_LOG_LEVEL: an operator always sees what started

_TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def redact(text: str) -> str:
    """Bot API URLs carry the token and database/broker URLs may carry a password: both masked."""
    text = _TOKEN_IN_URL.sub("/bot<token>", text)
    return _PASSWORD_IN_URL.sub(r"\1***@", text)


_STD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, str]:
    out = {}
    for key, value in vars(record).items():
        if key in _STD_FIELDS or key.startswith("_") or any(w in key.lower() for w in SECRET_WORDS):
            continue
        out[key] = redact(str(value))
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields kept, secret-looking ones and URL passwords dropped."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
               "logger": record.name, "msg": redact(record.getMessage())}
        out.update(_extras(record))
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


class HumanFormatter(logging.Formatter):
    """`14:03:07 WARNING jobs.delivery  message  key=value ...` for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        message = redact(record.getMessage())
        if record.name == BANNER_LOGGER:
            return message
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.name}  {message}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def wants_json(log_format: str, stream: TextIO) -> bool:
    if log_format == "json":
        return True
    if log_format == "human":
        return False
    isatty = getattr(stream, "isatty", None)
    return not (isatty is not None and isatty())


def configure(*, level: str = "INFO", log_format: str = "auto", stream: TextIO | None = None) -> logging.Handler:
    """Install this process's one log handler on the root logger; returns it."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if wants_json(log_format, stream) else HumanFormatter())
    level = level.upper()
    logging.basicConfig(level=level, handlers=[handler], force=True)
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger(BANNER_LOGGER).setLevel(logging.INFO)
    return handler
