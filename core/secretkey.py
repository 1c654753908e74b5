"""The server's secret key, and keyed derivations from it (API secrets, opaque worker ids).

HITBOT_SECRET_KEY when set. Without it, and only on SQLite (one machine by construction), a
random key is made once under HITBOT_DATA_DIR (`secret_key`, mode 0600) and kept. On any other
database every process (bot replicas, API processes) must derive the same values, so the key
must come from the environment. It must never change: API secrets and WorkerIds derive from it."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from core.config import get_settings
from core.db import is_sqlite
from core.errors import ConfigError

KEY_FILE = "secret_key"
_lock = threading.Lock()
_cached: tuple[str, bytes] | None = None  # (where it came from, the key)


def server_key() -> bytes:
    global _cached
    settings = get_settings()
    if settings.secret_key is not None:
        source = "env"
        value = settings.secret_key.get_secret_value().encode()
        if _cached is None or _cached[1] != value:
            _cached = (source, value)
        return value
    path = Path(settings.data_dir) / KEY_FILE
    with _lock:
        if _cached is not None and _cached[0] == str(path):
            return _cached[1]
        if not is_sqlite():
            raise ConfigError("HITBOT_SECRET_KEY is not set: with a shared database every hitbot process needs "
                              "the same secret key (at least 32 random characters, e.g. `openssl rand -hex 32`).")
        _cached = (str(path), _file_key(path))
        return _cached[1]


def _file_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    value = path.read_text().strip()
    if len(value) < 32:
        raise ConfigError(f"{path} does not hold a secret key of at least 32 characters; delete it or set "
                          "HITBOT_SECRET_KEY.")
    return value.encode()


def derive(purpose: str, *parts: object) -> bytes:
    """HMAC-SHA256 of the parts under the server key, separated by purpose so that one
    derivation can never stand in for another."""
    message = "\x1f".join([purpose, *(str(p) for p in parts)]).encode()
    return hmac.new(server_key(), message, hashlib.sha256).digest()
