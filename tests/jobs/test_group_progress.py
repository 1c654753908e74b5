"""Group messages (issue 18), the jobs path: each copy goes out as a notice through the delivery
limits, and the requester's progress message is edited by the card refresher as they finish, ending
at the full count; the copies name no other recipient."""
from __future__ import annotations

import time

from core.messages import groups
from core.models import OutboxEvent
from jobs import relay
from tests import factories
from tests.conftest import NOW
from tests.jobs.conftest import wait_until


def _all_done() -> bool:
    rows = list(OutboxEvent.select().where(OutboxEvent.kind.in_(["message.received", "cards.refresh"])))
    return bool(rows) and all(r.done_at is not None for r in rows)


def test_the_progress_message_follows_the_deliveries(jobs, botapi, worker):
    rita = factories.requester(20_00)
    done = factories.submitted(rita.id, 3, NOW)
    workers = {a.worker_id for a in done}
    code, answer = botapi.handle("sendMessage", {"chat_id": rita.id, "text": "📣 Sending…"})
    assert code == 200
    progress_id = answer["result"]["message_id"]
    time.sleep(1.2)  # the send above was the chat's message of this second
    OutboxEvent.update(done_at=NOW).where(OutboxEvent.done_at.is_null()).execute()  # earlier notices: not this test's
    relay.install(jobs)
    try:
        groups.send(requester_id=rita.id, target="hit", target_id=done[0].hit_id, text="Thanks, all three!",
                    now=NOW, chat_id=rita.id, message_id=progress_id)
        assert wait_until(_all_done, 30), "the copies or the progress edits did not finish"
    finally:
        relay.uninstall()
    copies = [s for s in botapi.sent if s.chat_id in workers]
    assert sorted(s.chat_id for s in copies) == sorted(workers)
    for s in copies:
        assert "Thanks, all three!" in s.text and not any(str(w) in s.text for w in workers)
    edits = [e for e in botapi.edits if e.chat_id == rita.id and e.message_id == progress_id]
    assert edits and "Sent 3/3" in edits[-1].text and "Sent to all 3 workers" in edits[-1].text
    assert botapi.too_many == [] and botapi.early == []
