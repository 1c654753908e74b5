"""A real Application with the bot's update processor over the fake Telegram, fed through its update
queue as polling feeds it, for tests whose handlers wait on events the test sets."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from telegram.ext import Application, ApplicationBuilder, BaseHandler

from bot.processor import PerChatOrder
from tests.fakes.telegram import FakeTelegram

STEP = 5  # seconds a test waits for a step before failing (a hang guard, never a measurement)


@contextlib.asynccontextmanager
async def running(handler: BaseHandler, gates: dict, processor: PerChatOrder | None = None) -> AsyncIterator[Application]:
    """The started application (its FakeTelegram in bot_data["tg"]); every gate is opened before it
    stops, so that a failed test does not hang its teardown."""
    tg = FakeTelegram()
    application = (ApplicationBuilder().token("123:TEST").base_url("http://fake.invalid/bot").request(tg)
                   .get_updates_request(tg).concurrent_updates(processor or PerChatOrder()).build())
    application.bot_data["tg"] = tg
    application.add_handler(handler)
    await application.initialize()
    await application.start()
    try:
        yield application
    finally:
        for gate in gates.values():
            gate.set()
        await application.stop()
        await application.shutdown()


async def until(condition: Callable[[], object]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.001)
    await asyncio.wait_for(poll(), STEP)
