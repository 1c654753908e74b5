"""Read models of the money area (no writes)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.payments import accounts
from core.payments.accounts import Balances
from core.review import reputation
from core.review.reputation import WorkerStats


@dataclass(frozen=True)
class BalanceOverview:
    """What /balance shows: the figures, the worker's record and 30 days of earnings for the chart."""

    balances: Balances
    worker: WorkerStats
    days: list[tuple[date, int]]


def balance_overview(*, user_id: int, now: datetime) -> BalanceOverview:
    return BalanceOverview(balances=accounts.balances(user_id=user_id), worker=reputation.worker_stats(user_id=user_id),
                           days=accounts.earnings_by_day(user_id=user_id, days=30, now=now))
