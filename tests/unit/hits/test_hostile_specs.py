"""Issue 13: hostile spec files, numbers that are not numbers, invisible characters, forged
callback data, gold values and requirements nobody can meet."""
from __future__ import annotations

import json
import tracemalloc

import pytest
import yaml

from bot import callbacks
from core.errors import BatchInvalid, ValidationFailed
from core.hits import publishing
from core.hits.spec import RequirementSpec, parse_spec
from core.hits.spec_files import load_spec_document, parse_spec_file, plan_batch
from tests import factories as f
from tests.dbstate import unchanged

pytestmark = pytest.mark.usefixtures("database")


def bomb(levels: int = 7) -> bytes:
    """The billion-laughs shape: each level is nine aliases of the one before."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijk"
    for prev, name in zip(names, names[1:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def refused_quickly(call, *args) -> str:
    """Refused before anything is built: the peak memory is that of reading the file, not of
    expanding it (a deterministic bound; the time it takes is in bench/hostile_bench.py)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed) as err:
            call(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    return err.value.message


def test_an_alias_bomb_is_refused_at_once_with_little_memory():
    raw = bomb()
    assert len(raw) < 400
    for call, args in [(load_spec_document, (raw, "hit.yaml")), (parse_spec_file, (raw, "hit.yaml")),
                       (plan_batch, (raw, "t.yaml", b"name\nowl\n"))]:
        message = refused_quickly(call, *args)
        assert "line 1" in message and "anchors and aliases" in message


def test_a_lone_anchor_or_a_merge_key_is_refused_too():
    spec = yaml.safe_dump(f.spec())
    with pytest.raises(ValidationFailed, match="line 1.*anchors and aliases"):
        load_spec_document(("title: &t Label\n" + spec.split("\n", 1)[1]).encode(), "hit.yaml")
    merge = b"base: &b {reward: '0.10'}\nhit:\n  <<: *b\n"
    with pytest.raises(ValidationFailed, match="anchors and aliases"):
        load_spec_document(merge, "hit.yaml")


@pytest.mark.parametrize("raw, name", [
    (b"title: " + b"[" * 5000 + b"]" * 5000 + b"\n", "deep.yaml"),
    ("".join(f"{' ' * i}k{i}:\n" for i in range(200)).encode() + b" " * 200 + b"x: 1\n", "deep.yml"),
    (b'{"title": ' + b"[" * 20000 + b"]" * 20000 + b"}", "deep.json"),
    (b'{"a": "[[[[[[[[[[[[[[[[", "title": ' + b'{"x": ' * 3000 + b"1" + b"}" * 3000 + b"}", "deep.json"),
])
def test_deep_nesting_gets_a_clear_error(raw, name):
    message = refused_quickly(load_spec_document, raw, name)
    assert "nested more than 10 levels deep" in message


def test_json_strings_holding_brackets_are_not_nesting():
    data = f.spec(description="[[[[[[[[[[[[[[[[[[[[ {{{{{{{{{{{{{{ \\\" [[[[[[[[[[[[[")
    assert parse_spec_file(json.dumps(data).encode(), "hit.json").description == data["description"]


def _number_spec(**bounds) -> dict:
    return f.spec(questions=[{"id": "n", "kind": "number", "prompt": "How many?", **bounds}])


@pytest.mark.parametrize("bounds", [{"min": "nan"}, {"max": "inf"}, {"min": float("nan")}, {"max": float("-inf")},
                                    {"min": "-Infinity"}, {"min": 0, "max": "NaN"}])
def test_nan_and_infinite_bounds_are_refused(bounds):
    with pytest.raises(ValidationFailed) as err:
        parse_spec(_number_spec(**bounds))
    assert "questions.0." in err.value.message and "finite number" in err.value.message


def test_nan_in_a_yaml_or_json_file_names_its_key_and_line():
    raw = yaml.safe_dump(_number_spec(min=0, max=5), sort_keys=False).replace("max: 5", "max: .nan").encode()
    with pytest.raises(ValidationFailed) as err:
        parse_spec_file(raw, "hit.yaml")
    line = next(i for i, text in enumerate(raw.decode().splitlines(), start=1) if "max: .nan" in text)
    assert f"line {line}, questions.0.max: must be a finite number" in err.value.message
    as_json = json.dumps(_number_spec(min=0, max=5), indent=1).replace('"max": 5', '"max": NaN').encode()
    with pytest.raises(ValidationFailed, match=r"questions\.0\.max: must be a finite number"):
        parse_spec_file(as_json, "hit.json")


@pytest.mark.parametrize("value", [True, False, "yes", 2.5, "٣", "3\n4"])
def test_assignments_must_be_a_whole_number_not_a_boolean(value):
    with pytest.raises(ValidationFailed) as err:
        parse_spec(f.spec(assignments=value))
    assert "assignments: must be a whole number" in err.value.message


def test_a_huge_assignment_count_is_reported_under_assignments_with_its_line():
    raw = yaml.safe_dump(f.spec(assignments=10**18), sort_keys=False).encode()
    line = next(i for i, text in enumerate(raw.decode().splitlines(), start=1) if text.startswith("assignments:"))
    with pytest.raises(ValidationFailed) as err:
        parse_spec_file(raw, "hit.yaml")
    assert f"line {line}, assignments: assignments must be between 1 and 1000" in err.value.message
    assert "reward" not in err.value.message


def test_requirement_values_and_number_bounds_are_not_booleans():
    with pytest.raises(ValidationFailed, match="qualifications.0.value: must be a whole number"):
        parse_spec(f.spec(qualifications=[{"name": "approved_count", "comparator": ">=", "value": True}]))
    with pytest.raises(ValidationFailed, match="questions.0.min: must be a number"):
        parse_spec(_number_spec(min=True))


PYDANTIC_PHRASES = ("Input should", "String should", "List should", "Field required", "Value error",
                    "valid integer", "valid string")


def test_every_problem_is_reported_at_once_in_product_wording():
    spec = f.spec(title="x" * 200, assignments=0, duration="3d", lifetime="forever", keywords="birds",
                  questions=[{"id": "q", "kind": "essay", "prompt": ""}, {"kind": "text"}])
    del spec["reward"]
    raw = yaml.safe_dump(spec, sort_keys=False).encode()
    lines = {text.split(":")[0]: i for i, text in enumerate(raw.decode().splitlines(), start=1)}
    with pytest.raises(ValidationFailed) as err:
        parse_spec_file(raw, "hit.yaml")
    message = err.value.message
    for phrase in PYDANTIC_PHRASES:
        assert phrase not in message, (phrase, message)
    assert f"line {lines['title']}, title: can have at most 128 characters (this has 200)" in message
    assert f"line {lines['assignments']}, assignments: must be at least 1" in message
    assert f"line {lines['duration']}, duration: duration must be between 30s and 1d." in message
    assert f"line {lines['lifetime']}, lifetime: lifetime: use a duration such as 90s" in message
    assert f"line {lines['keywords']}, keywords: must be a list" in message
    assert "reward: this key is required" in message
    assert "questions.0.kind: must be one of choice, multi, text, number, rating, photo" in message
    assert "questions.0.prompt: can't be empty" in message
    assert "questions.1.id: this key is required" in message
    assert "questions.1.prompt: this key is required" in message


def test_batch_rows_get_product_wording_too():
    template = f.spec(title="${name}", reward="0.10")
    with pytest.raises(BatchInvalid) as err:
        publishing.expand_batch(template, [{"name": "ok"}, {"name": "t" * 129}])
    assert err.value.problems == [(2, "title: can have at most 128 characters (this has 129)")]


def test_a_spec_file_that_is_not_utf8_gets_advice_for_its_own_type():
    raw = "title: café\n".encode("latin-1")
    for name in ("hit.yaml", "hit.json"):
        with pytest.raises(ValidationFailed) as err:
            load_spec_document(raw, name)
        assert "UTF-8" in err.value.message and "CSV" not in err.value.message
        assert "text editor" in err.value.message


def test_a_yaml_syntax_error_gets_yaml_advice():
    with pytest.raises(ValidationFailed) as err:
        load_spec_document(b"title: x\nreward: [\n", "hit.yaml")
    assert "indent" in err.value.message and "CSV" not in err.value.message


# --- invisible and direction-changing characters ------------------------------------------

@pytest.mark.parametrize("title", ["\u200b\u200b\u200b", "\u2060\ufeff", " \u200d \u200c ", "\u3164",
                                   "Pay \u202eevil\u202c now", "Label \u2066this\u2069", "Cat\u200bdog",
                                   "Left\u200fright", "Line\nbreak"])
def test_titles_with_invisible_or_bidi_controls_are_refused(title):
    with pytest.raises(ValidationFailed) as err:
        parse_spec(f.spec(title=title))
    assert "title: " in err.value.message
    assert "invisible" in err.value.message or "visible character" in err.value.message \
        or "one line" in err.value.message


def test_prompts_options_and_descriptions_refuse_direction_overrides():
    q = {"id": "q", "kind": "choice", "prompt": "Which?", "options": ["yes", "n\u202eo"]}
    with pytest.raises(ValidationFailed, match="questions.0.options"):
        parse_spec(f.spec(questions=[q]))
    with pytest.raises(ValidationFailed, match="questions.0.prompt"):
        parse_spec(f.spec(questions=[{"id": "q", "kind": "text", "prompt": "\u2067Say\u2069"}]))
    with pytest.raises(ValidationFailed, match="description"):
        parse_spec(f.spec(description="See \u202dthis\u202c"))


def test_real_scripts_and_emoji_with_joiners_are_fine():
    for title in ("👩\u200d💻 Code review", "می\u200cخواهم", "Label the bird", "ラベル付け"):
        assert parse_spec(f.spec(title=title)).title == title


# --- callback data ------------------------------------------------------------------------

@pytest.mark.parametrize("data", ["w:acc:١", "w:acc:1\n", "w:acc\n", "w:acc:1:٢", "w:acc:１", "r:nv:1:2:3\n"])
def test_callback_codec_takes_ascii_digits_and_nothing_after_the_end(data):
    assert callbacks.parse(data) is None
    assert callbacks.pattern("w", "acc", 1).match(data) is None
    assert callbacks.pattern("w").match(data) is None
    assert callbacks.pattern("r", "nv", 3).match(data) is None


def test_callback_codec_still_reads_good_data():
    assert callbacks.parse("w:acc:12") == callbacks.Callback("w", "acc", (12,))
    assert callbacks.pattern("w", "acc", 1).match("w:acc:12")
    with pytest.raises(ValueError):
        callbacks.make("w", "acc\n", 1)


# --- gold values --------------------------------------------------------------------------

GOLD_TEMPLATE = f.spec(title="Row ${name}", questions=[
    {"id": "animal", "kind": "choice", "prompt": "Which?", "options": ["cat", "dog", "bird"]},
    {"id": "colours", "kind": "multi", "prompt": "Colours?", "options": ["red", "green", "blue"]},
    {"id": "count", "kind": "number", "prompt": "How many?", "min": 0, "max": 10},
    {"id": "stars", "kind": "rating", "prompt": "Stars?"},
    {"id": "note", "kind": "text", "prompt": "Say", "max_length": 5, "required": False},
    {"id": "pic", "kind": "photo", "prompt": "Snap", "required": False},
    {"id": "where", "kind": "location", "prompt": "Where", "required": False},
])


@pytest.mark.parametrize("column, value, why", [
    ("_gold_animal", "zebra", "_gold_animal: “zebra” is not one of the options (cat, dog, bird)"),
    ("_gold_colours", "red|purple", "_gold_colours: “purple” is not one of the options (red, green, blue)"),
    ("_gold_colours", "red|red", "_gold_colours: “red” is given twice"),
    ("_gold_count", "eleven", "_gold_count: must be a number"),
    ("_gold_count", "nan", "_gold_count: must be a number"),
    ("_gold_count", "inf", "_gold_count: must be a number"),
    ("_gold_count", "11", "_gold_count: must be at most 10"),
    ("_gold_count", "-1", "_gold_count: must be at least 0"),
    ("_gold_stars", "6", "_gold_stars: must be a whole number of stars from 1 to 5"),
    ("_gold_stars", "3.5", "_gold_stars: must be a whole number of stars from 1 to 5"),
    ("_gold_note", "too long", "_gold_note: can have at most 5 characters"),
    ("_gold_pic", "AgAD", "_gold_pic: a photo question can't have a control answer"),
    ("_gold_where", "52,13", "_gold_where: a location question can't have a control answer"),
])
def test_a_gold_value_that_cannot_be_an_answer_is_a_row_error(now, column, value, why):
    r = f.requester()
    rows = [{"name": "a", column: ""}, {"name": "b", column: value}]
    with unchanged(), pytest.raises(BatchInvalid) as err:
        publishing.publish_batch(requester_id=r.id, title="b", template=GOLD_TEMPLATE, rows=rows, now=now)
    assert err.value.problems == [(2, why)]


def test_good_gold_values_are_stored_as_the_answer_would_be(now):
    r = f.requester()
    row = {"name": "a", "_gold_animal": "DOG", "_gold_colours": "Blue|red", "_gold_count": "7,5",
           "_gold_stars": "4", "_gold_note": "hi"}
    ((spec, _),) = publishing.expand_batch(GOLD_TEMPLATE, [row])
    gold = {q.id: q.gold for q in spec.questions}
    assert gold == {"animal": "dog", "colours": "red|blue", "count": 7.5, "stars": 4, "note": "hi",
                    "pic": None, "where": None}
    from core.models import Question
    from core.review.quality import gold_matches

    batch = publishing.publish_batch(requester_id=r.id, title="b", template=GOLD_TEMPLATE, rows=[row], now=now)
    stored = {q.key: q for q in Question.select().join(publishing.Hit).where(publishing.Hit.batch == batch.id)}
    assert {k: q.gold for k, q in stored.items()} == gold
    answers = {"animal": "dog", "colours": ["red", "blue"], "count": 7.5, "stars": 4, "note": "hi"}
    assert all(gold_matches(stored[k], v) for k, v in answers.items())


def test_gold_in_a_single_spec_is_checked_too():
    q = {"id": "animal", "kind": "choice", "prompt": "Which?", "options": ["cat", "dog"], "gold": "zebra"}
    with pytest.raises(ValidationFailed, match="questions.0.gold: “zebra” is not one of the options"):
        parse_spec(f.spec(questions=[q]))


# --- requirements nobody can meet ---------------------------------------------------------

@pytest.mark.parametrize("req, why", [
    ({"name": "approval_rate", "comparator": ">=", "value": 150}, "approval rate is a percentage from 0 to 100"),
    ({"name": "approval_rate", "comparator": ">=", "value": -5}, "approval rate is a percentage from 0 to 100"),
    ({"name": "approval_rate", "comparator": ">", "value": 100}, "no worker can have an approval rate above 100"),
    ({"name": "approval_rate", "comparator": "in", "value": [90, 101]}, "approval rate is a percentage from 0 to 100"),
    ({"name": "approval_rate", "comparator": ">=", "value": "high"}, "approval rate is a percentage from 0 to 100"),
    ({"name": "approved_count", "comparator": ">=", "value": -1}, "approved HITs can't be negative"),
    ({"name": "approved_count", "comparator": "<", "value": 0}, "no worker can have approved HITs below 0"),
    ({"name": "account_age_days", "comparator": "<=", "value": -3}, "account age can't be negative"),
    ({"name": "approval_rate", "comparator": "not exists"}, "every worker has an approval rate"),
    ({"name": "country", "comparator": "=", "value": "XX"}, "“XX” is not a country code"),
    ({"name": "country", "comparator": "in", "value": ["DE", "EU"]}, "“EU” is not a country code"),
    ({"name": "country", "comparator": "in", "value": ["DE", "ZZ"]}, "“ZZ” is not a country code"),
    ({"name": "country", "comparator": "in", "value": ["DE", "Germany"]}, "“Germany” is not a country code"),
    ({"name": "country", "comparator": "=", "value": 276}, "“276” is not a country code"),
    ({"name": "country", "comparator": ">=", "value": "DE"}, "country can only be compared with"),
])
def test_requirements_nobody_can_meet_are_refused(req, why):
    with pytest.raises(ValidationFailed) as err:
        parse_spec(f.spec(qualifications=[req]))
    assert f"qualifications.0: {why}" in err.value.message or f"qualifications.0.value: {why}" in err.value.message


def test_good_requirements_pass_and_country_codes_are_upper_cased():
    reqs = [{"name": "approval_rate", "comparator": ">=", "value": 0},
            {"name": "approval_rate", "comparator": "<=", "value": 100},
            {"name": "approved_count", "comparator": ">=", "value": 0},
            {"name": "country", "comparator": "in", "value": ["de", "AT", "XK"]},
            {"name": "country", "comparator": "not exists"}]
    spec = parse_spec(f.spec(qualifications=reqs))
    assert spec.qualifications[3].value == ["DE", "AT", "XK"]
    assert RequirementSpec.model_validate({"name": "Country", "comparator": "=", "value": "in"}).value == "IN"


# --- money ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["nan", "NaN", "sNaN", "inf", "-Infinity", "١٠", "１", "1_000", "0x10", "1e999999999"])
def test_amounts_are_ascii_finite_numbers_of_sane_size(text):
    from core.money import parse_amount

    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed, match="reward (must be a number|is too large)"):
            parse_amount(text, "USD", field="reward")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # 1e999999999 as an integer would be a billion digits
