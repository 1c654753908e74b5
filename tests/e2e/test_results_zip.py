"""Over HTTP through the sandbox: a worker answers with a photo, a voice note and a PDF; the
requester downloads the results ZIP and finds the worker's own bytes at the paths the CSV names."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from core.models import Assignment
from tests.e2e.walks import accept, published_in_core, submit

pytestmark = pytest.mark.slow

RITA, WES = 531, 631
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
VOICE = b"OggS" + b"\x02" * 900
PDF = b"%PDF-1.4\n" + b"receipt " * 200


def test_the_requester_downloads_a_zip_of_the_file_answers(stack):
    hit = published_in_core(RITA, {
        "title": "Shop front and receipt", "reward": "0.80", "assignments": 1, "duration": "10m", "lifetime": "1d",
        "questions": [{"id": "front", "kind": "photo", "prompt": "Send a photo of the shop front."},
                      {"id": "hours", "kind": "voice", "prompt": "Read the opening hours aloud."},
                      {"id": "receipt", "kind": "document", "prompt": "Send the receipt as a PDF."}]}, "e2e-zip")
    rita, wes = stack.person(RITA, "Rita"), stack.person(WES, "Wes")
    accept(wes, hit)
    wes.wait_for("photo of the shop front")
    wes.upload("photo", PHOTO, "front.png", "image/png")
    wes.wait_for("opening hours")
    wes.upload("voice", VOICE, "hours.ogg", "audio/ogg")
    wes.wait_for("receipt as a PDF")
    wes.upload("document", PDF, "Receipt March.PDF", "application/pdf")
    submit(wes)
    aid = Assignment.get(Assignment.worker == WES).id

    rita.send("/myhits")
    rita.wait_for("Shop front and receipt")
    rita.press("Shop front and receipt")
    rita.wait_for("Download results")
    rita.press("Download results")
    offer = rita.wait_for("ZIP with the files")
    assert "3 answer(s) are files" in offer["text"]
    rita.press("ZIP with the files", offer)
    done = rita.wait_for("ZIP ready")
    assert done["message_id"] == offer["message_id"] and done["text"] == "✅ ZIP ready: 3 file(s) in 1 part(s)."
    (doc,) = [m["document"] for m in rita.bot_messages() if m["document"]
              and m["document"]["file_name"].endswith(".zip")]
    assert doc["file_name"] == f"hit-{hit.id}-results.zip"
    z = zipfile.ZipFile(io.BytesIO(stack.http.get(doc["url"]).content))
    base = f"files/{hit.id}/{aid}"
    assert z.read(f"{base}/front.jpg") == PHOTO and z.read(f"{base}/hours.ogg") == VOICE
    assert z.read(f"{base}/receipt.pdf") == PDF
    (row,) = csv.DictReader(io.StringIO(z.read(f"hit-{hit.id}-results.csv").decode("utf-8-sig")))
    assert (row["answer.front"], row["answer.hours"], row["answer.receipt"]) == (
        f"{base}/front.jpg", f"{base}/hours.ogg", f"{base}/receipt.pdf")
