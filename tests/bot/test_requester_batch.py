"""Issue 5: /batch — a spec file with ${column} placeholders plus a CSV, all or nothing."""
from __future__ import annotations

import re

import yaml
from peewee import fn

from core import ledger
from core.config import get_settings
from core.models import Account, AccountKind, Batch, Hit, Question
from core.money import fee_for
from tests import factories as f
from tests.bot.chat import last_text
from tests.fakes.telegram import TgUser, answers
from tests.invariants import check_invariants

TEMPLATE = {
    "title": "Which animal is ${name}?",
    "description": "Look at ${url}",
    "reward": "${price}",
    "assignments": 2,
    "duration": "5m",
    "lifetime": "2d",
    "questions": [{"id": "animal", "kind": "choice", "prompt": "What is ${name}?", "options": ["cat", "dog", "bird"]}],
}


def capture_uploads(tg) -> list[tuple[str, bytes]]:
    """(file name, content) of every file the bot uploads (the fake keeps only the call)."""
    uploads: list[tuple[str, bytes]] = []
    original = tg.do_request

    async def do_request(url, method, request_data=None, *args, **kwargs):
        if request_data is not None:
            for filename, content, _mime in request_data.multipart_data.values():
                uploads.append((filename, content if isinstance(content, bytes) else content.read()))
        return await original(url, method, request_data, *args, **kwargs)

    tg.do_request = do_request
    return uploads


async def requester(bot, cents: int) -> TgUser:
    r = f.requester(cents)
    user = TgUser(r.id, "Rita")
    await bot.text(user, "/start")
    return user


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    return ("\n".join([",".join(header), *(",".join(r) for r in rows)]) + "\n").encode()


async def send_files(bot, user, spec: dict | bytes, csv: bytes, spec_name: str = "spec.yaml") -> None:
    await bot.text(user, "/batch")
    raw = spec if isinstance(spec, bytes) else yaml.safe_dump(spec).encode()
    await bot.document(user, "spec-file", spec_name, "application/x-yaml", raw)
    assert "Now send the CSV" in last_text(bot, user), last_text(bot, user)
    await bot.document(user, "csv-file", "rows.csv", "text/csv", csv)


async def test_a_thousand_rows_with_progress_and_exact_escrow(bot, monkeypatch):
    monkeypatch.setenv("HITBOT_BATCH_BACKGROUND_ROWS", "5000")  # inline: this harness runs no jobs worker
    get_settings.cache_clear()
    rows = [[f"animal{i}", f"https://ex.com/{i}.jpg", f"0.{5 + i % 10:02d}", "cat" if i % 7 == 0 else ""]
            for i in range(1000)]
    expected = sum((c + fee_for(c, 20)) * 2 for c in (5 + i % 10 for i in range(1000)))
    start = expected + 12_34
    rita = await requester(bot, start)
    await send_files(bot, rita, TEMPLATE, csv_bytes(["name", "url", "price", "_gold_animal"], rows))
    summary = bot.tg.last_message(rita.id)
    assert "<b>1,000 HITs</b> ready, 2,000 assignments" in summary.text  # counts in the reader's digits
    assert f"<b>${expected / 100:,.2f}</b> into escrow" in summary.text
    assert Hit.select().count() == 0  # nothing before the confirmation
    start_calls = len(bot.tg.calls)
    calls = await bot.press_label(rita, "Publish", summary.message_id)
    assert answers(calls)[0].params["text"] == "Published!"
    edits = [c.text for c in bot.tg.calls[start_calls:]
             if c.method == "editMessageText" and int(c.params["message_id"]) == summary.message_id]
    shown = [int(m.group(1)) for t in edits if (m := re.search(r" (\d+)/1000", t))]
    assert len(shown) >= 5 and shown == sorted(shown) and shown[0] == 0 and shown[-1] == 1000
    assert "✅ Published 1,000 HITs" in bot.tg.chats[rita.id][summary.message_id].text
    # Money: exactly the rewards and fees left the balance, into one escrow per HIT.
    assert Hit.select().count() == 1000 and Batch.get().rows_n == 1000
    assert ledger.balance(ledger.available(rita.id)) == 12_34
    escrow = Account.select(fn.SUM(Account.balance_cents)).where(Account.kind == AccountKind.ESCROW).scalar()
    assert escrow == expected
    hit = Hit.get(Hit.title == "Which animal is animal7?")
    assert (hit.reward_cents, hit.batch_row) == (12, {"name": "animal7", "url": "https://ex.com/7.jpg",
                                                      "price": "0.12"})
    assert ledger.balance(ledger.escrow(hit.id)) == 2 * (12 + fee_for(12, 20))
    assert Question.get(Question.hit == hit.id).gold == "cat"
    assert Question.get(Question.hit == Hit.get(Hit.title == "Which animal is animal8?").id).gold is None
    check_invariants()
    again = await bot.press(rita, "r:bp", summary.message_id)  # a double tap
    assert answers(again)[0].params["text"] == "This button is no longer valid."
    assert Hit.select().count() == 1000


