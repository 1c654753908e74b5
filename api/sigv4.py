"""Checking AWS Signature Version 4 on an incoming request, as botocore's SigV4Auth signs it
(botocore/auth.py is the reference; tests sign with it). Any region is accepted; the service
must be `mturk-requester`. The body is always part of the signature: UNSIGNED-PAYLOAD is refused."""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

from api.errors import ApiError, auth_error

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "mturk-requester"
MAX_SKEW = timedelta(minutes=15)
MUST_SIGN = ("host", "x-amz-date", "x-amz-target")
MAX_AUTH_HEADER = 2048
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^,\s]{1,300}),\s*SignedHeaders=([a-z0-9;_.-]{1,1000}),\s*"
    r"Signature=([0-9a-f]{64})\s*")
_SCOPE = re.compile(r"([A-Za-z0-9]{1,32})/([0-9]{8})/([a-z0-9-]{1,32})/([a-z0-9-]{1,64})/aws4_request")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
INVALID_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                     "Check your AWS Secret Access Key and signing method.")


@dataclass(frozen=True)
class Request:
    method: str
    raw_path: str  # as sent, with the query string if any
    headers: Callable[[str], list[str]]  # every value of a header (case-insensitive name)
    body: bytes


def _incomplete(message: str) -> ApiError:
    return auth_error("IncompleteSignatureException", message)


def _invalid(message: str = INVALID_SIGNATURE) -> ApiError:
    return auth_error("InvalidSignatureException", message)


def canonical_path(raw_path: str) -> str:
    """botocore: quote(normalize_url_path(path), safe='/~')."""
    path = unquote(raw_path.split("?", 1)[0]) or "/"
    parts: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if parts:
                parts.pop()
        elif segment not in (".", ""):
            parts.append(segment)
    normal = "/" + "/".join(parts)
    if path.endswith("/") and normal != "/":
        normal += "/"
    return quote(normal, safe="/~")


def canonical_query(raw_path: str) -> str:
    query = raw_path.split("?", 1)[1] if "?" in raw_path else ""
    if not query:
        return ""
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&"))
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_request(req: Request, signed: list[str], payload_hash: str) -> str:
    headers = []
    for name in signed:
        values = req.headers(name)
        headers.append(f"{name}:" + ",".join(" ".join(v.split()) for v in values))
    return "\n".join([req.method.upper(), canonical_path(req.raw_path), canonical_query(req.raw_path),
                      "\n".join(headers) + "\n", ";".join(signed), payload_hash])


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _one(req: Request, name: str) -> str | None:
    values = req.headers(name)
    return values[0] if len(values) == 1 else None


def verify(req: Request, *, now: datetime, secret_of: Callable[[str], tuple[int, str] | None]) -> int:
    """The user id the request is signed for, or ApiError with the code botocore expects.
    `secret_of(access key id)` gives (user id, secret), or None for an unknown or revoked key."""
    auth = req.headers("authorization")
    if not auth:
        raise auth_error("MissingAuthenticationTokenException", "Missing Authentication Token", status=403)
    if len(auth) != 1 or len(auth[0]) > MAX_AUTH_HEADER:
        raise _incomplete("The Authorization header is malformed.")
    match = _AUTH.fullmatch(auth[0].strip())
    if match is None:
        raise _incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' with "
                          f"{ALGORITHM}.")
    credential, signed_list, signature = match.groups()
    scope = _SCOPE.fullmatch(credential)
    if scope is None:
        raise _incomplete("The Credential is malformed: use <key id>/<date>/<region>/mturk-requester/aws4_request.")
    access_key_id, day, region, service = scope.groups()
    if service != SERVICE:
        raise _invalid(f"Credential should be scoped to correct service: '{SERVICE}'.")
    signed = signed_list.split(";")
    if signed != sorted(set(signed)) or any(h not in signed for h in MUST_SIGN):
        raise _incomplete("SignedHeaders must be sorted and include " + ", ".join(MUST_SIGN) + ".")
    amz_date = _one(req, "x-amz-date")
    try:
        when = datetime.strptime(amz_date or "", _AMZ_DATE).replace(tzinfo=timezone.utc)
    except ValueError:
        raise _incomplete("The request needs one X-Amz-Date header in the form 20260105T120000Z.") from None
    if day != amz_date[:8]:
        raise _invalid(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                       f"'{day}' != '{amz_date[:8]}'.")
    stamp = now.astimezone(timezone.utc).strftime(_AMZ_DATE)
    if when < now - MAX_SKEW:
        raise _invalid(f"Signature expired: {amz_date} is now earlier than "
                       f"{(now - MAX_SKEW).strftime(_AMZ_DATE)} ({stamp} - 15 min.)")
    if when > now + MAX_SKEW:
        raise _invalid(f"Signature not yet current: {amz_date} is still later than "
                       f"{(now + MAX_SKEW).strftime(_AMZ_DATE)} ({stamp} + 15 min.)")
    if req.headers("x-amz-security-token"):
        raise auth_error("UnrecognizedClientException", "Temporary credentials (session tokens) are not supported: "
                                                         "use a key from /apikey.")
    payload_hash = hashlib.sha256(req.body).hexdigest()
    claimed = req.headers("x-amz-content-sha256")
    if claimed and (len(claimed) != 1 or claimed[0] != payload_hash):
        raise _invalid("The body must be signed: X-Amz-Content-SHA256 does not match it.")
    found = secret_of(access_key_id)
    if found is None:
        raise auth_error("UnrecognizedClientException", "The security token included in the request is invalid.")
    user_id, secret = found
    canonical = canonical_request(req, signed, claimed[0] if claimed else payload_hash)
    to_sign = "\n".join([ALGORITHM, amz_date, f"{day}/{region}/{service}/aws4_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    expected = hmac.new(signing_key(secret, day, region, service), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise _invalid()
    return user_id
