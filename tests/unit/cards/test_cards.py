"""Issue 13: core remembers which chat messages show which object, bounded, and announces a
change (cards.refresh) in the transaction that made it, only when some card shows the object."""
from __future__ import annotations

from datetime import timedelta

from core import cards
from core.models import ChatCard, OutboxEvent
from core.review import commands as review
from tests import factories as f
from tests.conftest import NOW


def _refreshes() -> list[dict]:
    return [e.payload for e in OutboxEvent.select().where(OutboxEvent.kind == "cards.refresh")
            .order_by(OutboxEvent.id)]


def test_a_change_nobody_shows_emits_nothing_and_a_shown_one_emits_in_its_transaction(database):
    rita = f.requester(20_00)
    (a, b) = f.submitted(rita.id, 2, NOW)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW)
    assert _refreshes() == []  # no message shows it: the outbox stays quiet
    cards.remember(object_kind="assignment", object_id=b.id, chat_id=rita.id, message_id=7,
                   card_kind="submission", now=NOW)
    review.reject(requester_id=rita.id, assignment_id=b.id, feedback="no", now=NOW)
    assert {"object": "assignment", "id": b.id} in _refreshes()
    e = OutboxEvent.get(OutboxEvent.kind == "cards.refresh")
    assert e.user_id is None and e.created_at == NOW


def test_cards_are_capped_per_object_and_one_message_shows_one_card(database):
    for mid in range(1, 13):
        cards.remember(object_kind="assignment", object_id=5, chat_id=42, message_id=mid,
                       card_kind="submission", now=NOW + timedelta(seconds=mid))
    kept = [c.message_id for c in cards.cards_of(object_kind="assignment", object_id=5)]
    assert len(kept) == cards.MAX_PER_OBJECT and kept == list(range(13 - cards.MAX_PER_OBJECT, 13))
    # The same message now shows something else: it is remembered once, for that.
    cards.remember(object_kind="review_queue", object_id=42, chat_id=42, message_id=12, card_kind="queue", now=NOW)
    assert ChatCard.select().where((ChatCard.chat_id == 42) & (ChatCard.message_id == 12)).count() == 1
    assert 12 not in [c.message_id for c in cards.cards_of(object_kind="assignment", object_id=5)]


def test_a_single_card_kind_replaces_the_earlier_one_in_that_chat(database):
    for mid in (3, 4):
        cards.remember(object_kind="assignment", object_id=9, chat_id=42, message_id=mid, card_kind="question",
                       now=NOW, only=True)
    cards.remember(object_kind="assignment", object_id=9, chat_id=42, message_id=5, card_kind="submission", now=NOW)
    assert sorted((c.message_id, c.card_kind) for c in cards.cards_of(object_kind="assignment", object_id=9)) == \
        [(4, "question"), (5, "submission")]


def test_the_sweep_forgets_old_cards_in_bounded_batches(database):
    for mid in range(1, 6):
        cards.remember(object_kind="assignment", object_id=mid, chat_id=42, message_id=mid, card_kind="submission",
                       now=NOW - cards.MAX_AGE - timedelta(days=1))
    cards.remember(object_kind="assignment", object_id=99, chat_id=42, message_id=99, card_kind="submission", now=NOW)
    assert cards.forget_old(now=NOW, limit=3) == 3
    assert cards.forget_old(now=NOW, limit=3) == 2
    assert cards.forget_old(now=NOW, limit=3) == 0
    assert [c.message_id for c in ChatCard.select()] == [99]
