"""Shared by the tests/bot/test_worker_*.py modules."""
from __future__ import annotations

import pytest

from tests.bot.chat import alert, person  # noqa: F401  (the worker tests take them from here)
from tests.telegram_limits import html_problems


@pytest.fixture(autouse=True)
def every_html_message_parses(request):
    """After each test, for every message the bot sent or edited: HTML Telegram accepts (a cut
    tag or a bare & would make the real API refuse it), at most 4096 characters, and button
    payloads of at most 64 bytes."""
    bot = request.getfixturevalue("bot") if "bot" in request.fixturenames else None
    yield
    for call in bot.tg.calls if bot is not None else []:
        if call.params.get("parse_mode") == "HTML":
            problems = html_problems(call.text)
            assert not problems, (call.method, problems, call.text[:300])
        assert len(call.text) <= 4096, (call.method, len(call.text))
        assert all(len(data.encode()) <= 64 for _, data in call.buttons), call.buttons
