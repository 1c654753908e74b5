"""MTurk's notification settings (UpdateNotificationSettings, SendTestEventNotification) and the
events they ask for, in MTurk's notification JSON.

MTurk sends to SQS, SNS or email, none of which hitbot can reach; hitbot POSTs the same JSON to an
HTTPS URL instead (Transport "HTTPS", its own extension) and refuses the others. Which outbox
events become which MTurk events is `events_of`; the jobs worker signs and POSTs them."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from peewee import fn

from core.db import tx
from core.errors import NotFound, ValidationFailed
from core.models import Assignment, AssignmentStatus as S, Hit, HitStatus, MturkHit, MturkNotification, OutboxEvent
from core.mturk.ids import assignment_id as assignment_ref, hit_id as hit_ref
from core.outbox import emit

KIND = "mturk.event"  # HITExtended, HITDisposed and test events; the rest come from the chat's own events
TRANSPORT = "HTTPS"
REFUSED_TRANSPORTS = ("SQS", "SNS", "Email")
VERSION = "2006-05-05"
DOC_VERSION = "2014-08-15"
EVENT_TYPES = ("AssignmentAccepted", "AssignmentAbandoned", "AssignmentReturned", "AssignmentSubmitted",
               "AssignmentRejected", "AssignmentApproved", "HITCreated", "HITExpired", "HITReviewable",
               "HITExtended", "HITDisposed", "Ping")
MAX_URL = 2048
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_PER_EVENT = 100  # a batch's HITCreated: at most this many POSTs from one outbox event


def check_destination(transport: str, destination: str, version: str, event_types: list[str]) -> None:
    if transport in REFUSED_TRANSPORTS:
        raise ValidationFailed(f"hitbot cannot reach Amazon {transport}: use Transport {TRANSPORT} with an https:// "
                               "URL, and hitbot POSTs each notification there, signed with your key.")
    if transport != TRANSPORT:
        raise ValidationFailed(f"Transport must be {TRANSPORT} (SQS, SNS and Email are not available in hitbot).")
    parts = urlsplit(destination) if len(destination) <= MAX_URL else None
    loopback = parts is not None and parts.scheme == "http" and parts.hostname in LOOPBACK
    if parts is None or not parts.hostname or (parts.scheme != "https" and not loopback) or parts.username:
        raise ValidationFailed(f"Destination must be an https:// URL of at most {MAX_URL} characters (http:// only "
                               "to this machine, for testing).")
    if version != VERSION:
        raise ValidationFailed(f"Version must be {VERSION}.")
    if not 1 <= len(event_types) <= len(EVENT_TYPES) or any(e not in EVENT_TYPES for e in event_types):
        raise ValidationFailed(f"EventTypes must be a list of: {', '.join(EVENT_TYPES)}.")


def set_notification(*, requester_id: int, type_id: str, transport: str, destination: str, version: str,
                     event_types: list[str], access_key_id: str, active: bool, now: datetime) -> None:
    """Where the events of this HIT type's HITs go (replacing what was set before)."""
    check_destination(transport, destination, version, event_types)
    with tx():
        (MturkNotification.insert(requester=requester_id, hit_type_id=type_id, transport=transport,
                                  destination=destination, version=version, event_types=sorted(set(event_types)),
                                  access_key_id=access_key_id, active=active, updated_at=now)
         .on_conflict(conflict_target=[MturkNotification.requester, MturkNotification.hit_type_id],
                      update={MturkNotification.transport: transport, MturkNotification.destination: destination,
                              MturkNotification.version: version,
                              MturkNotification.event_types: sorted(set(event_types)),
                              MturkNotification.access_key_id: access_key_id, MturkNotification.active: active,
                              MturkNotification.updated_at: now}).execute())


def set_active(*, requester_id: int, type_id: str, active: bool, now: datetime) -> None:
    with tx():
        changed = (MturkNotification.update(active=active, updated_at=now)
                   .where((MturkNotification.requester == requester_id)
                          & (MturkNotification.hit_type_id == type_id)).execute())
    if changed != 1:
        raise NotFound("This HIT type has no notification settings yet: give a Notification.")


def send_test(*, requester_id: int, transport: str, destination: str, version: str, event_type: str,
              access_key_id: str, now: datetime) -> None:
    """A test event to a destination (not stored), sent by the jobs worker as any other."""
    check_destination(transport, destination, version, [event_type])
    with tx():
        emit(KIND, user_id=None, now=now, event_type=event_type, requester_id=requester_id, destination=destination,
             access_key_id=access_key_id, test=True)


