"""MTurk HTML templates with a CSV (issue 16): each row's ${column} values go into the template,
HTML-escaped, and the row becomes a web task whose page is served from the tasks origin; a worker's
form submits it. Bad templates and rows publish nothing."""
from __future__ import annotations

import re

import httpx
import pytest

from api.taskpages import TaskServer
from core import ledger
from core.config import get_settings
from core.errors import BatchInvalid, ValidationFailed
from core.models import Answer, Assignment, Hit
from core.mturk.tables import MturkHit
from core.webtasks import templates
from core.webtasks.tokens import page_url
from core.work import commands as work
from tests import factories as f
from tests.api.conftest import utcnow

SPEC = b"title: Transcribe the receipt\ndescription: Type the total.\nreward: '0.20'\nassignments: 1\n" \
       b"duration: 10m\nlifetime: 1d\n"
TEMPLATE = b"""<p>Receipt from <b>${shop}</b></p><img src="${image_url}" alt="receipt">
<label>Total <input name="total"></label>"""
CSV = b'shop,image_url\nCorner "Cafe" <3,https://example.org/r1.png\nBakery & Co,https://example.org/r2.png\n'


@pytest.fixture
def tasks(database, monkeypatch):
    server = TaskServer().start()
    monkeypatch.setenv("HITBOT_TASKS_URL", server.url)
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def test_each_row_becomes_a_web_task_with_its_values_escaped_and_its_form_submits(tasks):
    rita = f.requester(10_00)
    before = f.available(rita.id)
    checked = templates.plan(SPEC, "spec.yaml", TEMPLATE, CSV)
    assert checked.plan.total_cents == 2 * 24  # 20 cents reward + the 20 % fee, twice
    batch = templates.publish(requester_id=rita.id, title="receipts", checked=checked, now=utcnow(), key="tb1")
    hits = list(Hit.select().where(Hit.batch == batch.id).order_by(Hit.id))
    assert [h.title for h in hits] == ["Transcribe the receipt"] * 2
    assert f.available(rita.id) == before - 48
    assert sum(ledger.balance(ledger.escrow(h.id)) for h in hits) == 48
    first = MturkHit.get(MturkHit.hit == hits[0].id).question
    assert "Corner &quot;Cafe&quot; &lt;3" in first and "Bakery" not in first
    assert 'src="https://example.org/r1.png"' in first and "${" not in first

    wes = f.user("Wes")
    assignment = work.accept(worker_id=wes.id, hit_id=hits[1].id, now=utcnow())
    url = page_url(assignment.id, assignment.accepted_at)
    with httpx.Client(timeout=10) as http:
        wrapper = http.get(url + "?via=link")  # Open in browser: the plain link's wrapper holds the frame
        frame = re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text).group(1).replace("&amp;", "&")
        shown = http.get(frame)
        assert shown.status_code == 200 and "Bakery &amp; Co" in shown.text
        # The bare inputs got MTurk's form around them, posting to this assignment's turkSubmitTo.
        action = re.search(r"action='([^']+)'", shown.text).group(1)
        assert action.startswith(tasks.url + "/s/") and action.endswith("/mturk/externalSubmit")
        done = http.post(action, data={"assignmentId": re.search(r"assignmentId=([^&]+)", frame).group(1),
                                       "total": "12.50"})
        assert done.status_code == 200, done.text
    assert Assignment.get_by_id(assignment.id).status == "submitted"
    assert Answer.get(Answer.assignment == assignment.id).value == [["total", "12.50"]]


def test_a_crowd_form_template_loads_the_crowd_elements_from_the_tasks_origin(tasks):
    rita = f.requester(10_00)
    template = b'<crowd-form><crowd-input name="total" label="Total for ${shop}"></crowd-input></crowd-form>'
    checked = templates.plan(SPEC, "spec.yaml", template, CSV)
    batch = templates.publish(requester_id=rita.id, title="crowd", checked=checked, now=utcnow(), key="tb2")
    hit = Hit.select().where(Hit.batch == batch.id).order_by(Hit.id).first()
    wes = f.user("Wes")
    assignment = work.accept(worker_id=wes.id, hit_id=hit.id, now=utcnow())
    with httpx.Client(timeout=10) as http:
        wrapper = http.get(page_url(assignment.id, assignment.accepted_at) + "?via=link")
        frame = re.search(r'<iframe id="task" src="([^"]+)"', wrapper.text).group(1).replace("&amp;", "&")
        shown = http.get(frame).text
        assert f'src="{tasks.url}/static/crowd-html-elements.js"' in shown and "assets.crowd.aws" not in shown
        script = http.get(f"{tasks.url}/static/crowd-html-elements.js")
        assert script.status_code == 200 and "customElements.define('crowd-form'" in script.text


