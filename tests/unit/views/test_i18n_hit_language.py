"""A HIT's language on the worker's screens (issue 20): the browse list, the preview and the questions
mark a HIT written in another language than the reader's, with its name in the reader's language;
the `speaks` requirement and the profile's languages in every language, within Telegram's limits."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.views import browse, hit_language, quals, work
from core.quals.rules import Check
from core.work.browse import BrowsePage, Card, Filters, Page, Preview
from core.work.queries import WorkState
from tests.conftest import NOW
from tests.telegram_limits import assert_screens_ok
from tests.unit.views.test_i18n_groups import QUESTIONS, REQUESTER, STATS, _group, _hit
from tests.unit.views.translations import untranslated

MODULES = ["bot/views/hit_language.py", "bot/views/quals.py", "bot/handlers/quals.py"]


def _screens(language: str | None) -> dict[str, str]:
    """The list entry, the preview and a question of one HIT written in `language`."""
    hit = _hit(language=language, title="Etiqueta la foto")
    page = BrowsePage(Filters(), Page([Card(hit, REQUESTER, False, _group(), 3)], None), 0)
    preview = Preview(hit, REQUESTER, QUESTIONS, [], False, STATS[0], None, None, _group(), 3)
    a = SimpleNamespace(id=1, current_q=0, deadline=NOW + timedelta(minutes=9), accepted_at=NOW, submitted_at=None,
                        auto_approve_at=None)
    state = WorkState(a, hit, QUESTIONS, {}, worker=SimpleNamespace(timezone="UTC"))
    return {"list": browse.hit_list(page)[0], "preview": browse.preview(preview, STATS[0], NOW, "UTC")[0],
            "question": work.question(state, NOW)[0]}


@pytest.mark.parametrize("locale, marker", [("ru", "🗣 язык: испанский"), ("en", "🗣 in Spanish"),
                                            ("de", "🗣 Sprache: Spanisch")])
def test_a_spanish_hit_is_marked_in_the_readers_language_on_every_screen(locale, marker):
    with use(locale):
        screens = _screens("es")
    assert {name: marker in text for name, text in screens.items()} == dict.fromkeys(screens, True)
    assert "Etiqueta la foto" in screens["preview"]  # the requester's words stay as written


@pytest.mark.parametrize("locale, language", [("es", "es"), ("es", "es-MX"), ("pt_BR", "pt"), ("pt_BR", "pt-PT"),
                                              ("ru", None)])
def test_no_marker_when_the_hit_is_in_the_readers_language_or_says_none(locale, language):
    with use(locale):
        screens = _screens(language)
    assert [name for name, text in screens.items() if "🗣" in text] == []


def test_a_region_is_named_and_portuguese_readers_see_a_spanish_hit_marked():
    with use("en"):
        assert hit_language.marker(_hit(language="pt-BR")) == "🗣 in Portuguese (Brazil)"
    with use("pt_BR"):
        assert hit_language.marker(_hit(language="es")) == "🗣 em espanhol"
        assert hit_language.marker(_hit(language="pt-BR")) == ""
    assert hit_language.marker(SimpleNamespace(title="from the API")) == ""  # a HIT that says nothing


def _check(comparator: str, values: list[str], have: tuple[str, ...], passed: bool) -> Check:
    requirement = SimpleNamespace(comparator=comparator, values=values)
    return Check(requirement, SimpleNamespace(system="speaks", name="speaks"), have, passed)  # type: ignore[arg-type]


def test_the_speaks_requirement_names_languages_in_the_readers_words():
    wanted = _check("in", ["es", "pt-BR"], ("ru", "uk"), False)
    with use("en"):
        assert quals.requirement(wanted) == "needs to speak Spanish or Portuguese (Brazil), you speak Russian and Ukrainian"
        assert quals.requirement(_check("not in", ["ru"], ("ru",), False)) \
            == "needs someone who doesn't speak Russian, you speak Russian"
        assert quals.requirement(_check("=", ["es"], (), False)) == "needs to speak Spanish, you speak none"
    with use("ru"):
        assert quals.requirement(wanted) \
            == "нужно знать язык: испанский или португальский (Бразилия), вы знаете: русский и украинский"
    with use("ar"):
        assert "الإسبانية" in quals.requirement(wanted)


def test_the_profile_shows_the_languages_listed():
    user = SimpleNamespace(country="BR", timezone="UTC", prefs={"languages": ["es", "pt-BR"]})
    with use("en"):
        text = quals.profile_text(user, {"skills": [], "interests": []})
    assert "Languages you also speak: Spanish, Portuguese (Brazil)" in text
    assert "/profile languages es, pt-BR" in text


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_these_screens_in_every_language_fit_telegram(locale):
    with use(locale):
        texts = list(_screens("hi").values()) + list(_screens("ar").values())
        texts += [quals.requirement(_check(c, ["es", "pt-BR", "hi", "ar", "zh"] * 6, ("ru", "en") * 5, False))
                  for c in ("in", "not in")]
        texts.append(quals.profile_text(SimpleNamespace(country=None, timezone="Asia/Kolkata",
                                                        prefs={"languages": ["es", "pt-BR", "hi", "ar", "de"] * 2}),
                                        {"skills": ["s" * 40] * 10, "interests": ["i" * 40] * 10}))
        texts.append(quals.profile_usage())
    assert_screens_ok(texts)


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT])
def test_the_new_texts_are_translated(locale):
    def texts() -> list[str]:
        profile = quals.profile_text(SimpleNamespace(country=None, timezone="UTC", prefs={}), {})
        return [hit_language.marker(_hit(language="ja")), quals.requirement(_check("=", ["ja"], ("ko",), False)),
                quals.requirement(_check("!=", ["ja"], ("ko",), False)), quals.profile_usage(),
                *profile.splitlines()[-4:-2]]

    assert untranslated(texts, locale) == []


def test_these_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)
