"""Reading an operation's JSON input: every value typed and bounded, each refusal naming the
parameter (RequestError), as botocore's service model describes the shapes."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone

from api.errors import request_error

MAX_BODY_BYTES = 256 * 1024
MAX_STRING = 70_000  # the Question XML is the longest (64 KiB on MTurk)


def load(body: bytes) -> "Params":
    if not body.strip():
        return Params({})
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise request_error("The request body is not valid JSON.", "AWS.MechanicalTurk.InvalidParameterValue") from None
    if not isinstance(data, dict):
        raise request_error("The request body must be a JSON object.", "AWS.MechanicalTurk.InvalidParameterValue")
    return Params(data)


class Params:
    def __init__(self, data: dict) -> None:
        self.data = data

    def _get(self, name: str, required: bool) -> object:
        value = self.data.get(name)
        if value is None and required:
            raise request_error(f"{name} is required.", "AWS.MechanicalTurk.MissingParameter")
        return value

    def string(self, name: str, *, required: bool = False, max_len: int = 1000, min_len: int = 1) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise request_error(f"{name} must be a string.")
        if not min_len <= len(value) <= min(max_len, MAX_STRING):
            raise request_error(f"{name} must have {min_len} to {max_len} characters (it has {len(value)}).")
        return value

    def integer(self, name: str, *, required: bool = False, low: int, high: int) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise request_error(f"{name} must be a whole number.")
        if not low <= value <= high:
            raise request_error(f"{name} must be between {low} and {high} (it is {value}).")
        return value

    def timestamp(self, name: str, *, required: bool = False) -> datetime | None:
        """botocore sends a timestamp as epoch seconds (a number) in AWS JSON 1.1."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 32_503_680_000:
            raise request_error(f"{name} must be a time (seconds since 1970).")
        return datetime.fromtimestamp(value, timezone.utc)

    def strings(self, name: str, *, required: bool = False, max_items: int, max_len: int = 64) -> list[str]:
        value = self._get(name, required)
        if value is None:
            return []
        if not isinstance(value, list) or any(not isinstance(v, str) or not 1 <= len(v) <= max_len for v in value):
            raise request_error(f"{name} must be a list of strings of 1 to {max_len} characters.")
        if not 1 <= len(value) <= max_items:
            raise request_error(f"{name} must have 1 to {max_items} items (it has {len(value)}).")
        return value

    def boolean(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise request_error(f"{name} must be true or false.")
        return value

    def choices(self, name: str, allowed: Sequence[str]) -> list[str]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > len(allowed) * 2 \
                or any(not isinstance(v, str) or v not in allowed for v in value):
            raise request_error(f"{name} must be a list of: {', '.join(allowed)}.")
        return value

    def refuse(self, *names: str, why: str = "is not supported by hitbot yet") -> None:
        """Parameters MTurk has that this server would otherwise ignore: refused, not dropped."""
        for name in names:
            if self.data.get(name) not in (None, [], {}):
                raise request_error(f"{name} {why}.", "AWS.MechanicalTurk.UnsupportedParameter")
