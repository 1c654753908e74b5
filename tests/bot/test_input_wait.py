"""The awaiting-input filters never query the database on the event loop: the wait is read
once per message in a worker thread, and the feature that asked still gets the message."""
from __future__ import annotations

import threading

from bot import input as input_state
from core.models import Answer
from tests.bot.chat import last_text
from tests.bot.test_worker_answer import accepted

TEXT_FIRST = [{"id": "notes", "kind": "text", "prompt": "Describe it", "max_length": 40},
              {"id": "count", "kind": "number", "prompt": "How many?", "min": 0, "max": 8}]


async def test_typed_answer_reads_the_wait_once_off_the_event_loop(bot, monkeypatch):
    reads: list[str] = []
    original = input_state.waiting_for

    def spy(*, user_id):
        reads.append(threading.current_thread().name)
        return original(user_id=user_id)

    monkeypatch.setattr(input_state, "waiting_for", spy)
    _, _, (wes,) = await accepted(bot, questions=TEXT_FIRST)
    reads.clear()

    await bot.text(wes, "A small grey cat")

    assert Answer.get().value == "A small grey cat"
    assert "Question 2 of 2" in last_text(bot, wes)
    assert reads and threading.main_thread().name not in reads, reads
