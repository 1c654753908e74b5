"""A big results ZIP goes to the jobs worker: the button records an export.requested outbox
event, the relay routes it to the actor, which (through a broker, on its own event loop) builds
it, sends it and shows the progress in the same message."""
from __future__ import annotations

import io
import zipfile

from dramatiq import Worker

from bot import results_zip
from core.models import OutboxEvent
from jobs import exports, relay
from jobs.exports import build_results_zip
from tests.bot.conftest import bot, clock  # noqa: F401  (the bot harness fixtures)
from tests.bot.test_results_zip import offer, work_done
from tests.jobs.payout_helpers import stub_broker


def _same_fake(harness):
    """A Bot of the worker's own (its own event loop) talking to the test's fake Telegram."""
    from telegram import Bot

    return Bot(harness.app.bot.token, request=harness.tg, get_updates_request=harness.tg)


async def test_the_actor_builds_and_sends_the_zip(bot, monkeypatch):
    broker = stub_broker(build_results_zip)
    monkeypatch.setattr(exports, "make_bot", lambda settings: _same_fake(bot))
    monkeypatch.setattr(results_zip, "ZIP_INLINE_FILES", 2)
    rita, hit, _, _ = await work_done(bot, 1)
    uploads, offered = await offer(bot, rita, hit)
    await bot.press_label(rita, "ZIP with the files", offered.message_id)
    assert "built in the background" in bot.tg.chats[rita.id][offered.message_id].text
    assert not [n for n, _ in uploads if n.endswith(".zip")]  # nothing yet: the worker does it
    (event,) = OutboxEvent.select().where(OutboxEvent.kind == "export.requested")
    relay._build_results_zip(event)  # what the relay does right after the commit
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join(exports.QUEUE, timeout=30_000)
    finally:
        worker.stop()
    ((name, data),) = [(n, d) for n, d in uploads if n.endswith(".zip")]
    assert name == f"hit-{hit.id}-results.zip"
    assert len([n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("files/")]) == 3
    assert bot.tg.chats[rita.id][offered.message_id].text == "✅ ZIP ready: 3 file(s) in 1 part(s)."
    assert OutboxEvent.get_by_id(event.id).done_at is not None  # the sweep will not send it again