async def test_bad_rows_are_all_reported_and_nothing_is_published(bot):
    rita = await requester(bot, 100_00)
    rows = [["a", "u", "0.10"], ["b", "u", "abc"], ["c", "u", "0.10"], ["d", "u"], ["e", "u", "0.001"],
            ["f", "u", "2000"], ["g", "u", "0.20"]]
    await send_files(bot, rita, TEMPLATE, csv_bytes(["name", "url", "price"], rows))
    text = last_text(bot, rita)
    assert "4 bad row(s), nothing was published" in text
    assert "row 2: The reward must be a number" in text
    assert "row 4: it has 2 cells but the header has 3 columns" in text
    assert "row 5: The reward can have at most 2 decimal places" in text
    assert "row 6: reward must be between" in text
    assert "row 1:" not in text and "row 3:" not in text and "row 7:" not in text
    assert Hit.select().count() == 0 and Batch.select().count() == 0
    assert ledger.balance(ledger.available(rita.id)) == 100_00
    # The spec is kept: a fixed CSV alone is enough.
    fixed = [r if len(r) == 3 and r[2] in ("0.10", "0.20") else [r[0], "u", "0.10"] for r in rows]
    await bot.document(rita, "csv-2", "rows.csv", "text/csv", csv_bytes(["name", "url", "price"], fixed))
    assert "<b>7 HITs</b> ready" in last_text(bot, rita)
    await bot.press_label(rita, "Publish")
    assert Hit.select().count() == 7
    check_invariants()


async def test_many_bad_rows_come_as_a_file_too(bot):
    rita = await requester(bot, 100_00)
    uploads = capture_uploads(bot.tg)
    rows = [[f"n{i}", "u", "zero" if i % 3 else "0.10"] for i in range(45)]
    await send_files(bot, rita, TEMPLATE, csv_bytes(["name", "url", "price"], rows))
    message = bot.tg.sent_to(rita.id)[-2].text
    assert "30 bad row(s)" in message and "full list is in the attached file" in message
    assert [c.method for c in bot.tg.sent_to(rita.id)[-1:]] == ["sendDocument"]
    (name, content), = uploads
    listed = content.decode().splitlines()
    assert name == "bad-rows.csv" and listed[0] == "row,problem"
    assert [int(line.split(",")[0]) for line in listed[1:]] == [i + 1 for i in range(45) if i % 3]
    assert Hit.select().count() == 0


async def test_file_level_problems(bot):
    rita = await requester(bot, 100_00)
    # A placeholder naming a missing column, reported once with its line.
    await send_files(bot, rita, TEMPLATE, csv_bytes(["name", "link", "price"], [["a", "u", "0.10"]]))
    text = last_text(bot, rita)
    assert "${url} names a column the CSV doesn't have" in text and "line 2" in text
    assert "The CSV's columns: name, link, price" in text
    # Not UTF-8.
    await bot.document(rita, "csv-latin1", "rows.csv", "text/csv", "name,url,price\nJosé,u,0.10\n".encode("latin-1"))
    assert "must be UTF-8 text" in last_text(bot, rita)
    # Too large (Telegram tells the size before we download anything).
    big = await bot._feed({"message": bot._message(rita, document={
        "file_id": "huge", "file_unique_id": "h", "file_name": "rows.csv", "mime_type": "text/csv",
        "file_size": 6 * 1024 * 1024})})
    assert any("at most 5 MB" in c.text for c in big)
    # A gold column for a question the spec doesn't have.
    await bot.document(rita, "csv-gold", "rows.csv", "text/csv",
                       csv_bytes(["name", "url", "price", "_gold_colour"], [["a", "u", "0.10", "red"]]))
    assert "_gold_colour: there is no question “colour”" in last_text(bot, rita)
    # A YAML error in the spec, with its line.
    await bot.text(rita, "/batch")
    await bot.document(rita, "bad-spec", "spec.yaml", "application/x-yaml", b"title: x\nreward: [\n")
    assert "can't be read on line 3" in last_text(bot, rita)
    assert Hit.select().count() == 0


