"""Languages (issue 20) on the account and qualification screens: /privacy and /forget, /apikey, /alerts,
/qual, /tests, /quality, /profile, appeals, /blocks, /credit's refusals and the rating toast. Every screen in
every language within Telegram's limits, translated (no English left in place), counted in the reader's
grammar, and no English literal left in these modules."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from telegram import InlineKeyboardMarkup

from bot import catalogs
from bot.i18n import DEFAULT, FSI, LANGUAGES, PDI, use
from bot.views import admin, alerts, apikey, privacy, quals, rating
from core.models import SystemQual
from core.mturk.apikeys import NewKey
from core.quals.rules import Check
from core.review.quality import Policy
from core.users.privacy import Deleted, PrivacySummary
from core.work.browse import Filters
from tests.conftest import NOW
from tests.telegram_limits import Screens, assert_screens_ok, unchanged_labels
from tests.unit.views.translations import catalog_problems

MODULES = ["bot/views/privacy.py", "bot/handlers/privacy.py", "bot/views/apikey.py", "bot/handlers/apikey.py",
           "bot/views/quals.py", "bot/handlers/quals.py", "bot/views/alerts.py", "bot/handlers/alerts.py",
           "bot/views/admin.py", "bot/handlers/admin.py", "bot/views/rating.py", "bot/handlers/rating.py"]
LONG = "x" * 64  # the longest qualification name core accepts


def _user(username: str | None = "wes_w") -> SimpleNamespace:
    return SimpleNamespace(id=123456789, first_name="Wes <&>", username=username, display_name="Wes <&>",
                           language_code="pt-br", country="BR", timezone="America/Sao_Paulo")


def _summary(*, username: str | None = "wes_w", balance: int = 12_34, escrow: int = 5_00, open_hits: int = 3,
             n: int = 5) -> PrivacySummary:
    return PrivacySummary(user=_user(username), assignments_n=n, answers_n=n * 3, hits_n=n, payouts_n=n,
                          ratings_n=n, appeals_n=n, alerts_n=n, available_cents=balance, escrow_cents=escrow,
                          open_hits_n=open_hits, deleted=False)


def _qtype(name: str = "Bird expert", system: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(name=name, description="Knows 50 birds by their song", system=system)


def _check(system: str | None, comparator: str, values: list, have: object, name: str = "Bird expert") -> Check:
    return Check(requirement=SimpleNamespace(comparator=comparator, values=values), qtype=_qtype(name, system),
                 have=have, passed=False)


CHECKS = [
    _check(SystemQual.APPROVAL_RATE, ">=", [95], 80),
    _check(SystemQual.APPROVED_COUNT, ">=", [100], 7),
    _check(SystemQual.COUNTRY, "in", ["DE", "AT", "CH"], "BR"),
    _check(SystemQual.COUNTRY, "not in", ["US"], None),
    _check(SystemQual.ACCOUNT_AGE_DAYS, ">", [30], 2),
    _check(None, "exists", [], None, name=LONG),
    _check(None, "not exists", [], 1),
    _check(None, "=", [3], 2),
]


def _screens() -> tuple[list[str], list[str], list[InlineKeyboardMarkup]]:
    """Every text and keyboard of these modules, with the longest values they take: the texts sent as
    HTML, those sent as plain text (refusals, toasts, replies without markup), the keyboards."""
    screens = Screens()
    texts, plain, markups = screens.lists()
    add = screens.add

    # /privacy, /forget
    for s in (_summary(), _summary(username=None, balance=0, n=1)):
        add(privacy.overview(s))
        add(privacy.confirm_delete(s))
        add(privacy.confirm_forget(s))
    for n in (0, 1, 2, 3, 5, 11, 21, 100):
        plain += [privacy.must_wait(_summary(open_hits=n)), privacy.must_wait(_summary(open_hits=n), theirs=True),
                  privacy.forgotten(Deleted(user_id=123456789, answers_erased=n, available_cents=0))]
    plain += [privacy.deleted(Deleted(1, 3, 0)), privacy.forget_usage(), privacy.delete_cancelled(),
              privacy.export_caption()]
    # /apikey
    keys = [SimpleNamespace(id=i, access_key_id=f"AKIA{i:016d}", created_at=NOW - timedelta(days=i)) for i in range(1, 6)]
    for url in ("https://hitbot.example.org/mturk", None):
        add(apikey.key_list(keys, url))
        add(apikey.key_list([], url))
        add(apikey.new_key(NewKey(id=1, access_key_id="AKIA0000000000000001", secret="s" * 40), url))
    add(apikey.confirm_revoke(keys[0]))
    texts.append(apikey.revoked(keys[0]))
    plain += [apikey.kept(), apikey.deleted()]
    # /alerts
    full = Filters(min_reward_cents=1_50, max_duration_s=5400, min_hourly_cents=9_00, keyword="k" * 40,
                   qualified_only=True)
    subs = [SimpleNamespace(id=i, muted=i % 2 == 0, filters=(full if i > 1 else Filters()).__dict__) for i in range(1, 6)]
    add(alerts.alerts_list(subs, 10))
    add(alerts.alerts_list(subs[:2], 10))
    add(alerts.alerts_list([], 10))
    markups.append(alerts.cancel_markup())
    texts += [alerts.ask_filter(), alerts.saved(full), alerts.saved(Filters())]
    plain += [alerts.cancelled(), alerts.deleted_toast(), alerts.muted_toast(), alerts.unmuted_toast(),
              alerts.muted_from_notice_toast()]
    # /qual, /tests, /quality, /profile, appeals, /blocks
    texts += [quals.qual_list([]), quals.qual_list([(_qtype(LONG), n) for n in (0, 1, 2, 5, 21)] * 4)]
    test = SimpleNamespace(id=9, questions=[{"prompt": "Which bird sings this? " * 20, "options": ["o" * 60] * 4}] * 3)
    add(quals.tests_list([(test, _qtype(LONG), score) for score in (None, 0, 67, 100)] * 5))
    add(quals.tests_list([]))
    add(quals.test_question(test, SimpleNamespace(id=4, answers=[1], score=None)))
    texts.append(quals.test_result(_qtype(LONG), SimpleNamespace(score=67)))
    for policy in (Policy(), Policy(80, 1, "reject"), Policy(80, 5, "block"), Policy(0, 100, "reject")):
        texts.append(quals.policy_text(policy))
    texts += [quals.profile_text(_user(), {"skills": ["German", "birds"], "interests": []}),
              quals.profile_text(SimpleNamespace(country=None, timezone="UTC"), {})]
    markups.append(quals.appeal_keyboard(10 ** 17))
    for outcome in (None, "approved", "rejected"):
        add(quals.appeal_card(SimpleNamespace(id=10 ** 17, message="m" * 1000, outcome=outcome), "t" * 200,
                              "Worker #A2B3C4D5E6F7G", "f" * 500))
    workers = [(i, f"Worker {i}", i) for i in range(20)]
    texts += [quals.block_counts_text({"workers": workers, "requesters": workers}),
              quals.block_counts_text({"workers": [], "requesters": []})]
    texts += [quals.qual_help()] + [quals.requirement(c) for c in CHECKS]
    plain += [quals.created(LONG), quals.granted(LONG, 3, "602"), quals.granted(LONG, 3, "#A2B3C4D5E6F7G"),
              quals.revoked(True), quals.revoked(False), quals.qual_usage("grant"), quals.qual_usage("revoke"),
              quals.no_such_worker("A2B3C4D5E6F7G"), quals.test_file_too_large(), quals.test_file_shape(),
              quals.test_created(1), quals.test_created(7), quals.quality_usage(), quals.profile_usage(),
              quals.ask_appeal(), quals.appeal_sent(), quals.appeal_decided_toast(True),
              quals.appeal_decided_toast(False)]
    plain += [quals.not_a_whole_number(what) for what in quals.WHOLE_NUMBER]
    # admin commands, rating
    plain += [admin.only_admins(), admin.no_such_user(424242), admin.credited_toast(), rating.thanks_toast()]
    return texts, plain, markups


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_account_screen_in_every_language_fits_telegram(locale):
    with use(locale):
        texts, plain, markups = _screens()
    assert_screens_ok(texts, plain, markups, braces=(quals.REQUIREMENT_EXAMPLE,))


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_every_account_screen_is_translated(locale):
    """No screen shows the English: a text missing from a catalog would (the English is the fallback)."""
    with use(DEFAULT):
        html, plain, english_markups = _screens()
    with use(locale):
        html_t, plain_t, markups = _screens()
    english, translated = html + plain, html_t + plain_t
    # A screen the reader could take for English: its text, or one of its buttons, the same as the English.
    same = [e for e, t in zip(english, translated) if e == t]
    assert same == []
    kept = set(unchanged_labels(english_markups, markups))
    # Test options are what the requester wrote: shown as written in every language.
    assert kept <= {"o" * 60}


def test_counts_follow_the_readers_plural_rules():
    with use("ru"):
        waits = [privacy.must_wait(_summary(open_hits=n)) for n in (1, 3, 5, 21)]
        tests = [quals.test_created(n) for n in (1, 2, 5)]
    assert ["(1 задание)" in waits[0], "(3 задания)" in waits[1], "(5 заданий)" in waits[2],
            "(21 задание)" in waits[3]] == [True] * 4
    assert tests[0].startswith("Тест создан: 1 вопрос.") and tests[1].startswith("Тест создан: 2 вопроса.") \
        and tests[2].startswith("Тест создан: 5 вопросов.")
    with use("en"):
        assert "(1 HIT)" in privacy.must_wait(_summary(open_hits=1))
        assert "Work: 1 assignment with 3 answers, 1 appeal" in privacy.overview(_summary(n=1))[0]
        assert quals.test_created(1).startswith("Test created with 1 question.")
    with use("ar"):
        assert "مهمتان" in privacy.must_wait(_summary(open_hits=2))


def test_percentages_amounts_and_dates_are_written_for_the_locale():
    key = SimpleNamespace(id=1, access_key_id="AKIA0000000000000001", created_at=NOW)
    with use("de"):
        assert "unter 80\xa0% Trefferquote" in quals.policy_text(Policy(80, 3, "reject"))
        assert "Guthaben 12,34\xa0$" in privacy.overview(_summary())[0]
    with use("tr"):
        assert "<b>%67</b>" in quals.test_result(_qtype(), SimpleNamespace(score=67))
    with use("en"):
        assert "below 80% accuracy" in quals.policy_text(Policy(80, 3, "reject"))
        assert "balance $12.34" in privacy.overview(_summary())[0]
        english_date = apikey.key_list([key], None)[0]
    with use("ru"):
        russian_date = apikey.key_list([key], None)[0]
    assert english_date != russian_date and "создан" in russian_date


def test_builtin_qualifications_are_named_in_the_readers_language_a_requesters_as_written():
    with use("es"):
        rate = quals.requirement(CHECKS[0])
        age = quals.requirement(CHECKS[4])
        custom = quals.requirement(_check(None, ">=", [3], None))
    assert rate == "requiere tasa de aprobación >= 95\xa0%; tienes: 80\xa0%"
    assert age == "requiere antigüedad de la cuenta > 30 días; tienes: 2 días"
    assert custom == "requiere Bird expert >= 3; tienes: ninguno"
    with use("en"):
        assert quals.requirement(CHECKS[2]) == "needs country one of DE, AT, CH, you have BR"
        assert quals.requirement(_check(None, "exists", [], None, name="<b>x</b>")) \
            == "needs the “&lt;b&gt;x&lt;/b&gt;” qualification, you have none"


def test_an_arabic_line_keeps_a_latin_name_and_an_amount_in_their_own_direction():
    with use("ar"):
        granted = quals.granted("Bird expert", 3, "#A2B3C4D5E6F7G")
        wait = privacy.must_wait(_summary(escrow=5_00, open_hits=5))
    assert f"«{FSI}Bird expert{PDI}»" in granted and f"Worker #{FSI}A2B3C4D5E6F7G{PDI}" in granted
    assert FSI in wait and "$" in wait.split(FSI, 1)[1].split(PDI, 1)[0]
    with use("en"):
        assert FSI not in quals.granted("Bird expert", 3, "#A2B3C4D5E6F7G")


def test_these_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)


def test_every_text_of_these_modules_is_in_every_catalog():
    """The catalogs' own check (missing, untranslated, fuzzy, other placeholders, plural forms), for the
    texts of these modules (other modules' texts are their owners')."""
    texts, problems = catalog_problems(MODULES)
    assert texts > 100
    assert problems == []
