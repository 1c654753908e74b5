"""Results of web tasks (issue 16): one CSV column per form field, as MTurk's batch results name them
(repeated names joined with |, a crowd-form's taskAnswers flattened), the union over the assignments in
first-seen order and capped; the JSON keeps the pairs and adds the values by name, crowd answers as objects."""
from __future__ import annotations

import csv
import io
import json

from core.hits import export
from core.models import WEB_KIND, Answer, Assignment, Question
from core.work import commands as work
from tests import factories as f

CROWD = [{"sign": "STOP", "day": {"on": False}, "blurry": {"on": True}, "weather": {"label": "Rainy"},
          "boxes": {"boundingBoxes": [{"height": 80, "label": "Car", "left": 40, "top": 20, "width": 100}],
                    "inputImageProperties": {"height": 160, "width": 320}}}]


def _web_hit(rita, forms: list[list[list[str]]], now):
    """A HIT whose one question is a task page, with one submitted assignment per form."""
    h = f.hit(rita.id, assignments=len(forms), questions=[{"id": "page", "kind": "text", "prompt": "The page"}])
    Question.update(kind=WEB_KIND).where(Question.hit == h.id).execute()
    q = Question.get(Question.hit == h.id)
    for form in forms:
        w = f.user()
        a = work.accept(worker_id=w.id, hit_id=h.id, now=now)
        Answer.create(assignment=a.id, question=q.id, value=form, answered_at=now)
        Assignment.update(status="submitted", submitted_at=now).where(Assignment.id == a.id).execute()
    return h


def _table(rows) -> list[dict]:
    return list(csv.DictReader(io.StringIO(export.to_csv(rows).decode("utf-8-sig"))))


def test_a_plain_forms_fields_are_columns_with_repeated_names_joined_as_mturk_does(database, now):
    rita = f.requester()
    h = _web_hit(rita, [[["label", "cat"], ["tag", "a"], ["tag", "b"]],
                        [["tag", "c"], ["comment", "=HYPERLINK(1)"]]], now)
    rows = export.results(requester_id=rita.id, hit_id=h.id)
    header = next(csv.reader(io.StringIO(export.to_csv(rows).decode("utf-8-sig"))))
    assert header[len(export.BASE_COLUMNS):] == ["answer.label", "answer.tag", "answer.comment"]
    first, second = _table(rows)
    assert (first["answer.label"], first["answer.tag"], first["answer.comment"]) == ("cat", "a|b", "")
    assert (second["answer.label"], second["answer.tag"]) == ("", "c")
    assert second["answer.comment"] == "'=HYPERLINK(1)"  # a spreadsheet must not run it
    data = json.loads(export.to_json(rows))
    assert data[0]["answers"] == {"page": [["label", "cat"], ["tag", "a"], ["tag", "b"]]}
    assert data[0]["fields"] == {"label": "cat", "tag": ["a", "b"]}


def test_a_crowd_forms_answers_are_flattened_into_mturks_columns_and_stay_objects_in_json(database, now):
    rita = f.requester()
    h = _web_hit(rita, [[["taskAnswers", json.dumps(CROWD)]]], now)
    rows = export.results(requester_id=rita.id, hit_id=h.id)
    (row,) = _table(rows)
    assert {k: v for k, v in row.items() if k.startswith("answer.")} == {
        "answer.sign": "STOP", "answer.day.on": "false", "answer.blurry.on": "true", "answer.weather.label": "Rainy",
        "answer.boxes.boundingBoxes": '[{"height":80,"label":"Car","left":40,"top":20,"width":100}]',
        "answer.boxes.inputImageProperties.height": "160", "answer.boxes.inputImageProperties.width": "320"}
    assert json.loads(export.to_json(rows))[0]["fields"] == CROWD[0]


def test_a_taskanswers_that_is_not_mturks_json_stays_one_column(database, now):
    rita = f.requester()
    h = _web_hit(rita, [[["taskAnswers", "[not json"]]], now)
    (row,) = _table(export.results(requester_id=rita.id, hit_id=h.id))
    assert row["answer.taskAnswers"] == "[not json"


def test_field_columns_are_capped_and_the_rest_of_a_row_kept_in_a_column_that_says_so(database, now):
    rita = f.requester()
    many = [[f"f{i}", str(i)] for i in range(150)]
    h = _web_hit(rita, [[["early", "1"]], many], now)
    rows = export.results(requester_id=rita.id, hit_id=h.id)
    header = next(csv.reader(io.StringIO(export.to_csv(rows).decode("utf-8-sig"))))
    fields = header[len(export.BASE_COLUMNS):]
    assert len(fields) == export.MAX_FIELD_COLUMNS + 1 and fields[0] == "answer.early"
    assert fields[-1] == export.MORE_FIELDS_COLUMN and "first 100 field columns" in fields[-1]
    first, second = _table(rows)
    assert first[export.MORE_FIELDS_COLUMN] == ""
    assert second["answer.f98"] == "98" and "answer.f99" not in second
    assert json.loads(second[export.MORE_FIELDS_COLUMN]) == {f"f{i}": str(i) for i in range(99, 150)}


def test_chat_and_web_hits_in_one_export_keep_their_own_columns(database, now):
    rita = f.requester()
    _web_hit(rita, [[["label", "cat"]]], now)
    chat = f.hit(rita.id)
    w = f.user()
    a = work.accept(worker_id=w.id, hit_id=chat.id, now=now)
    q = Question.get((Question.hit == chat.id) & (Question.key == "animal"))
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="dog", now=now)
    rows = export.results(requester_id=rita.id)
    web_row, chat_row = _table(rows)
    assert web_row["answer.label"] == "cat" and web_row["answer.animal"] == ""
    assert chat_row["answer.animal"] == "dog" and chat_row["answer.label"] == ""
    assert "answer.page" not in web_row and "fields" not in rows[1]
