"""Results as files: one row per assignment with the HIT's fields, the batch row it came
from, the worker, the answers, the work time, the status and the feedback.

CSV for spreadsheets (answers flattened into `answer.<question id>` columns, batch inputs
into `input.<column>`), JSON for programs (the same data, nested, values kept typed).
A web task's form has a column per field instead, `answer.<field>` (named as MTurk's batch
results name them, under this file's lowercase prefix): a repeated name's values joined with
`|`, a crowd-form's taskAnswers flattened (`answer.weather.label`, `answer.blurry.on`); at most
MAX_FIELD_COLUMNS of them, the rest of a row in one JSON column that says so. Its JSON row keeps
the pairs under `answers` and adds `fields`: the values by name, crowd answers as objects.

Photo, voice and document answers are Telegram file ids; `file_answers` lists them with the
path each takes in the results ZIP (`files/<hit>/<assignment>/<question>.<ext>`), and
`to_csv`/`to_json` given those paths point at the files instead (bot.results_zip builds it)."""
from __future__ import annotations

import csv
import io
import json
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from core.config import get_settings
from core.csvsafe import safe_cell
from core.errors import NotAllowed
from core.models import WEB_KIND, Answer, Assignment, Batch, Bonus, Hit, Question
from core.money import format_money
from core.mturk.ids import worker_ref
from core.webtasks import answers as web

MAX_ROWS = 100_000
MAX_FIELD_COLUMNS = 100  # a web form's field columns (a page can send 200 fields, each row different ones)
MORE_FIELDS_COLUMN = f"more_fields (beyond the first {MAX_FIELD_COLUMNS} field columns, as JSON)"
BASE_COLUMNS = ["hit_id", "hit_title", "batch_id", "reward", "assignment_id", "worker_id", "status",
                "accepted_at", "submitted_at", "decided_at", "work_s", "auto_approved", "feedback", "bonus"]
# A spreadsheet runs a cell starting with one of these as a formula: a worker's answer must not.
FILE_KINDS = ("photo", "voice", "document")
MAX_EXT_CHARS = 10
_EXT = re.compile(rf"\.[a-z0-9]{{1,{MAX_EXT_CHARS}}}")
# (assignment id, question key) -> the file's path inside the ZIP
Paths = Mapping[tuple[int, str], str]


@dataclass(frozen=True)
class FileAnswer:
    """One photo/voice/document answer to put in the results ZIP."""
    hit_id: int
    assignment_id: int
    question: str
    kind: str
    file_id: str
    ext: str
    size: int | None  # bytes, as Telegram reported it when the worker sent it (may be unknown)

    @property
    def path(self) -> str:
        return f"files/{self.hit_id}/{self.assignment_id}/{self.question}{self.ext}"


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
    questions = list(Question.select(Question.id, Question.key, Question.kind).where(Question.hit.in_(list(hits))))
    keys = {q.id: q.key for q in questions}
    web_ids = {q.id for q in questions if q.kind == WEB_KIND}
    assignments = list(Assignment.select().where(Assignment.hit.in_(list(hits)))
                       .order_by(Assignment.hit, Assignment.id).limit(MAX_ROWS))
    ids = [a.id for a in assignments]
    answers: dict[int, dict[str, object]] = {}
    forms: dict[int, dict[str, object]] = {}
    bonuses: dict[int, int] = {}
    for chunk in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        part = ids[chunk:chunk + 900]
        for ans in Answer.select(Answer.assignment, Answer.question, Answer.value).where(Answer.assignment.in_(part)):
            answers.setdefault(ans.assignment_id, {})[keys[ans.question_id]] = ans.value
            if ans.question_id in web_ids:
                forms.setdefault(ans.assignment_id, {}).update(web.structured(ans.value))
        for aid, cents in (Bonus.select(Bonus.assignment, fn.SUM(Bonus.amount_cents))
                           .where(Bonus.assignment.in_(part)).group_by(Bonus.assignment).tuples()):
            bonuses[aid] = int(cents)
    rows = []
    for a in assignments:
        hit = hits[a.hit_id]
        rows.append({
            "hit_id": hit.id, "hit_title": hit.title, "batch_id": hit.batch_id,
            "reward": format_money(hit.reward_cents, currency), "reward_cents": hit.reward_cents,
            # The WorkerId the requester knows this worker by (the API's), never the Telegram user id.
            "assignment_id": a.id, "worker_id": worker_ref(hit.requester_id, a.worker_id), "status": a.status,
            "accepted_at": _iso(a.accepted_at), "submitted_at": _iso(a.submitted_at), "decided_at": _iso(a.decided_at),
            "work_s": a.work_s, "auto_approved": a.auto_approved, "feedback": a.feedback,
            "bonus_cents": bonuses.get(a.id, 0),
            "inputs": dict(hit.batch_row or {}),
            "answers": answers.get(a.id, {}),
            **({"fields": forms[a.id]} if a.id in forms else {}),
        })
    return rows


