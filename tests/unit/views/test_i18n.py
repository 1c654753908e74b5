"""Languages (issue 20): every catalog complete and consistent with the source, the fallbacks from
Telegram's codes, plural forms, amounts and times per locale, right-to-left lines, Telegram's limits."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from bot import catalogs, i18n
from bot.i18n import FSI, LANGUAGES, PDI, negotiate, use
from bot.views import common, language, mywork, start
from core.models import AssignmentStatus as S
from core.work.queries import MyWork
from tests.conftest import NOW
from tests.telegram_limits import assert_screens_ok, valid_html as _valid_html  # noqa: F401  (other screen tests take it from here)

OTHERS = [code for code in LANGUAGES if code != i18n.DEFAULT]


@pytest.fixture(scope="module")
def pot():
    return catalogs.template()


@pytest.mark.parametrize("locale", OTHERS)
def test_every_catalog_has_every_text_with_the_sources_placeholders(locale, pot):
    assert catalogs.problems(locale, pot) == []


def test_the_check_finds_a_missing_stale_fuzzy_or_broken_entry(tmp_path, monkeypatch, pot):
    shutil.copytree(i18n.LOCALES_DIR, tmp_path / "locales")
    monkeypatch.setattr(catalogs, "LOCALES_DIR", tmp_path / "locales")
    catalog = catalogs.load("ru")
    del catalog["Hi!"]
    catalog["What hitbot can do"].flags.add("fuzzy")
    catalog["Hi, {name}!"].string = "Привет, {nmae}!"
    catalog[("{n} HIT", "{n} HITs")].string = ("{n} задание", "{n} задания")
    catalog.add("A text nobody uses any more", "Текст, которого уже нет")
    catalogs.save(catalog, "ru")
    found = "\n".join(catalogs.problems("ru", pot))
    for expected in ("missing 'Hi!'", "fuzzy 'What hitbot can do'", "placeholders ['nmae']",
                     "untranslated '{n} HIT'", "stale 'A text nobody uses any more'"):
        assert expected in found
    assert catalogs.problems("de", pot) == []


@pytest.mark.parametrize(("code", "locale"), [
    ("pt", "pt_BR"), ("pt-br", "pt_BR"), ("pt-PT", "pt_BR"), ("es-419", "es"), ("es", "es"), ("de-AT", "de"),
    ("ru", "ru"), ("uk", "uk"), ("ar", "ar"), ("zh-hans", "en"), ("", "en"), (None, "en"), ("en-GB", "en"),
])
def test_telegram_codes_fall_back_to_a_language_hitbot_speaks(code, locale):
    assert negotiate(code) == locale


@pytest.mark.parametrize(("locale", "forms"), [
    ("ru", {1: "1 задание", 2: "2 задания", 5: "5 заданий", 11: "11 заданий", 21: "21 задание", 22: "22 задания"}),
    ("uk", {1: "1 завдання", 3: "3 завдання", 5: "5 завдань"}),
    ("en", {1: "1 HIT", 2: "2 HITs", 1000: "1,000 HITs"}),
    ("de", {1: "1 Aufgabe", 1000: "1.000 Aufgaben"}),
    ("ar", {1: "مهمة واحدة", 2: "مهمتان", 5: f"{FSI}5{PDI} مهام", 11: f"{FSI}11{PDI} مهمة"}),
])
def test_plural_forms(locale, forms):
    with use(locale):
        assert {n: common.hits(n) for n in forms} == forms


@pytest.mark.parametrize(("locale", "amount"), [
    ("en", "$1,234.50"), ("de", "1.234,50\xa0$"), ("pt_BR", "US$\xa01.234,50"), ("ru", "1\xa0234,50\xa0$"),
    ("fr", "1\u202f234,50\xa0$US"), ("es", "1.234,50\xa0US$"), ("hi", "$1,234.50"),
])
def test_money_in_the_readers_locale(locale, amount):
    with use(locale):
        assert common.money(123_450) == amount


def test_relative_times_and_durations_in_the_readers_words():
    with use("ru"):
        assert i18n.relative(timedelta(days=3)) == "через 3 дня"
        assert i18n.relative(timedelta(hours=-2)) == "2 часа назад"
        assert common.duration(3 * 3600 + 300) == "3 ч 5 мин"
        assert common.countdown(datetime(2026, 1, 2, tzinfo=timezone.utc), datetime(2026, 1, 1, tzinfo=timezone.utc)) \
            == "осталось 1 д."
    with use("en"):
        assert i18n.relative(timedelta(days=3)) == "in 3 days"
        assert common.duration(3 * 3600 + 300) == "3h 5m"
    with use("de"):
        assert i18n.date_time(datetime(2026, 12, 3, 13, 5, tzinfo=timezone.utc), "Europe/Berlin") \
            == "03.12.2026, 14:05:00"


def test_arabic_keeps_a_latin_title_and_an_amount_in_their_own_direction():
    title = "Label 10 photos (cats & dogs)"
    with use("ar"):
        line = start.cancelled("answer", title)
        amount = common.money(130)
        tagged = i18n._("{duration} left", duration=amount)
    # The sentence is Arabic from its first letter; the title sits whole inside isolation marks.
    assert line.startswith("⏸ لم تعد رسائلك إجابات على «")
    assert f"«{FSI}Label 10 photos (cats &amp; dogs){PDI}»" in line
    assert tagged == f"متبقٍ {FSI}{amount}{PDI}" and amount.startswith("\u200f")  # babel's RTL mark on the amount
    with use("en"):
        assert FSI not in start.cancelled("answer", title)  # left-to-right text has no marks to carry


def _assignment(status: str, *, title: str = "Label 10 photos (cats & dogs)", reward_cents: int = 130,
                feedback: str | None = None, now: datetime = NOW) -> SimpleNamespace:
    hit = SimpleNamespace(title=title, reward_cents=reward_cents)
    return SimpleNamespace(id=7, hit=hit, status=status, feedback=feedback, current_q=1, questions_n=3,
                           deadline=now + timedelta(minutes=20), submitted_at=now - timedelta(hours=2),
                           auto_approve_at=now + timedelta(days=3))


def test_an_arabic_mywork_line_keeps_the_latin_title_and_the_amount_apart():
    with use("ar"):
        line = mywork._line(_assignment(S.APPROVED), NOW)
        amount = common.money(130)
    assert line == f"• «{FSI}Label 10 photos (cats &amp; dogs){PDI}» — {FSI}{amount}{PDI} · {FSI}✅ مقبول{PDI}"
    with use("ru"):
        line = mywork._line(_assignment(S.SUBMITTED), NOW)
    assert line == "• «Label 10 photos (cats &amp; dogs)» — 1,30\xa0$ · отправлено 2 ч назад · автоприёмка через 3 д."


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_converted_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        texts = [start.welcome("Ann"), start.welcome(None), start.help_text(admin=True), start.unknown_command("x" * 40),
                 start.not_waiting(), start.spec_file_hint(), language.choose(asked="klingon"),
                 language.chosen(locale), common.no_longer_valid()]
        texts += [start.cancelled(kind, "t" * 200) for kind in [*start.CANCELLED, "other", None]]
        statuses = (S.ACCEPTED, S.SUBMITTED, S.APPROVED, S.REJECTED, S.EXPIRED)
        work, work_markup = mywork.my_work(MyWork([_assignment(s, title="t" * 200, feedback="f" * 300)
                                                   for s in statuses * 4], 1, True, dict.fromkeys(statuses, 4)), NOW)
        texts += [work, mywork.my_work(MyWork([], 0, False, {}), NOW)[0]]
        markups = [start.main_menu(), start.cancel_markup(), language.buttons(locale), work_markup]
        menu = start.menu_commands(admin=True)
    assert_screens_ok(texts, markups=markups)
    assert all(1 <= len(d) <= 256 for _, d in menu) and len(menu) <= 100
    if locale != i18n.DEFAULT:  # translated, not English left in place
        with use("en"):
            english = start.menu_commands(admin=True)
        assert sum(a != b for a, b in zip(menu, english)) >= len(menu) - 1


def test_no_module_of_the_bot_holds_an_english_literal(tmp_path):
    """Every text a person reads goes through the catalogs (`python -m bot.catalogs literals` counts
    what is left); the counter itself still sees English written straight into a module."""
    counts = catalogs.literal_counts()
    assert len(counts) > 40 and {m: n for m, n in counts.items() if n} == {}
    sample = tmp_path / "sample.py"
    sample.write_text('from bot.i18n import _\n'
                      'async def f(msg):\n'
                      '    await msg.reply_text("Your work is submitted.")\n'
                      '    await msg.reply_text(_("Translated, so not counted."))\n'
                      '    log.info("a log line for the operator")\n'
                      '    profile_log.warning("another logger, still for the operator")\n')
    assert [text for _, text in catalogs.literals(sample)] == ["Your work is submitted."]


SCRIPTS = {"ru": "\u0400-\u04ff", "uk": "\u0400-\u04ff", "hi": "\u0900-\u097f", "ar": "\u0600-\u06ff"}


@pytest.mark.parametrize("locale", sorted(SCRIPTS))
def test_texts_in_other_scripts_are_written_in_them(locale):
    """A catalog entry copied from another language (or left in English) shows up as Latin letters only."""
    import re

    def words(text: str) -> str:
        text = re.sub(r"\{\w+\}|/\w+|<[^>]+>|hitbot|MTurk|API|boto3|CSV|HIT", "", text)
        return text

    latin_only = []
    for m in catalogs.load(locale):
        if not m.id:
            continue
        source = m.id if isinstance(m.id, str) else m.id[1]
        for s in (m.string,) if isinstance(m.string, str) else m.string:
            if re.search("[A-Za-z]", words(source)) and not re.search(f"[{SCRIPTS[locale]}]", words(s)):
                latin_only.append(s)
    assert latin_only == []


def test_the_earnings_chart_speaks_the_readers_language_where_its_font_can():
    from datetime import date

    from bot.views import chart

    days = [(date(2026, 11, 1), 0), (date(2026, 11, 2), 1234_50)]
    with use("ru"):
        title, labels, amount = chart.texts(days)
    assert (title, labels, amount(1234.5)) == ("Заработок за 30 дней: 1\xa0234,50\xa0$", ["1 нояб.", "2 нояб."],
                                               "1\xa0234,50")
    with use("de"):
        assert chart.texts(days)[0] == "Verdienst der letzten 30 Tage: 1.234,50\xa0$"
    with use("ar"):  # matplotlib cannot shape Arabic: English words, never broken letters
        assert chart.texts(days)[:2] == ("Earnings, last 30 days: $1,234.50", ["1 Nov", "2 Nov"])
    with use("ru"):
        assert chart.earnings_png(days).startswith(chart.PNG_MAGIC)


def _digest(pending: int, hits: int, waited_h: float) -> SimpleNamespace:
    return SimpleNamespace(payload={"pending": pending, "hits": hits,
                                    "oldest_at": (NOW - timedelta(hours=waited_h)).isoformat()}, created_at=NOW)


def test_the_review_digest_counts_in_the_readers_grammar():
    from bot.views.digest import review_digest

    with use("ru"):
        lines = [review_digest(_digest(n, h, 0), None)[0].split("\n")[0] for n, h in ((1, 1), (3, 2), (5, 5), (21, 1))]
        oldest = review_digest(_digest(5, 2, 3), None)[0]
    assert lines == ["📋 1 работа ждёт вашей проверки (1 задание).", "📋 3 работы ждут вашей проверки (2 задания).",
                     "📋 5 работ ждут вашей проверки (5 заданий).", "📋 21 работа ждёт вашей проверки (1 задание)."]
    assert oldest.startswith("📋 5 работ ждут вашей проверки (2 задания), самая старая — уже 3 ч.\nОткройте /review")
    for locale in LANGUAGES:
        with use(locale):
            text = review_digest(_digest(2, 1, 5), None)[0]
        assert len(text) < 4096 and "{" not in text, locale


@pytest.mark.parametrize("locale", ["ar", "en"])
def test_what_a_person_copies_from_code_carries_no_invisible_direction_marks(locale):
    """In Arabic a value keeps its own direction inside isolation marks, but text in <code> is copied
    into a shell or a script: the marks go outside the tag."""
    import re

    from bot.views import apikey
    from core.mturk.apikeys import NewKey

    key = NewKey(id=1, access_key_id="AKIAHITBOT123", secret="s3cr3t")
    with use(locale):
        text, _markup = apikey.new_key(key, "https://h.example/mturk")
    inside = re.findall(r"<(?:code|pre)>(.*?)</(?:code|pre)>", text, re.S)
    assert "AWS_ENDPOINT_URL_MTURK=https://h.example/mturk" in inside
    assert not any(FSI in part or PDI in part for part in inside)
    assert (FSI in text) == (locale == "ar")  # the sentence around them is still isolated


def test_a_moment_in_a_refusal_is_shown_in_the_readers_zone_or_says_utc():
    import contextvars

    from bot.runtime import error_text
    from core.errors import PayoutOnHold
    from core.texts import N_

    exc = PayoutOnHold(N_("Payouts are on hold until {until} because a payout destination was added. If it "
                          "was you, confirm it from the notice to lift the hold now."),
                       until=datetime(2026, 12, 3, 14, 5, tzinfo=timezone.utc))

    def shown(locale, tz):
        def run():
            i18n.activate(locale, tz)
            return error_text(exc)
        return contextvars.copy_context().run(run).replace("\u202f", " ")

    assert "until Dec 3, 2026, 2:05 PM UTC because" in shown("en", None)
    assert "until Dec 3, 2026, 2:05 PM UTC because" in shown("en", "UTC")
    assert "until Dec 3, 2026, 7:35 PM because" in shown("en", "Asia/Kolkata")  # +05:30, the reader's clock
    assert "19:35" in shown("ru", "Asia/Kolkata") and "до" in shown("ru", "Asia/Kolkata")
    assert "03 Dec 14:05 UTC" in exc.message  # the API and logs keep the English
