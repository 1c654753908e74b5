"""Issue 5: /myhits — progress, spend, time left; extend, add assignments, expire now, results."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from types import SimpleNamespace

from core import ledger
from core.hits import publishing
from core.models import Hit
from core.mturk.ids import worker_ref
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.bot.chat import last_text
from tests.bot.test_requester_batch import capture_uploads
from tests.bot.test_requester_review import person, submit
from tests.conftest import NOW
from tests.fakes.telegram import answers
from tests.invariants import check_invariants


def alert(calls) -> str:
    return answers(calls)[0].params["text"]


async def test_progress_actions_and_results(bot, clock):
    rita = await person(bot, name="Rita", cents=100_00)
    hit = f.hit(rita.id, assignments=4)  # 4 x ($0.50 + $0.10)
    ann, bob, cy, dee = [await person(bot, name=n) for n in ("Ann", "Bob", "Cy", "Dee")]
    a1 = submit(hit, ann, {"animal": "cat", "notes": "=HYPERLINK(\"x\")"})
    a2 = submit(hit, bob, {"animal": "dog"})
    submit(hit, cy, {"animal": "bird", "notes": "a, \"quoted\"\nline"})
    work.accept(worker_id=dee.id, hit_id=hit.id, now=NOW)
    review.approve(requester_id=rita.id, assignment_id=a1.id, now=NOW + timedelta(minutes=5))
    review.bonus(requester_id=rita.id, assignment_id=a1.id, amount_cents=20, reason="thanks", now=NOW, key="b1")
    review.reject(requester_id=rita.id, assignment_id=a2.id, feedback="Not a dog", now=NOW + timedelta(minutes=5))
    clock.advance(hours=2)

    await bot.text(rita, "/myhits")
    text = last_text(bot, rita)
    assert "“Label the photo” (HIT #" in text and "open, 22h left" in text
    assert "1 working · 1 to review · 1 approved · 1 rejected of 4 · $0.84 spent" in text  # 60 + 20 + 4
    await bot.press_label(rita, "1. Label the photo")
    card = bot.tg.last_message(rita.id)
    assert "Approved ▓▓░░░░░░░░ 1/4" in card.text and "0 not taken yet" in card.text

    mallory = await person(bot, name="Mallory", cents=10_00)
    for data in (f"r:mh:{hit.id}", f"r:ext:{hit.id}:7", f"r:add:{hit.id}:5:4", f"r:expy:{hit.id}", f"r:res:{hit.id}"):
        assert alert(await bot.press(mallory, data)) == "This button is no longer valid."

    before = Hit.get_by_id(hit.id).expires_at
    await bot.press_label(rita, "+1 day", card.message_id)
    assert Hit.get_by_id(hit.id).expires_at == before + timedelta(days=1)
    add_one = next(d for label, d in card.buttons if label == "➕ 1 more")
    assert "Added 1 assignment" in alert(await bot.press(rita, add_one, card.message_id))
    assert "already added" in alert(await bot.press(rita, add_one, card.message_id))  # the double tap
    assert Hit.get_by_id(hit.id).max_assignments == 5
    await bot.press_label(rita, "Other number", card.message_id)
    assert "How many more assignments" in last_text(bot, rita)
    await bot.text(rita, "lots")
    assert "whole number" in last_text(bot, rita)
    await bot.text(rita, "5000")
    assert "Send a whole number from 1 to 995" in last_text(bot, rita)
    escrow = ledger.balance(ledger.escrow(hit.id))
    await bot.text(rita, "2")
    # a typed count is confirmed with its cost before any money moves
    confirm = bot.tg.last_message(rita.id)
    assert "Add 2 assignment(s)" in confirm.text and "$1.20 (2 × $0.60, reward and fee)" in confirm.text
    assert [label for label, _ in confirm.buttons] == ["✅ Add 2 for $1.20", "✖️ Cancel"]
    assert ledger.balance(ledger.escrow(hit.id)) == escrow and Hit.get_by_id(hit.id).max_assignments == 5
    assert "Added 2 assignment" in alert(await bot.press_label(rita, "Add 2 for", confirm.message_id))
    assert Hit.get_by_id(hit.id).max_assignments == 7
    assert ledger.balance(ledger.escrow(hit.id)) == (2 + 1 + 2) * 60  # two slots held, three added
    check_invariants()

    await bot.press_label(rita, "Expire now", card.message_id)
    assert "$1.80 of unused escrow" in bot.tg.chats[rita.id][card.message_id].text  # 3 untaken slots
    avail = ledger.balance(ledger.available(rita.id))
    ok = await bot.press_label(rita, "Confirm", card.message_id)
    assert alert(ok) == "Ended; $1.80 back in your balance."
    assert ledger.balance(ledger.available(rita.id)) == avail + 180
    again = await bot.press(rita, f"r:expy:{hit.id}", card.message_id)
    assert alert(again) == "This HIT had already ended."
    assert "— ended" in bot.tg.chats[rita.id][card.message_id].text
    check_invariants()

    uploads = capture_uploads(bot.tg)
    await bot.press_label(rita, "Download results", card.message_id)
    names = [n for n, _ in uploads]
    assert names == [f"hit-{hit.id}-results.csv", f"hit-{hit.id}-results.json"]
    rows = list(csv.DictReader(io.StringIO(uploads[0][1].decode("utf-8-sig"))))
    assert len(rows) == 4
    # Keyed by the WorkerId the requester knows each worker by (never their Telegram id).
    by_worker = {r["worker_id"]: r for r in rows}
    ann, bob, cy, dee = (SimpleNamespace(id=worker_ref(rita.id, w.id)) for w in (ann, bob, cy, dee))
    assert by_worker[ann.id]["status"] == "approved" and by_worker[ann.id]["answer.animal"] == "cat"
    assert by_worker[ann.id]["answer.notes"] == "'=HYPERLINK(\"x\")"  # a formula is never run by a spreadsheet
    assert by_worker[ann.id]["bonus"] == "$0.20" and by_worker[ann.id]["work_s"] == "120"
    assert by_worker[bob.id]["status"] == "rejected" and by_worker[bob.id]["feedback"] == "Not a dog"
    assert by_worker[cy.id]["answer.notes"] == "a, \"quoted\"\nline"
    assert by_worker[dee.id]["status"] == "accepted" and by_worker[dee.id]["submitted_at"] == ""
    assert {r["hit_title"] for r in rows} == {"Label the photo"} and {r["reward"] for r in rows} == {"$0.50"}
    data = json.loads(uploads[1][1])
    assert {d["worker_id"]: d["answers"] for d in data}[cy.id] == {"animal": "bird", "notes": "a, \"quoted\"\nline"}


async def test_batches_are_one_line_with_results_and_expire_all(bot):
    rita = await person(bot, name="Rita", cents=100_00)
    template = f.spec(title="Is ${name} a bird?", assignments=1)
    batch = publishing.publish_batch(requester_id=rita.id, title="Birds", template=template,
                                     rows=[{"name": n} for n in ("owl", "cat", "emu")], now=NOW)
    wes = await person(bot, name="Wes")
    owl = Hit.get(Hit.title == "Is owl a bird?")
    submit(owl, wes, {"animal": "bird"})
    await bot.text(rita, "/myhits")
    assert f"📦 Batch “Birds” (#{batch.id}, 3 HITs) — 3 of 3 open" in last_text(bot, rita)
    await bot.press_label(rita, "1. Birds")
    uploads = capture_uploads(bot.tg)
    await bot.press_label(rita, "Download results")
    rows = list(csv.DictReader(io.StringIO(uploads[0][1].decode("utf-8-sig"))))
    assert [(r["input.name"], r["answer.animal"], r["status"]) for r in rows] == [("owl", "bird", "submitted")]
    await bot.press_label(rita, "Expire all now")
    ok = await bot.press_label(rita, "Confirm")
    assert alert(ok) == "Ended 3 HIT(s); $1.20 back in your balance."  # the cat and emu slots
    assert Hit.select().where(Hit.status == "open").count() == 0
    check_invariants()


async def test_empty_list_and_paging(bot):
    rita = await person(bot, name="Rita", cents=100_00)
    await bot.text(rita, "/myhits")
    assert "haven't posted any HITs yet" in last_text(bot, rita)
    for i in range(12):
        f.hit(rita.id, title=f"HIT number {i}", assignments=1)
    await bot.text(rita, "/myhits")
    assert "HIT number 11" in last_text(bot, rita) and "HIT number 1”" not in last_text(bot, rita)
    await bot.press_label(rita, "Older")
    assert "HIT number 1”" in last_text(bot, rita) and "HIT number 0" in last_text(bot, rita)
    assert "(page 2)" in last_text(bot, rita)
