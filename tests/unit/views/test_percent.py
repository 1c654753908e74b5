"""Percentages round half up: 2/3 shows as 67 %, not 66 % (issue 13)."""
from __future__ import annotations

from bot.views.balance import balance_text
from core.models import GoldStat, User
from core.numbers import percent
from core.review import reputation
from core.review.aggregation import majority_vote
from tests import factories as f


def test_percent_rounds_half_up():
    assert [percent(2, 3), percent(1, 3), percent(1, 8), percent(3, 8), percent(0, 5), percent(5, 5)] == \
        [67, 33, 13, 38, 0, 100]
    assert percent(1, 0) is None


def test_two_of_three_shows_as_67(database):
    wes = f.user("Wes")
    User.update(approved_n=2, rejected_n=1, submitted_n=3).where(User.id == wes.id).execute()
    s = reputation.worker_stats(user_id=wes.id)
    assert s.approval_rate_pct == 67
    from core.payments.accounts import balances
    assert "67%" in balance_text(balances(user_id=wes.id), s, is_requester=False, min_payout_cents=100)


def test_requester_approval_rate_and_skill_round_half_up(database):
    rita = f.requester(100_00)
    done = f.submitted(rita.id, 3, f.NOW)
    from core.review import commands as review
    review.approve(requester_id=rita.id, assignment_id=done[0].id, now=f.NOW)
    review.approve(requester_id=rita.id, assignment_id=done[1].id, now=f.NOW)
    review.reject(requester_id=rita.id, assignment_id=done[2].id, feedback="no", now=f.NOW)
    assert reputation.requester_stats(user_id=rita.id).approval_rate_pct == 67
    assert GoldStat(seen=8, correct=1).skill == 13  # 12.5
    assert majority_vote(["a", "b", "b", "c", "d", "e", "f", "g"])[1] == 25
    assert majority_vote(["a", "a", "a", "b", "c", "d", "e", "f"])[1] == 38  # 37.5
