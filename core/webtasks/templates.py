"""MTurk HTML templates with a CSV (the requester web UI's format, and Turkle's): each row's
`${column}` values are put into the template, HTML-escaped, and the page becomes that row's HIT, a
web task done on its page. The spec file beside the template gives what a template does not carry
(title, reward, time, assignments, requirements); the template replaces its questions.

A template is a fragment as MTurk's web UI takes it: with `<crowd-form>` (Crowd HTML Elements,
served by the task pages), with its own `<form>` posting to MTurk's externalSubmit, or with bare
inputs, which get the form and the Submit button MTurk's web UI adds around them."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from core.config import get_settings
from core.db import insert_rows, tx
from core.errors import BatchInvalid, ValidationFailed
from core.hits import publishing
from core.hits.spec_files import BatchPlan, load_spec_document, read_csv
from core.models import WEB_KIND, Batch, Hit
from core.mturk.tables import MturkHit
from core.texts import N_, Text

MAX_TEMPLATE_BYTES = 60 * 1024
MAX_QUESTION_BYTES = 65_535  # MTurk's limit for a Question, which each row's page must keep
MAX_BATCH_PAGES_BYTES = 20 * 1024 * 1024  # all rows' pages together: what one batch may make the bot hold
HTML_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
CROWD_JS = "https://assets.crowd.aws/crowd-html-elements.js"
SUBMIT_URL = "https://www.mturk.com/mturk/externalSubmit"
EXTERNAL_HIT_JS = "https://s3.amazonaws.com/mturk-public/externalHIT_v1.js"
WEB_PROMPT = N_("Do this task on its page: tap Open task.")
_VARIABLE = re.compile(r"\$\{\s*([^}\s]{1,64})\s*\}")
_FILE_INPUT = re.compile(r"<input\b[^>]*\btype\s*=\s*['\"]?file", re.IGNORECASE)


def load_template(raw: bytes) -> str:
    """The template's text: UTF-8, bounded, no file inputs (a task page takes no files)."""
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise ValidationFailed(N_("An HTML template can be at most {most_kb} KB (this one is {size_kb} KB)."),
                               most_kb=MAX_TEMPLATE_BYTES // 1024, size_kb=-(-len(raw) // 1024))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(N_("The HTML template isn't UTF-8 text. Save it from your editor with the encoding "
                                  "UTF-8.")) from None
    if "\x00" in text or not text.strip():
        raise ValidationFailed(N_("That doesn't look like an HTML template."))
    if _FILE_INPUT.search(text):
        raise ValidationFailed(N_("The template has a file input; hitbot's task pages take no files. Ask for a "
                                  "link instead."))
    return text


def variables(template: str) -> list[str]:
    """The `${column}` names the template uses, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in _VARIABLE.finditer(template)))


def render(template: str, row: dict[str, str]) -> str:
    """The template with the row's values, HTML-escaped (quotes too: values land in attributes)."""
    return _VARIABLE.sub(lambda m: html.escape(row.get(m.group(1), ""), quote=True), template)


def page(content: str) -> str:
    """A whole page from a template fragment, as MTurk's web UI makes one."""
    lowered = content.lower()
    if "<crowd-form" in lowered:
        body = content if CROWD_JS in content else f'<script src="{CROWD_JS}"></script>\n{content}'
    elif "<form" in lowered:
        body = content
    else:
        body = (f"<form name='mturk_form' method='post' id='mturk_form' action='{SUBMIT_URL}'>\n"
                "<input type='hidden' value='' name='assignmentId' id='assignmentId'/>\n"
                f"{content}\n<p><input type='submit' id='submitButton' value='Submit'/></p></form>\n"
                "<script>turkSetAssignmentID();</script>")
    if "<html" in lowered:
        return body
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<script src='{EXTERNAL_HIT_JS}'></script></head><body>\n{body}\n</body></html>")


