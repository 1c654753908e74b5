"""Issue 13, "Results a requester can use": photo, voice and document answers come as files in
a ZIP (files/<hit>/<assignment>/<question>.<ext>) with the CSV and JSON pointing at them, split
under the upload limit, with a progress bar edited in place and missing files listed."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest

from bot import results_zip
from core.hits import publishing
from core.models import Assignment
from core.mturk.ids import worker_ref
from tests import factories as f
from tests.bot.test_requester_batch import capture_uploads
from tests.bot.test_requester_review import submit
from tests.bot.worker_fixtures import (
    alert,
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import NOW

QUESTIONS = [
    {"id": "pic", "kind": "photo", "prompt": "A photo of the shop front"},
    {"id": "say", "kind": "voice", "prompt": "Read the opening hours aloud"},
    {"id": "doc", "kind": "document", "prompt": "The receipt"},
    {"id": "notes", "kind": "text", "prompt": "Anything else?", "required": False},
]


def blob(tag: str, n: int = 700) -> bytes:
    return (tag.encode() + bytes(range(256)) * (n // 256 + 1))[:n]


async def work_done(bot, workers: int = 2, *, size: int = 700):
    """Rita's HIT, answered in chat by `workers` workers: a photo, a voice note and a PDF each."""
    rita = await person(bot, "Rita", cents=100_00)
    hit = f.hit(rita.id, title="Shop fronts", questions=QUESTIONS, assignments=workers)
    people = []
    for i in range(workers):
        w = await person(bot, f"W{i}")
        await bot.text(w, f"/start hit_{hit.id}")
        await bot.press_label(w, "Accept")
        bot.tg.files[f"ph-{i}"], bot.tg.files[f"vo-{i}"] = blob(f"photo{i}", size), blob(f"voice{i}", size)
        await bot.photo(w, f"ph-{i}")
        await bot.voice(w, f"vo-{i}")
        await bot.document(w, f"doc-{i}", file_name=f"Receipt {i}.PDF", content_bytes=blob(f"pdf{i}", size))
        await bot.press_label(w, "Skip")
        assert alert(await bot.press_label(w, "Submit")) == "Submitted. Thank you!"
        people.append(w)
    assignments = {w.id: Assignment.get(Assignment.worker == w.id).id for w in people}
    return rita, hit, people, assignments


async def offer(bot, rita, hit):
    """/myhits -> the HIT's card -> Download results: the CSV, the JSON, and the ZIP offer."""
    await bot.text(rita, "/myhits")
    await bot.press_label(rita, "1. Shop fronts")
    uploads = capture_uploads(bot.tg)
    await bot.press_label(rita, "Download results")
    return uploads, bot.tg.last_message(rita.id)


def edits_of(bot, chat_id: int, message_id: int) -> list[str]:
    return [c.text for c in bot.tg.calls if c.method == "editMessageText"
            and int(c.params["chat_id"]) == chat_id and int(c.params["message_id"]) == message_id]


def zips(uploads) -> list[tuple[str, zipfile.ZipFile]]:
    return [(name, zipfile.ZipFile(io.BytesIO(data))) for name, data in uploads if name.endswith(".zip")]


@pytest.fixture
def every_step_shown(monkeypatch):
    monkeypatch.setattr(results_zip, "PROGRESS_EVERY_S", 0.0)


