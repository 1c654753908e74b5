"""Payout destinations encrypted at rest: AES-256-GCM under a key derived from
HITBOT_SECRET_KEY (core.secretkey.derive) for a key version (HITBOT_DATA_KEY_VERSION).

Each ciphertext carries its key id ("v1", "v2", ...) beside it, so raising the version
rotates: new writes use the new key, old rows still open with theirs until
`core.payments.destinations.reencrypt` rewrites them. The associated data binds a
ciphertext to its owner, so a row copied to another worker does not decrypt."""
from __future__ import annotations

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.config import get_settings
from core.errors import ConfigError
from core.secretkey import derive

PURPOSE = "payout-destination"


def current_key_id() -> str:
    return f"v{get_settings().data_key_version}"


def _key(key_id: str, purpose: str) -> bytes:
    if not key_id.startswith("v") or not key_id[1:].isdigit():
        raise ConfigError(f"unknown data key id {key_id[:16]!r}")
    return derive(purpose, key_id)  # 32 bytes: AES-256


def _aad(owner_id: int, purpose: str) -> bytes:
    return f"{purpose}:{owner_id}".encode()


def seal(details: dict[str, str], *, owner_id: int, purpose: str = PURPOSE) -> tuple[str, str]:
    """(ciphertext as text, key id). `purpose` keeps each kind of secret under its own key
    (payout destinations, tax details)."""
    key_id = current_key_id()
    nonce = os.urandom(12)
    plain = json.dumps(details, separators=(",", ":"), sort_keys=True).encode()
    box = AESGCM(_key(key_id, purpose)).encrypt(nonce, plain, _aad(owner_id, purpose))
    return base64.urlsafe_b64encode(nonce + box).decode(), key_id


def open_sealed(token: str, key_id: str, *, owner_id: int, purpose: str = PURPOSE) -> dict[str, str]:
    raw = base64.urlsafe_b64decode(token.encode())
    try:
        plain = AESGCM(_key(key_id, purpose)).decrypt(raw[:12], raw[12:], _aad(owner_id, purpose))
    except InvalidTag:
        raise ConfigError(f"a sealed {purpose} does not decrypt: HITBOT_SECRET_KEY changed?") from None
    return json.loads(plain)
