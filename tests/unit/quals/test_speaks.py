"""A HIT's language (the spec's `language`) and the `speaks` requirement (issue 20): a worker speaks
their hitbot language and the languages they list with /profile languages."""
from __future__ import annotations

import pytest

from bot import i18n
from bot.runtime import error_text
from core.errors import NotQualified, SpecInvalid, ValidationFailed
from core.hits.spec import parse_spec, spec_problems
from core.models import Hit, User
from core.users import commands as users, languages
from core.work import browse, commands as work
from tests import factories as f

SPEAKS_ES = [{"name": "speaks", "value": "es"}]


def _problem(**overrides) -> str:
    spec, problems = spec_problems(f.spec(**overrides))
    assert spec is None
    return "; ".join(f"{'.'.join(map(str, path))}: {text}" for path, text in problems)


@pytest.mark.parametrize("code, stored", [("es", "es"), ("ES", "es"), ("pt-BR", "pt-BR"), ("pt_br", "pt-BR"),
                                          ("hi", "hi")])
def test_a_spec_keeps_a_real_language_code_normalised(code, stored):
    assert parse_spec(f.spec(language=code)).language == stored


@pytest.mark.parametrize("code", ["xx", "spanish", "e", "es-XX-1", "zz-ZZ", "es" * 20, "", 7, True, ["es"]])
def test_a_spec_with_a_code_that_is_no_language_is_refused_by_name(code):
    assert "language: " in _problem(language=code)
    assert "is not a language code: use ISO 639-1 codes such as es, pt-BR or hi" in _problem(language=code)


def test_the_refusal_reads_in_the_requesters_language():
    with pytest.raises(SpecInvalid) as refused:
        parse_spec(f.spec(language="xx"))
    with i18n.use("es"):
        shown = error_text(refused.value)
    assert "«xx» no es un código de idioma" in shown


def test_speaks_is_written_like_country_and_refuses_what_no_one_could_meet():
    spec = parse_spec(f.spec(qualifications=[{"name": "speaks", "value": "es"},
                                             {"name": "speaks", "comparator": "in", "value": ["pt-br", "ru"]}]))
    assert [(q.comparator, q.value) for q in spec.qualifications] == [("=", "es"), ("in", ["pt-BR", "ru"])]
    assert "speaks can only be compared with =, !=, in or not in" in _problem(
        qualifications=[{"name": "speaks", "comparator": ">=", "value": "es"}])
    assert "“klingon” is not a language code" in _problem(qualifications=[{"name": "speaks", "value": "klingon"}])


@pytest.mark.usefixtures("database")
def test_the_hits_language_is_stored_and_shown_with_it(now):
    r, w = f.requester(), f.user()
    h = f.hit(r.id, language="es")
    assert Hit.get_by_id(h.id).language == "es"
    assert browse.preview(worker_id=w.id, hit_id=h.id, now=now).hit.language == "es"
    assert Hit.get_by_id(f.hit(r.id, title="Other").id).language is None


@pytest.mark.usefixtures("database")
def test_a_russian_worker_is_refused_a_spanish_only_hit_until_they_list_spanish(now):
    r = f.requester()
    w = f.user(language_code="ru")
    h = f.hit(r.id, language="es", qualifications=SPEAKS_ES)
    with pytest.raises(NotQualified) as refused:
        work.accept(worker_id=w.id, hit_id=h.id, now=now)
    assert refused.value.message == "You don't meet this HIT's requirements: needs speaks = es, you have ru."
    with i18n.use("ru"):
        shown = error_text(refused.value)
    assert shown == "Вы не соответствуете требованиям задания: нужно знать язык: испанский, вы знаете: русский."
    with i18n.use("es"):
        assert "requiere hablar español; tú hablas: ruso" in error_text(refused.value)
    assert languages.set_languages(user_id=w.id, text="es, pt-br") == ["es", "pt-BR"]
    assert work.accept(worker_id=w.id, hit_id=h.id, now=now).worker_id == w.id


@pytest.mark.usefixtures("database")
def test_the_chosen_language_counts_before_telegrams_and_not_in_excludes(now):
    r = f.requester()
    w = f.user(language_code="en")
    h = f.hit(r.id, qualifications=SPEAKS_ES, assignments=2)
    not_russian = f.hit(r.id, title="Not for Russian speakers",
                        qualifications=[{"name": "speaks", "comparator": "not in", "value": ["ru", "uk"]}])
    with pytest.raises(NotQualified):
        work.accept(worker_id=w.id, hit_id=h.id, now=now)
    users.set_language(user_id=w.id, language="es")
    assert work.accept(worker_id=w.id, hit_id=h.id, now=now)
    russian = f.user(language_code="ru-RU")
    with pytest.raises(NotQualified):
        work.accept(worker_id=russian.id, hit_id=not_russian.id, now=now)
    assert work.accept(worker_id=w.id, hit_id=not_russian.id, now=now)


@pytest.mark.usefixtures("database")
def test_a_discover_guard_hides_the_hit_from_who_does_not_speak_it(now):
    r = f.requester()
    ru, es = f.user(language_code="ru"), f.user(language_code="es-MX")
    h = f.hit(r.id, qualifications=[{**SPEAKS_ES[0], "guard": "discover"}])
    seen = {w.id: [c.hit.id for c in browse.list_open_hits(worker_id=w.id, filters=browse.Filters(), now=now).cards]
            for w in (ru, es)}
    assert seen == {ru.id: [], es.id: [h.id]}


@pytest.mark.usefixtures("database")
@pytest.mark.parametrize("text", ["es, xx", "es " * 11, "español"])
def test_a_bad_languages_list_is_refused_and_changes_nothing(text):
    w = f.user()
    languages.set_languages(user_id=w.id, text="de")
    with pytest.raises(ValidationFailed):
        languages.set_languages(user_id=w.id, text=text)
    assert languages.listed(User.get_by_id(w.id)) == ["de"]
    assert languages.set_languages(user_id=w.id, text="none") == []
    assert languages.listed(User.get_by_id(w.id)) == []


@pytest.mark.usefixtures("database")
def test_a_batch_takes_its_language_from_the_template_or_from_each_row(now):
    from core.errors import BatchInvalid
    from core.hits import publishing

    r = f.requester()
    template = f.spec(title="Row ${n}", language="${lang}", assignments=1)
    batch = publishing.publish_batch(requester_id=r.id, title="b", template=template, now=now,
                                     rows=[{"n": "1", "lang": "es"}, {"n": "2", "lang": "pt-br"}])
    assert [h.language for h in Hit.select().where(Hit.batch == batch.id).order_by(Hit.id)] == ["es", "pt-BR"]
    with pytest.raises(BatchInvalid) as refused:
        publishing.publish_batch(requester_id=r.id, title="c", template=template, now=now,
                                 rows=[{"n": "1", "lang": "es"}, {"n": "2", "lang": "spanish"}])
    assert [n for n, _ in refused.value.problems] == [2]
    assert Hit.select().where(Hit.title == "Row 1").count() == 1  # nothing of the refused batch
