"""The ids a requester's script sees: HITIds, AssignmentIds, HITTypeIds and NextTokens.

HIT and assignment ids are hitbot's own numbers in MTurk's alphabet (upper-case letters and
digits) behind a prefix that says what they are; they never change, so scripts may store them.
Who may see what is checked by core, never by the id. NextTokens are signed, so a forged or
altered one is refused rather than read."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

from api.errors import request_error

# Formatted in core (the notifications the jobs worker sends name HITs too), parsed here.
from core.mturk.ids import ASSIGNMENT_PREFIX, HIT_PREFIX, assignment_id, base36 as _base36, hit_id  # noqa: F401
from core.secretkey import derive

HIT_TYPE_PREFIX = "3HT"
QUAL_TYPE_PREFIX = "3QT"
_ID = re.compile(r"(3HB|3AS|3QT)([0-9A-Z]{12})")
MAX_TOKEN = 255


def _parse(text: object, prefix: str, what: str, turk_code: str) -> int:
    match = _ID.fullmatch(text) if isinstance(text, str) else None
    if match is None or match.group(1) != prefix:
        shown = text[:64] if isinstance(text, str) else "?"
        raise request_error(f"{what} {shown} does not exist.", turk_code)
    return int(match.group(2), 36)


def qual_type_id(n: int) -> str:
    return QUAL_TYPE_PREFIX + _base36(n)


def parse_qual_type_id(text: object) -> int:
    return _parse(text, QUAL_TYPE_PREFIX, "Qualification type", "AWS.MechanicalTurk.QualificationTypeDoesNotExist")


def parse_hit_id(text: object) -> int:
    return _parse(text, HIT_PREFIX, "HIT", "AWS.MechanicalTurk.HitDoesNotExist")


def parse_assignment_id(text: object) -> int:
    return _parse(text, ASSIGNMENT_PREFIX, "Assignment", "AWS.MechanicalTurk.AssignmentDoesNotExist")


def hit_type_id(*parts: object) -> str:
    """The same id for HITs that share what MTurk groups them by (title, description, reward,
    durations, keywords, requester), as MTurk's HITTypeId/HITGroupId."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return HIT_TYPE_PREFIX + base64.b32encode(digest).decode()[:27]


def page_token(requester_id: int, kind: str, cursor: int) -> str:
    body = f"{kind}.{cursor}"
    mac = base64.b32encode(derive("page", requester_id, body)[:10]).decode()
    return f"{body}.{mac}"


def parse_page_token(requester_id: int, kind: str, token: str | None) -> int | None:
    """The cursor a NextToken carries, for this requester and listing; RequestError if forged."""
    if token is None:
        return None
    parts = token.split(".") if isinstance(token, str) and len(token) <= MAX_TOKEN else []
    if len(parts) == 3 and parts[0] == kind and parts[1].isascii() and parts[1].isdigit() and len(parts[1]) <= 18:
        expected = page_token(requester_id, kind, int(parts[1]))
        if hmac.compare_digest(expected, token):
            return int(parts[1])
    raise request_error("NextToken is not valid: pass the NextToken of the previous answer unchanged.",
                        "AWS.MechanicalTurk.InvalidParameterValue")
