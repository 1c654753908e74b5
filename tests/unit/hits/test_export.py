"""Results export: one row per assignment; the CSV parses back to what was answered."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from core.errors import NotAllowed
from core.hits import export, publishing
from core.mturk.ids import worker_ref
from core.models import Question
from core.review import commands as review
from core.work import commands as work
from tests import factories as f

QUESTIONS = [
    {"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog"]},
    {"id": "tags", "kind": "multi", "prompt": "Tags?", "options": ["cute", "big", "fast"]},
    {"id": "notes", "kind": "text", "prompt": "Notes", "required": False},
    {"id": "n", "kind": "number", "prompt": "How many?", "required": False},
    {"id": "pic", "kind": "photo", "prompt": "Photo", "required": False},
    {"id": "where", "kind": "location", "prompt": "Where?", "required": False},
]


def answer(hit, worker_id, values, now):
    a = work.accept(worker_id=worker_id, hit_id=hit.id, now=now)
    for q in Question.select().where(Question.hit == hit.id):
        if q.key in values:
            work.save_answer(worker_id=worker_id, assignment_id=a.id, question_id=q.id, value=values[q.key], now=now)
    return work.submit(worker_id=worker_id, assignment_id=a.id, now=now + timedelta(seconds=95))


def test_csv_and_json_round_trip(database, now):
    rita = f.requester(100_00)
    batch = publishing.publish_batch(requester_id=rita.id, title="b", template=f.spec(
        title="Animal ${id}", questions=QUESTIONS, assignments=2), rows=[{"id": "7", "note": "Zoë, \"the\" cat"}],
        now=now)
    (hit,) = batch.hits
    ann, bob = f.user("Ann"), f.user("Bob")
    a1 = answer(hit, ann.id, {"animal": "cat", "tags": ["fast", "cute"], "notes": "line1\nline2, \"quoted\"",
                              "n": -3, "pic": {"file_id": "AgAD-1"}, "where": {"latitude": 52.5, "longitude": 13.4}},
                now)
    a2 = answer(hit, bob.id, {"animal": "dog", "tags": ["big"], "notes": "+1 great"}, now)
    review.approve(requester_id=rita.id, assignment_id=a1.id, now=now + timedelta(hours=1))
    review.reject(requester_id=rita.id, assignment_id=a2.id, feedback="Not a dog, sorry", now=now + timedelta(hours=1))
    review.bonus(requester_id=rita.id, assignment_id=a1.id, amount_cents=25, reason="nice", now=now, key="x")

    rows = export.results(requester_id=rita.id, batch_id=batch.id)
    parsed = list(csv.DictReader(io.StringIO(export.to_csv(rows).decode("utf-8-sig"))))
    assert [r["assignment_id"] for r in parsed] == [str(a1.id), str(a2.id)]
    first, second = parsed
    assert first["hit_title"] == "Animal 7" and first["batch_id"] == str(batch.id)
    assert first["input.note"] == "Zoë, \"the\" cat" and first["input.id"] == "7"
    # The requester knows the worker by their WorkerId only: no Telegram user id anywhere in the row.
    assert (first["worker_id"], first["status"], first["work_s"], first["bonus"]) == (
        worker_ref(rita.id, ann.id), "approved", "95", "$0.25")
    assert str(ann.id) not in json.dumps(first) and str(ann.id) not in export.to_json(rows).decode()
    assert first["answer.animal"] == "cat" and first["answer.tags"] == "cute; fast"  # the requester's order
    assert first["answer.notes"] == "line1\nline2, \"quoted\"" and first["answer.n"] == "-3"
    assert first["answer.pic"] == "AgAD-1" and first["answer.where"] == "52.5,13.4"
    assert second["status"] == "rejected" and second["feedback"] == "Not a dog, sorry"
    assert second["answer.notes"] == "'+1 great"  # spreadsheet formula guard
    assert second["answer.pic"] == "" and second["bonus"] == ""
    assert first["submitted_at"] == (now + timedelta(seconds=95)).isoformat()

    data = json.loads(export.to_json(rows))
    assert data[0]["answers"] == {"animal": "cat", "tags": ["cute", "fast"], "notes": "line1\nline2, \"quoted\"",
                                  "n": -3, "pic": {"file_id": "AgAD-1"}, "where": {"latitude": 52.5, "longitude": 13.4}}
    assert data[1]["answers"]["notes"] == "+1 great" and data[0]["bonus_cents"] == 25


def test_only_the_owner_exports(database, now):
    rita, mallory = f.requester(10_00), f.requester(10_00, name="Mallory")
    hit = f.hit(rita.id)
    with pytest.raises(NotAllowed):
        export.results(requester_id=mallory.id, hit_id=hit.id)
    assert export.results(requester_id=rita.id, hit_id=hit.id) == []
    assert export.results(requester_id=mallory.id) == []


@pytest.mark.parametrize("kind, value, ext", [
    ("photo", {"file_id": "p"}, ".jpg"),
    ("photo", {"file_id": "p", "file_name": "sign.PNG", "mime_type": "image/png"}, ".png"),  # an image sent as a file
    ("voice", {"file_id": "v", "mime_type": "audio/ogg"}, ".ogg"),
    ("document", {"file_id": "d", "file_name": "Report.PDF"}, ".pdf"),
    ("document", {"file_id": "d", "file_name": "../../etc/passwd"}, ".bin"),
    ("document", {"file_id": "d", "file_name": "a\\b.DOCX"}, ".docx"),
    ("document", {"file_id": "d", "file_name": "x.ph<p>?"}, ".bin"),
    ("document", {"file_id": "d", "file_name": "x." + "a" * 40, "mime_type": "text/plain"}, ".txt"),
    ("document", {"file_id": "d", "file_name": "notes", "mime_type": "application/pdf"}, ".pdf"),
    ("document", {"file_id": "d", "file_name": ".bashrc"}, ".bin"),
    ("document", {"file_id": "d", "file_name": "Zoë.ünï"}, ".bin"),
    ("document", {"file_id": "d"}, ".bin"),
])
def test_file_answers_get_a_safe_extension(kind, value, ext):
    assert export.file_extension(kind, value) == ext


def test_file_answers_and_paths_in_the_tables(database, now):
    rita = f.requester(100_00)
    hit = f.hit(rita.id, questions=QUESTIONS + [{"id": "doc", "kind": "document", "prompt": "File", "required": False}],
                assignments=2)
    a1 = answer(hit, f.user("Ann").id, {"animal": "cat", "tags": ["big"], "pic": {"file_id": "AgAD-1", "file_size": 9},
                                        "doc": {"file_id": "BQAD-2", "file_name": "r.pdf"}}, now)
    a2 = answer(hit, f.user("Bob").id, {"animal": "dog", "tags": ["big"]}, now)
    rows = export.results(requester_id=rita.id, hit_id=hit.id)
    files = export.file_answers(rows=rows)
    assert [(x.assignment_id, x.question, x.kind, x.file_id, x.size, x.path) for x in files] == [
        (a1.id, "pic", "photo", "AgAD-1", 9, f"files/{hit.id}/{a1.id}/pic.jpg"),
        (a1.id, "doc", "document", "BQAD-2", None, f"files/{hit.id}/{a1.id}/doc.pdf")]
    paths = {(a1.id, "pic"): files[0].path}  # the document did not make it into the ZIP
    parsed = list(csv.DictReader(io.StringIO(export.to_csv(rows, paths).decode("utf-8-sig"))))
    assert parsed[0]["answer.pic"] == files[0].path and parsed[0]["answer.doc"] == "BQAD-2"
    assert parsed[1]["answer.pic"] == "" and parsed[1]["assignment_id"] == str(a2.id)
    data = json.loads(export.to_json(rows, paths))
    assert data[0]["answers"]["pic"] == {"file_id": "AgAD-1", "file_size": 9, "path": files[0].path}
    assert data[0]["answers"]["doc"] == {"file_id": "BQAD-2", "file_name": "r.pdf"}
    assert rows[0]["answers"]["pic"] == {"file_id": "AgAD-1", "file_size": 9}  # the rows themselves are unchanged
