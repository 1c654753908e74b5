"""Issue 21, interactive latency: updates of different chats are handled at once, each chat's own
in the order they came (bot.processor.PerChatOrder, the Application's update processor), and a
pressed button is answered before the handler's slower sends. No timing: each update's handler
waits on an event the test sets, and what ran meanwhile is the evidence."""
from __future__ import annotations

import asyncio

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.processor import PerChatOrder
from core.models import Assignment, Question
from tests import factories as f
from tests.bot.worker_fixtures import (
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.bot.gated import running, until



def _update(update_id: int, chat_id: int, bot) -> Update:
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": f"m{update_id}",
        "chat": {"id": chat_id, "type": "private"}, "from": {"id": chat_id, "is_bot": False, "first_name": "U"}}},
        bot)


@pytest.fixture
async def app():
    """The bot's update processor, fed through the update queue; its one handler blocks on the gate
    of each update."""
    gates: dict[int, asyncio.Event] = {}

    async def handler(update: Update, context) -> None:
        data = context.bot_data
        data["started"].append(update.update_id)
        gate = data["gates"].get(update.update_id)
        if gate is not None:
            await gate.wait()
        data["finished"].append(update.update_id)

    async with running(TypeHandler(Update, handler), gates) as application:
        application.bot_data.update(started=[], finished=[], gates=gates)
        yield application


async def test_one_chats_updates_run_in_order_while_another_chat_goes_ahead(app):
    data = app.bot_data
    data["gates"].update({1: asyncio.Event(), 2: asyncio.Event()})
    for update_id, chat in ((1, 100), (2, 100), (3, 200), (4, 100)):
        await app.update_queue.put(_update(update_id, chat, app.bot))
    # Chat 200's update finishes while chat 100's first is still held: chats overlap.
    await until(lambda: 3 in data["finished"])
    assert data["started"] == [1, 3] and data["finished"] == [3]
    # Chat 100's second update has not started though nothing holds it but the first: another chat's
    # update, queued after it, has gone through meanwhile.
    data["gates"][2].set()
    await app.update_queue.put(_update(5, 300, app.bot))
    await until(lambda: 5 in data["finished"])
    assert 2 not in data["started"] and 4 not in data["started"]
    data["gates"][1].set()
    await until(lambda: len(data["finished"]) == 5)
    assert data["finished"] == [3, 5, 1, 2, 4]
    assert [u for u in data["started"] if u not in (3, 5)] == [1, 2, 4]


async def test_a_held_update_of_one_chat_never_blocks_the_others(app):
    data = app.bot_data
    data["gates"].update({1: asyncio.Event()})
    await app.update_queue.put(_update(1, 100, app.bot))
    for update_id in range(2, 12):
        await app.update_queue.put(_update(update_id, 200 + update_id, app.bot))
    await until(lambda: len(data["finished"]) == 10)
    assert sorted(data["finished"]) == list(range(2, 12)) and 1 not in data["finished"]
    data["gates"][1].set()
    await until(lambda: 1 in data["finished"])


async def test_the_bot_application_uses_the_per_chat_processor(bot):
    assert isinstance(bot.app.update_processor, PerChatOrder)
    assert bot.app.update_processor.max_concurrent_updates > 1


async def test_accept_answer_submit_and_approve_answer_the_press_before_any_send(bot):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, questions=[{"id": "q", "kind": "choice", "prompt": "Cat or dog?", "options": ["cat", "dog"]}])
    wes = await person(bot, "Wes")
    await bot.press(wes, f"b:v:{hit.id}:0")
    pressed = {"accept": await bot.press(wes, f"w:acc:{hit.id}")}
    a = Assignment.get((Assignment.worker == wes.id) & (Assignment.hit == hit.id))
    q = Question.get(Question.hit == hit.id)
    pressed["answer"] = await bot.press(wes, f"w:ch:{a.id}:{q.id}:1")
    pressed["submit"] = await bot.press(wes, f"w:sub:{a.id}")
    await bot.text(rita, "/review")
    card = next(m for m in bot.tg.chats[rita.id].values() if "Submission #" in m.text)
    pressed["approve"] = await bot.press(rita, f"r:apv:{a.id}", card.message_id)
    assert Assignment.get_by_id(a.id).status == "approved"
    toasts = {"accept": "Accepted. Good luck!", "answer": None, "submit": "Submitted. Thank you!",
              "approve": "Approved and paid."}
    for kind, calls in pressed.items():
        methods = [c.method for c in calls]
        assert methods[0] == "answerCallbackQuery" and methods.count("answerCallbackQuery") == 1, (kind, methods)
        assert len(methods) > 1, (kind, methods)  # and the sends came after it
        assert calls[0].params.get("text") == toasts[kind], kind


