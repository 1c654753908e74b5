"""The task page's token and URL, and Telegram's Mini App initData check: pure, no database.

The token is bound to one assignment and one acceptance of it (a HIT taken back after a return
gets a new one), and derived under the server key, so it can't be guessed or made up; it opens
nothing once the assignment is no longer in progress (core.webtasks.commands checks that).

The token alone opens only hitbot's wrapper. The task itself (the frame and its submit) also needs
a frame credential: a MAC under the server key over the assignment, its acceptance, who opened it
(the Telegram user whose initData the wrapper checked, or LINK for the plain link) and an expiry at
the assignment's deadline. The user id is in the MAC only, never in the URL, since an
ExternalQuestion's page (the requester's) sees turkSubmitTo, which carries the credential."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from datetime import datetime
from urllib.parse import parse_qsl

from core.config import get_settings
from core.errors import NotAllowed
from core.secretkey import derive
from core.texts import N_

TOKEN = re.compile(r"^([0-9a-f]{1,15})-([a-z2-7]{32})$")
CREDENTIAL = re.compile(r"^([tl])\.([0-9a-f]{1,12})\.([a-z2-7]{32})$")
LINK = "link"  # the opener of a plain link (Open in browser): no Telegram account to bind it to


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


def link_url(assignment_id: int, accepted_at: datetime) -> str | None:
    """The plain-link way in (Open in browser): the wrapper asks for no initData, so the link is the
    worker's own to keep, like MTurk's assignment URL."""
    url = page_url(assignment_id, accepted_at)
    return f"{url}?via=link" if url and get_settings().task_links else None


def _credential_mac(assignment_id: int, accepted_at: datetime, opener: int | str, expires: int) -> str:
    bound = LINK if opener == LINK else f"tg:{int(opener)}"
    mac = base64.b32encode(derive("webframe", assignment_id, int(accepted_at.timestamp()), bound, expires)).decode()
    return mac[:32].lower()


def frame_credential(assignment_id: int, accepted_at: datetime, opener: int | str, expires_at: datetime) -> str:
    """The credential the task's frame and its submit need: opener is a Telegram user id or LINK;
    it stops working at expires_at (the assignment's deadline)."""
    expires = math.ceil(expires_at.timestamp())
    kind = "l" if opener == LINK else "t"
    return f"{kind}.{expires:x}.{_credential_mac(assignment_id, accepted_at, opener, expires)}"


def check_credential(credential: str | None, *, assignment_id: int, accepted_at: datetime, worker_id: int,
                     now: datetime, links: bool) -> str | None:
    """None when the credential opens this assignment now; else why not: "missing", "invalid" (made
    up, another assignment's or acceptance's, or another Telegram user's), "expired", or "links-off"
    (a plain link's while links is False). A Telegram credential must be the assignment's worker's."""
    if not credential:
        return "missing"
    found = CREDENTIAL.match(credential)
    if found is None:
        return "invalid"
    kind, expires, mac = found.group(1), int(found.group(2), 16), found.group(3)
    opener: int | str = LINK if kind == "l" else worker_id
    if not hmac.compare_digest(mac, _credential_mac(assignment_id, accepted_at, opener, expires)):
        return "invalid"
    if now.timestamp() >= expires:
        return "expired"
    if kind == "l" and not links:
        return "links-off"
    return None


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
