"""A bot wired to the in-process fake Telegram, with a controllable clock."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import pytest_asyncio  # noqa: F401  (plugin check: fails loudly if missing)

from bot.app import build_application
from core.config import load_settings
from tests.conftest import NOW
from tests.fakes.telegram import BotHarness, FakeTelegram


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest_asyncio.fixture
async def bot(database, clock):
    tg = FakeTelegram()
    settings = load_settings(telegram_bot_token="123:TEST", telegram_api_url="http://fake.invalid")
    app = build_application(settings, request=tg, rate_limit=False, clock=clock)
    await app.initialize()
    harness = BotHarness(app, tg)
    yield harness
    await app.shutdown()
