"""Issue 5: a requester hears once when spending takes their balance below
HITBOT_LOW_BALANCE_CENTS (default $5.00), and again only after topping up past it."""
from __future__ import annotations

from datetime import timedelta

from bot.notices import render
from core.hits import manage
from core.models import OutboxEvent
from core.payments import accounts
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.conftest import NOW


def lows(user_id: int) -> list[OutboxEvent]:
    return list(OutboxEvent.select().where((OutboxEvent.kind == "balance.low") & (OutboxEvent.user_id == user_id))
                .order_by(OutboxEvent.id))


def test_warned_once_when_crossing_and_again_after_a_top_up(database):
    rita = f.requester(10_00)
    f.hit(rita.id, reward="1.00", assignments=3)  # 3 x (1.00 + 0.20 fee) = 3.60 -> 6.40 left
    assert lows(rita.id) == []
    f.hit(rita.id, reward="1.00", assignments=2)  # 2.40 -> 4.00 left: crossed $5.00
    (first,) = lows(rita.id)
    assert first.payload == {"available_cents": 4_00, "threshold_cents": 5_00}
    notice = render(first)
    assert notice.chat_id == rita.id and "Your balance is low: <b>$4.00</b>" in notice.text and "/topup" in notice.text

    f.hit(rita.id, reward="1.00", assignments=1)  # still below: no second warning
    assert len(lows(rita.id)) == 1

    accounts.topup(user_id=rita.id, amount_cents=10_00, charge_id="ch-1", now=NOW)  # 12.80
    hit = f.hit(rita.id, reward="1.00", assignments=1)  # 11.60: above, quiet
    assert len(lows(rita.id)) == 1
    manage.add_assignments(requester_id=rita.id, hit_id=hit.id, count=6, now=NOW, key="more")  # 4.40: below again
    assert [e.payload["available_cents"] for e in lows(rita.id)] == [4_00, 4_40]


def test_a_bonus_that_crosses_warns(database):
    rita, wes = f.requester(6_00), f.user("Wes")
    hit = f.hit(rita.id, reward="0.50", assignments=1)  # 0.60 -> 5.40 left
    a = work.accept(worker_id=wes.id, hit_id=hit.id, now=NOW)
    q = next(q for q in hit.questions if q.position == 0)
    work.save_answer(worker_id=wes.id, assignment_id=a.id, question_id=q.id, value="cat", now=NOW)
    work.submit(worker_id=wes.id, assignment_id=a.id, now=NOW + timedelta(minutes=1))
    review.approve(requester_id=rita.id, assignment_id=a.id, now=NOW + timedelta(minutes=2))
    assert lows(rita.id) == []
    review.bonus(requester_id=rita.id, assignment_id=a.id, amount_cents=50, reason="nice", now=NOW, key="b")
    assert [e.payload["available_cents"] for e in lows(rita.id)] == [4_80]


def test_zero_turns_it_off(database, monkeypatch):
    from core.config import get_settings

    monkeypatch.setenv("HITBOT_LOW_BALANCE_CENTS", "0")
    get_settings.cache_clear()
    try:
        rita = f.requester(10_00)
        f.hit(rita.id, reward="5.00", assignments=1)  # 6.00 -> 4.00 left: would warn at the default
        assert lows(rita.id) == []
    finally:
        monkeypatch.delenv("HITBOT_LOW_BALANCE_CENTS")
        get_settings.cache_clear()
