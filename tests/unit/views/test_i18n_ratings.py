"""Languages on the ratings screens (issue 18): the requester's stars row and lines on the review card,
the worker's dimension taps after their stars, the dimension line on requester cards and the requester's
home: every screen in every language within Telegram's limits, translated, and no English literal left
in bot/views/ratings.py or bot/handlers/rating.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.views import ratings as views
from core.review.ratings import DIMENSIONS, Average, DimensionStep
from tests.conftest import NOW
from tests.telegram_limits import assert_screens_ok
from tests.unit.views.translations import untranslated

MODULES = ["bot/views/ratings.py", "bot/handlers/rating.py"]
BIG = 10 ** 12
DIMS = {"pay": Average(4.66, 1234), "fairness": Average(1.0, 3), "communication": Average(None, 2),
        "speed": Average(5.0, 99999)}


def _screens() -> tuple[list[str], list]:
    texts, keyboards = [], []
    steps = [DimensionStep(BIG, 5, {}, 0), DimensionStep(BIG, 1, {"pay": 2}, 1),
             DimensionStep(BIG, 3, {"pay": 2, "communication": 5}, 3),
             DimensionStep(BIG, 4, {d: 5 for d in DIMENSIONS}, None), DimensionStep(BIG, 4, {}, None)]
    for step in steps:
        text, markup = views.dimension_step(step)
        texts.append(text)
        if markup is not None:
            keyboards.append(markup.inline_keyboard)
    for stars, at in ((3, NOW), (5, NOW - timedelta(days=6, hours=23)), (1, NOW - timedelta(days=8))):
        texts.append(views.card_line(stars, at, NOW))
        keyboards.append([views.worker_stars_row(BIG, stars, at, NOW) or [views.worker_stars_row(BIG, None, None, NOW)[0]]])
    texts += [views.worker_rating(Average(4.6, 23)), views.worker_rating(Average(None, 0)),
              views.rated_worker_toast(4), views.requester_dimensions(DIMS),
              *views.requester_own(Average(4.25, 1), DIMS), *views.requester_own(Average(2.0, 21), {})]
    return texts, keyboards


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_ratings_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        texts, keyboards = _screens()
    assert_screens_ok(texts, markups=keyboards)


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_the_ratings_texts_are_translated(locale):
    def prose() -> list[str]:
        texts, keyboards = _screens()
        skip = [b.text for b in keyboards[0][1]]  # Skip ▶
        return [t for t in texts if any(c.isalpha() for c in t.replace("★", ""))] + skip

    with use(DEFAULT):
        assert len(prose()) > 10
    assert untranslated(prose, locale) == []


def test_a_card_line_is_the_english_a_requester_reads():
    with use("en"):
        assert views.worker_rating(Average(4.6, 23)) == "★4.6 (23)"
        assert views.card_line(4, NOW, NOW + timedelta(days=1)) == "⭐ You rated this worker ★★★★☆; you can change it for 6d"
        assert views.requester_dimensions(DIMS) == "📊 pay ★4.7 (1234) · fairness ★1.0 (3) · review speed ★5.0 (99999)"
    with use("de"):
        assert views.worker_rating(Average(4.6, 23)) == "★4,6 (23)"


def test_these_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)
