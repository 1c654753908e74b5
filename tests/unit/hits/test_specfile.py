"""Spec files and batch CSVs: limits, encodings, and errors that point at the line."""
from __future__ import annotations

import json

import pytest
import yaml

from core.errors import BatchInvalid, ValidationFailed
from core.hits.spec_files import (
    MAX_CSV_BYTES,
    MAX_SPEC_BYTES,
    load_spec_document,
    parse_spec_file,
    plan_batch,
    read_csv,
)
from tests import factories as f

pytestmark = pytest.mark.usefixtures("database")  # reward bounds and requirement names read settings

SPEC_YAML = """\
title: Label the bird
description: Which bird is in the photo?
keywords: [birds, images]
reward: "0.25"
assignments: 3
duration: 10m
lifetime: 3d
auto_approve: 1d
questions:
  - id: bird
    kind: choice
    prompt: Which bird?
    options: [sparrow, robin]
  - id: count
    kind: number
    prompt: How many?
    min: 0
    max: 50
    required: false
qualifications:
  - {name: approval_rate, comparator: ">=", value: 95}
"""


def test_a_good_yaml_and_the_same_as_json():
    spec = parse_spec_file(SPEC_YAML.encode(), "bird.yaml")
    assert (spec.title, spec.reward, spec.assignments, spec.duration_s, spec.lifetime_s) == \
        ("Label the bird", "0.25", 3, 600, 3 * 86400)
    as_json = json.dumps(yaml.safe_load(SPEC_YAML), indent=2).encode()
    assert parse_spec_file(as_json, "bird.json") == spec


@pytest.mark.parametrize("text, expected", [
    ("title: x\nreward: [\n", "can't be read on line 3"),
    ("title: x\n  reward: 1\n", "can't be read on line 2"),
    ("- just\n- a list\n", "must be a mapping"),
    ("", "is empty"),
    ("title: a\ntitle: b\n", "line 2: the key “title” appears twice (first on line 1)"),
])
def test_yaml_syntax_errors_name_the_line(text, expected):
    with pytest.raises(ValidationFailed) as err:
        load_spec_document(text.encode(), "spec.yaml")
    assert expected in err.value.message


def test_json_errors_name_the_line():
    with pytest.raises(ValidationFailed) as err:
        load_spec_document(b'{\n "title": "x",\n "reward": \n}', "spec.json")
    assert "JSON is not valid on line 4" in err.value.message


def test_validation_errors_point_at_the_key():
    text = SPEC_YAML.replace("    options: [sparrow, robin]\n", "    options: [sparrow]\n").replace(
        "auto_approve: 1d\n", "auto_approve: 1d\ncolour: red\n")
    with pytest.raises(ValidationFailed) as err:
        parse_spec_file(text.encode(), "bird.yaml")
    message = err.value.message
    assert "line 9, colour: unknown key" in message
    assert "line 11, questions.0: a choice question needs 2 to 10 options" in message


@pytest.mark.parametrize("key, value, expected", [
    ("reward", '"0.001"', "line 4, reward: The reward can have at most 2 decimal places."),
    ("reward", '"5000"', "line 4, reward: reward must be between $0.01 and $1,000.00."),
    ("duration", "3d", "line 6, duration: duration must be between 30s and 1d."),
    ("lifetime", "forever", "line 7, lifetime: lifetime: use a duration such as 90s"),
    ("auto_approve", "60d", "line 8, auto_approve: auto_approve must be between 0s and 30d."),
])
def test_bound_errors_name_the_line(key, value, expected):
    lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line for line in SPEC_YAML.splitlines()]
    with pytest.raises(ValidationFailed) as err:
        parse_spec_file("\n".join(lines).encode(), "bird.yaml")
    assert expected in err.value.message


def test_size_and_encoding_limits():
    with pytest.raises(ValidationFailed, match="at most 64 KB"):
        load_spec_document(b"title: x\n" + b"#" * MAX_SPEC_BYTES, "big.yaml")
    with pytest.raises(ValidationFailed, match="UTF-8 text .a bad byte is on line 2"):
        load_spec_document("title: x\ndescription: café\n".encode("latin-1"), "x.yaml")
    with pytest.raises(ValidationFailed, match="at most 5 MB"):
        read_csv(b"a\n" + b"x\n" * (MAX_CSV_BYTES // 2 + 1))


def test_csv_shapes():
    table = read_csv("\ufeffname;price\nowl;0.10\n\nemu;0.20;extra\n\n\n".encode())  # BOM, semicolons
    assert table.columns == ["name", "price"]
    assert table.rows[0] == {"name": "owl", "price": "0.10"}
    assert table.problems == [(2, "the row is empty"), (3, "it has 3 cells but the header has 2 columns")]
    with pytest.raises(ValidationFailed, match="names these columns twice: a"):
        read_csv(b"a,b,a\n1,2,3\n")
    with pytest.raises(ValidationFailed, match="Column 2 of the header has no name"):
        read_csv(b"a,,c\n1,2,3\n")
    with pytest.raises(ValidationFailed, match="header but no rows"):
        read_csv(b"a,b\n")
    with pytest.raises(ValidationFailed, match="at most 5000 rows; this one has 5001"):
        read_csv(b"a\n" + b"x\n" * 5001)
    quoted = read_csv(b'name,notes\nowl,"a, b\nc"\n')
    assert quoted.rows == [{"name": "owl", "notes": "a, b\nc"}] and not quoted.problems


def test_plan_batch_merges_shape_and_spec_problems():
    template = yaml.safe_dump(f.spec(title="Is ${name} a bird?", reward="${price}", assignments=2)).encode()
    csv_raw = b"name,price\nowl,0.10\ncat,free\nemu\nkiwi,0.20\n"
    with pytest.raises(BatchInvalid) as err:
        plan_batch(template, "t.yaml", csv_raw)
    assert [n for n, _ in err.value.problems] == [2, 3]
    assert "must be a number" in err.value.problems[0][1] and "1 cells" in err.value.problems[1][1]
    _, rows, plan = plan_batch(template, "t.yaml", b"name,price\nowl,0.10\nkiwi,0.20\n")
    assert len(rows) == 2 and plan.assignments == 4
    assert (plan.rewards_cents, plan.fees_cents, plan.total_cents) == (60, 12, 72)


def test_template_problems_are_reported_once_with_lines():
    template = b"title: Is ${name} a bird?\nreward: '0.10'\nflavour: x\nquestions:\n  - id: q\n    kind: text\n" \
               b"    prompt: About ${animal}\n    colour: red\n"
    with pytest.raises(ValidationFailed) as err:
        plan_batch(template, "t.yaml", b"name\nowl\nemu\n")
    message = err.value.message
    assert "line 3, flavour: unknown key" in message
    assert "line 8, questions.0.colour: unknown key" in message
    assert "line 7, questions.0.prompt: ${animal} names a column the CSV doesn't have" in message
    assert "${name}" not in message


def test_the_readme_example_is_a_valid_batch_template():
    from pathlib import Path

    readme = Path(__file__).resolve().parents[3] / "README.md"
    section = readme.read_text().split("## HIT spec files", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    _, rows, plan = plan_batch(example.encode(), "example.yaml",
                               b"name,url,_gold_bird\nphoto 1,https://ex.com/1.jpg,robin\n")
    ((spec, _),) = plan.specs
    assert spec.title == "Which bird is in photo 1?" and [q.id for q in spec.questions] == ["bird", "count", "notes"]
    assert spec.questions[0].gold == "robin" and len(spec.qualifications) == 3