def _sanitised_ext(suffix: str) -> str | None:
    """".pdf" for "PDF"; None for anything but 1-10 ASCII letters and digits."""
    ext = "." + suffix.strip().lower().lstrip(".")
    return ext if _EXT.fullmatch(ext) else None


def file_extension(kind: str, value: Mapping[str, object]) -> str:
    """The extension a file answer is saved with: a photo is .jpg and a voice note .ogg (what
    Telegram stores); a document keeps its own (sanitised), else one from its MIME type, else .bin."""
    if kind == "voice":
        return ".ogg"
    name = value.get("file_name")
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip(". ") if isinstance(name, str) else ""
    if "." in base:
        ext = _sanitised_ext(base.rsplit(".", 1)[1])
        if ext:
            return ext
    mime = value.get("mime_type")
    if isinstance(mime, str) and mime:
        guessed = mimetypes.guess_extension(mime.split(";")[0].strip().lower(), strict=False)
        ext = _sanitised_ext(guessed) if guessed else None
        if ext:
            return ".jpg" if ext in (".jpe", ".jpeg") else ext
    return ".jpg" if kind == "photo" else ".bin"


def file_answers(*, rows: list[dict]) -> list[FileAnswer]:
    """Every photo, voice and document answer of these rows, in row order then question order."""
    hit_ids = sorted({r["hit_id"] for r in rows})
    kinds: dict[tuple[int, str], tuple[int, str]] = {}
    for chunk in range(0, len(hit_ids), 900):
        for hit, key, kind, position in (Question.select(Question.hit, Question.key, Question.kind, Question.position)
                                         .where(Question.hit.in_(hit_ids[chunk:chunk + 900]),
                                                Question.kind.in_(FILE_KINDS)).tuples()):
            kinds[(hit, key)] = (position, kind)
    found = []
    for r in rows:
        answers = [(kinds[(r["hit_id"], key)], key, value) for key, value in r["answers"].items()
                   if (r["hit_id"], key) in kinds and isinstance(value, dict) and value.get("file_id")]
        for (_, kind), key, value in sorted(answers, key=lambda a: a[0][0]):
            size = value.get("file_size")
            found.append(FileAnswer(hit_id=r["hit_id"], assignment_id=r["assignment_id"], question=key, kind=kind,
                                    file_id=str(value["file_id"]), ext=file_extension(kind, value),
                                    size=size if isinstance(size, int) and not isinstance(size, bool) else None))
    return found


def _with_paths(rows: list[dict], paths: Paths) -> list[dict]:
    out = []
    for r in rows:
        answers = {k: ({**v, "path": paths[(r["assignment_id"], k)]} if (r["assignment_id"], k) in paths else v)
                   for k, v in r["answers"].items()}
        out.append({**r, "answers": answers})
    return out


