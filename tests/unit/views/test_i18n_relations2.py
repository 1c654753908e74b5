"""The worker's rating on /profile, /qual's help with /qual message, and the worker_rating bounds'
refusals in every language: within Telegram's limits, valid HTML, translated, plurals per language,
and no English literal left in the modules."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.runtime import error_text
from bot.views import quals
from core.errors import ValidationFailed
from core.hits.spec import parse_spec
from core.review.ratings import Average
from tests import factories as f
from tests.telegram_limits import assert_screens_ok

MODULES = ["bot/views/quals.py", "bot/handlers/quals.py", "core/hits/spec.py", "core/review/quality.py"]
RATINGS = [None, Average(None, 0), Average(5.0, 1), Average(4.5, 2), Average(3.25, 3), Average(4.04, 21),
           Average(1.0, 1000)]
OUT_OF_RANGE = [{"name": "worker_rating", "comparator": ">=", "value": 6},
                {"name": "worker_rating", "comparator": ">", "value": 5},
                {"name": "worker_rating", "comparator": "<", "value": 1}]


def _user():
    return SimpleNamespace(country="DE", timezone="Europe/Berlin", prefs={"languages": ["es"]}, language_code="de")


def _refusal(req: dict) -> str:
    with pytest.raises(ValidationFailed) as err:
        parse_spec(f.spec(qualifications=[req]))
    return error_text(err.value)


def _screens() -> tuple[list[str], list[str]]:
    html = [quals.profile_text(_user(), {"skills": ["birds"], "interests": []}, rating=r) for r in RATINGS]
    html.append(quals.qual_help())
    return html, [_refusal(req) for req in OUT_OF_RANGE]


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        html, plain = _screens()
    assert_screens_ok(html, plain, braces=(quals.REQUIREMENT_EXAMPLE,))
    assert all("/qual message" in t for t in html[-1:])


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_every_screen_is_translated(locale):
    with use(DEFAULT):
        html, plain = _screens()
    with use(locale):
        html_t, plain_t = _screens()
    assert [e for e, t in zip(html + plain, html_t + plain_t) if e == t] == []
    with use(DEFAULT):
        english = [quals.rating_lines(r) for r in RATINGS]
    with use(locale):
        shown = [quals.rating_lines(r) for r in RATINGS]
    assert [e for e, t in zip(english, shown) if e and e == t] == []


def test_ratings_read_in_the_readers_numbers_and_plurals():
    with use("en"):
        assert quals.rating_lines(Average(4.5, 2)) == ["Your rating from requesters: ★4.5 from 2 ratings"]
        assert quals.rating_lines(Average(5.0, 1)) == ["Your rating from requesters: ★5.0 from 1 rating"]
        assert quals.rating_lines(None) == []
    with use("de"):
        assert quals.rating_lines(Average(4.5, 2)) == ["Deine Bewertung durch Auftraggeber: ★4,5 aus 2 Bewertungen"]
    with use("ru"):
        assert [quals.rating_lines(Average(4.0, n))[0].rsplit(" ", 1)[1] for n in (1, 3, 5)] == [
            "оценке", "оценкам", "оценкам"]
    with use("en"):
        assert "worker rating is a number of stars from 1 to 5" in _refusal(OUT_OF_RANGE[0])
        assert "no worker can have a worker rating above 5" in _refusal(OUT_OF_RANGE[1])


def test_the_modules_keep_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts.get(m, 0) for m in MODULES} == {m: 0 for m in MODULES}
