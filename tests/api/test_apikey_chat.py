"""/apikey in chat: keys listed by id, a new key's credentials block shown once (a double tap
makes one key), revoking stops it at once, and the secret never appears again."""
from __future__ import annotations

import html
import os
import re
import stat

import pytest
from botocore.exceptions import ClientError

from core import secretkey
from core.config import get_settings
from core.db import is_sqlite
from core.models import ApiKey
from core.mturk import apikeys
from tests import factories as f
from tests.api.conftest import mturk
from tests.fakes.telegram import TgUser, answers


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


async def start(bot, name: str = "Rita") -> TgUser:
    user = f.requester(10_00, name=name)
    tg = TgUser(user.id, name)
    await bot.text(tg, "/start")
    return tg


async def test_new_key_shown_once_and_listed_by_id(bot, api):
    rita = await start(bot)
    listing = (await bot.text(rita, "/apikey"))[-1]
    assert "no key yet" in listing.text and ("➕ New key", "ak:new") in listing.buttons
    listing_mid = max(m for m, msg in bot.tg.chats[rita.id].items() if ("➕ New key", "ak:new") in msg.buttons)
    calls = await bot.press(rita, "ak:new", listing_mid)
    shown = plain(next(c.text for c in calls if c.method == "sendMessage"))
    key_id, secret = re.search(r"^aws_access_key_id = (\S+)\naws_secret_access_key = (\S+)$", shown, re.M).groups()
    assert "[hitbot]\n" in shown
    assert mturk(api, key_id, secret).get_account_balance()["AvailableBalance"] == "10.00"
    # A double tap on the same New key button makes no second key and shows no secret.
    again = await bot.press(rita, "ak:new", listing_mid)
    assert "already made" in answers(again)[0].params["text"]
    assert ApiKey.select().where(ApiKey.user == rita.id).count() == 1
    assert secret not in "".join(c.text + str(c.params) for c in again)
    listing = (await bot.text(rita, "/apikey"))[-1]
    assert key_id in listing.text and secret not in listing.text
    # The secret's message can be deleted from the chat once saved.
    secret_mid = max(m for m, msg in bot.tg.chats[rita.id].items() if secret in msg.text)
    await bot.press(rita, "ak:del", secret_mid)
    assert secret_mid not in bot.tg.chats[rita.id]


async def test_revoke_stops_the_key(bot, api):
    rita = await start(bot)
    made = apikeys.create_key(user_id=rita.id, now=bot.app.bot_data["clock"](), request_key="t")
    client = mturk(api, made.access_key_id, made.secret)
    client.get_account_balance()
    await bot.text(rita, "/apikey")
    await bot.press_label(rita, "Revoke")
    calls = await bot.press_label(rita, "Revoke")  # the confirmation
    assert any("is revoked" in c.text for c in calls)
    with pytest.raises(ClientError) as caught:
        client.get_account_balance()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    listing = (await bot.text(rita, "/apikey"))[-1]
    assert made.access_key_id not in listing.text
    # Someone else's key can't be revoked by a forged button.
    otto = await start(bot, "Otto")
    other = apikeys.create_key(user_id=otto.id, now=bot.app.bot_data["clock"](), request_key="o")
    calls = await bot.press(rita, f"ak:rvy:{other.id}")
    assert answers(calls)[0].params["text"] == "This button is no longer valid."
    assert apikeys.credential(access_key_id=other.access_key_id) is not None


def test_at_most_ten_keys(database):
    rita = f.requester(0)
    for i in range(apikeys.MAX_ACTIVE_KEYS):
        apikeys.create_key(user_id=rita.id, now=f.NOW, request_key=f"k{i}")
    with pytest.raises(Exception) as caught:
        apikeys.create_key(user_id=rita.id, now=f.NOW, request_key="one-more")
    assert "at most 10" in str(caught.value)


def test_secrets_derive_from_the_server_key(database, monkeypatch, tmp_path):
    rita = f.requester(0)
    made = apikeys.create_key(user_id=rita.id, now=f.NOW, request_key="k")
    assert apikeys.credential(access_key_id=made.access_key_id).secret == made.secret
    row = ApiKey.get(ApiKey.access_key_id == made.access_key_id)
    assert made.secret not in str(row.__data__)  # the table never holds it
    monkeypatch.setenv("HITBOT_SECRET_KEY", "another-secret-key-0123456789abcdef01234")
    get_settings.cache_clear()
    assert apikeys.credential(access_key_id=made.access_key_id).secret != made.secret


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"), reason="SQLite only")
def test_without_the_variable_sqlite_keeps_a_key_file(database, monkeypatch, tmp_path):
    assert is_sqlite()
    monkeypatch.delenv("HITBOT_SECRET_KEY")
    monkeypatch.setenv("HITBOT_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    first = secretkey.server_key()
    path = tmp_path / secretkey.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 64
    assert secretkey.server_key() == first
