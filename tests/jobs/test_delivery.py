"""Notification delivery through a Bot API over HTTP: sent once, limits kept, blocked users left alone."""
from __future__ import annotations

import threading
import time

from core.db import db, tx
from core.models import OutboxEvent, User
from core.outbox import emit
from core.payments import accounts
from jobs import relay
from jobs.delivery import deliver, deliver_event
from tests import factories
from tests.conftest import ADMIN_ID, NOW
from tests.jobs.conftest import redis_only, wait_until


def _event(user_id: int | None, kind: str = "test.notice") -> int:
    with tx():
        return emit(kind, user_id=user_id, now=NOW).id


def _done(ids) -> bool:
    return OutboxEvent.select().where(OutboxEvent.id.in_(list(ids)) & OutboxEvent.done_at.is_null()).count() == 0


def test_a_committed_event_reaches_the_chat_through_the_fast_path(jobs, botapi, worker):
    installed = relay.install(jobs)
    try:
        rita = factories.user("Rita")
        factories.user("Admin", user_id=ADMIN_ID)
        accounts.credit(admin_id=ADMIN_ID, user_id=rita.id, amount_cents=5_00, reason="welcome", now=NOW, key="k1")
        event = OutboxEvent.get(OutboxEvent.kind == "balance.credited")
        assert event.enqueued_at is not None, "the commit hook did not enqueue the event"
        assert wait_until(lambda: _done([event.id]), 10)
    finally:
        relay.uninstall()
    assert [s.chat_id for s in botapi.sent] == [rita.id]
    assert botapi.sent[0].text  # rendered by the bot's views
    assert installed.jobs is jobs


def test_a_rolled_back_transaction_enqueues_nothing(jobs, botapi, simple_render):
    seen: list[list[int]] = []
    from core import outbox

    outbox.subscribe(seen.append)
    try:
        try:
            with tx():
                emit("test.notice", user_id=5, now=NOW)
                raise RuntimeError("abort")
        except RuntimeError:
            pass
        with tx():
            kept = emit("test.notice", user_id=6, now=NOW).id
    finally:
        outbox.unsubscribe(seen.append)
    assert seen == [[kept]]


def test_duplicate_queue_messages_send_once(jobs, botapi, simple_render, worker):
    event_id = _event(7001)
    for _ in range(5):
        deliver.send(event_id)
    assert wait_until(lambda: _done([event_id]), 10)
    time.sleep(1.5)  # give the duplicates time to (not) send
    assert [s.chat_id for s in botapi.sent] == [7001]


def test_two_workers_racing_on_one_event_send_it_once(jobs, botapi, simple_render):
    event_ids = [_event(7100 + i) for i in range(20)]
    results: list[str] = []

    def run(eid: int) -> None:
        try:
            results.append(deliver_event(eid, jobs=jobs))
        finally:
            db.close()  # hand the thread's connection back to the pool

    threads = [threading.Thread(target=run, args=(eid,)) for eid in event_ids for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s.chat_id for s in botapi.sent) == sorted(7100 + i for i in range(20))
    assert results.count("sent") == 20


def test_blocked_user_is_marked_unreachable_and_not_retried(jobs, botapi, simple_render, worker):
    worker_user = factories.user("Wes")
    botapi.blocked.add(worker_user.id)
    first = _event(worker_user.id)
    deliver.send(first)
    assert wait_until(lambda: _done([first]), 10)
    assert User.get_by_id(worker_user.id).unreachable
    row = OutboxEvent.get_by_id(first)
    assert row.last_error.startswith("forbidden")
    second = _event(worker_user.id)
    deliver.send(second)
    assert wait_until(lambda: _done([second]), 10)
    time.sleep(0.5)
    assert botapi.forbidden == [worker_user.id], "a blocked user was tried again"
    assert botapi.sent == []