@pytest.mark.parametrize("spec, template, csv, says", [
    (SPEC, b"<p>${shop} ${missing}</p><input name=x>", CSV, "${missing}"),
    (SPEC + b"questions:\n  - {id: a, kind: text, prompt: Say}\n", TEMPLATE, CSV, "no questions"),
    (SPEC, b"<input type='file' name='scan'>", CSV, "file input"),
    (SPEC, b"\xff\xfe<p>", CSV, "UTF-8"),
    (SPEC, b"x" * (templates.MAX_TEMPLATE_BYTES + 1), CSV, "at most 60 KB"),
])
def test_a_template_that_cannot_work_is_refused_with_what_to_change_and_nothing_is_published(
        tasks, spec, template, csv, says):
    rita = f.requester(10_00)
    with pytest.raises(ValidationFailed) as refused:
        templates.plan(spec, "spec.yaml", template, csv)
    assert says in refused.value.message
    assert Hit.select().where(Hit.requester == rita.id).count() == 0


def test_rows_whose_page_is_too_big_are_named_and_nothing_is_published(tasks):
    rita = f.requester(10_00)
    big = "x" * 1999
    csv = ("shop,image_url\n" + "\n".join(f"{big},{big}" if n == 2 else f"s{n},u{n}" for n in range(1, 4))).encode()
    template = b"<p>" + b"${shop}${image_url}" * 17 + b"</p><input name='t'>"
    with pytest.raises(BatchInvalid) as refused:
        templates.plan(SPEC, "spec.yaml", template, csv)
    assert [n for n, _ in refused.value.problems] == [2]
    assert "over MTurk's 65535" in refused.value.message
    assert Hit.select().where(Hit.requester == rita.id).count() == 0


def test_without_task_pages_a_template_is_refused(database, monkeypatch):
    monkeypatch.delenv("HITBOT_TASKS_URL", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ValidationFailed) as refused:
        templates.plan(SPEC, "spec.yaml", TEMPLATE, CSV)
    assert "HITBOT_TASKS_URL" in refused.value.message


def test_the_readme_template_example_publishes(tasks):
    """The example in the README's batch section works as written."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("**Web tasks from an MTurk HTML template.**"):]
    template = re.search(r"```html\n(.*?)```", section, re.S).group(1).encode()
    spec = re.search(r"```yaml\n(.*?)```", section, re.S).group(1).encode()
    rita = f.requester(10_00)
    checked = templates.plan(spec, "receipt.yaml", template,
                             b"shop,image_url\nCorner Cafe,https://example.org/r1.png\n")
    batch = templates.publish(requester_id=rita.id, title="receipts", checked=checked, now=utcnow(), key="readme")
    (hit,) = Hit.select().where(Hit.batch == batch.id)
    page = MturkHit.get(MturkHit.hit == hit.id).question
    assert "Corner Cafe" in page and 'src="https://example.org/r1.png"' in page and hit.assignments == 2


def test_a_batch_whose_pages_together_are_too_big_is_refused_before_they_are_all_made(tasks, monkeypatch):
    monkeypatch.setattr(templates, "MAX_BATCH_PAGES_BYTES", 50_000)
    template = b"<p>${shop}</p>" + b"x" * 20_000 + b"<input name='t'>"
    csv = ("shop,image_url\n" + "\n".join(f"s{n},u{n}" for n in range(1, 6))).encode()
    with pytest.raises(ValidationFailed) as refused:
        templates.plan(SPEC, "spec.yaml", template, csv)
    assert "row 3 passes it" in refused.value.message and "Split the CSV" in refused.value.message
