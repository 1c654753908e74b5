"""`hitbot sandbox` serves the MTurk API at <sandbox URL>/mturk: the composition root mounts
api's application in the emulator's server (sandbox/ itself knows nothing of it)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from core.mturk import apikeys
from hitbot.sandbox_cmd import MOUNTS
from sandbox.server import SandboxServer
from tests import factories as f
from tests.api.conftest import utcnow


@pytest.fixture
def sandbox(database):
    server = SandboxServer(flood_control=False, mounts=MOUNTS).start()
    yield server
    server.stop()


def _client(url: str, key_id: str, secret: str):
    return boto3.client("mturk", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key_id,
                        aws_secret_access_key=secret)


def test_boto3_against_the_sandbox_url_gets_the_balance(sandbox):
    rita = f.requester(12_34, name="Rita")
    key = apikeys.create_key(user_id=rita.id, now=utcnow(), request_key="test:sandbox")
    for url in (sandbox.url + "/mturk", sandbox.url + "/mturk/"):
        got = _client(url, key.access_key_id, key.secret).get_account_balance()
        assert got["AvailableBalance"] == "12.34" and got["OnHoldBalance"] == "0.00"
    with pytest.raises(ClientError) as exc:  # the signature is still checked under the mount
        _client(sandbox.url + "/mturk", key.access_key_id, "wrong" + key.secret[5:]).get_account_balance()
    assert exc.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_the_emulator_still_answers_beside_the_mount(sandbox):
    with urllib.request.urlopen(sandbox.url + "/sandbox/api/users", timeout=10) as resp:
        assert "users" in json.loads(resp.read())


def test_a_body_over_the_apis_bound_is_refused_under_the_mount(sandbox):
    req = urllib.request.Request(sandbox.url + "/mturk", data=b"{" + b" " * (300 * 1024) + b"}", method="POST",
                                 headers={"X-Amz-Target": "MTurkRequesterServiceV20170117.GetAccountBalance",
                                          "Content-Type": "application/x-amz-json-1.1"})
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400 and json.loads(exc.read())["__type"] == "RequestError"
