"""Web tasks' pure parts (issue 16): Telegram's Mini App initData check, the page token, the frame
credential, and a chat spec that asks for a web question."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

import pytest

from core.errors import NotAllowed, SpecInvalid
from core.hits.spec import parse_spec
from core.webtasks.tokens import (
    LINK,
    assignment_of_token,
    check_credential,
    frame_credential,
    page_token,
    sign_init_data,
    token_matches,
    verify_init_data,
)

BOT = "123456:bot-token"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
USER = json.dumps({"id": 201, "first_name": "Wes"}, separators=(",", ":"))


def telegram_signed(fields: dict[str, str], token: str = BOT) -> str:
    """Signed independently of the code under test, as Telegram's documentation spells it out."""
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(key=b"WebAppData", msg=token.encode(), digestmod=hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def fields(at: datetime = NOW) -> dict[str, str]:
    return {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": USER, "auth_date": str(int(at.timestamp()))}


def test_init_data_signed_with_the_bot_token_is_accepted_and_its_user_read():
    data = telegram_signed(fields(NOW - timedelta(minutes=5)))
    out = verify_init_data(data, bot_token=BOT, now=NOW, max_age_s=3600)
    assert out["user"] == {"id": 201, "first_name": "Wes"}
    assert sign_init_data(fields(), bot_token=BOT) == telegram_signed(fields())


@pytest.mark.parametrize("tamper, why", [
    (lambda d: d.replace("%22id%22%3A201", "%22id%22%3A202"), "not signed"),  # another user
    (lambda d: "&".join(p for p in d.split("&") if not p.startswith("hash=")), "not signed"),
    (lambda d: telegram_signed(fields(), token="654321:other-bot"), "not signed"),
    (lambda d: telegram_signed(fields(NOW - timedelta(hours=2))), "too old"),
    (lambda d: telegram_signed(fields(NOW + timedelta(hours=2))), "too old"),  # from the future
    (lambda d: "", "missing"),
])
def test_forged_foreign_or_stale_init_data_is_refused(tamper, why):
    data = tamper(telegram_signed(fields()))
    with pytest.raises(NotAllowed) as err:
        verify_init_data(data, bot_token=BOT, now=NOW, max_age_s=3600)
    assert why in err.value.message
    assert dict(parse_qsl(telegram_signed(fields())))["user"] == USER  # the untampered one still reads


def test_the_page_token_is_bound_to_one_assignment_and_one_acceptance(monkeypatch):
    monkeypatch.setenv("HITBOT_SECRET_KEY", "k" * 40)
    from core.config import get_settings
    get_settings.cache_clear()
    try:
        token = page_token(42, NOW)
        assert assignment_of_token(token) == 42 and token_matches(token, 42, NOW)
        assert not token_matches(token, 42, NOW + timedelta(seconds=1))  # taken again after a return
        assert not token_matches(f"{43:x}-" + token.split("-")[1], 43, NOW)
        assert assignment_of_token("42-short") is None and assignment_of_token("../x") is None
        assert page_token(42, NOW) != page_token(43, NOW)
    finally:
        get_settings.cache_clear()


def test_the_frame_credential_is_bound_to_the_assignment_acceptance_account_and_deadline(monkeypatch):
    monkeypatch.setenv("HITBOT_SECRET_KEY", "k" * 40)
    from core.config import get_settings
    get_settings.cache_clear()
    deadline = NOW + timedelta(minutes=10)
    try:
        wes = frame_credential(42, NOW, 201, deadline)

        def check(credential, *, assignment=42, accepted=NOW, worker=201, at=NOW + timedelta(minutes=9),
                  links=True):
            return check_credential(credential, assignment_id=assignment, accepted_at=accepted, worker_id=worker,
                                    now=at, links=links)

        assert check(wes) is None
        assert "201" not in wes  # the Telegram id is in the MAC only: a requester's page sees turkSubmitTo
        assert check(wes, assignment=43) == "invalid"
        assert check(wes, accepted=NOW + timedelta(seconds=1)) == "invalid"  # taken again after a return
        assert check(wes, worker=202) == "invalid"  # another Telegram account's assignment
        assert check(frame_credential(42, NOW, 202, deadline)) == "invalid"  # minted for another account
        assert check(wes, at=deadline) == "expired"
        stretched = wes.replace(wes.split(".")[1], f"{int(deadline.timestamp()) + 3600:x}")
        assert check(stretched, at=deadline + timedelta(minutes=1)) == "invalid"  # its expiry is under the MAC
        link = frame_credential(42, NOW, LINK, deadline)
        assert check(link) is None and check(link, links=False) == "links-off"
        assert check(link.replace("l.", "t.", 1)) == "invalid"  # a link's is not a Telegram account's
        assert check(None) == check("") == "missing" and check("t.1.short") == "invalid"
    finally:
        get_settings.cache_clear()


def test_a_chat_spec_cannot_ask_for_a_web_question():
    spec = {"title": "T", "description": "D", "reward": "0.10", "duration": 60, "lifetime": 3600,
            "questions": [{"id": "q1", "kind": "web", "prompt": "Open it"}]}
    with pytest.raises(SpecInvalid) as err:
        parse_spec(spec)
    assert "MTurk API" in err.value.problems[0][1]
    assert parse_spec(spec, web_tasks=True).questions[0].kind == "web"


def test_the_tasks_origin_must_not_be_the_apis():
    from core.config import load_settings
    from core.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        load_settings(api_url="https://hitbot.example.org/mturk", tasks_url="https://hitbot.example.org")
    assert "HITBOT_TASKS_URL" in str(err.value) and "another origin" in str(err.value)
    assert load_settings(api_url="https://hitbot.example.org/mturk",
                         tasks_url="https://tasks.hitbot.example.org/").tasks_url == "https://tasks.hitbot.example.org"
