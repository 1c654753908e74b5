"""The HITIds and AssignmentIds a requester's script sees: hitbot's own numbers in MTurk's
alphabet behind a prefix that says what they are (api.ids parses them; the notifications the
jobs worker sends name HITs the same way)."""
from __future__ import annotations

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
