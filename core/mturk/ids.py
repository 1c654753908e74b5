"""The HITIds and AssignmentIds a requester's script sees: hitbot's own numbers in MTurk's
alphabet behind a prefix that says what they are (api.ids parses them; the notifications the
jobs worker sends name HITs the same way)."""
from __future__ import annotations

import base64

from core.secretkey import derive

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HIT_PREFIX = "3HB"
ASSIGNMENT_PREFIX = "3AS"
WIDTH = 12


def base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = DIGITS[r] + out
        if n == 0:
            return out.rjust(WIDTH, "0")


def hit_id(n: int) -> str:
    return HIT_PREFIX + base36(n)


def assignment_id(n: int) -> str:
    return ASSIGNMENT_PREFIX + base36(n)


def worker_ref(requester_id: int, worker_id: int) -> str:
    """A worker's id as one requester sees it: 'A' + 13 base32 characters, stable, and
    different for each requester; the Telegram id can't be recovered from it."""
    return "A" + base64.b32encode(derive("worker", requester_id, worker_id)).decode()[:13]


def worker_alias(requester_id: int, worker_id: int) -> str:
    """How a requester sees a worker in chat, everywhere: the WorkerId their scripts see, never a
    Telegram name, username or id."""
    return f"Worker #{worker_ref(requester_id, worker_id)}"
