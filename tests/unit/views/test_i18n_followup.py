"""Follow-up work and group messages (issue 18) in every language: the offer's screen and its
confirmation, the published line, the worker's notice, the group message prompt and progress card,
and core's refusals; within Telegram's limits, valid HTML, translated, plurals per language, and no
English literal left in the modules."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from telegram import InlineKeyboardMarkup

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.runtime import render
from bot.views import followup as views
from core.hits.followup import OfferView
from core.messages.groups import Audience, Progress
from core.texts import Text
from tests.telegram_limits import Screens, assert_screens_ok, unchanged_labels

MODULES = ["bot/views/followup.py", "bot/handlers/followup.py"]
LONG = "T" * 128
BIG = 10 ** 17
ALIASES = [f"Worker #A{i:013d}" for i in range(100)]
CORE = [("This follow-up work was already published.", {}),
        ("Type the reward, e.g. 0.50, and optionally WorkerIds after it.", {}),
        ("Follow-up work goes to at most {max} workers.", {"max": 100}),
        ("Type the reward first.", {}),
        ("You can only offer follow-up work to workers who worked on your HITs.", {}),
        ("{worker_id} is not a WorkerId of someone who worked on your HITs.", {"worker_id": "x" * 20}),
        ("{worker_id} does not take work or messages from you.", {"worker_id": "A" * 14}),
        ("A group message reaches at most {max} workers.", {"max": 10_000}),
        ("You have sent {cap} group messages in the last 24 hours, the most allowed. Try again later.", {"cap": 5}),
        ("This would reach {n} workers; {left} more can get group messages from you in the next 24 hours.",
         {"n": 450, "left": 12}),
        ("Nobody to message: no worker of this is reachable (muted, blocked or none yet).", {})]


def _offer(workers: list[str], reward: int | None, total: int | None, available: int = 5_00) -> OfferView:
    return OfferView(BIG, BIG, LONG, [(BIG - i, LONG) for i in range(6)], workers, reward, total, available, "draft")


def _screens() -> tuple[list[str], list[str], list[InlineKeyboardMarkup]]:
    screens = Screens()
    texts, plain, markups = screens.lists()
    add = screens.add

    for workers in (ALIASES[:1], ALIASES[:2], ALIASES[:5], ALIASES):
        add(views.offer_screen(_offer(workers, None, None)))
        add(views.confirm_screen(_offer(workers, 100_000, 110_000 * len(workers), 0)))
        add(views.confirm_screen(_offer(workers, 1, 2 * len(workers), 10 ** 9)))
        texts.append(views.published(_offer(workers, 50, 60)))
    add(views.offered_notice(SimpleNamespace(payload={"hit_id": BIG, "title": LONG, "sender": "S" * 64,
                                                      "reward_cents": 100_000, "duration_s": 86_400})))
    markups.append(InlineKeyboardMarkup([[views.offer_button(BIG), views.offer_thread_button(BIG)],
                                         [views.group_hit_button(BIG), views.group_batch_button(BIG),
                                          views.group_qual_button(BIG, LONG, 1)]]))
    qtypes = [(SimpleNamespace(id=BIG - i, name=LONG), i) for i in range(30)]
    add(views.qual_pick(qtypes))
    texts.append(views.qual_pick(qtypes[:1])[0])
    for n, skipped in ((1, 0), (2, 1), (3, 2), (5, 5), (11, 21), (450, 1000), (10_000, 0)):
        texts.append(views.group_prompt(Audience("hit", BIG, LONG, n, skipped)))
        for done in (0, 1, n // 2, n):
            add(views.group_progress(Progress(BIG, LONG, n, done, skipped)))
    plain.append(views.group_starting())
    plain += [render(Text(key, **params)) for key, params in CORE]
    return texts, plain, markups


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        texts, plain, markups = _screens()
    assert_screens_ok(texts, plain, markups)


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_every_screen_is_translated(locale):
    with use(DEFAULT):
        english, plain, english_markups = _screens()
    with use(locale):
        shown, plain_t, markups = _screens()
    assert [e for e, t in zip(english + plain, shown + plain_t) if e == t] == []
    # a template's title is the requester's own words
    assert [label for label in unchanged_labels(english_markups, markups) if LONG[:40] not in label] == []


def test_counts_follow_the_readers_plural_rules():
    with use("ru"):
        assert "5 исполнителям" in views.group_prompt(Audience("hit", 1, "Birds", 5, 0))
        assert "1 исполнителю" in views.group_prompt(Audience("hit", 1, "Birds", 1, 0))
        assert "Отправлено 3/7" in views.group_progress(Progress(1, "Birds", 7, 3, 0))[0]
    with use("en"):
        assert "Sent 120/450" in views.group_progress(Progress(1, "Birds", 450, 120, 0))[0]
        assert "the 1 worker of" in views.group_prompt(Audience("hit", 1, "Birds", 1, 0))
        done = views.group_progress(Progress(1, "Birds", 2, 2, 1))[0]
        assert "Sent to all 2 workers" in done and "1 muted or blocked conversation was left out" in done


def test_the_modules_keep_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == {m: 0 for m in MODULES}
