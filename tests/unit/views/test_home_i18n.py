"""The home screen, its charts' words and /myhits in every language: within Telegram's limits (4096 UTF-16
units, valid HTML, callback_data 1..64 bytes, labels non-empty), translated, and no English prose left."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot import catalogs, i18n
from bot.i18n import LANGUAGES, use
from bot.views import chart, dashboard as views
from core.dashboard import (
    Active,
    AlertLine,
    Dashboard,
    Period,
    RecentGroup,
    RequesterDashboard,
    Waiting,
    WorkerDashboard,
)
from core.work.browse import Filters
from tests.conftest import NOW
from tests.telegram_limits import MAX_CAPTION, assert_screen_ok, assert_screens_ok

LONG = "Ü" * 128  # the longest title a HIT can have


def full() -> Dashboard:
    days = [(date(2026, 1, 1) + timedelta(days=i), 10**7 * i) for i in range(7)]
    worker = WorkerDashboard(
        today=Period(10**9, 3, 1), week=Period(10**9, 30, 0), month=Period(10**9, 0, 0),
        waiting_n=10**6, waiting_cents=10**11,
        waiting=[Waiting(i, LONG, 10**8, NOW + timedelta(days=i)) for i in range(5)],
        active_n=10**6, active=[Active(i, LONG, NOW + timedelta(minutes=i)) for i in range(5)],
        alerts=[AlertLine(i, Filters(min_reward_cents=10**8, max_duration_s=3600, min_hourly_cents=10**8,
                                     keyword="ü" * 64, qualified_only=True), i % 2 == 0, 10**6) for i in range(5)],
        recent=[RecentGroup(10**17 + i, LONG, 10**8, 10**6) for i in range(5)], days=days)
    requester = RequesterDashboard(open_hits=10**6, waiting_review=10**6, escrow_cents=10**11, balance_cents=10**11,
                                   spent_week_cents=10**11, submissions=[(d, 10**4) for d, _ in days])
    return Dashboard(timezone="Asia/Kolkata", worker=worker, requester=requester)


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_the_home_screen_fits_telegram_in_every_language(locale):
    with use("en"):
        english, _ = views.home(full(), "Ann", NOW)
    with use(locale):
        text, markup = views.home(full(), "Ann" * 30, NOW)
        captions = [views.chart_caption(), views.submissions_caption()]
        titles = [chart.texts(full().worker.days, chart.EARNINGS_7)[0],
                  chart.texts(full().requester.submissions, chart.SUBMISSIONS_7, counts=True)[0]]
        first_day = views.week_starts()
    assert_screen_ok(text, markup)
    assert len([b for row in markup.inline_keyboard for b in row]) == 5 + 4
    assert_screens_ok(captions, limit=MAX_CAPTION)
    assert all(titles)
    assert 0 <= first_day <= 6
    if locale != i18n.DEFAULT:
        assert text.split("\n")[2] != english.split("\n")[2]  # the earnings line is translated
        with use("en"):
            assert captions[0] != views.chart_caption()


def test_a_quiet_home_screen_draws_no_picture():
    quiet = Dashboard(timezone="UTC", worker=WorkerDashboard(
        today=Period(), week=Period(), month=Period(), waiting_n=0, waiting_cents=0, waiting=[], active_n=0, active=[],
        alerts=[], recent=[], days=[(date(2026, 1, 1), 0)] * 7))
    assert views.worker_chart(quiet) is None and views.requester_chart(quiet) is None
    with use("en"):
        text, _ = views.home(quiet, None, NOW)
    assert "Nothing waiting for review." in text and "Approval rate: today — · this week — · this month —" in text
    assert views.worker_chart(full()) and views.requester_chart(full())


def test_the_home_screens_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    mine = ["bot/views/dashboard.py", "bot/views/start.py", "bot/handlers/start.py", "bot/views/chart.py"]
    assert {m: counts[m] for m in mine} == dict.fromkeys(mine, 0)


def _myhits_screens() -> list[tuple[str, object]]:
    from types import SimpleNamespace

    from bot.views import myhits
    from core.effective_pay import GroupPay, MyHits
    from core.hits.queries import Item, Progress
    from core.payments.accounts import Balances

    hit = SimpleNamespace(id=10**17, title=LONG, status="open", expires_at=NOW + timedelta(days=3), reward_cents=10**8,
                          fee_cents=10**7, max_assignments=10**5, unit_cost_cents=11 * 10**7)
    progress = Progress(10**5, 10**5, 10**5, 10**5, 10**5, 10**5, 10**11, 10**11, 10**4, 10**4, NOW + timedelta(days=1))
    single = Item(hit, None, progress, LONG, NOW)
    batch = Item(None, SimpleNamespace(id=10**17), progress, LONG, NOW)
    balances = Balances(*(10**11,) * 8)
    pays = [GroupPay(10**6, 3600.0, 10**8, True), GroupPay(2, None, None)]
    page = MyHits([single, batch] * 5, True, balances, pays * 5, 10**5)
    screens = [myhits.hits_list(page, 3, NOW), myhits.hit_card(single, NOW, pays[0], 10**5),
               myhits.batch_card(batch, NOW, pays[1], 10**5), myhits.expire_confirm(10**11, "expy", 10**17, "mh"),
               myhits.expire_confirm(None, "expby", 10**17, "mb"), myhits.ask_count(hit, 10**5),
               myhits.confirm_add(hit, 10**5, 10**5), myhits.below_floor("r" * 300, 10**17, 10**8),
               myhits.hits_list(MyHits([], False, balances, [], 0), 0, NOW)]
    toasts = [myhits.extended(7), myhits.added(5), myhits.ended(None), myhits.ended(10**8), myhits.batch_ended(0, 0),
              myhits.batch_ended(3, 10**8), myhits.nothing_to_download(), myhits.csv_caption(21), myhits.json_caption(),
              myhits.add_cancelled()]
    return screens + [(t, None) for t in toasts]


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_myhits_fits_telegram_in_every_language(locale):
    with use("en"):
        english = [text for text, _ in _myhits_screens()]
    with use(locale):
        screens = _myhits_screens()
    for (text, markup), source in zip(screens, english):
        assert_screen_ok(text, markup)
        if locale != i18n.DEFAULT:
            assert text != source, text[:120]


def test_myhits_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    mine = ["bot/views/myhits.py", "bot/handlers/myhits.py"]
    assert {m: counts[m] for m in mine} == dict.fromkeys(mine, 0)
