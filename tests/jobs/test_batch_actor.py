"""Big batches go to the jobs worker through the outbox: the Publish button records a
batch.requested event, the relay routes it to the batch actor, which publishes with a progress
bar in the same chat message, once, and the chat hears how it went."""
from __future__ import annotations

import re

import pytest
from dramatiq import Worker
from peewee import fn

from core import ledger
from core.models import Account, AccountKind, Batch, Hit, OutboxEvent
from core.money import fee_for
from core.payments import accounts
from jobs import batches, relay
from jobs.batches import publish_large_batch, run_large_batch
from tests.bot.conftest import bot, clock  # noqa: F401  (the bot harness fixtures)
from tests.bot.test_requester_batch import TEMPLATE, csv_bytes, requester, send_files
from tests.conftest import ADMIN_ID, NOW
from tests.fakes.telegram import answers
from tests.invariants import check_invariants
from tests.jobs.payout_helpers import stub_broker
from tests.settings_env import settings_env

ROWS = 60
COST = sum((c + fee_for(c, 20)) * 2 for c in (5 + i % 10 for i in range(ROWS)))


@pytest.fixture
def small_threshold(monkeypatch):
    yield from settings_env(monkeypatch, unset=True, HITBOT_BATCH_BACKGROUND_ROWS="50")


def rows(n: int = ROWS) -> bytes:
    return csv_bytes(["name", "url", "price"], [[f"animal{i}", f"https://ex.com/{i}.jpg", f"0.{5 + i % 10:02d}"]
                                                 for i in range(n)])


def requests() -> list[dict]:
    """The batch.requested events, as the batch actor reads them."""
    return [dict(requester_id=e.payload["requester_id"], chat_id=e.payload["chat_id"],
                 message_id=e.payload["message_id"], state=e.payload["state"], now=e.created_at)
            for e in OutboxEvent.select().where(OutboxEvent.kind == "batch.requested").order_by(OutboxEvent.id)]


async def queue_one(bot, cents: int, n: int = ROWS):
    rita = await requester(bot, cents)
    await send_files(bot, rita, TEMPLATE, rows(n))
    summary = bot.tg.last_message(rita.id)
    calls = await bot.press_label(rita, "Publish", summary.message_id)
    return rita, summary, requests(), calls


def edits_of(bot, chat_id: int, message_id: int) -> list[str]:
    return [c.text for c in bot.tg.calls if c.method == "editMessageText"
            and int(c.params["chat_id"]) == chat_id and int(c.params["message_id"]) == message_id]


async def test_big_batch_is_queued_then_published_by_the_worker_with_progress(bot, small_threshold):
    rita, summary, queued, calls = await queue_one(bot, COST + 1_00)
    assert answers(calls)[0].params["text"] == "Publishing in the background."
    assert "published in the background" in bot.tg.chats[rita.id][summary.message_id].text
    assert len(queued) == 1 and Hit.select().count() == 0  # nothing yet: the worker does it
    assert await run_large_batch(bot.app.bot, **queued[0]) == "Published!"
    shown = [int(m.group(1)) for t in edits_of(bot, rita.id, summary.message_id)
             if (m := re.search(rf" (\d+)/{ROWS}", t))]
    assert shown[0] == 0 and shown[-1] == ROWS and shown == sorted(shown)
    assert f"✅ Published {ROWS} HITs" in bot.tg.chats[rita.id][summary.message_id].text
    assert Hit.select().count() == ROWS and Batch.get().rows_n == ROWS
    assert ledger.balance(ledger.available(rita.id)) == 1_00
    assert Account.select(fn.SUM(Account.balance_cents)).where(Account.kind == AccountKind.ESCROW).scalar() == COST
    # The worker got the message twice (a crash before its ack): nothing more is published.
    assert await run_large_batch(bot.app.bot, **queued[0]) == "already published"
    assert Hit.select().count() == ROWS
    assert f"✅ Published {ROWS} HITs" in bot.tg.chats[rita.id][summary.message_id].text  # no step back to 0%
    check_invariants()