def question_xml(document: str, frame_height: int = 0) -> str:
    """The page as an HTMLQuestion, as the API stores one (a CDATA end inside is split across two)."""
    cdata = document.replace("]]>", "]]]]><![CDATA[>")
    return (f"<HTMLQuestion xmlns='{HTML_NS}'><HTMLContent><![CDATA[{cdata}]]></HTMLContent>"
            f"<FrameHeight>{frame_height}</FrameHeight></HTMLQuestion>")


@dataclass
class TemplatePlan:
    """A checked template batch: the spec every row shares, the rows, one HTMLQuestion per row, the cost."""

    spec: dict
    rows: list[dict[str, str]]
    questions: list[str]
    plan: BatchPlan


def plan(spec_raw: bytes, spec_name: str, template_raw: bytes, csv_raw: bytes) -> TemplatePlan:
    """Everything a template batch checks before publishing: the spec without questions (the page is
    the question), the template's variables all columns of the CSV, each row's page within MTurk's
    size. ValidationFailed for a whole-file problem, BatchInvalid listing every bad row."""
    if not get_settings().tasks_url:
        raise ValidationFailed(N_("This hitbot serves no task pages (the operator has not set HITBOT_TASKS_URL), "
                                  "so HTML templates can't be published here."))
    doc = load_spec_document(spec_raw, spec_name)
    if doc.data.get("questions"):
        raise ValidationFailed(N_("With an HTML template, the spec file has no questions: the template is the "
                                  "task. Remove the questions from the spec."))
    template = load_template(template_raw)
    table = read_csv(csv_raw)
    missing = [name for name in variables(template) if name not in table.columns]
    if missing:
        raise ValidationFailed(N_("The template uses {names}, which the CSV has no column for. The CSV's columns: "
                                  "{columns}."), names=", ".join(f"${{{n}}}" for n in missing),
                               columns=", ".join(table.columns))
    spec = {**doc.data, "questions": [{"id": "page", "kind": WEB_KIND, "prompt": WEB_PROMPT, "required": True}]}
    problems = dict(table.problems)
    questions = []
    total = 0
    for n, row in enumerate(table.rows, start=1):
        xml = question_xml(page(render(template, row)))
        size = len(xml.encode())
        total += size
        if total > MAX_BATCH_PAGES_BYTES:  # stop before holding more: a big template times many rows
            raise ValidationFailed(N_("This batch's pages would take more than {most_mb} MB together (row {row} "
                                      "passes it). Split the CSV into smaller batches or shorten the template."),
                                   most_mb=MAX_BATCH_PAGES_BYTES // (1024 * 1024), row=n)
        if size > MAX_QUESTION_BYTES and n not in problems:
            problems[n] = Text(N_("its page would be {size} bytes, over MTurk's {most} for one task"),
                               size=size, most=MAX_QUESTION_BYTES)
        questions.append(xml)
    try:
        specs = publishing.expand_batch(spec, table.rows, web_tasks=True)
    except BatchInvalid as exc:
        problems = {**dict(exc.problems), **problems}
        specs = []
    if problems:
        raise BatchInvalid(sorted(problems.items()))
    return TemplatePlan(spec, table.rows, questions,
                        BatchPlan(specs, [publishing.cost_of(s) for s, _ in specs]))


def publish(*, requester_id: int, title: str, checked: TemplatePlan, now: datetime, key: str | None = None,
            progress=None) -> Batch:
    """Publish one web task per row, all or nothing, as publishing.publish_batch does (one escrow
    movement), each HIT with its row's page (the API sees them as HTMLQuestion HITs)."""
    with tx():
        batch = publishing.publish_batch(requester_id=requester_id, title=title, template=checked.spec,
                                         rows=checked.rows, now=now, key=key, progress=progress, web_tasks=True)
        hit_ids = list(Hit.select(Hit.id).where(Hit.batch == batch.id).order_by(Hit.id).tuples())
        insert_rows(MturkHit, [{"hit": hit_id, "requester": requester_id, "question": xml, "created_at": now,
                                "identifiers": {}, "description": ""}
                               for (hit_id,), xml in zip(hit_ids, checked.questions, strict=True)], ids=False)
    return batch
