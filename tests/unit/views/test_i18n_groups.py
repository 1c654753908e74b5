"""Languages (issue 20) on the screens of finding and doing work, issue #17's included: the /browse list
of HIT groups, its filters, a group's preview, the questions, summary, submit (with Next in this group
and auto-next), Skip and return. Every screen in every language within Telegram's limits, translated,
and no English literal left in these modules."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from telegram import InlineKeyboardMarkup

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.views import browse, work
from core.review.reputation import RequesterStats
from core.work.browse import BrowsePage, Card, Filters, Page, Preview
from core.work.queries import WorkState
from tests.conftest import NOW
from tests.telegram_limits import Screens, assert_screens_ok
from tests.unit.views.translations import catalog_problems, untranslated

MODULES = ["bot/views/browse.py", "bot/handlers/browse.py", "bot/views/work.py", "bot/handlers/work.py"]
TITLE = "T" * 128  # the longest title a spec takes


def _hit(i: int = 1, **kw) -> SimpleNamespace:
    base = {"id": 10 ** 12 + i, "title": TITLE, "description": "d" * 2000, "attachment": None, "reward_cents": 12_34,
            "duration_s": 5400, "available": 7, "max_assignments": 10, "expires_at": NOW + timedelta(days=2),
            "status": "open", "work_n": 0, "hourly_cents": 8_22, "group_id": 10 ** 12, "batch_id": 10 ** 12,
            "hourly_is_estimate": False, "language": None}
    return SimpleNamespace(**{**base, **kw})


def _group(work_n: int = 0, estimated_s: int | None = None) -> SimpleNamespace:
    return SimpleNamespace(id=10 ** 12, work_n=work_n, hourly_cents=61_70, estimated_s=estimated_s,
                           hourly_is_estimate=work_n >= 3)


REQUESTER = SimpleNamespace(id=5, display_name="R" * 64)
STATS = [RequesterStats(3, 10, 97, 7200, 9_00, 4.5, 12), RequesterStats(0, 0, None, None, None, None, 0)]
QUESTIONS = [SimpleNamespace(id=i, position=i - 1, key=f"q{i}", kind=kind, prompt="Which one? " * 30,
                             options=["o" * 60] * 4 if kind in ("choice", "multi") else None, required=i % 2 == 1,
                             min_value=1 if kind == "number" else None, max_value=8 if kind == "number" else None)
             for i, kind in enumerate(["choice", "multi", "text", "number", "rating", "photo", "document", "voice",
                                       "location", "text"], start=1)]
FULL = Filters(min_reward_cents=1_50, max_duration_s=5400, min_hourly_cents=9_00, keyword="k" * 64,
               qualified_only=True, sort="hourly")


def _state(position: int = 0, answers: dict | None = None, submitted: bool = False) -> WorkState:
    a = SimpleNamespace(id=10 ** 12, current_q=position, deadline=NOW + timedelta(minutes=90), accepted_at=NOW,
                        submitted_at=NOW if submitted else None,
                        auto_approve_at=NOW + timedelta(days=3) if submitted else None)
    return WorkState(a, _hit(), QUESTIONS, answers or {}, worker=SimpleNamespace(timezone="Asia/Kolkata"))


def _screens() -> tuple[list[str], list[str], list[InlineKeyboardMarkup]]:
    screens = Screens()
    texts, plain, markups = screens.lists()
    add = screens.add

    cards = [Card(_hit(i), REQUESTER, i % 2 == 0, _group(work_n=i % 5, estimated_s=120 if i % 3 else None), i * 37)
             for i in range(1, 9)]
    for filters in (Filters(), FULL):
        add(browse.hit_list(BrowsePage(filters, Page(cards, "1:2"), 3)))
        add(browse.hit_list(BrowsePage(filters, Page([], None), 0)))
        add(browse.hit_list(BrowsePage(filters, Page([], None), 2)))
        add(browse.filter_menu(filters))
    add(browse.keyword_prompt())
    for group, slots in ((_group(), 250), (_group(5), 1), (_group(1, 120), 40), (None, 0)):
        for stats in STATS:
            for kw in ({}, {"mine": True}, {"holding": 10 ** 12}):
                p = Preview(_hit(), REQUESTER, QUESTIONS, [], False, stats, None, None, group, slots)
                add(browse.preview(p, stats, NOW, "Asia/Kolkata", 24, **kw))
    for position in range(len(QUESTIONS)):
        add(work.question(_state(position), NOW, [0, 2], before=work.answered_line(_state(), QUESTIONS[0], "o" * 300)))
        plain.append(work.hint(QUESTIONS[position]))
    add(work.summary(_state(len(QUESTIONS)), NOW))
    longest = ["o" * 60, ["o" * 60] * 4, "a" * 300, 4, 5, {"file_id": "f"}, {"file_id": "f", "file_name": "n" * 200},
               {"file_id": "v"}, {"latitude": -33.86, "longitude": 151.2}, "a" * 300]
    add(work.summary(_state(len(QUESTIONS), {q.id: v for q, v in zip(QUESTIONS, longest)}), NOW, before="✔️"))
    add(work.return_confirm(_state()))
    done = _state(len(QUESTIONS), submitted=True)
    texts += [work.accepted(_hit(), done.assignment, NOW, "Asia/Kolkata"), work.submitted(done, NOW),
              work.returned(done), work.submitted_next(done, NOW), work.skipped_line(done),
              work.submitted(done, NOW) + "\n" + work.group_over(None)]
    for left, auto in ((0, False), (3, False), (3, True), (0, True)):
        markups.append(work.group_next(10 ** 12, 10 ** 12, left, auto))
    markups.append(work.whats_next())
    plain += [work.all_answered(), work.auto_next_set(True), work.auto_next_set(False)]
    return texts, plain, markups


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_work_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        texts, plain, markups = _screens()
    assert_screens_ok(texts, markups=markups, links=True)  # a task page opens as a web app
    assert_screens_ok(plain)


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_the_new_group_screens_are_translated(locale):
    """Issue #17's texts show no English in another language (the English is a missing text's fallback)."""
    done = _state(len(QUESTIONS), submitted=True)

    def new_texts() -> list[str]:
        card = Card(_hit(), REQUESTER, False, _group(1, 120), 3)
        p = Preview(_hit(), REQUESTER, QUESTIONS, [], False, STATS[0], None, None, _group(4), 250)
        return ([browse.rate(card), browse.rate(card, long=True), browse.rate(p, long=True),
                 browse.preview(p, STATS[0], NOW, None)[0], work.submitted_next(done, NOW), work.skipped_line(done),
                 work.group_over(None), work.auto_next_set(True), work.auto_next_set(False)]
                + [b.text for row in work.group_next(1, 1, 3, False).inline_keyboard for b in row]
                + [b.text for row in work.question(_state(0), NOW)[1].inline_keyboard for b in row][-1:])  # Skip HIT

    assert untranslated(new_texts, locale) == []


def test_an_hourly_rate_says_where_it_comes_from():
    with use("en"):
        fresh = Card(_hit(), REQUESTER, False, _group(0), 3)
        estimated = Card(_hit(), REQUESTER, False, _group(2, 120), 3)
        real = Card(_hit(), REQUESTER, False, _group(7, 120), 3)
        assert browse.rate(fresh) == "new"
        assert browse.rate(estimated) == "~$61.70/h (requester's estimate)"
        assert browse.rate(real) == "~$61.70/h" and browse.rate(real, long=True) == "~$61.70/h (from 7 submissions)"


def test_these_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)


def test_every_text_of_these_modules_is_in_every_catalog():
    texts, problems = catalog_problems(MODULES)
    assert texts > 80
    assert problems == []
