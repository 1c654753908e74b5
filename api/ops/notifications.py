"""UpdateNotificationSettings and SendTestEventNotification. hitbot POSTs MTurk's notification
JSON to an HTTPS URL (Transport "HTTPS", hitbot's own), signed with the key that set it up;
SQS, SNS and Email are refused, as hitbot cannot reach them (core.mturk.notifications)."""
from __future__ import annotations

from api.errors import request_error
from api.ops import Ctx
from api.ops.hits import _hit_type
from api.params import Params
from core.errors import NotFound
from core.mturk import notifications


def _spec(p: Params, name: str, required: bool) -> tuple[str, str, str, list[str]] | None:
    raw = p.data.get(name)
    if raw is None:
        if required:
            raise request_error(f"{name} is required.", "AWS.MechanicalTurk.MissingParameter")
        return None
    if not isinstance(raw, dict):
        raise request_error(f"{name} must be an object with Destination, Transport, Version and EventTypes.")
    spec = Params(raw)
    destination = spec.string("Destination", required=True, max_len=notifications.MAX_URL)
    transport = spec.string("Transport", required=True, max_len=16)
    version = spec.string("Version", required=True, max_len=16)
    events = spec.choices("EventTypes", notifications.EVENT_TYPES)
    return transport, destination, version, events


def update_notification_settings(ctx: Ctx, p: Params) -> dict:
    t = _hit_type(ctx, p.string("HITTypeId", required=True, max_len=64))
    spec = _spec(p, "Notification", required=False)
    active = p.data.get("Active")
    if active is not None and not isinstance(active, bool):
        raise request_error("Active must be true or false.")
    if spec is None and active is None:
        raise request_error("Give a Notification, Active, or both.", "AWS.MechanicalTurk.MissingParameter")
    if spec is None:
        try:
            notifications.set_active(requester_id=ctx.requester_id, type_id=t.type_id, active=active, now=ctx.now)
        except NotFound as exc:
            raise request_error(exc.message) from None
        return {}
    transport, destination, version, events = spec
    notifications.set_notification(requester_id=ctx.requester_id, type_id=t.type_id, transport=transport,
                                   destination=destination, version=version, event_types=events,
                                   access_key_id=ctx.access_key_id, active=True if active is None else active,
                                   now=ctx.now)
    return {}


def send_test_event_notification(ctx: Ctx, p: Params) -> dict:
    transport, destination, version, _ = _spec(p, "Notification", required=True)
    event_type = p.string("TestEventType", required=True, max_len=32)
    if event_type not in notifications.EVENT_TYPES:
        raise request_error(f"TestEventType must be one of {', '.join(notifications.EVENT_TYPES)}.")
    notifications.send_test(requester_id=ctx.requester_id, transport=transport, destination=destination,
                            version=version, event_type=event_type, access_key_id=ctx.access_key_id, now=ctx.now)
    return {}
