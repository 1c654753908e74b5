"""Issue 13, the jobs path: a delivered card is remembered; a change to what it shows emits
cards.refresh, which the relay routes to the card refresher; it edits every card through the
delivery limits over a real HTTP Bot API. "Not modified" is success; a gone message is forgotten."""
from __future__ import annotations

import json
import time
from datetime import timedelta

from core import cards
from core.db import tx
from core.models import ChatCard, OutboxEvent
from core.review import commands as review
from jobs import relay
from jobs.cards import refresh_event
from tests import factories
from tests.conftest import NOW
from tests.jobs.conftest import redis_only, wait_until


def _done(kind: str) -> bool:
    rows = list(OutboxEvent.select().where(OutboxEvent.kind == kind))
    return bool(rows) and all(r.done_at is not None for r in rows)


def _buttons(markup) -> list[str]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b.get("callback_data", "") for row in (markup or {}).get("inline_keyboard", []) for b in row]


def _submitted(workers: int = 1):
    rita = factories.requester(20_00)
    return rita, factories.submitted(rita.id, workers, NOW)


def test_a_decision_edits_the_delivered_card_through_the_worker(jobs, botapi, worker):
    relay.install(jobs)
    try:
        rita, (a,) = _submitted()  # submission.received goes out through the fast path
        assert wait_until(lambda: ChatCard.select().where(ChatCard.object_id == a.id).exists(), 10), \
            "the delivered submission card was not remembered"
        card = ChatCard.get(ChatCard.object_id == a.id)
        assert (card.chat_id, card.object_kind) == (rita.id, "assignment")
        review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
        assert wait_until(lambda: _done("cards.refresh"), 15)
    finally:
        relay.uninstall()
    (edit,) = [e for e in botapi.edits if e.chat_id == rita.id]
    assert edit.message_id == card.message_id
    assert "✅ Approved; $0.50 paid" in edit.text
    assert f"r:apv:{a.id}" not in _buttons(edit.markup) and f"r:rej:{a.id}" not in _buttons(edit.markup)
    assert botapi.early == [] and botapi.too_many == []


def _card_for(botapi, a, chat_id: int) -> ChatCard:
    """A submission card the fake Bot API has really sent (so it can be edited)."""
    code, answer = botapi.handle("sendMessage", {"chat_id": chat_id, "text": "old card"})
    assert code == 200
    return cards.remember(object_kind="assignment", object_id=a.id, chat_id=chat_id,
                          message_id=answer["result"]["message_id"], card_kind="submission", now=NOW)


def test_not_modified_is_success_and_a_gone_message_is_forgotten(jobs, botapi):
    rita, (a,) = _submitted()
    card = _card_for(botapi, a, rita.id)
    gone = cards.remember(object_kind="assignment", object_id=a.id, chat_id=rita.id + 1, message_id=999,
                          card_kind="submission", now=NOW)  # never sent: "message to edit not found"
    time.sleep(1.2)  # the send above took the chat's slot
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    first = OutboxEvent.get(OutboxEvent.kind == "cards.refresh")
    assert refresh_event(first.id, jobs=jobs) == "refreshed"
    assert [e.message_id for e in botapi.edits] == [card.message_id]
    assert ChatCard.get_or_none(ChatCard.id == gone.id) is None  # forgotten
    assert OutboxEvent.get_by_id(first.id).done_at is not None
    # The same state again (a second change that shows the same): Telegram says "not modified".
    time.sleep(1.2)
    with tx():
        cards.changed("assignment", a.id, now=NOW + timedelta(minutes=6))
    second = OutboxEvent.select().where(OutboxEvent.kind == "cards.refresh").order_by(OutboxEvent.id.desc()).get()
    assert refresh_event(second.id, jobs=jobs) == "refreshed"
    assert botapi.not_modified == [(rita.id, card.message_id)]
    assert ChatCard.get_or_none(ChatCard.id == card.id) is not None  # kept: still shown
    assert OutboxEvent.get_by_id(second.id).done_at is not None
    assert refresh_event(second.id, jobs=jobs) == "done already"


def test_cards_in_one_chat_are_edited_a_second_apart_by_the_worker(jobs, botapi, worker):
    rita, (a,) = _submitted()
    first = _card_for(botapi, a, rita.id)
    time.sleep(1.1)
    second = _card_for(botapi, a, rita.id)
    time.sleep(1.2)
    relay.install(jobs)
    try:
        review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
        assert wait_until(lambda: _done("cards.refresh"), 15)
    finally:
        relay.uninstall()
    edits = sorted(botapi.edits, key=lambda e: e.at)
    assert sorted(e.message_id for e in edits) == sorted([first.message_id, second.message_id])
    assert edits[1].at - edits[0].at >= 1.0
    assert botapi.too_many == [] and botapi.early == []


@redis_only
def test_the_refresh_event_goes_to_the_card_refresher_not_to_the_notifier(jobs):
    rita, (a,) = _submitted()
    cards.remember(object_kind="assignment", object_id=a.id, chat_id=rita.id, message_id=1, card_kind="submission",
                   now=NOW)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=5))
    event = OutboxEvent.get(OutboxEvent.kind == "cards.refresh")
    jobs.redis.delete(f"{jobs.namespace}:notify")
    assert relay.Relay(jobs).enqueue([event.id]) == 1
    (message,) = jobs.redis.hvals(f"{jobs.namespace}:notify.msgs")
    assert b'"refresh_cards"' in message  # not deliver: it is no chat message