async def test_small_batches_stay_inline(bot, small_threshold):
    rita, summary, queued, calls = await queue_one(bot, 100_00, n=10)
    assert queued == [] and answers(calls)[0].params["text"] == "Published!"
    assert Hit.select().count() == 10


async def test_the_request_is_an_outbox_event_the_relay_routes_to_the_batch_actor(bot, small_threshold):
    rita, summary, queued, _ = await queue_one(bot, COST)
    assert relay.routes_for("batch.requested") == (relay._publish_batch,)  # the actor, and no chat notice
    (event,) = OutboxEvent.select().where(OutboxEvent.kind == "batch.requested")
    assert event.user_id is None and event.done_at is None  # waits there until a worker takes it
    assert Hit.select().count() == 0
    publish = next(data for label, data in summary.buttons if "Publish" in label)
    again = await bot.press(rita, publish, summary.message_id)  # a second tap: nothing more to publish
    assert answers(again)[0].params["text"] == "This button is no longer valid." and len(requests()) == 1


async def test_short_balance_in_the_worker_keeps_the_batch_ready_to_publish_again(bot, small_threshold):
    rita, summary, queued, _ = await queue_one(bot, COST // 2)
    # Enough at summary time is not checked here: the worker finds the balance short.
    assert await run_large_batch(bot.app.bot, **queued[0]) == "Not enough balance yet."
    message = bot.tg.chats[rita.id][summary.message_id]
    assert "missing. Top up with /topup" in message.text and any("Publish" in b for b, _ in message.buttons)
    assert Hit.select().count() == 0 and Batch.select().count() == 0
    accounts.credit(admin_id=ADMIN_ID, user_id=rita.id, amount_cents=COST, reason="top-up", now=NOW, key="more")
    calls = await bot.press_label(rita, "Publish", summary.message_id)
    assert answers(calls)[0].params["text"] == "Publishing in the background."
    assert await run_large_batch(bot.app.bot, **requests()[1]) == "Published!"
    assert Hit.select().count() == ROWS
    check_invariants()


async def test_the_actor_through_a_broker_publishes_once_even_if_delivered_twice(bot, small_threshold, monkeypatch):
    broker = stub_broker(publish_large_batch)
    monkeypatch.setattr(batches, "make_bot", lambda settings: _same_fake(bot))
    rita = await requester(bot, COST)
    await send_files(bot, rita, TEMPLATE, rows())
    summary = bot.tg.last_message(rita.id)
    await bot.press_label(rita, "Publish", summary.message_id)
    (event,) = OutboxEvent.select().where(OutboxEvent.kind == "batch.requested")
    relay._publish_batch(event)  # what the relay does right after the commit
    message, = broker.queues["batches"].queue  # the queued message, as sent
    broker.queues["batches"].put(message)  # ... and a duplicate
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join("batches", timeout=30_000)
    finally:
        worker.stop()
    assert Hit.select().count() == ROWS and Batch.select().count() == 1
    assert f"✅ Published {ROWS} HITs" in bot.tg.chats[rita.id][summary.message_id].text
    assert OutboxEvent.get_by_id(event.id).done_at is not None  # the sweep will not send it again
    check_invariants()


def _same_fake(harness):
    """A Bot of the worker's own (its own event loop) talking to the test's fake Telegram."""
    from telegram import Bot

    return Bot(harness.app.bot.token, request=harness.tg, get_updates_request=harness.tg)


async def test_files_telegram_no_longer_has_are_reported_not_retried(bot, small_threshold):
    import json

    rita, summary, queued, _ = await queue_one(bot, COST)
    original = bot.tg.do_request

    async def no_files(url, method, request_data=None, *args, **kwargs):
        if url.endswith("/getFile"):
            return 400, json.dumps({"ok": False, "error_code": 400,
                                    "description": "Bad Request: wrong file_id or the file is temporarily unavailable"
                                    }).encode()
        return await original(url, method, request_data, *args, **kwargs)

    bot.tg.do_request = no_files
    assert await run_large_batch(bot.app.bot, **queued[0]) == "files gone"
    assert "no longer has the batch files" in bot.tg.chats[rita.id][summary.message_id].text
    assert Hit.select().count() == 0 and ledger.balance(ledger.available(rita.id)) == COST
