"""Requesters' access keys for the MTurk-compatible API (/apikey in chat).

A key is an id (`AKHB` + 16 characters, like an AWS access key id) and a 40-character secret.
The secret is derived, never stored: HMAC(server key, id, salt) (core.secretkey). SigV4 needs
the secret itself to check a signature, so a one-way hash (bcrypt...) can't work; deriving it
needs no second key to manage and no encryption library, and a copy of the database holds
nothing that signs a request. Revoking is immediate: a revoked key's requests are refused."""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from peewee import IntegrityError

from core.db import db, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.models import ApiKey
from core.secretkey import derive
from core.texts import N_
from core.users.commands import get_user

MAX_ACTIVE_KEYS = 10
KEY_ID_PREFIX = "AKHB"
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class NewKey:
    id: int
    access_key_id: str
    secret: str  # shown to the requester once, never logged


def _secret(access_key_id: str, salt: str) -> str:
    return base64.b64encode(derive("apikey", access_key_id, salt)[:30]).decode()  # 40 characters


def create_key(*, user_id: int, now: datetime, request_key: str) -> NewKey:
    """A new key for the user. `request_key` (the chat message pressed) makes a double tap one key:
    the second is StaleAction, and the secret is not shown again."""
    if not 0 < len(request_key) <= 64:
        raise ValueError("create_key needs a request key of 1 to 64 characters")
    with tx():
        get_user(user_id)
        active = ApiKey.select().where((ApiKey.user == user_id) & ApiKey.revoked_at.is_null()).count()
        if active >= MAX_ACTIVE_KEYS:
            raise ValidationFailed(N_("You can have at most {max_active_keys} API keys; revoke one first."),
                                   max_active_keys=MAX_ACTIVE_KEYS)
        access_key_id = KEY_ID_PREFIX + "".join(secrets.choice(_B32) for _ in range(16))
        salt = secrets.token_hex(16)
        try:
            with db.atomic():
                row = ApiKey.create(user=user_id, access_key_id=access_key_id, salt=salt,
                                    request_key=request_key, created_at=now)
        except IntegrityError:
            raise StaleAction(N_("That key was already made; send /apikey to see your keys.")) from None
        return NewKey(row.id, access_key_id, _secret(access_key_id, salt))


def list_keys(*, user_id: int) -> list[ApiKey]:
    """The user's keys that still work, oldest first (ids only: secrets are never shown again)."""
    get_user(user_id)
    return list(ApiKey.select().where((ApiKey.user == user_id) & ApiKey.revoked_at.is_null()).order_by(ApiKey.id))


def revoke_key(*, user_id: int, key_id: int, now: datetime) -> ApiKey:
    """Stop a key working at once. Someone else's key is NotAllowed; a revoked one StaleAction."""
    with tx():
        row = ApiKey.get_or_none(ApiKey.id == key_id)
        if row is None or row.user_id != user_id:
            raise NotAllowed()
        if ApiKey.update(revoked_at=now).where((ApiKey.id == key_id) & ApiKey.revoked_at.is_null()).execute() != 1:
            raise StaleAction(N_("That key was already revoked."))
        return ApiKey.get_by_id(key_id)


def owned_key(*, user_id: int, key_id: int) -> ApiKey:
    row = ApiKey.get_or_none(ApiKey.id == key_id)
    if row is None or row.user_id != user_id:
        raise NotAllowed()
    return row


@dataclass(frozen=True)
class Credential:
    user_id: int
    secret: str


def credential(*, access_key_id: str) -> Credential | None:
    """Who a key belongs to and its secret, to check a request's signature; None when the key
    is unknown or revoked, or its owner is banned."""
    if not 0 < len(access_key_id) <= 32:
        return None
    row = ApiKey.get_or_none((ApiKey.access_key_id == access_key_id) & ApiKey.revoked_at.is_null())
    if row is None or row.user.banned:
        return None
    return Credential(row.user_id, _secret(row.access_key_id, row.salt))