async def test_csv_first_then_spec_and_cancel(bot):
    rita = await requester(bot, 100_00)
    await bot.text(rita, "/batch")
    await bot.document(rita, "csv-a", "rows.csv", "text/csv", csv_bytes(["name", "url", "price"], [["a", "u", "0.10"]]))
    assert "Now send the HIT spec file" in last_text(bot, rita)
    await bot.document(rita, "spec-a", "spec.json", "application/json", yaml.safe_dump(TEMPLATE).encode())
    # JSON by name but YAML inside is refused with the line of the problem.
    assert "The JSON is not valid on line 1" in last_text(bot, rita)
    import json

    await bot.document(rita, "spec-b", "spec.json", "application/json", json.dumps(TEMPLATE).encode())
    assert "<b>1 HIT</b> ready, 2 assignments in all" in last_text(bot, rita)  # the singular
    await bot.press_label(rita, "Cancel")
    assert last_text(bot, rita) == "Cancelled. Nothing was published."
    gone = await bot.press(rita, "r:bp")
    assert answers(gone)[0].params["text"] == "This button is no longer valid."
    assert Hit.select().count() == 0


async def test_batch_needs_the_money(bot):
    rita = await requester(bot, 10)
    await send_files(bot, rita, TEMPLATE, csv_bytes(["name", "url", "price"], [["a", "u", "0.10"], ["b", "u", "0.10"]]))
    assert "$0.38 missing" in last_text(bot, rita)  # 2 x 2 x ($0.10 + $0.02) = $0.48
    await bot.press_label(rita, "Publish")
    assert "$0.38 missing. Top up with /topup." in last_text(bot, rita)
    assert Hit.select().count() == 0
    from core.payments import accounts  # funds arrive; the same Publish button now works
    from tests.conftest import ADMIN_ID, NOW

    accounts.credit(admin_id=ADMIN_ID, user_id=rita.id, amount_cents=100, reason="top", now=NOW, key="b1")
    await bot.press_label(rita, "Publish")
    assert Hit.select().count() == 2
    check_invariants()


async def test_a_hostile_template_is_refused_at_once_and_not_kept(bot):
    from tests.bot.test_requester_newhit import alias_bomb

    rita = await requester(bot, 100_00)
    await bot.text(rita, "/batch")
    await bot.document(rita, "bomb", "spec.yaml", "application/x-yaml", alias_bomb())
    assert "anchors and aliases (& and *) are not allowed" in last_text(bot, rita)
    await bot.document(rita, "deep", "spec.json", "application/json", b'{"a": ' * 5000 + b"1" + b"}" * 5000)
    assert "nested more than 10 levels deep" in last_text(bot, rita)
    await bot.document(rita, "csv-a", "rows.csv", "text/csv", csv_bytes(["name", "url", "price"], [["a", "u", "0.10"]]))
    assert "Now send the HIT spec file" in last_text(bot, rita)  # neither bad file was kept as the spec
    assert Hit.select().count() == 0


async def test_gold_values_are_checked_with_the_batch(bot):
    rita = await requester(bot, 100_00)
    template = {**TEMPLATE, "questions": [*TEMPLATE["questions"],
                                          {"id": "legs", "kind": "number", "prompt": "Legs?", "min": 0, "max": 8}]}
    rows = [["a", "u", "0.10", "cat", "4"], ["b", "u", "0.10", "zebra", "4"], ["c", "u", "0.10", "dog", "nan"],
            ["d", "u", "0.10", "", "12"]]
    await send_files(bot, rita, template, csv_bytes(["name", "url", "price", "_gold_animal", "_gold_legs"], rows))
    text = last_text(bot, rita)
    assert "3 bad row(s), nothing was published" in text
    assert "row 2: _gold_animal: “zebra” is not one of the options (cat, dog, bird)" in text
    assert "row 3: _gold_legs: must be a number" in text
    assert "row 4: _gold_legs: must be at most 8" in text
    assert "Publish" not in [label for label, _ in bot.tg.last_message(rita.id).buttons]
    assert Hit.select().count() == 0
