"""The aiohttp application: POST /mturk with X-Amz-Target and an AWS JSON 1.1 body.

Each request is one trip off the event loop (asyncio.to_thread, as bot.runtime.call does):
check the signature, take a token from the requester's bucket, run the operation in core.
A refusal changes nothing and comes back as the error JSON botocore reads."""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from aiohttp import web

from api import sigv4
from api.errors import JSON_TYPE, ApiError, auth_error, request_error, service_fault
from api.operations import OPERATIONS, TARGET_PREFIX
from api.ops import Ctx
from api.params import MAX_BODY_BYTES, load
from api.ratelimit import TokenBucket
from core.config import get_settings
from core.db import release
from core.errors import (
    DuplicateRequest,
    HitbotError,
    InsufficientFunds,
    NotAllowed,
    NotFound,
    StaleAction,
    ValidationFailed,
)
from core.mturk import apikeys

log = logging.getLogger(__name__)
PATHS = ("/mturk", "/mturk/")
MOUNTED_PATHS = ("", "/")  # as a sub-application under a prefix: <prefix> and <prefix>/
CLOCK = web.AppKey("clock", Callable[[], datetime])
LIMITER = web.AppKey("limiter", TokenBucket)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _core_error(exc: HitbotError) -> ApiError:
    """A core refusal as MTurk's RequestError, with a TurkErrorCode a script can branch on."""
    if isinstance(exc, DuplicateRequest):
        code = "AWS.MechanicalTurk.DuplicateRequest"
    elif isinstance(exc, InsufficientFunds):
        code = "AWS.MechanicalTurk.InsufficientFunds"
    elif isinstance(exc, StaleAction):
        code = "AWS.MechanicalTurk.InvalidAssignmentState"
    elif isinstance(exc, (NotAllowed, NotFound)):
        code = "AWS.MechanicalTurk.NotAuthorized"
    elif isinstance(exc, ValidationFailed):
        code = "AWS.ParameterOutOfRange"
    else:
        code = "AWS.MechanicalTurk.RequestError"
    return request_error(exc.message, code)


def _secret_of(access_key_id: str) -> tuple[int, str] | None:
    found = apikeys.credential(access_key_id=access_key_id)
    return (found.user_id, found.secret) if found is not None else None


def _serve(req: sigv4.Request, operation: str, now: datetime, limiter: TokenBucket) -> dict:
    """In a worker thread: authenticate, rate-limit, run. Raises ApiError."""
    try:
        used: list[str] = []

        def secret_of(access_key_id: str) -> tuple[int, str] | None:
            used.append(access_key_id)
            return _secret_of(access_key_id)

        user_id = sigv4.verify(req, now=now, secret_of=secret_of)
        if not limiter.take(user_id):
            raise ApiError("ThrottlingException", "Rate exceeded: slow down and retry (botocore retries this "
                                                  "by itself).", turk_code="AWS.MechanicalTurk.RateExceeded")
        fn = OPERATIONS.get(operation)
        if fn is None:
            raise auth_error("UnknownOperationException", f"hitbot does not support {operation} yet.")
        return fn(Ctx(requester_id=user_id, now=now, access_key_id=used[-1]), load(req.body))
    except ApiError:
        raise
    except HitbotError as exc:
        raise _core_error(exc) from None
    finally:
        release()


async def handle(request: web.Request) -> web.Response:
    request_id = str(uuid.uuid4())
    try:
        too_big = request_error(f"The request body can have at most {MAX_BODY_BYTES} bytes.")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise too_big  # mounted in another application, whose own body bound may be larger
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise too_big from None
        if len(body) > MAX_BODY_BYTES:
            raise too_big
        prefix, _, operation = request.headers.get("X-Amz-Target", "").partition(".")
        if prefix != TARGET_PREFIX or not operation or len(operation) > 64:
            raise auth_error("UnknownOperationException", f"X-Amz-Target must be {TARGET_PREFIX}.<Operation>.")
        signed = sigv4.Request(method=request.method, raw_path=request.raw_path,
                               headers=lambda name: request.headers.getall(name, []), body=body)
        result = await asyncio.to_thread(_serve, signed, operation, request.app[CLOCK](), request.app[LIMITER])
    except ApiError as exc:
        return _answer(exc.body(), exc.status, request_id)
    except Exception:
        log.exception("MTurk API operation failed", extra={"request_id": request_id})
        fault = service_fault()
        return _answer(fault.body(), fault.status, request_id)
    return _answer(json.dumps(result).encode(), 200, request_id)


def _answer(body: bytes, status: int, request_id: str) -> web.Response:
    return web.Response(body=body, status=status, headers={"Content-Type": JSON_TYPE, "x-amzn-RequestId": request_id})


def create_app(*, clock: Callable[[], datetime] = utcnow, rate_per_s: float | None = None,
               burst: int | None = None, paths: tuple[str, ...] = PATHS) -> web.Application:
    """The API as an aiohttp application, at /mturk; with paths=MOUNTED_PATHS, for add_subapp
    under a prefix (the sandbox serves it at <sandbox URL>/mturk)."""
    settings = get_settings()
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[CLOCK] = clock
    app[LIMITER] = TokenBucket(rate_per_s or settings.api_rate_per_s, burst or settings.api_burst)
    for path in paths:
        app.router.add_post(path, handle)
    return app
