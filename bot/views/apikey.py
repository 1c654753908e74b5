"""/apikey: the requester's MTurk API keys, a new key's ~/.aws/credentials block (shown once),
and revoking a key."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, esc, fit, keyboard
from core.mturk.apikeys import MAX_ACTIVE_KEYS, NewKey

if TYPE_CHECKING:
    from core.models import ApiKey

PROFILE = "hitbot"


def key_list(keys: list[ApiKey], api_url: str | None) -> tuple[str, InlineKeyboardMarkup]:
    lines = ["🔑 <b>MTurk API keys</b>",
             "Scripts written for Amazon Mechanical Turk (boto3's <code>mturk</code> client) post work here "
             "with a key: point them at " + (f"<code>{esc(api_url)}</code>" if api_url else "this hitbot's "
                                             "<code>/mturk</code> address") + "."]
    if keys:
        lines += ["", "Keys that work now:"]
        lines += [f"• <code>{esc(k.access_key_id)}</code>, made {k.created_at:%d %b %Y}" for k in keys]
    else:
        lines += ["", "You have no key yet."]
    rows = [[button(f"🗑 Revoke {k.access_key_id[:8]}…{k.access_key_id[-4:]}", callbacks.make("ak", "rev", k.id))]
            for k in keys]
    if len(keys) < MAX_ACTIVE_KEYS:
        rows.append([button("➕ New key", callbacks.make("ak", "new"))])
    return fit("\n".join(lines)), keyboard(rows)


def credentials_block(key: NewKey) -> str:
    """The lines to paste into ~/.aws/credentials, each on its own line."""
    return f"[{PROFILE}]\naws_access_key_id = {key.access_key_id}\naws_secret_access_key = {key.secret}"


def new_key(key: NewKey, api_url: str | None) -> tuple[str, InlineKeyboardMarkup]:
    endpoint = api_url or "https://<your hitbot>/mturk"
    text = "\n".join([
        "🔑 <b>Your new API key</b> — this is the only time the secret is shown. Add it to "
        "<code>~/.aws/credentials</code>:",
        f"<pre>{esc(credentials_block(key))}</pre>",
        "Then in Python:",
        f"<pre>boto3.Session(profile_name=\"{PROFILE}\").client(\"mturk\", endpoint_url=\"{esc(endpoint)}\")</pre>",
        f"or set <code>AWS_PROFILE={PROFILE}</code> and <code>AWS_ENDPOINT_URL_MTURK={esc(endpoint)}</code> and run "
        "the script unchanged.",
        "Once it is saved, delete this message: anyone who reads the secret can spend your balance.",
    ])
    return text, keyboard([[button("🧹 Saved it: delete this message", callbacks.make("ak", "del"))]])


def confirm_revoke(key: ApiKey) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"Revoke <code>{esc(key.access_key_id)}</code>? Scripts using it stop working at once "
            "(their requests get UnrecognizedClientException).")
    return text, keyboard([[button("🗑 Revoke", callbacks.make("ak", "rvy", key.id)),
                            button("Keep it", callbacks.make("ak", "rvn"))]])


def revoked(key: ApiKey) -> str:
    return f"🗑 Key <code>{esc(key.access_key_id)}</code> is revoked. Send /apikey for your keys."


KEPT = "Kept. Send /apikey for your keys."
DELETED = "Deleted."
