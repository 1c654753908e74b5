"""Issue #17's "For you" sort, 🔔 Alert me for my skills and 🕘 Recent groups: every screen in every
language within Telegram's limits, translated, and no English literal left in these modules."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.views import alerts, browse, newhit, notify
from core.dashboard import RecentGroup
from core.work.browse import BrowsePage, Card, Filters, Page, Preview
from tests.conftest import NOW
from tests.telegram_limits import assert_screen_ok
from tests.unit.views.test_i18n_groups import QUESTIONS, REQUESTER, STATS, TITLE, _group, _hit
from tests.unit.views.translations import untranslated

MODULES = ["bot/views/browse.py", "bot/handlers/browse.py", "bot/views/alerts.py", "bot/handlers/alerts.py",
           "bot/handlers/batch.py"]
WORDS = ["w" * 40] * 20
RECENT = [RecentGroup(10 ** 12 + i, TITLE, 12_34, 10 ** 6) for i in range(8)]


def _screens() -> list[tuple[str, object]]:
    cards = [Card(_hit(i), REQUESTER, False, _group(3), i) for i in range(1, 9)]
    out = []
    for words in ([], WORDS):
        for number in (0, 3):
            out.append(browse.hit_list(BrowsePage(Filters(sort="foryou"), Page(cards, "1:2"), number, words)))
        out.append(browse.hit_list(BrowsePage(Filters(sort="foryou", keyword="k" * 64), Page([], None), 0, words)))
    out += [browse.recent_groups(RECENT), browse.recent_groups([])]
    subs = [SimpleNamespace(id=10 ** 12 + i, muted=i % 2 == 0, filters=Filters(words=WORDS).as_dict()) for i in range(4)]
    out.append(alerts.alerts_list(subs, 30))
    out.append((alerts.saved(Filters(words=WORDS)), None))
    out += [browse.preview(_floored(floor), STATS[0], NOW, "Asia/Kolkata", 24) for floor in (100_000, 1, 0)]
    out += [_group_notice(n) for n in (0, 1, 2, 5, 24, 10 ** 6)]
    out += [_batch_summary(reason) for reason in (None, "r" * 300)]
    return out


def _batch_summary(reason: str | None):
    plan = SimpleNamespace(assignments=10 ** 6, rewards_cents=10 ** 9, fees_cents=10 ** 8, total_cents=11 * 10 ** 8)
    return newhit.batch_summary(5000, plan, 12_34, reason, 3_00 if reason else 0)


def _group_notice(available: int):
    """An alert's notice of a HIT group (core.alerts: one per group, with its open slots)."""
    payload = {"hit_id": 10 ** 12, "title": TITLE, "reward_cents": 12_34, "duration_s": 5400, "hourly_cents": 8_22,
               "available": available, "alert_id": 10 ** 12}
    return notify._alert(SimpleNamespace(payload=payload, created_at=NOW), None)


def _floored(floor: int) -> Preview:
    """A group's preview with the operator's floor (HITBOT_MIN_HOURLY_CENTS) at `floor` cents an hour."""
    return Preview(_hit(), REQUESTER, QUESTIONS, [], False, STATS[0], None, None, _group(4), 250,
                   pay_floor_cents=floor)


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_for_you_recent_and_skill_alert_screens_fit_telegram(locale):
    with use(locale):
        screens = _screens()
    for text, markup in screens:
        assert_screen_ok(text, markup)


def _new_texts() -> list[str]:
    cards = [Card(_hit(1), REQUESTER, False, _group(3), 1)]
    with_words = browse.hit_list(BrowsePage(Filters(sort="foryou"), Page(cards, None), 0, ["photo"]))
    without = browse.hit_list(BrowsePage(Filters(sort="foryou"), Page(cards, None), 0, []))
    buttons = [b.text for row in with_words[1].inline_keyboard for b in row]
    return [with_words[0].splitlines()[0], with_words[0].splitlines()[2], without[0].splitlines()[2],
            buttons[-2], buttons[-1], browse.recent_groups(RECENT[:1])[0].splitlines()[0],
            browse.recent_groups([])[0], alerts.describe(Filters(words=["photo"])),
            [b.text for row in alerts.alerts_list([], 30)[1].inline_keyboard for b in row][-1]] + [
            next(line for line in browse.preview(_floored(floor), STATS[0], NOW, None)[0].splitlines()
                 if "⚠️" in line or line.startswith("✅")) for floor in (100_000, 1)] + [
            _group_notice(n)[0].splitlines()[0] for n in (2, 24)] + _batch_summary("x")[0].splitlines()[-1:]


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_the_new_texts_are_translated(locale):
    assert untranslated(_new_texts, locale) == []


def test_for_you_in_english_names_the_words_or_asks_for_them():
    with use(DEFAULT):
        page = BrowsePage(Filters(sort="foryou"), Page([], None), 0, ["photo", "birds"])
        text, markup = browse.hit_list(page)
        assert "sorted by for you" in text and "match your skills and interests: photo, birds" in text
        assert [b.callback_data for b in markup.inline_keyboard[-1]] == ["b:rc", "al:sk"]
        text, markup = browse.hit_list(BrowsePage(Filters(sort="foryou"), Page([], None), 0, []))
        assert "/profile skills" in text and [b.callback_data for b in markup.inline_keyboard[-1]] == ["b:rc"]
        text, markup = browse.recent_groups(RECENT[:2])
        assert text.count("1000000 left") == 2
        assert [b.callback_data for b in markup.inline_keyboard[0]] == [f"b:v:{10 ** 12}:0"]


def test_the_floor_line_in_english_says_above_or_below():
    with use(DEFAULT):
        below = browse.preview(_floored(100_00), STATS[0], NOW, None)[0]
        above = browse.preview(_floored(6_00), STATS[0], NOW, None)[0]
        none = browse.preview(_floored(0), STATS[0], NOW, None)[0]
    assert "⚠️ Below the minimum pay of $100.00/h set on this marketplace" in below  # the group's $61.70/h
    assert "✅ At or above the minimum pay of $6.00/h" in above and "minimum pay" not in none


def test_an_alert_names_the_group_and_how_many_are_available():
    with use(DEFAULT):
        assert _group_notice(24)[0].startswith(f"🔔 New for your alert: <b>{TITLE[:99]}…</b>")
        assert ", 24 HITs available" in _group_notice(24)[0]
        assert _group_notice(1)[0].startswith("🔔 New HIT for your alert:")
    with use("ru"):
        assert "доступно 24 задания" in _group_notice(24)[0] and "доступно 5 заданий" in _group_notice(5)[0]


def test_these_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)
