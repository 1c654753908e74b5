"""End to end over HTTP, the bot path issue 21 made cheaper, walked as people would: a worker types a
number out of bounds (refused, asked again), then a good one; each new question message becomes the live
one, so when the clock runs the time out it is the newest question that loses its buttons and a late
answer changes nothing. The requester's pending "Other number" prompt is ended by /browse, also by a
/browse addressed to another bot, so a 7 typed later adds no paid assignments."""
from __future__ import annotations

import time

import pytest

from core import ledger
from core.models import Answer, Assignment, ChatCard, Hit
from tests.e2e.walks import accept, publish_spec, started, topup

pytestmark = pytest.mark.slow

RITA, WES = 521, 621
SPEC = {
    "title": "Count the ducks", "description": "Count the ducks on the pond, then describe them.",
    "reward": "0.40", "assignments": 2, "duration": "30s", "lifetime": "1d",
    "questions": [
        {"id": "count", "kind": "number", "prompt": "How many ducks?", "min": 0, "max": 20},
        {"id": "notes", "kind": "text", "prompt": "Describe the ducks", "max_length": 100},
    ],
}
NOT_WAITING = "not waiting for a message from you"


def _question_cards(expected: list[int]) -> list[int]:
    """Wes's live question cards once they are `expected` (the bot remembers one just after its send)."""
    deadline = time.monotonic() + 10
    while True:
        got = [c.message_id for c in ChatCard.select().where((ChatCard.chat_id == WES)
                                                             & (ChatCard.card_kind == "question"))]
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def _shown(person, message_id: int) -> dict:
    return next(m for m in person.bot_messages() if m["message_id"] == message_id)


def _asked_again(person, prompt: str, *, after: int) -> dict:
    """The question shown anew in a message after `after`, with its buttons (the bot re-asks below a refusal)."""
    deadline = time.monotonic() + 10
    while True:
        got = [m for m in person.bot_messages() if m["message_id"] > after and prompt in (m.get("text") or "") and m["buttons"]]
        if got or time.monotonic() > deadline:
            assert got, f"{prompt!r} was not asked again after message {after}"
            return got[-1]
        time.sleep(0.1)


def test_typed_answers_move_the_live_card_and_browse_ends_a_pending_prompt(stack):
    rita, wes = started(stack, (RITA, "Rita"), (WES, "Wes"))
    topup(rita, "5")
    hit = publish_spec(rita, SPEC, "ducks.json")

    accept(wes, hit)
    first = wes.wait_for("How many ducks?")
    assert _question_cards([first["message_id"]]) == [first["message_id"]]
    wes.send("99")  # out of bounds: refused, nothing saved, the same question asked again below the refusal
    wes.wait_for("20")
    again = _asked_again(wes, "How many ducks?", after=first["message_id"])
    assert Answer.select().count() == 0 and _question_cards([again["message_id"]]) == [again["message_id"]]
    assert _shown(wes, first["message_id"])["buttons"] == []  # one live question at a time
    wes.send("3")
    second = wes.wait_for("Describe the ducks")
    assert second["message_id"] > first["message_id"]
    assert _question_cards([second["message_id"]]) == [second["message_id"]]  # the new message is the live card

    # The clock runs the 30 s out: the newest question loses its buttons; a late answer saves nothing.
    wes.wait_for("Time ran out", timeout=75)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and next(m for m in wes.bot_messages()
                                               if m["message_id"] == second["message_id"])["buttons"]:
        time.sleep(0.5)
    assert next(m for m in wes.bot_messages() if m["message_id"] == second["message_id"])["buttons"] == []
    wes.send("Five brown ducks")
    wes.wait_for("already expired")
    assert Answer.select().count() == 1 and Assignment.get(Assignment.worker == WES).status == "expired"

    # Rita's pending "Other number" prompt: /browse ends it, and so does a /browse for another bot.
    escrow = ledger.balance(ledger.escrow(hit.id))
    for browse in ("/browse", "/browse@some_other_bot"):
        rita.send("/myhits")
        rita.press(SPEC["title"][:15], rita.wait_for(SPEC["title"]))
        rita.press("Other number", rita.wait_for("Other number"))
        rita.wait_for("How many more assignments")
        rita.send(browse)
        time.sleep(1)  # the command is handled (a /browse for another bot gets no reply)
        rita.send("7")
        rita.wait_for(NOT_WAITING)
    assert Hit.get_by_id(hit.id).max_assignments == 2 and ledger.balance(ledger.escrow(hit.id)) == escrow