def test_retry_after_is_honoured(jobs, botapi, simple_render, worker):
    botapi.fail_first.add(7200)
    botapi.retry_after_s = 2
    event_id = _event(7200)
    deliver.send(event_id)
    assert wait_until(lambda: _done([event_id]), 15)
    assert len(botapi.too_many) == 1
    assert botapi.early == [], "a request came before retry_after had passed"
    chat, refused_at, wait_s = botapi.too_many[0]
    assert botapi.sent[0].at - refused_at >= wait_s
    assert OutboxEvent.get_by_id(event_id).attempts == 2


def test_sweep_enqueues_what_the_fast_path_missed(jobs, botapi, simple_render, worker):
    relay.uninstall()
    ids = [_event(7300 + i) for i in range(3)]  # no relay installed: nobody enqueued them
    time.sleep(0.5)
    assert not _done(ids)
    swept = relay.Relay(jobs).sweep()
    assert swept == 3
    assert wait_until(lambda: _done(ids), 10)
    assert relay.Relay(jobs).sweep() == 0  # done rows are never enqueued again
    assert sorted(s.chat_id for s in botapi.sent) == [7300, 7301, 7302]


def test_nothing_to_render_is_marked_done_without_a_request(jobs, botapi):
    event_id = _event(None, kind="hits.published")
    assert deliver_event(event_id, jobs=jobs) == "nothing to send"
    assert OutboxEvent.get_by_id(event_id).done_at is not None
    assert botapi.sent == []


@redis_only
def test_a_requested_payout_is_also_sent_to_the_payout_actor(jobs):
    with tx():
        event_id = emit("payout.requested", user_id=7400, now=NOW, payout_id=77, amount_cents=500).id
    assert relay.Relay(jobs).enqueue([event_id]) == 1
    assert jobs.redis.llen(f"{jobs.namespace}:payouts") == 1  # process_payout(77)
    assert jobs.redis.llen(f"{jobs.namespace}:notify") == 1  # and the worker is told
    message = jobs.redis.hvals(f"{jobs.namespace}:payouts.msgs")[0]
    assert b'"process_payout"' in message and b"[77]" in message


def test_a_notice_is_written_in_its_recipients_language(jobs, botapi):
    """Rendered by the worker for whoever gets it: the language they chose wins over their app's."""
    from core.users.commands import set_language

    factories.user("Admin", user_id=ADMIN_ID)
    olga = factories.user("Olga", language_code="ru")
    bea = factories.user("Bea", language_code="ru")
    set_language(user_id=bea.id, language="pt_BR")
    for i, who in enumerate((olga, bea)):
        accounts.credit(admin_id=ADMIN_ID, user_id=who.id, amount_cents=1234_50, reason="welcome", now=NOW,
                        key=f"lang{i}")
        event = OutboxEvent.get((OutboxEvent.kind == "balance.credited") & (OutboxEvent.user_id == who.id))
        deliver_event(event.id, jobs=jobs)
    by_chat = {s.chat_id: s.text for s in botapi.sent}
    assert "1\xa0234,50\xa0$" in by_chat[olga.id]
    assert "US$\xa01.234,50" in by_chat[bea.id]


def test_a_photo_in_a_message_is_relayed_by_its_file_id_with_the_text_as_caption(jobs, botapi):
    from core.messages import commands as msgs

    rita = factories.requester()
    hit = factories.hit(rita.id)
    wes = factories.user("Wes", username="wes_private")
    msgs.ask(worker_id=wes.id, hit_id=hit.id, text="Like this?", file={"kind": "p", "file_id": "AgAC-photo"}, now=NOW)
    event = OutboxEvent.get(OutboxEvent.kind == "message.received")
    OutboxEvent.update(done_at=NOW).where(OutboxEvent.id != event.id).execute()  # the top-up's notice: not this test's
    assert deliver_event(event.id, jobs=jobs) == "sent"
    (sent,) = botapi.sent
    assert (sent.chat_id, sent.file_id) == (rita.id, "AgAC-photo")
    assert "Like this?" in sent.text and "Wes" not in sent.text and "wes_private" not in sent.text
