"""/batch with an MTurk HTML template (issue 16): the spec (no questions), the template and the CSV in
any order; the summary, then one web task per row, each page holding its row's values. A spec with
questions beside a template, or a template naming a column the CSV lacks, is refused and nothing is
published; the files that were fine are kept, so one corrected file is all it takes."""
from __future__ import annotations

import pytest

from core.models import Hit, Question
from core.mturk.tables import MturkHit
from tests.bot.chat import last_text
from tests.bot.test_requester_batch import csv_bytes, requester
from tests.fakes.telegram import answers
from tests.invariants import check_invariants
from tests.settings_env import settings_env

SPEC = b"title: Read the sign\ndescription: Type what the sign says.\nreward: '0.10'\nassignments: 1\n" \
       b"duration: 5m\nlifetime: 1d\n"
TEMPLATE = b'<crowd-form><img src="${photo}"><crowd-input name="sign" label="Sign"></crowd-input></crowd-form>'


@pytest.fixture
def task_pages(monkeypatch):
    yield from settings_env(monkeypatch, HITBOT_TASKS_URL="https://tasks.example.org")


async def test_template_spec_and_csv_make_one_web_task_per_row(bot, task_pages):
    rita = await requester(bot, 5_00)
    await bot.text(rita, "/batch")
    await bot.document(rita, "tpl", "sign.html", "text/html", TEMPLATE)
    assert "HTML template received" in last_text(bot, rita)
    await bot.document(rita, "csv", "rows.csv", "text/csv",
                       csv_bytes(["photo"], [["https://ex.com/1.jpg"], ["https://ex.com/2.jpg?a=1&b=2"]]))
    await bot.document(rita, "spec", "spec.yaml", "application/x-yaml", SPEC)
    summary = bot.tg.last_message(rita.id)
    assert "<b>2 HITs</b> ready" in summary.text, summary.text
    assert Hit.select().count() == 0
    calls = await bot.press_label(rita, "Publish", summary.message_id)
    assert answers(calls)[0].params["text"] == "Published!"
    hits = list(Hit.select().order_by(Hit.id))
    assert [h.title for h in hits] == ["Read the sign"] * 2
    assert all(Question.get(Question.hit == h.id).kind == "web" for h in hits)
    pages = [MturkHit.get(MturkHit.hit == h.id).question for h in hits]
    assert 'src="https://ex.com/1.jpg"' in pages[0] and 'src="https://ex.com/2.jpg?a=1&amp;b=2"' in pages[1]
    check_invariants()


async def test_a_spec_with_questions_beside_a_template_is_refused_and_a_fixed_spec_is_enough(bot, task_pages):
    rita = await requester(bot, 5_00)
    await bot.text(rita, "/batch")
    await bot.document(rita, "tpl", "sign.html", "text/html", TEMPLATE)
    await bot.document(rita, "csv", "rows.csv", "text/csv", csv_bytes(["photo"], [["https://ex.com/1.jpg"]]))
    with_questions = SPEC + b"questions:\n  - {id: a, kind: text, prompt: Say}\n"
    await bot.document(rita, "spec1", "spec.yaml", "application/x-yaml", with_questions)
    assert "no questions" in last_text(bot, rita)
    await bot.document(rita, "spec2", "spec.yaml", "application/x-yaml", SPEC)  # the template and CSV were kept
    assert "<b>1 HIT</b> ready" in last_text(bot, rita)
    assert Hit.select().count() == 0


async def test_a_template_variable_the_csv_lacks_is_named_and_nothing_is_published(bot, task_pages):
    rita = await requester(bot, 5_00)
    await bot.text(rita, "/batch")
    await bot.document(rita, "spec", "spec.yaml", "application/x-yaml", SPEC)
    await bot.document(rita, "tpl", "sign.html", "text/html", TEMPLATE.replace(b"${photo}", b"${picture}"))
    await bot.document(rita, "csv", "rows.csv", "text/csv", csv_bytes(["photo"], [["https://ex.com/1.jpg"]]))
    assert "${picture}" in last_text(bot, rita) and "photo" in last_text(bot, rita)
    assert Hit.select().count() == 0


async def test_a_template_with_a_file_input_is_refused_when_it_arrives(bot, task_pages):
    rita = await requester(bot, 5_00)
    await bot.text(rita, "/batch")
    await bot.document(rita, "tpl", "scan.html", "text/html", b"<input type=file name=scan>")
    assert "file input" in last_text(bot, rita)