def listening(requester):
    """Whether `requester` (a column or an id) has any active notification settings: a column the
    worker's accept reads with its HIT, so chat-only HITs pay no extra statement."""
    return fn.EXISTS(MturkNotification.select(MturkNotification.id)
                     .where((MturkNotification.requester == requester) & MturkNotification.active))


def hit_event(hit: Hit, event_type: str, now: datetime, *, assignment_id: int | None = None,
              heard: bool | None = None) -> None:
    """Inside the transaction that changed the HIT: an event only the API's notifications hear.
    `heard`: what `listening` said, when the caller read it already."""
    if heard is None:
        heard = MturkNotification.select().where((MturkNotification.requester == hit.requester_id)
                                                 & MturkNotification.active).exists()
    if heard:
        emit(KIND, user_id=None, now=now, event_type=event_type, hit_id=hit.id, assignment_id=assignment_id)


@dataclass(frozen=True)
class Delivery:
    url: str
    access_key_id: str
    body: str  # MTurk's notification JSON


def _reviewable(hit_id: int) -> bool:
    """Nothing more can come in: no slot open (or the HIT ended) and no work in progress."""
    hit = Hit.get_or_none(Hit.id == hit_id)
    if hit is None or (hit.status == HitStatus.OPEN and hit.available > 0):
        return False
    return not Assignment.select().where((Assignment.hit == hit_id) & (Assignment.status == S.ACCEPTED)).exists()


def events_of(event: OutboxEvent) -> list[tuple[str, int, int | None]]:
    """The MTurk events an outbox event means: (EventType, HIT, assignment or None)."""
    p = event.payload or {}
    kind = event.kind
    if kind == KIND and not p.get("test"):
        return [(p["event_type"], int(p["hit_id"]), int(p["assignment_id"]) if p.get("assignment_id") else None)]
    if kind == "hits.published":
        return [("HITCreated", int(h), None) for h in (p.get("hit_ids") or [])[:MAX_PER_EVENT]]
    if kind == "hit.expired":
        hit_id = int(p["hit_id"])
        return [("HITExpired", hit_id, None)] + ([("HITReviewable", hit_id, None)] if _reviewable(hit_id) else [])
    simple = {"submission.confirmed": "AssignmentSubmitted", "assignment.approved": "AssignmentApproved",
              "assignment.rejected": "AssignmentRejected", "assignment.expired": "AssignmentAbandoned"}
    if kind in simple:
        hit_id, assignment_id = int(p["hit_id"]), int(p["assignment_id"])
        out = [(simple[kind], hit_id, assignment_id)]
        if kind in ("submission.confirmed", "assignment.expired") and _reviewable(hit_id):
            out.append(("HITReviewable", hit_id, None))
        return out
    return []


def _body(doc_id: str, customer: str, events: list[dict]) -> str:
    return json.dumps({"EventDocId": doc_id, "SourceAccount": customer, "CustomerId": customer,
                       "EventDocVersion": DOC_VERSION, "Events": events}, separators=(",", ":"))


def deliveries_for(event: OutboxEvent) -> list[Delivery]:
    """The POSTs an outbox event asks for: one per event whose HIT type has active settings that
    list its EventType. EventDocId is stable (the outbox id and position), so a receiver can
    drop a repeat: delivery is at least once."""
    p = event.payload or {}
    stamp = event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if event.kind == KIND and p.get("test"):
        body = _body(f"{event.id}-0", p["access_key_id"],
                     [{"EventType": p["event_type"], "EventTimestamp": stamp}])
        return [Delivery(p["destination"], p["access_key_id"], body)]
    found = events_of(event)
    if not found:
        return []
    hits = {row.hit_id: row for row in MturkHit.select(MturkHit.hit, MturkHit.requester, MturkHit.type_id)
            .where(MturkHit.hit.in_(sorted({h for _, h, _ in found})) & MturkHit.type_id.is_null(False))}
    if not hits:
        return []
    settings = {(n.requester_id, n.hit_type_id): n for n in MturkNotification.select().where(
        MturkNotification.active & MturkNotification.requester.in_(sorted({h.requester_id for h in hits.values()})))}
    out = []
    for n, (event_type, hit_id, assignment_id) in enumerate(found):
        row = hits.get(hit_id)
        target = settings.get((row.requester_id, row.type_id)) if row is not None else None
        if target is None or event_type not in target.event_types:
            continue
        item = {"EventType": event_type, "EventTimestamp": stamp, "HITId": hit_ref(hit_id),
                "HITTypeId": row.type_id, "HITGroupId": row.type_id}
        if assignment_id is not None:
            item["AssignmentId"] = assignment_ref(assignment_id)
        out.append(Delivery(target.destination, target.access_key_id,
                            _body(f"{event.id}-{n}", target.access_key_id, [item])))
    return out
