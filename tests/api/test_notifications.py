"""Issue 15: UpdateNotificationSettings and SendTestEventNotification. hitbot POSTs MTurk's
notification JSON to an HTTPS destination (Transport "HTTPS", hitbot's own), signed with the
key that set it up, from the outbox through jobs.mturk_events with Dramatiq's retries; SQS, SNS
and Email are refused."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dramatiq import Worker

from core.models import OutboxEvent
from core.mturk.ids import assignment_id as assignment_ref
from core.work import commands as work
from jobs import mturk_events, relay
from jobs.payouts.signing import verify
from tests.api.conftest import QUESTION_FORM, create_args, utcnow
from tests.api.test_hit_life import ANSWERS, number
from tests.api.test_lifecycle import answer_in_chat
from tests.api.test_refusals import error_of
from tests.dbstate import unchanged
from tests.factories import user
from tests.jobs.payout_helpers import stub_broker

ALL = ["AssignmentAccepted", "AssignmentReturned", "AssignmentSubmitted", "AssignmentApproved", "AssignmentRejected", "AssignmentAbandoned", "HITCreated",
       "HITReviewable", "HITExtended", "HITExpired", "HITDisposed"]


class Receiver:
    """An HTTP endpoint on this machine that records each POST; `fail_first` answers 500 that many times."""

    def __init__(self, fail_first: int = 0) -> None:
        self.posts: list[tuple[dict, bytes]] = []
        self.refused = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 1 << 16))
                if outer.refused < fail_first:
                    outer.refused += 1
                    self.send_response(500)
                else:
                    outer.posts.append((dict(self.headers), body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/mturk-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [e for _, body in self.posts for e in json.loads(body)["Events"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def spec(url: str, events=ALL, transport: str = "HTTPS") -> dict:
    return {"Destination": url, "Transport": transport, "Version": "2006-05-05", "EventTypes": list(events)}


def run_relay() -> None:
    """What the relay does after each commit, for the MTurk route, then the actors on a stub broker."""
    broker = stub_broker(mturk_events.fan_out_mturk_events, mturk_events.post_mturk_event)
    for event in OutboxEvent.select().order_by(OutboxEvent.id):
        if relay._mturk_events in relay.routes_for(event.kind):
            relay._mturk_events(event)
    worker = Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        broker.join(mturk_events.QUEUE, timeout=60_000)
    finally:
        worker.stop()
    OutboxEvent.delete().execute()  # each run hears only what happened since the last


def test_the_events_of_a_hit_type_reach_its_destination_signed_with_the_key(rita, receiver):
    hit = rita.client.create_hit(**create_args(MaxAssignments=1))["HIT"]
    type_id = hit["HITTypeId"]
    run_relay()  # before the settings: nothing to hear
    rita.client.update_notification_settings(HITTypeId=type_id, Notification=spec(receiver.url,
                                             [e for e in ALL if e != "AssignmentRejected"]), Active=True)
    second = rita.client.create_hit_with_hit_type(HITTypeId=type_id, LifetimeInSeconds=3600, Question=QUESTION_FORM,
                                                  MaxAssignments=1)["HIT"]
    wes = user("Wes")
    answer_in_chat(number(hit["HITId"]), wes.id, ANSWERS)
    (assignment,) = rita.client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    rita.client.approve_assignment(AssignmentId=assignment["AssignmentId"])
    rita.client.update_expiration_for_hit(HITId=second["HITId"], ExpireAt=utcnow() + timedelta(days=2))
    ann = user("Ann")  # takes the second HIT and gives it back
    returned = work.accept(worker_id=ann.id, hit_id=number(second["HITId"]), now=utcnow())
    work.return_assignment(worker_id=ann.id, assignment_id=returned.id, now=utcnow())
    other = rita.client.create_hit(**create_args(Title="Another type"))["HIT"]  # no settings for its type
    run_relay()

    got = sorted((e["EventType"], e["HITId"], e.get("AssignmentId") or "") for e in receiver.events())
    returned_ref = assignment_ref(returned.id)
    assert got == sorted([("HITCreated", second["HITId"], ""),  # POSTs are separate messages: any order
                          ("AssignmentAccepted", hit["HITId"], assignment["AssignmentId"]),
                          ("AssignmentAccepted", second["HITId"], returned_ref),
                          ("AssignmentReturned", second["HITId"], returned_ref),
                          ("AssignmentSubmitted", hit["HITId"], assignment["AssignmentId"]),
                          ("HITReviewable", hit["HITId"], ""),
                          ("AssignmentApproved", hit["HITId"], assignment["AssignmentId"]),
                          ("HITExtended", second["HITId"], "")])
    assert other["HITId"] not in {e["HITId"] for e in receiver.events()}
    for headers, body in receiver.posts:
        doc = json.loads(body)
        assert doc["EventDocVersion"] == "2014-08-15" and doc["CustomerId"] == rita.key_id
        assert all(e["HITTypeId"] == type_id and e["EventTimestamp"].endswith("Z") for e in doc["Events"])
        assert headers["X-Hitbot-Key-Id"] == rita.key_id
        assert verify(rita.secret, body, headers["X-Hitbot-Timestamp"], headers["X-Hitbot-Signature"])
        assert not verify("another secret", body, headers["X-Hitbot-Timestamp"], headers["X-Hitbot-Signature"])
    assert len({json.loads(body)["EventDocId"] for _, body in receiver.posts}) == len(receiver.posts)

    rita.client.update_notification_settings(HITTypeId=type_id, Active=False)
    rita.client.update_expiration_for_hit(HITId=second["HITId"], ExpireAt=utcnow() + timedelta(days=3))
    before = len(receiver.posts)
    run_relay()
    assert len(receiver.posts) == before  # switched off: nothing sent


def test_a_destination_that_fails_is_tried_again_and_a_test_event_is_sent(rita):
    flaky = Receiver(fail_first=2)
    try:
        rita.client.send_test_event_notification(Notification=spec(flaky.url, ["Ping"]), TestEventType="Ping")
        run_relay()
        assert flaky.refused == 2  # answered 500 twice, then taken
        assert [e["EventType"] for e in flaky.events()] == ["Ping"]
        headers, body = flaky.posts[0]
        assert verify(rita.secret, body, headers["X-Hitbot-Timestamp"], headers["X-Hitbot-Signature"])
    finally:
        flaky.close()


def test_unreachable_transports_and_bad_settings_are_refused(rita, otto, receiver):
    type_id = rita.client.create_hit(**create_args())["HIT"]["HITTypeId"]
    for transport in ("SQS", "SNS", "Email"):
        with unchanged():
            code, message, _ = error_of(rita.client.update_notification_settings, HITTypeId=type_id,
                                        Notification=spec("https://sqs.us-east-1.amazonaws.com/1/q", transport=transport))
        assert code == "RequestError" and "HTTPS" in message and transport in message
    refusals = [
        ({"Notification": spec("http://example.org/hook")}, "https://"),
        ({"Notification": spec("https://user:pw@example.org/hook")}, "https://"),
        ({"Notification": spec("https://example.org/" + "x" * 2100)}, "Destination"),
        ({"Notification": {**spec(receiver.url), "Version": "2014-08-15"}}, "2006-05-05"),
        ({"Notification": spec(receiver.url, ["Bounced"])}, "EventTypes"),
        ({"Active": True}, "no notification settings"),
        ({}, "Notification"),
    ]
    for args, words in refusals:
        with unchanged():
            code, message, _ = error_of(rita.client.update_notification_settings, HITTypeId=type_id, **args)
        assert code == "RequestError" and words in message, (args, message)
    with unchanged():
        _, _, response = error_of(otto.client.update_notification_settings, HITTypeId=type_id,
                                  Notification=spec(receiver.url))
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.HITTypeDoesNotExist"
    with unchanged():
        _, message, _ = error_of(rita.client.send_test_event_notification, Notification=spec(receiver.url),
                                 TestEventType="Nothing")
    assert "TestEventType" in message


def test_what_a_destination_answers_decides_a_retry_and_a_revoked_key_signs_nothing(rita):
    import httpx

    from core.models import ApiKey
    from core.mturk import apikeys

    seen: list[httpx.Request] = []

    def answering(status: int):
        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(status)
        return httpx.MockTransport(handler)

    body = '{"Events":[]}'
    assert mturk_events.post("https://example.org/h", rita.key_id, body, transport=answering(204)) == 204
    assert verify(rita.secret, seen[-1].content, seen[-1].headers["X-Hitbot-Timestamp"],
                  seen[-1].headers["X-Hitbot-Signature"])
    for status in (500, 503, 429, 408):
        with pytest.raises(mturk_events.DestinationUnavailable):  # Dramatiq tries again later
            mturk_events.post("https://example.org/h", rita.key_id, body, transport=answering(status))
    assert mturk_events.post("https://example.org/h", rita.key_id, body, transport=answering(404)) == 404  # dropped
    assert mturk_events.post("https://example.org/h", rita.key_id, body, transport=answering(302)) == 302  # not followed
    assert mturk_events._retry_when(7, mturk_events.DestinationUnavailable("x"))
    assert not mturk_events._retry_when(8, mturk_events.DestinationUnavailable("x"))  # bounded
    assert not mturk_events._retry_when(0, ValueError("a bug is not retried"))

    apikeys.revoke_key(user_id=rita.id, key_id=ApiKey.get(ApiKey.access_key_id == rita.key_id).id, now=utcnow())
    before = len(seen)
    assert mturk_events.post("https://example.org/h", rita.key_id, body, transport=answering(200)) is None
    assert len(seen) == before  # nothing sent unsigned
