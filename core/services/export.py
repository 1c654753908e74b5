"""Results as files: one row per assignment with the HIT's fields, the batch row it came
from, the worker, the answers, the work time, the status and the feedback.

CSV for spreadsheets (answers flattened into `answer.<question id>` columns, batch inputs
into `input.<column>`), JSON for programs (the same data, nested, values kept typed)."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from peewee import fn

from core.errors import NotAllowed
from core.models import Answer, Assignment, Batch, Bonus, Hit, Question
from core.money import format_money
from core.config import get_settings

MAX_ROWS = 100_000
BASE_COLUMNS = ["hit_id", "hit_title", "batch_id", "reward", "assignment_id", "worker_id", "status",
                "accepted_at", "submitted_at", "decided_at", "work_s", "auto_approved", "feedback", "bonus"]
# A spreadsheet runs a cell starting with one of these as a formula: a worker's answer must not.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _hits(requester_id: int, hit_id: int | None, batch_id: int | None) -> list[Hit]:
    if hit_id is not None:
        hits = list(Hit.select().where(Hit.id == hit_id))
    elif batch_id is not None:
        batch = Batch.get_or_none(Batch.id == batch_id)
        if batch is None or batch.requester_id != requester_id:
            raise NotAllowed()
        hits = list(Hit.select().where(Hit.batch == batch_id).order_by(Hit.id))
    else:
        hits = list(Hit.select().where(Hit.requester == requester_id).order_by(Hit.id))
    if hit_id is not None and (not hits or hits[0].requester_id != requester_id):
        raise NotAllowed()
    return hits


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def results(*, requester_id: int, hit_id: int | None = None, batch_id: int | None = None) -> list[dict]:
    """Rows (JSON-ready dicts) for one HIT, one batch, or all the requester's HITs."""
    currency = get_settings().currency
    hits = {h.id: h for h in _hits(requester_id, hit_id, batch_id)}
    if not hits:
        return []
    keys = {q.id: q.key for q in Question.select(Question.id, Question.key).where(Question.hit.in_(list(hits)))}
    assignments = list(Assignment.select().where(Assignment.hit.in_(list(hits)))
                       .order_by(Assignment.hit, Assignment.id).limit(MAX_ROWS))
    ids = [a.id for a in assignments]
    answers: dict[int, dict[str, object]] = {}
    bonuses: dict[int, int] = {}
    for chunk in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        part = ids[chunk:chunk + 900]
        for ans in Answer.select(Answer.assignment, Answer.question, Answer.value).where(Answer.assignment.in_(part)):
            answers.setdefault(ans.assignment_id, {})[keys[ans.question_id]] = ans.value
        for aid, cents in (Bonus.select(Bonus.assignment, fn.SUM(Bonus.amount_cents))
                           .where(Bonus.assignment.in_(part)).group_by(Bonus.assignment).tuples()):
            bonuses[aid] = int(cents)
    rows = []
    for a in assignments:
        hit = hits[a.hit_id]
        rows.append({
            "hit_id": hit.id, "hit_title": hit.title, "batch_id": hit.batch_id,
            "reward": format_money(hit.reward_cents, currency), "reward_cents": hit.reward_cents,
            "assignment_id": a.id, "worker_id": a.worker_id, "status": a.status,
            "accepted_at": _iso(a.accepted_at), "submitted_at": _iso(a.submitted_at), "decided_at": _iso(a.decided_at),
            "work_s": a.work_s, "auto_approved": a.auto_approved, "feedback": a.feedback,
            "bonus_cents": bonuses.get(a.id, 0),
            "inputs": dict(hit.batch_row or {}),
            "answers": answers.get(a.id, {}),
        })
    return rows


def to_json(rows: list[dict]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=1).encode()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "; ".join(value)  # a multi-choice answer
    elif isinstance(value, dict) and "file_id" in value:
        text = str(value["file_id"])  # a photo/document/voice answer: forward it with this id
    elif isinstance(value, dict) and {"latitude", "longitude"} <= value.keys():
        text = f"{value['latitude']},{value['longitude']}"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: list[dict]) -> bytes:
    """UTF-8 with a BOM (so spreadsheet programs read the accents right), one header row."""
    inputs = sorted({k for r in rows for k in r["inputs"]})
    answers: list[str] = []
    for r in rows:
        answers.extend(k for k in r["answers"] if k not in answers)
    header = [*BASE_COLUMNS, *(f"input.{k}" for k in inputs), *(f"answer.{k}" for k in answers)]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        base = {**r, "bonus": format_money(r["bonus_cents"], get_settings().currency) if r["bonus_cents"] else ""}
        writer.writerow([_cell(base.get(c)) for c in BASE_COLUMNS]
                        + [_cell(r["inputs"].get(k)) for k in inputs]
                        + [_cell(r["answers"].get(k)) for k in answers])
    return ("\ufeff" + out.getvalue()).encode()
