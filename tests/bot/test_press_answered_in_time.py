"""A pressed button is answered within HITBOT_ANSWER_WITHIN_MS of its arrival, however long its
handler (or its chat's earlier update) takes: with the handler's toast if it came in time, else empty,
which stops the button's spinner; a refusal that comes later is said in the chat. One answer a press,
always. Handlers wait on events the test sets (no timing is asserted, only what happened meanwhile)."""
from __future__ import annotations

import asyncio

import pytest
from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import runtime
from bot.processor import PerChatOrder
from core.errors import StaleAction
from tests.bot.gated import running, until
from tests.fakes.telegram import FakeTelegram

CHAT = 100
WITHIN_S = 0.05  # the bound where a test holds the handler past it
QUICK_BOUND_S = 10.0  # where a test needs the handler in time, whatever the machine's load


def _press(update_id: int, data: str, bot, chat_id: int = CHAT) -> Update:
    user = {"id": chat_id, "is_bot": False, "first_name": "U"}
    return Update.de_json({"update_id": update_id, "callback_query": {
        "id": f"q{update_id}", "from": user, "chat_instance": "1", "data": data,
        "message": {"message_id": 1, "date": 1, "text": "card", "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": 1, "is_bot": True, "first_name": "bot"}}}}, bot)


@pytest.fixture
async def app(request):
    """The bot's update processor answering presses within WITHIN_S (QUICK_BOUND_S for a test marked
    quick; at once beyond the marker busy's count of presses in progress); each button's handler (wrapped as hitbot's are) waits for its gate, then answers or refuses
    (w:sub:), or says its only outcome (w:dl:)."""
    within = QUICK_BOUND_S if request.node.get_closest_marker("quick") else WITHIN_S
    gates: dict[str, asyncio.Event] = {}
    started: list[str] = []

    @runtime.on_button
    async def handler(update: Update, context, cb) -> str | None:
        data = update.callback_query.data
        started.append(data)
        if data in gates:
            await gates[data].wait()
        if data.startswith("w:sub:"):
            raise StaleAction("This assignment is already submitted.")
        if data.startswith("w:dl:"):
            return runtime.Notice("Nothing to download yet.")
        return "Done!"

    busy = request.node.get_closest_marker("busy")
    processor = PerChatOrder(answer_within_s=within, **({"busy_presses": busy.args[0]} if busy else {}))
    async with running(CallbackQueryHandler(handler), gates, processor) as application:
        application.bot_data.update(gates=gates, started=started)
        yield application


def _answers(tg: FakeTelegram, query_id: str) -> list[dict]:
    return [c.params for c in tg.calls if c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id]


async def _settled(app) -> None:
    """Every update handled and any answer in flight sent, and longer than the bound has passed."""
    await asyncio.sleep(WITHIN_S * 3)  # past the bound of the tests that hold their handler
    await until(lambda: not runtime._presses and not runtime._late_answers)


quick = pytest.mark.quick


async def _press_settled(app, data: str) -> list[dict]:
    """One press, handled to the end: its answers."""
    await app.update_queue.put(_press(1, data, app.bot))
    await until(lambda: _answers(app.bot_data["tg"], "q1"))
    await _settled(app)
    return _answers(app.bot_data["tg"], "q1")


@quick
async def test_a_quick_handler_answers_with_its_toast_and_nothing_follows(app):
    assert [a.get("text") for a in await _press_settled(app, "w:acc:7")] == ["Done!"]


async def test_a_slow_handler_press_is_answered_empty_in_time_and_once(app):
    tg, gates = app.bot_data["tg"], app.bot_data["gates"]
    gates["w:acc:7"] = asyncio.Event()
    await app.update_queue.put(_press(1, "w:acc:7", app.bot))
    await until(lambda: _answers(tg, "q1"))
    assert not gates["w:acc:7"].is_set()  # answered while its handler still works
    assert [a.get("text") for a in _answers(tg, "q1")] == [None]
    gates["w:acc:7"].set()
    await _settled(app)
    assert len(_answers(tg, "q1")) == 1  # the late toast is dropped, not a second answer (Telegram refuses it)
    assert not [c for c in tg.calls if c.method == "sendMessage"]


async def test_a_refusal_after_the_answer_went_is_said_in_the_chat(app):
    tg, gates = app.bot_data["tg"], app.bot_data["gates"]
    gates["w:sub:7"] = asyncio.Event()
    await app.update_queue.put(_press(1, "w:sub:7", app.bot))
    await until(lambda: _answers(tg, "q1"))
    gates["w:sub:7"].set()
    await until(lambda: [c for c in tg.calls if c.method == "sendMessage"])
    await _settled(app)
    said = [c.params for c in tg.calls if c.method == "sendMessage"]
    assert [(int(s["chat_id"]), s["text"]) for s in said] == [(CHAT, "This assignment is already submitted.")]
    assert len(_answers(tg, "q1")) == 1