async def test_zip_holds_every_file_with_the_csv_and_json_pointing_at_them(bot, every_step_shown):
    rita, hit, people, asg = await work_done(bot, 2)
    uploads, offered = await offer(bot, rita, hit)
    assert [n for n, _ in uploads] == [f"hit-{hit.id}-results.csv", f"hit-{hit.id}-results.json"]
    plain = list(csv.DictReader(io.StringIO(uploads[0][1].decode("utf-8-sig"))))
    assert {r["answer.pic"] for r in plain} == {"ph-0", "ph-1"}  # the plain CSV still has the file ids
    assert "6 answer(s) are files" in offered.text and "Telegram file ids" in offered.text
    assert [label for label, _ in offered.buttons] == ["📦 ZIP with the files"]

    del uploads[:]
    await bot.press_label(rita, "ZIP with the files", offered.message_id)
    ((name, z),) = zips(uploads)
    assert name == f"hit-{hit.id}-results.zip"
    expected = {}
    for i, w in enumerate(people):
        base = f"files/{hit.id}/{asg[w.id]}"
        expected |= {f"{base}/pic.jpg": blob(f"photo{i}"), f"{base}/say.ogg": blob(f"voice{i}"),
                     f"{base}/doc.pdf": blob(f"pdf{i}")}
    assert set(z.namelist()) == {*expected, f"hit-{hit.id}-results.csv", f"hit-{hit.id}-results.json"}
    for path, content in expected.items():
        assert z.read(path) == content, path
        assert z.getinfo(path).compress_type == zipfile.ZIP_STORED  # media is compressed already
    assert z.getinfo(f"hit-{hit.id}-results.csv").compress_type == zipfile.ZIP_DEFLATED
    assert z.testzip() is None

    rows = {int(r["assignment_id"]): r for r in csv.DictReader(io.StringIO(
        z.read(f"hit-{hit.id}-results.csv").decode("utf-8-sig")))}
    for w in people:
        row, base = rows[asg[w.id]], f"files/{hit.id}/{asg[w.id]}"
        assert (row["answer.pic"], row["answer.say"], row["answer.doc"]) == (f"{base}/pic.jpg", f"{base}/say.ogg",
                                                                           f"{base}/doc.pdf")
        assert row["worker_id"] == worker_ref(hit.requester_id, w.id) and row["status"] == "submitted"
        assert all(z.read(row[f"answer.{k}"]) for k in ("pic", "say", "doc"))  # every path is in the ZIP
    data = {d["assignment_id"]: d for d in json.loads(z.read(f"hit-{hit.id}-results.json"))}
    doc = data[asg[people[0].id]]["answers"]["doc"]
    assert doc["path"] == f"files/{hit.id}/{asg[people[0].id]}/doc.pdf" and doc["file_id"] == "doc-0"
    assert doc["file_name"] == "Receipt 0.PDF"

    # One message shows the progress, edited in place: the offer becomes the bar, then the outcome.
    shown = edits_of(bot, rita.id, offered.message_id)
    counts = [int(m.group(1)) for t in shown if (m := re.search(r" (\d+)/6 files", t))]
    assert counts == [0, 1, 2, 3, 4, 5, 6]
    assert "📦 Building the ZIP… ▓▓▓▓▓░░░░░ 3/6 files" in shown
    final = bot.tg.chats[rita.id][offered.message_id]
    assert final.text == "✅ ZIP ready: 6 file(s) in 1 part(s)." and not final.buttons
    assert len([c for c in bot.tg.calls if c.method == "sendDocument"]) == 3  # CSV, JSON, then the one ZIP

    # Only the owner gets them.
    mallory = await person(bot, "Mallory", cents=10_00)
    assert alert(await bot.press(mallory, f"r:zip:{hit.id}")) == "This button is no longer valid."


async def test_a_big_export_is_split_into_parts_under_the_limit(bot, monkeypatch):
    limit = 10_000  # room for three 3,000-byte files per part, not four
    monkeypatch.setattr(results_zip, "ZIP_PART_LIMIT_BYTES", limit)
    rita, hit, _, _ = await work_done(bot, 3, size=3_000)
    uploads, offered = await offer(bot, rita, hit)
    await bot.press_label(rita, "ZIP with the files", offered.message_id)
    parts = zips(uploads)
    assert len(parts) >= 3
    assert [n for n, _ in parts] == [f"hit-{hit.id}-results-part{k}.zip" for k in range(1, len(parts) + 1)]
    assert all(len(data) <= limit for n, data in uploads if n.endswith(".zip"))
    names = [name for _, z in parts for name in z.namelist()]
    assert len(names) == len(set(names))  # each file once
    files = {name: z.read(name) for _, z in parts for name in z.namelist() if name.startswith("files/")}
    assert len(files) == 9
    last = parts[-1][1]
    assert f"hit-{hit.id}-results.csv" in last.namelist()  # the tables close the last part
    rows = list(csv.DictReader(io.StringIO(last.read(f"hit-{hit.id}-results.csv").decode("utf-8-sig"))))
    assert {r[f"answer.{k}"] for r in rows for k in ("pic", "say", "doc")} == set(files)
    captions = [c.text for c in bot.tg.calls if c.method == "sendDocument"][2:]
    assert captions[0].startswith("📦 Part 1 of the ZIP (more follow")
    assert captions[-1].startswith(f"📦 Part {len(parts)} of {len(parts)}, with hit-{hit.id}-results.csv")
    assert bot.tg.chats[rita.id][offered.message_id].text == f"✅ ZIP ready: 9 file(s) in {len(parts)} part(s)."


