"""The errors botocore turns into ClientError: `__type` is the code it reports."""
from __future__ import annotations

import json

JSON_TYPE = "application/x-amz-json-1.1"


class ApiError(Exception):
    """A refusal, answered as AWS JSON 1.1 error JSON. Nothing was changed."""

    def __init__(self, code: str, message: str, *, turk_code: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.turk_code = turk_code
        self.status = status

    def body(self) -> bytes:
        out = {"__type": self.code, "Message": self.message}
        if self.turk_code:
            out["TurkErrorCode"] = self.turk_code
        return json.dumps(out).encode()


def request_error(message: str, turk_code: str = "AWS.ParameterOutOfRange") -> ApiError:
    """The caller's fault (MTurk's RequestError)."""
    return ApiError("RequestError", message, turk_code=turk_code)


def service_fault(message: str = "Something went wrong on hitbot's side; nothing was changed. Try again.") -> ApiError:
    """hitbot's fault (MTurk's ServiceFault)."""
    return ApiError("ServiceFault", message, turk_code="AWS.MechanicalTurk.ServiceFault")


def auth_error(code: str, message: str, status: int = 400) -> ApiError:
    """Refused before any operation ran: the codes AWS services answer for signature problems."""
    return ApiError(code, message, status=status)