@quick
async def test_a_quick_refusal_is_still_the_answers_alert(app):
    answers = await _press_settled(app, "w:sub:7")
    assert [(a.get("text"), a.get("show_alert")) for a in answers] == [("This assignment is already submitted.", True)]
    assert not [c for c in app.bot_data["tg"].calls if c.method == "sendMessage"]


async def test_a_late_notice_is_said_in_the_chat_a_late_toast_is_not(app):
    """A Notice is all its press does (nothing else in the chat changes), so it is not dropped."""
    tg, gates = app.bot_data["tg"], app.bot_data["gates"]
    gates["w:dl:7"], gates["w:acc:7"] = asyncio.Event(), asyncio.Event()
    await app.update_queue.put(_press(1, "w:dl:7", app.bot))
    await app.update_queue.put(_press(2, "w:acc:7", app.bot, chat_id=CHAT + 1))
    await until(lambda: _answers(tg, "q1") and _answers(tg, "q2"))
    gates["w:dl:7"].set()
    gates["w:acc:7"].set()
    await _settled(app)
    said = [(int(c.params["chat_id"]), c.params["text"]) for c in tg.calls if c.method == "sendMessage"]
    assert said == [(CHAT, "Nothing to download yet.")]
    assert [len(_answers(tg, q)) for q in ("q1", "q2")] == [1, 1]


@quick
@pytest.mark.busy(2)
async def test_in_a_burst_every_press_is_answered_at_once(app):
    """Two presses in progress (their handlers held, well within their bound): a third, of another chat,
    makes it a burst: it is answered on arrival and so are the first two, empty, before any handler
    ends; each once, their handlers' toasts dropped."""
    tg, gates = app.bot_data["tg"], app.bot_data["gates"]
    for n in (1, 2, 3):
        gates[f"w:acc:{n}"] = asyncio.Event()
    for n in (1, 2):
        await app.update_queue.put(_press(n, f"w:acc:{n}", app.bot, chat_id=CHAT + n))
    await until(lambda: len(app.bot_data["started"]) == 2)
    assert not _answers(tg, "q1") and not _answers(tg, "q2")  # two in progress: each still has its bound
    await app.update_queue.put(_press(3, "w:acc:3", app.bot, chat_id=CHAT + 3))
    await until(lambda: _answers(tg, "q1") and _answers(tg, "q2") and _answers(tg, "q3"))
    assert not any(gate.is_set() for gate in gates.values())
    for gate in gates.values():
        gate.set()
    await _settled(app)
    assert [[a.get("text") for a in _answers(tg, q)] for q in ("q1", "q2", "q3")] == [[None], [None], [None]]


async def test_the_handlers_answer_after_the_timer_fired_is_not_a_second_answer():
    """The timer takes the press at once, not when its task first runs: a handler answering in between
    (both due in one turn of the loop) is the one to give way."""
    sent: list[str | None] = []

    class Query:
        id, message = "q-race", None

        async def answer(self, text=None, show_alert=False):
            sent.append(text)

    query = Query()
    with runtime.pressed(query, within=60) as press:
        press._in_time()  # the timer fires; its task has not run yet
        await runtime._answer(query, "Done!")
        await until(lambda: not runtime._late_answers)
    assert sent == [None]


async def test_a_press_waiting_for_its_chats_earlier_update_is_answered_meanwhile(app):
    tg, gates, started = app.bot_data["tg"], app.bot_data["gates"], app.bot_data["started"]
    gates["w:acc:7"] = asyncio.Event()
    await app.update_queue.put(_press(1, "w:acc:7", app.bot))
    await app.update_queue.put(_press(2, "w:ch:7:1:0", app.bot))
    await until(lambda: _answers(tg, "q1") and _answers(tg, "q2"))
    assert started == ["w:acc:7"]  # the second press's handler has not begun: its chat's first holds it
    gates["w:acc:7"].set()
    await until(lambda: len(started) == 2)
    await _settled(app)
    assert [len(_answers(tg, q)) for q in ("q1", "q2")] == [1, 1]


def test_the_bot_answers_presses_within_the_configured_time(monkeypatch):
    from bot.app import build_application
    from core.config import Settings

    monkeypatch.setenv("HITBOT_ANSWER_WITHIN_MS", "400")
    app = build_application(Settings(TELEGRAM_BOT_TOKEN="123:TEST"))
    assert app.update_processor._answer_within_s == 0.4
    monkeypatch.setenv("HITBOT_ANSWER_WITHIN_MS", "10")  # below the bound: refused, named
    with pytest.raises(ValueError, match="HITBOT_ANSWER_WITHIN_MS"):
        Settings(TELEGRAM_BOT_TOKEN="123:TEST")
