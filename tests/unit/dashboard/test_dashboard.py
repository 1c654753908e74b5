"""The home screen's figures against the ledger: what a worker earned today, this week and this
month (local midnights), what waits for review, the approval rate, the requester's side, and a
bounded number of statements however much work there is."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import dashboard, ledger
from core.alerts import commands as alerts
from core.models import Entry, Hit, LedgerTxn, Question
from core.review import commands as review
from core.users import commands as users
from core.work import commands as work
from tests import factories as f
from tests.unit.hits.test_batch_bulk import count_statements

# A Thursday; New York is five hours behind, so 03:00 UTC today is yesterday evening there.
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TZ = "America/New_York"


def _do(worker_id: int, hit, at: datetime, *, approve: bool = True):
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    a = work.accept(worker_id=worker_id, hit_id=hit.id, now=at)
    work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=q.id, value="cat", now=at)
    a = work.submit(worker_id=worker_id, assignment_id=a.id, now=at + timedelta(minutes=2))
    if approve:
        a = review.approve(requester_id=hit.requester_id, assignment_id=a.id, now=at + timedelta(minutes=5))
    return a


def _ledger_credits(worker_id: int, since_local: datetime) -> int:
    """Rewards and bonuses credited to the worker since a local time, read straight from the entries."""
    account = ledger.available(worker_id)
    return sum(e.amount_cents for e in Entry.select(Entry, LedgerTxn).join(LedgerTxn)
               if e.account_id == account.id and e.amount_cents > 0 and e.txn.kind in ("approve", "bonus")
               and e.txn.created_at >= since_local)


@pytest.fixture
def worked(database):
    start = NOW - timedelta(days=45)
    r = f.requester(500_00, now=start)
    w = f.user("Wes", now=start)
    users.set_timezone(user_id=w.id, tz_name=TZ)
    times = {
        "last month": datetime(2025, 12, 20, 15, 0, tzinfo=UTC),
        "last week": datetime(2026, 1, 9, 15, 0, tzinfo=UTC),  # Friday: this month, not this week
        "yesterday evening local": datetime(2026, 1, 15, 2, 0, tzinfo=UTC),
        "today": datetime(2026, 1, 15, 10, 0, tzinfo=UTC),
    }
    rewards = {"last month": "0.40", "last week": "0.70", "yesterday evening local": "1.10", "today": "0.25"}
    done = {}
    for name, at in times.items():
        hit = f.hit(r.id, now=at - timedelta(hours=1), reward=rewards[name], assignments=1)
        done[name] = _do(w.id, hit, at)
    review.bonus(requester_id=r.id, assignment_id=done["today"].id, amount_cents=33, reason="Careful work",
                 now=NOW - timedelta(hours=1), key="b1")
    pending_hit = f.hit(r.id, now=NOW - timedelta(hours=2), reward="0.90", assignments=2, auto_approve="3d")
    pending = _do(w.id, pending_hit, NOW - timedelta(hours=1), approve=False)
    rejected_hit = f.hit(r.id, now=NOW - timedelta(hours=3), reward="0.15", assignments=1)
    rejected = _do(w.id, rejected_hit, NOW - timedelta(hours=3), approve=False)
    review.reject(requester_id=r.id, assignment_id=rejected.id, feedback="Wrong animal in every answer",
                  now=NOW - timedelta(hours=2))
    return r, w, pending


def test_worker_figures_match_the_ledger(worked):
    _, w, pending = worked
    zone = ZoneInfo(TZ)
    d = dashboard.overview(user_id=w.id, now=NOW)
    wd = d.worker
    today = datetime(2026, 1, 15, tzinfo=zone)
    week = datetime(2026, 1, 12, tzinfo=zone)  # Monday
    month = datetime(2026, 1, 1, tzinfo=zone)
    assert wd.today.earned_cents == _ledger_credits(w.id, today) == 25 + 33
    assert wd.week.earned_cents == _ledger_credits(w.id, week) == 25 + 33 + 110
    assert wd.month.earned_cents == _ledger_credits(w.id, month) == 25 + 33 + 110 + 70
    # The chart's seven local days: yesterday evening in New York is yesterday's bar, not today's.
    assert [c for _, c in wd.days][-2:] == [110, 58]
    assert wd.days[-1][0] == today.date() and len(wd.days) == 7
    assert sum(c for _, c in wd.days) == _ledger_credits(w.id, datetime(2026, 1, 9, tzinfo=zone))
    # Waiting for review: the pending submission, approved by itself three days after it was submitted.
    assert (wd.waiting_n, wd.waiting_cents) == (1, 90)
    assert wd.waiting[0].auto_approve_at == pending.submitted_at + timedelta(days=3)
    # Today: one approved (the 0.25 HIT), one rejected; the month adds the two approvals before.
    assert (wd.today.approved, wd.today.rejected, wd.today.approval_rate) == (1, 1, 0.5)
    assert (wd.month.approved, wd.month.rejected) == (3, 1)
    assert wd.active_n == 0 and wd.active == []


def test_a_sunday_week_and_active_assignments(worked):
    r, w, _ = worked
    hit = f.hit(r.id, now=NOW - timedelta(minutes=30), duration="1h", assignments=1)
    work.accept(worker_id=w.id, hit_id=hit.id, now=NOW - timedelta(minutes=10))
    d = dashboard.overview(user_id=w.id, now=NOW, week_starts=6)  # the week began on Sunday the 11th
    assert d.worker.week.earned_cents == _ledger_credits(w.id, datetime(2026, 1, 11, tzinfo=ZoneInfo(TZ)))
    assert d.worker.active_n == 1
    assert d.worker.active[0].deadline == NOW - timedelta(minutes=10) + timedelta(hours=1)


def test_requester_figures(worked):
    r, _, _ = worked
    d = dashboard.overview(user_id=r.id, now=NOW)
    rd = d.requester
    assert d.worker is None  # never worked, no alerts
    assert rd.waiting_review == 1
    assert rd.open_hits == 1  # still taking workers: the pending HIT (its second slot); the others are full
    assert rd.balance_cents == f.available(r.id)
    assert rd.escrow_cents == ledger.balance(ledger.escrow(worked[2].hit_id))
    # This week (from Monday, UTC): the 1.10 and 0.25 approvals with their fees, the bonus with its fee.
    since = datetime(2026, 1, 12, tzinfo=UTC)
    expected = -sum(e.amount_cents for e in Entry.select(Entry, LedgerTxn).join(LedgerTxn)
                    if e.amount_cents < 0 and e.txn.created_at >= since and e.txn.kind in ("approve", "bonus"))
    assert rd.spent_week_cents == expected > 25 + 110 + 33
    # The last seven days (the 9th to the 15th): all but December's submission.
    assert [n for _, n in rd.submissions] == [1, 0, 0, 0, 0, 0, 4]


def test_a_reversed_rejection_counts_in_the_weeks_spend(database):
    """Approving work rejected earlier pays from the requester's balance (its escrow was refunded): it
    is spent all the same."""
    r = f.requester(10_00, now=NOW - timedelta(days=1))
    w = f.user("Wes", now=NOW - timedelta(days=1))
    hit = f.hit(r.id, now=NOW - timedelta(hours=3), reward="0.50", assignments=1)
    a = _do(w.id, hit, NOW - timedelta(hours=3), approve=False)
    review.reject(requester_id=r.id, assignment_id=a.id, feedback="Not quite what was asked", now=NOW - timedelta(hours=2))
    assert dashboard.overview(user_id=r.id, now=NOW).requester.spent_week_cents == 0
    review.approve(requester_id=r.id, assignment_id=a.id, now=NOW - timedelta(hours=1))
    assert dashboard.overview(user_id=r.id, now=NOW).requester.spent_week_cents == 50 + 10  # reward + 20 % fee


def test_a_new_user_has_nothing_to_show(database):
    u = f.user("Nia", now=NOW)
    assert dashboard.overview(user_id=u.id, now=NOW).is_new


def test_alert_lines_count_open_hits_that_match_now(worked):
    r, w, _ = worked
    alerts.subscribe(user_id=w.id, filters=alerts.parse_filter("reward 0.80"), now=NOW)
    alerts.subscribe(user_id=w.id, filters=alerts.parse_filter("word zebra"), now=NOW)
    f.hit(r.id, now=NOW - timedelta(minutes=5), reward="1.00", title="Find the zebra")
    f.hit(r.id, now=NOW - timedelta(minutes=5), reward="0.20")
    lines = dashboard.overview(user_id=w.id, now=NOW).worker.alerts
    # 0.80+: the new 1.00 HIT (the 0.90 one is done by this worker); zebra: the one with it in its title.
    assert [line.open_now for line in lines] == [1, 1]


def test_recent_groups_offer_the_next_hit_of_a_batch_like_group(worked):
    r, w, _ = worked
    street = {"title": "Tag the street", "reward": "0.30", "lifetime": "3d"}
    first = f.hit(r.id, now=NOW - timedelta(days=1), **street)
    _do(w.id, first, NOW - timedelta(hours=20))
    twin = f.hit(r.id, now=NOW - timedelta(days=1), **street)
    f.hit(r.id, now=NOW - timedelta(days=1), **{**street, "reward": "0.31"})  # another group
    ended = f.hit(r.id, now=NOW - timedelta(days=2), title="Old street", lifetime="1d")
    _do(w.id, ended, NOW - timedelta(days=2) + timedelta(hours=1))  # its group has nothing open any more
    groups = dashboard.overview(user_id=w.id, now=NOW).worker.recent
    assert [(g.hit_id, g.title, g.available) for g in groups] == [(twin.id, "Tag the street", 1)]


def test_statements_stay_bounded_as_work_grows(worked):
    r, w, _ = worked
    alerts.subscribe(user_id=w.id, filters=alerts.parse_filter("reward 0.10"), now=NOW)
    _, few = count_statements(dashboard.overview, user_id=w.id, now=NOW)
    for i in range(8):
        _do(w.id, f.hit(r.id, now=NOW - timedelta(hours=4), title=f"More {i}", assignments=1),
            NOW - timedelta(hours=3))
    _, many = count_statements(dashboard.overview, user_id=w.id, now=NOW)
    _, requester = count_statements(dashboard.overview, user_id=r.id, now=NOW)
    assert many == few <= 10, (few, many)
    assert requester <= 6, requester


def test_recent_groups_follow_a_batch_whatever_each_rows_title(worked):
    from core.hits import publishing

    r, w, _ = worked
    template = f.spec(title="Is ${name} a bird?", reward="0.20", assignments=1, lifetime="3d")
    batch = publishing.publish_batch(requester_id=r.id, title="Birds", template=template,
                                     rows=[{"name": n} for n in ("owl", "cat", "emu")], now=NOW - timedelta(hours=5))
    owl, cat, emu = (Hit.get(Hit.title == f"Is {n} a bird?") for n in ("owl", "cat", "emu"))
    _do(w.id, owl, NOW - timedelta(hours=4))
    work.accept(worker_id=f.user().id, hit_id=cat.id, now=NOW - timedelta(hours=3))  # someone else holds the cat
    (group,) = dashboard.overview(user_id=w.id, now=NOW).worker.recent
    assert (group.hit_id, group.title, group.available) == (emu.id, "Is emu a bird?", 1)
    assert owl.batch_id == batch.id
