"""/apikey: the requester's MTurk API keys, a new key's ~/.aws/credentials block (shown once),
and revoking a key."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import _, date_time
from bot.views.common import button, esc, fit, keyboard
from core.mturk.apikeys import MAX_ACTIVE_KEYS, NewKey

if TYPE_CHECKING:
    from core.models import ApiKey

PROFILE = "hitbot"
CODE = '<pre>boto3.Session(profile_name="{profile}").client("mturk", endpoint_url="{endpoint}")</pre>'


def key_list(keys: list[ApiKey], api_url: str | None) -> tuple[str, InlineKeyboardMarkup]:
    intro = (_("Scripts written for Amazon Mechanical Turk (boto3's <code>mturk</code> client) post work here "
               "with a key: point them at <code>{url}</code>.", url=esc(api_url)) if api_url else
             _("Scripts written for Amazon Mechanical Turk (boto3's <code>mturk</code> client) post work here "
               "with a key: point them at this hitbot's <code>/mturk</code> address."))
    lines = [_("🔑 <b>MTurk API keys</b>"), intro]
    if keys:
        lines += ["", _("Keys that work now:")]
        lines += [_("• <code>{key}</code>, made {date}", key=esc(k.access_key_id),
                    date=date_time(k.created_at, format="short")) for k in keys]
    else:
        lines += ["", _("You have no key yet.")]
    rows = [[button(_("🗑 Revoke {key}", key=_short(k.access_key_id)), callbacks.make("ak", "rev", k.id))]
            for k in keys]
    if len(keys) < MAX_ACTIVE_KEYS:
        rows.append([button(_("➕ New key"), callbacks.make("ak", "new"))])
    return fit("\n".join(lines)), keyboard(rows)


def _short(access_key_id: str) -> str:
    return access_key_id[:8] + "…" + access_key_id[-4:]


def credentials_block(key: NewKey) -> str:
    """The lines to paste into ~/.aws/credentials, each on its own line."""
    return f"[{PROFILE}]\naws_access_key_id = {key.access_key_id}\naws_secret_access_key = {key.secret}"


def new_key(key: NewKey, api_url: str | None) -> tuple[str, InlineKeyboardMarkup]:
    # Without a configured address the code shows a placeholder the requester replaces, in their words.
    # TRANSLATORS: stands for this hitbot's web address inside a URL: no spaces.
    endpoint = api_url or "https://" + _("your-hitbot-address") + "/mturk"
    text = "\n".join([
        _("🔑 <b>Your new API key</b> — this is the only time the secret is shown. Add it to "
          "<code>~/.aws/credentials</code>:"),
        f"<pre>{esc(credentials_block(key))}</pre>",
        _("Then in Python:"),
        CODE.format(profile=PROFILE, endpoint=esc(endpoint)),
        _("or set <code>{profile}</code> and <code>{endpoint}</code> and run the script unchanged.",
          profile="AWS_PROFILE=" + PROFILE, endpoint="AWS_ENDPOINT_URL_MTURK=" + esc(endpoint)),
        _("Once it is saved, delete this message: anyone who reads the secret can spend your balance."),
    ])
    return text, keyboard([[button(_("🧹 Saved it: delete this message"), callbacks.make("ak", "del"))]])


def confirm_revoke(key: ApiKey) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Revoke <code>{key}</code>? Scripts using it stop working at once "
             "(their requests get UnrecognizedClientException).", key=esc(key.access_key_id))
    return text, keyboard([[button(_("🗑 Revoke"), callbacks.make("ak", "rvy", key.id)),
                            button(_("Keep it"), callbacks.make("ak", "rvn"))]])


def revoked(key: ApiKey) -> str:
    return _("🗑 Key <code>{key}</code> is revoked. Send /apikey for your keys.", key=esc(key.access_key_id))


def kept() -> str:
    return _("Kept. Send /apikey for your keys.")


def deleted() -> str:
    return _("Deleted.")