def to_json(rows: list[dict], paths: Paths | None = None) -> bytes:
    """`paths` (inside the ZIP) are added to the file answers they belong to as "path"."""
    return json.dumps(_with_paths(rows, paths) if paths else rows, ensure_ascii=False, indent=1).encode()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "; ".join(value)  # a multi-choice answer
    elif isinstance(value, dict) and set(value) == {"path"}:
        text = str(value["path"])  # a file answer inside the results ZIP
    elif isinstance(value, dict) and "file_id" in value:
        text = str(value["file_id"])  # a photo/document/voice answer: forward it with this id
    elif isinstance(value, dict) and {"latitude", "longitude"} <= value.keys():
        text = f"{value['latitude']},{value['longitude']}"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return safe_cell(text)


def _form_cells(r: dict) -> dict[str, str] | None:
    """A web task's row: its fields as cells by column name (after `answer.`); None for a chat HIT's."""
    if "fields" not in r:
        return None
    cells: dict[str, str] = {}
    for value in r["answers"].values():
        if isinstance(value, list):
            for name, text in web.flat(value).items():
                cells[name] = cells[name] + "|" + text if name in cells else text
    return cells


def to_csv(rows: list[dict], paths: Paths | None = None) -> bytes:
    """UTF-8 with a BOM (so spreadsheet programs read the accents right), one header row.
    A file answer in `paths` is shown as its path inside the ZIP, any other as its Telegram file id.
    Web forms' field columns are the union over the rows in first-seen order, at most MAX_FIELD_COLUMNS."""
    if paths:
        rows = [{**r, "answers": {k: ({"path": paths[(r["assignment_id"], k)]} if (r["assignment_id"], k) in paths
                                      else v) for k, v in r["answers"].items()}} for r in rows]
    inputs = sorted({k for r in rows for k in r["inputs"]})
    forms = [_form_cells(r) for r in rows]
    answers: list[str] = []
    seen: set[str] = set()
    field_columns, overflow = 0, False
    for r, cells in zip(rows, forms):
        names = cells if cells is not None else r["answers"]
        for k in names:
            if k in seen:
                continue
            if cells is not None:
                if field_columns >= MAX_FIELD_COLUMNS:
                    overflow = True
                    continue
                field_columns += 1
            seen.add(k)
            answers.append(k)
    header = [*BASE_COLUMNS, *(f"input.{k}" for k in inputs), *(f"answer.{k}" for k in answers)]
    if overflow:
        header.append(MORE_FIELDS_COLUMN)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for r, cells in zip(rows, forms):
        base = {**r, "bonus": format_money(r["bonus_cents"], get_settings().currency) if r["bonus_cents"] else ""}
        values = cells if cells is not None else r["answers"]
        line = ([_cell(base.get(c)) for c in BASE_COLUMNS] + [_cell(r["inputs"].get(k)) for k in inputs]
                + [_cell(values.get(k)) for k in answers])
        if overflow:
            rest = {k: v for k, v in (cells or {}).items() if k not in seen}
            line.append(_cell(rest) if rest else "")
        writer.writerow(line)
    return ("\ufeff" + out.getvalue()).encode()


EXPORT_REQUESTED = "export.requested"


def request_zip(*, requester_id: int, chat_id: int, message_id: int, now: datetime, hit_id: int | None = None,
                batch_id: int | None = None) -> int:
    """Ask the jobs worker to build a big results ZIP: an outbox event the relay routes to the
    export actor, which reports in message `message_id`. Only the owner may ask (checked here
    and again when it is built). Returns the event id."""
    from core.db import tx
    from core.outbox import emit

    _hits(requester_id, hit_id, batch_id)  # NotAllowed for anyone else's
    with tx():
        return emit(EXPORT_REQUESTED, user_id=None, now=now, requester_id=requester_id, chat_id=chat_id,
                    message_id=message_id, hit_id=hit_id, batch_id=batch_id).id
