"""The SigV4 check against botocore's own signer (botocore.auth.SigV4Auth is the reference)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from api import sigv4
from api.errors import ApiError

KEY, SECRET = "AKHBTESTTESTTESTTEST", "s3cr3t/+" * 5
TARGET = "MTurkRequesterServiceV20170117.GetHIT"


def signed(url: str = "http://api.example:8080/mturk", body: bytes = b'{"HITId": "3HB000000000001"}',
           region: str = "us-east-1", service: str = "mturk-requester", secret: str = SECRET,
           headers: dict | None = None) -> AWSRequest:
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"X-Amz-Target": TARGET, "Content-Type": "application/x-amz-json-1.1",
                                  **(headers or {})})
    SigV4Auth(Credentials(KEY, secret), service, region).add_auth(request)
    return request


def incoming(request: AWSRequest, *, body: bytes | None = None, drop: str | None = None, host: str | None = None,
             extra: dict | None = None) -> sigv4.Request:
    """The request as the server sees it: the Host the HTTP client sends, headers case-insensitive."""
    from urllib.parse import urlsplit

    parts = urlsplit(request.url)
    default = {"http": 80, "https": 443}[parts.scheme]
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != (drop or "").lower()}
    headers.setdefault("host", host or (parts.hostname if parts.port in (None, default) else parts.netloc))
    headers.update({k.lower(): v for k, v in (extra or {}).items()})
    raw = parts.path + (f"?{parts.query}" if parts.query else "")
    data = request.body if body is None else body
    return sigv4.Request("POST", raw, lambda name: [headers[name]] if name in headers else [],
                         data if isinstance(data, bytes) else (data or b"").encode())


def now_of(request: AWSRequest) -> datetime:
    return datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def check(req: sigv4.Request, when: datetime, secret: str = SECRET) -> int:
    return sigv4.verify(req, now=when, secret_of=lambda key: (42, secret) if key == KEY else None)


def code(req: sigv4.Request, when: datetime, secret: str = SECRET) -> str:
    with pytest.raises(ApiError) as caught:
        check(req, when, secret)
    return caught.value.code


@pytest.mark.parametrize("url", ["http://api.example:8080/mturk", "https://api.example/mturk/",
                                 "http://127.0.0.1:5000/mturk", "https://h.example/mturk?x=1&a=b"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "local"])
def test_botocore_signatures_verify(url, region):
    request = signed(url, region=region)
    assert check(incoming(request), now_of(request)) == 42


def test_body_header_secret_and_scope_tampering():
    request = signed()
    when = now_of(request)
    assert code(incoming(request, body=b'{"HITId": "3HB000000000002"}'), when) == "InvalidSignatureException"
    assert code(incoming(request, extra={"x-amz-target": "MTurkRequesterServiceV20170117.DeleteHIT"}), when) == \
        "InvalidSignatureException"
    assert code(incoming(request, host="evil.example"), when) == "InvalidSignatureException"
    assert code(incoming(request), when, secret="wrong") == "InvalidSignatureException"
    assert code(incoming(signed(service="mturk")), when) == "InvalidSignatureException"
    assert code(incoming(request, drop="authorization"), when) == "MissingAuthenticationTokenException"
    assert code(incoming(request, extra={"authorization": "AWS4-HMAC-SHA256 nonsense"}), when) == \
        "IncompleteSignatureException"
    assert code(incoming(request, drop="x-amz-date"), when) == "IncompleteSignatureException"
    with pytest.raises(ApiError) as caught:
        sigv4.verify(incoming(request), now=when, secret_of=lambda key: None)
    assert caught.value.code == "UnrecognizedClientException"


def test_unsigned_payload_is_refused():
    request = signed(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert code(incoming(request), now_of(request)) == "InvalidSignatureException"


def test_clock_skew_of_fifteen_minutes():
    request = signed()
    when = now_of(request)
    assert check(incoming(request), when + timedelta(minutes=15)) == 42
    assert check(incoming(request), when - timedelta(minutes=15)) == 42
    assert code(incoming(request), when + timedelta(minutes=15, seconds=1)) == "InvalidSignatureException"
    assert code(incoming(request), when - timedelta(minutes=15, seconds=1)) == "InvalidSignatureException"
