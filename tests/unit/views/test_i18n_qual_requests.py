"""Qualification requests (issue 18) in every language: the preview's button and lines, the worker's
prompt and answers, the requester's notice and decided cards, /qual auto and retry, and core's
refusals; within Telegram's limits, valid HTML, translated, plurals per language, and no English
literal left in the modules."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from telegram import InlineKeyboardMarkup

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.runtime import render
from bot.views import qual_requests as views, quals
from core.quals.requests import Asked, Decided, Offer, TypeSettings
from core.texts import Text
from tests.conftest import NOW
from tests.telegram_limits import Screens, assert_screens_ok, unchanged_labels

MODULES = ["bot/views/qual_requests.py", "bot/handlers/qual_requests.py", "bot/views/quals.py",
           "bot/handlers/quals.py"]
LONG = "x" * 64
CORE = [("You already meet the “{name}” requirement.", {"name": LONG}),
        ("You already asked for “{name}”; the requester has not answered yet.", {"name": LONG}),
        ("You can ask for “{name}” again from {when}.", {"name": LONG, "when": NOW}),
        ("A message to the requester can have at most {max} characters.", {"max": 500}),
        ("The reason can have at most {max} characters.", {"max": 1000}),
        ("The retry delay must be between 0 and 365 days.", {})]


def _event(**payload):
    return SimpleNamespace(payload=payload)


def _screens() -> tuple[list[str], list[str], list[InlineKeyboardMarkup]]:
    screens = Screens()
    texts, plain, markups = screens.lists()
    add = screens.add

    qtype = SimpleNamespace(id=10 ** 17, name=LONG, auto_grant_value=None)
    offers = [Offer(10 ** 17, LONG, "ask"), Offer(2, LONG, "waiting"), Offer(3, LONG, "later", NOW + timedelta(days=1))]
    texts += views.offer_lines(offers, "Asia/Kolkata")
    markups += [InlineKeyboardMarkup(views.offer_rows(10 ** 17, offers)),
                InlineKeyboardMarkup(views.offer_rows(10 ** 17, [Offer(i, LONG, "ask") for i in range(3)]))]
    add(views.ask_prompt(Asked(qtype, 10 ** 17)))
    for status in ("pending", "granted"):
        add(views.asked_text(Asked(qtype, 10 ** 17, SimpleNamespace(status=status))))
    add(views.decided_notice(_event(name=LONG, granted=True, value=1_000_000, hit_id=10 ** 17)))
    add(views.decided_notice(_event(name=LONG, granted=False, reason="r" * 1000)))
    add(views.decided_notice(_event(name=LONG, granted=False, reason="")))
    for integer, n, accuracy in ((True, 0, None), (True, 1, 67), (False, 2, 100), (True, 21, 5), (True, 1000, 0)):
        add(views.requested_notice(_event(request_id=10 ** 17, name=LONG, worker="Worker #A2B3C4D5E6F7G",
                                          title="t" * 200, message="m" * 500, integer=integer, value=1_000_000,
                                          approved=n, rejected=n, accuracy=accuracy)))
    for status in ("granted", "refused"):
        texts.append(views.decided_card(Decided(SimpleNamespace(status=status, value=1_000_000), LONG,
                                                "Worker #A2B3C4D5E6F7G")))
    add(views.value_prompt())
    add(views.reason_prompt(10 ** 17))
    plain += [views.not_a_value(), views.settings_usage()]
    plain += [views.waiting_header(0, 0), views.waiting_header(1, 1), views.waiting_header(3, 3),
              views.waiting_header(25, 10), views.waiting_header(1001, 10)]
    for auto, delay in ((None, 86_400), (5, 3600), (1, 90), (None, 0), (1, 365 * 86_400)):
        texts.append(views.type_settings(TypeSettings(SimpleNamespace(name=LONG, auto_grant_value=auto), delay, 0)))
    texts.append(quals.qual_help())
    plain += [render(Text(key, **params)) for key, params in CORE]
    return texts, plain, markups


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_request_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        texts, plain, markups = _screens()
    assert_screens_ok(texts, plain, markups, braces=(quals.REQUIREMENT_EXAMPLE,))


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_every_request_screen_is_translated(locale):
    with use(DEFAULT):
        html, plain, english_markups = _screens()
    with use(locale):
        html_t, plain_t, markups = _screens()
    assert [e for e, t in zip(html + plain, html_t + plain_t) if e == t] == []
    assert unchanged_labels(english_markups, markups) == []


def test_counts_follow_the_readers_plural_rules():
    def settings(delay):
        return views.type_settings(TypeSettings(SimpleNamespace(name="Bird", auto_grant_value=None), delay, 0))

    with use("ru"):
        assert [("через 1 час " in settings(3600)), ("через 3 часа " in settings(3 * 3600)),
                ("через 5 часов " in settings(5 * 3600))] == [True] * 3
    with use("uk"):
        assert "через 2 години " in settings(7200)
    with use("en"):
        assert "ask again 1 hour after" in settings(3600) and "ask again 90 seconds after" in settings(90)
        card = views.requested_notice(_event(request_id=1, name="Bird", worker="Worker #A1", title="", message="",
                                             integer=True, value=3, approved=1, rejected=2, accuracy=75))[0]
        assert "With you so far: 1 approved · 2 rejected · control answers 75% right" in card


def test_the_modules_keep_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == {m: 0 for m in MODULES}