async def test_files_telegram_no_longer_has_are_listed_not_fatal(bot):
    rita, hit, (w0, w1), asg = await work_done(bot, 2)
    bot.tg.file_errors["ph-0"] = "Bad Request: wrong file_id or the file is temporarily unavailable"
    bot.tg.file_errors["doc-1"] = "Bad Request: file is too big"
    del bot.tg.files["vo-1"]  # getFile answers, the download does not (404)
    uploads, offered = await offer(bot, rita, hit)
    await bot.press_label(rita, "ZIP with the files", offered.message_id)
    ((_, z),) = zips(uploads)
    got = {n for n in z.namelist() if n.startswith("files/")}
    assert got == {f"files/{hit.id}/{asg[w0.id]}/say.ogg", f"files/{hit.id}/{asg[w0.id]}/doc.pdf",
                   f"files/{hit.id}/{asg[w1.id]}/pic.jpg"}
    missing = z.read("MISSING.txt").decode()
    assert f"HIT {hit.id}, assignment {asg[w0.id]}, question “pic” (photo): Telegram no longer has this file" \
        in missing and "(file id ph-0)" in missing
    assert f"assignment {asg[w1.id]}, question “doc” (document): larger than the 20 MB" in missing
    assert f"assignment {asg[w1.id]}, question “say” (voice): Telegram no longer has this file" in missing
    rows = {int(r["assignment_id"]): r for r in csv.DictReader(io.StringIO(
        z.read(f"hit-{hit.id}-results.csv").decode("utf-8-sig")))}
    assert rows[asg[w0.id]]["answer.pic"] == "ph-0"  # a missing file keeps its file id
    assert rows[asg[w1.id]]["answer.pic"] == f"files/{hit.id}/{asg[w1.id]}/pic.jpg"
    done = bot.tg.chats[rita.id][offered.message_id].text
    assert done.startswith("✅ ZIP ready: 3 file(s) in 1 part(s).\n⚠️ 3 file(s) could not be added (listed in "
                           "MISSING.txt):")
    assert f"• HIT {hit.id}, assignment {asg[w1.id]}, question “doc” (document): larger than the 20 MB" in done


async def test_a_big_zip_goes_to_the_jobs_worker(bot, monkeypatch):
    from core.models import OutboxEvent
    from jobs import relay

    monkeypatch.setattr(results_zip, "ZIP_INLINE_FILES", 2)
    rita, hit, _, _ = await work_done(bot, 1)
    uploads, offered = await offer(bot, rita, hit)
    await bot.press_label(rita, "ZIP with the files", offered.message_id)
    # an outbox event the relay routes to the export actor
    events = list(OutboxEvent.select().where(OutboxEvent.kind == "export.requested"))
    assert relay.routes_for("export.requested") == (relay._build_results_zip,)
    queued = [dict(requester_id=e.payload["requester_id"], chat_id=e.payload["chat_id"],
                   message_id=e.payload["message_id"], hit_id=e.payload["hit_id"], batch_id=e.payload["batch_id"],
                   now=e.created_at) for e in events]
    assert not zips(uploads) and len(queued) == 1 and queued[0]["hit_id"] == hit.id
    assert "built in the background" in bot.tg.chats[rita.id][offered.message_id].text
    assert await results_zip.build_and_send(bot.app.bot, **queued[0]) == "3 file(s) in 1 part(s), 0 missing"
    ((name, z),) = zips(uploads)
    assert name == f"hit-{hit.id}-results.zip" and len(z.namelist()) == 5
    assert bot.tg.chats[rita.id][offered.message_id].text == "✅ ZIP ready: 3 file(s) in 1 part(s)."


async def test_no_offer_without_file_answers_and_batch_zips(bot):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    plain = f.hit(rita.id, title="Shop fronts", assignments=1)  # choice and text questions only
    submit(plain, wes, {"animal": "cat"})
    uploads, shown = await offer(bot, rita, plain)
    assert len(uploads) == 2 and not any("ZIP" in label for label, _ in shown.buttons)
    assert alert(await bot.press(rita, f"r:zip:{plain.id}")) == "No file answers here: the CSV and JSON above have " \
                                                                 "everything."

    batch = publishing.publish_batch(requester_id=rita.id, title="Shops", template=f.spec(
        title="Shop ${n}", questions=QUESTIONS, assignments=1), rows=[{"n": "1"}, {"n": "2"}], now=NOW)
    bot.tg.files["ph-b"] = b"jpeg bytes"
    a = submit(batch.hits[1], wes, {"pic": {"file_id": "ph-b", "file_size": 10}, "say": {"file_id": "vo-b"},
                                    "doc": {"file_id": "doc-b", "file_name": "x.tar.gz"}})
    uploads = capture_uploads(bot.tg)
    await bot.press(rita, f"r:resb:{batch.id}")
    offered = bot.tg.last_message(rita.id)
    assert "3 answer(s) are files" in offered.text and "about 1 kB" in offered.text
    await bot.press_label(rita, "ZIP with the files", offered.message_id)
    ((name, z),) = zips(uploads)
    assert name == f"batch-{batch.id}-results.zip"
    assert z.read(f"files/{batch.hits[1].id}/{a.id}/pic.jpg") == b"jpeg bytes"
    assert "question “say” (voice): Telegram no longer has this file" in z.read("MISSING.txt").decode()
    assert f"files/{batch.hits[1].id}/{a.id}/doc.gz" not in z.namelist()  # never downloadable: listed, too