async def test_a_refusal_after_the_early_answer_is_said_in_the_chat(bot, monkeypatch):
    """A core refusal that comes after the toast (remembering the question message) still reaches the person."""
    from bot.handlers import work as work_handlers
    from core.errors import StaleAction

    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")

    async def refused(*args, **kwargs):
        raise StaleAction("This assignment is already submitted.")

    monkeypatch.setattr(work_handlers, "show", refused)
    calls = await bot.press(wes, f"w:acc:{hit.id}")
    methods = [c.method for c in calls]
    assert methods.count("answerCallbackQuery") == 1 and methods[0] == "answerCallbackQuery"
    assert any(c.method == "sendMessage" and "already submitted" in c.text for c in calls), methods


class _Run:
    """Feeds PerChatOrder directly, as the Application does (one task per update, in order)."""

    def __init__(self, processor: PerChatOrder) -> None:
        self.processor, self.started, self.finished = processor, [], []
        self.gates: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task] = {}

    async def _work(self, name: str) -> None:
        self.started.append(name)
        if name in self.gates:
            await self.gates[name].wait()
        self.finished.append(name)

    async def feed(self, name: str, update: object, hold: bool = False) -> None:
        if hold:
            self.gates[name] = asyncio.Event()
        self.tasks[name] = asyncio.create_task(self.processor.process_update(update, self._work(name)))
        await asyncio.sleep(0)
        await asyncio.sleep(0)


def _chat_update(update_id: int, chat_id: int) -> Update:
    return _update(update_id, chat_id, None)


async def test_updates_waiting_for_their_chat_take_no_slot_from_other_chats():
    run = _Run(PerChatOrder(max_concurrent_updates=2))
    await run.feed("A1", _chat_update(1, 100), hold=True)
    await run.feed("A2", _chat_update(2, 100))
    await run.feed("A3", _chat_update(3, 100))
    await run.feed("B1", _chat_update(4, 200))
    await until(lambda: "B1" in run.finished)  # two slots, and chat 100's queue holds just one
    assert run.started == ["A1", "B1"]
    run.gates["A1"].set()
    await until(lambda: len(run.finished) == 4)
    assert run.finished == ["B1", "A1", "A2", "A3"]


async def test_a_cancelled_waiting_update_keeps_its_chat_in_order():
    run = _Run(PerChatOrder())
    await run.feed("C1", _chat_update(1, 100), hold=True)
    await run.feed("C2", _chat_update(2, 100))
    run.tasks["C2"].cancel()
    await asyncio.sleep(0)
    await run.feed("C3", _chat_update(3, 100))
    for _ in range(20):
        await asyncio.sleep(0)
    assert run.started == ["C1"]  # C3 still waits for C1, though C2 between them was cancelled
    run.gates["C1"].set()
    await until(lambda: "C3" in run.finished)
    assert run.finished == ["C1", "C3"] and "C2" not in run.started


async def test_a_flood_in_one_chat_is_cut_at_its_queue_bound():
    run = _Run(PerChatOrder(max_queued_per_chat=3))
    await run.feed("F0", _chat_update(1, 100), hold=True)
    for n in range(1, 7):
        await run.feed(f"F{n}", _chat_update(n + 1, 100))
    run.gates["F0"].set()
    await until(lambda: len(run.finished) == 4)
    for _ in range(20):
        await asyncio.sleep(0)
    assert run.finished == ["F0", "F1", "F2", "F3"]  # three waited; the rest were dropped


def test_a_persons_updates_without_a_chat_share_their_private_chats_order():
    from bot.processor import chat_key
    pre_checkout = Update.de_json({"update_id": 9, "pre_checkout_query": {
        "id": "q1", "currency": "XTR", "total_amount": 10, "invoice_payload": "p",
        "from": {"id": 555, "is_bot": False, "first_name": "U"}}}, None)
    assert chat_key(pre_checkout) == chat_key(_chat_update(1, 555)) != chat_key(_chat_update(2, 556))
