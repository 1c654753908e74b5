"""Issue 21: the worker's hot path stays cheap. Each update kind bench/bot_bench.py sends (browse,
preview, accept, an answer by button, a typed answer, submit) runs at most 8 SQL statements,
counted the bench's way (every statement through the database's execute_sql, BEGIN/COMMIT not),
and writes in one transaction. Accept and a typed answer show the question in a new message,
whose id exists only once it is sent: its card (core.cards) is the one write after the use case's."""
from __future__ import annotations

from bench.bot_bench import QUESTIONS, _StatementCounter
from core.models import Assignment, Question
from tests import factories as f
from tests.bot.worker_fixtures import (
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)

BUDGET = 8


async def test_each_worker_update_kind_runs_at_most_eight_statements(bot, clock):
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, questions=QUESTIONS)
    wes = await person(bot, "Wes")
    counts: dict[str, int] = {}
    transactions: dict[str, int] = {}

    async def counted(kind: str, update) -> None:
        with _StatementCounter() as counter:
            await update
        counts[kind] = counter.n
        transactions[kind] = counter.transactions

    await counted("browse", bot.text(wes, "/browse"))
    await counted("preview", bot.press(wes, f"b:v:{hit.id}:0"))
    await counted("accept", bot.press(wes, f"w:acc:{hit.id}"))
    a = Assignment.get((Assignment.worker == wes.id) & (Assignment.hit == hit.id))
    first = Question.get((Question.hit == hit.id) & (Question.position == 0))
    await counted("answer (button)", bot.press(wes, f"w:ch:{a.id}:{first.id}:1"))
    await counted("answer (typed)", bot.text(wes, "A brown dog on a sofa"))
    await counted("submit", bot.press(wes, f"w:sub:{a.id}"))
    assert Assignment.get_by_id(a.id).status == "submitted"
    assert set(counts) == {"browse", "preview", "accept", "answer (button)", "answer (typed)", "submit"}
    assert all(0 < n <= BUDGET for n in counts.values()), counts
    # The wait for the next answer and the edited message's card commit with the change itself.
    assert transactions["answer (button)"] == 1 and transactions["submit"] == 1, transactions
    assert transactions["browse"] <= 1 and transactions["preview"] <= 1, transactions
    # A new message's card: after the send (the message id), so a second transaction.
    assert transactions["accept"] == 2 and transactions["answer (typed)"] == 2, transactions
