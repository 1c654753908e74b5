"""The task page's token and URL, and Telegram's Mini App initData check: pure, no database.

The token is bound to one assignment and one acceptance of it (a HIT taken back after a return
gets a new one), and derived under the server key, so it can't be guessed or made up; it opens
nothing once the assignment is no longer in progress (core.webtasks.commands checks that)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime
from urllib.parse import parse_qsl

from core.config import get_settings
from core.errors import NotAllowed
from core.secretkey import derive
from core.texts import N_

TOKEN = re.compile(r"^([0-9a-f]{1,15})-([a-z2-7]{32})$")


def page_token(assignment_id: int, accepted_at: datetime) -> str:
    mac = base64.b32encode(derive("webtask", assignment_id, int(accepted_at.timestamp()))).decode()
    return f"{assignment_id:x}-{mac[:32].lower()}"


def assignment_of_token(token: str) -> int | None:
    """The assignment id a well-formed token names (not yet checked against its MAC), else None."""
    found = TOKEN.match(token or "")
    return int(found.group(1), 16) if found else None


def token_matches(token: str, assignment_id: int, accepted_at: datetime) -> bool:
    return hmac.compare_digest(token, page_token(assignment_id, accepted_at))


def page_url(assignment_id: int, accepted_at: datetime) -> str | None:
    """Where the worker opens the task: the tasks origin (HITBOT_TASKS_URL), never the bot's own."""
    base = get_settings().tasks_url
    return f"{base}/task/{page_token(assignment_id, accepted_at)}" if base else None


def preview_token(hit_id: int) -> str:
    """The page of a HIT before Accept: MTurk's preview, which can submit nothing."""
    mac = base64.b32encode(derive("webpreview", hit_id)).decode()
    return f"{hit_id:x}-{mac[:32].lower()}"


def hit_of_preview_token(token: str) -> int | None:
    """The HIT a preview token names, only if its MAC is right."""
    number = assignment_of_token(token)  # the same shape
    return number if number is not None and hmac.compare_digest(token, preview_token(number)) else None


def preview_url(hit_id: int) -> str | None:
    base = get_settings().tasks_url
    return f"{base}/preview/{preview_token(hit_id)}" if base else None


def verify_init_data(init_data: str, *, bot_token: str, now: datetime, max_age_s: int) -> dict:
    """Telegram's Mini App initData, checked as Telegram documents it: the data-check string (every
    field but hash, sorted, key=value joined by newlines) signed with HMAC-SHA256 under
    HMAC-SHA256("WebAppData", bot token). Returns the fields (user decoded from JSON); NotAllowed
    when the hash is wrong, missing, or auth_date is older than max_age_s."""
    if not init_data or len(init_data) > 8192:
        raise NotAllowed(N_("The Mini App data is missing or too long."))
    fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=False))
    given = fields.pop("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(given, expected):
        raise NotAllowed(N_("The Mini App data is not signed by this bot."))
    try:
        auth_date = int(fields.get("auth_date", ""))
    except ValueError:
        raise NotAllowed(N_("The Mini App data has no auth_date.")) from None
    if not 0 <= now.timestamp() - auth_date <= max_age_s:
        raise NotAllowed(N_("The Mini App data is too old; open the task again from the chat."))
    out: dict = dict(fields)
    if "user" in out:
        try:
            out["user"] = json.loads(out["user"])
        except ValueError:
            raise NotAllowed(N_("The Mini App data's user is not JSON.")) from None
    return out


def sign_init_data(fields: dict[str, str], *, bot_token: str) -> str:
    """initData as Telegram would send it for these fields (the sandbox and tests sign with it)."""
    from urllib.parse import urlencode

    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})
