"""Issue 21: a press is answered at once even while the bot's sends are paused after Telegram's
429 (PTB's rate limiter pauses every request it sees for retry_after; callback answers skip it)."""
from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import RetryAfter

from bot.app import PacedSends


async def test_a_callback_answer_goes_out_while_sends_wait_out_a_429():
    limiter = PacedSends(max_retries=1)
    await limiter.initialize()
    tries: list[str] = []

    async def send() -> bool:
        tries.append("send")
        if len(tries) == 1:
            raise RetryAfter(1)
        return True

    async def answer() -> bool:
        return True

    async def other_send() -> bool:
        return True

    sending = asyncio.create_task(limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1}, None))
    await asyncio.sleep(0.05)  # the 429 is in: the limiter holds its requests for a second
    started = time.perf_counter()
    assert await limiter.process_request(answer, (), {}, "answerCallbackQuery", {"callback_query_id": "7"}, None)
    answered_in = time.perf_counter() - started
    # A send to another chat still waits out the pause (the limiter is on), the answer did not.
    await limiter.process_request(other_send, (), {}, "sendMessage", {"chat_id": 2}, None)
    sent_in = time.perf_counter() - started
    assert await sending
    assert answered_in < 0.2 and sent_in > 0.5, (answered_in, sent_in)
    await limiter.shutdown()


async def test_a_429_on_a_callback_answer_is_waited_out_for_that_answer_alone():
    """Telegram's 429 on an answer: retried after its retry_after (short waits only), never pausing sends."""
    from telegram.error import RetryAfter

    from bot.app import PacedSends

    limiter = PacedSends(max_retries=3)
    await limiter.initialize()
    tries = []

    async def answer():
        tries.append(1)
        if len(tries) == 1:
            raise RetryAfter(0)
        return True

    async def long_wait():
        raise RetryAfter(60)

    try:
        assert await limiter.process_request(answer, (), {}, "answerCallbackQuery", {"callback_query_id": "7"},
                                             None) is True
        assert len(tries) == 2
        with pytest.raises(RetryAfter):  # a minute: the spinner is long gone; the caller logs it and goes on
            await limiter.process_request(long_wait, (), {}, "answerCallbackQuery", {"callback_query_id": "8"}, None)
    finally:
        await limiter.shutdown()
