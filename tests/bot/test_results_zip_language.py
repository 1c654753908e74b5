"""The results ZIP in the requester's language (issue 20): a big ZIP is built by the jobs worker, which has
no update to take a language from, so it reads the requester's; the file names and the CSV stay as they are."""
from __future__ import annotations

from bot import results_zip
from core.models import OutboxEvent
from core.users import commands as users
from tests.bot.test_results_zip import edits_of, offer, work_done, zips
from tests.bot.worker_fixtures import every_html_message_parses  # noqa: F401  (autouse)


async def test_the_jobs_worker_builds_the_zip_in_the_requesters_language(bot, monkeypatch):
    monkeypatch.setattr(results_zip, "ZIP_INLINE_FILES", 2)
    rita, hit, _, _ = await work_done(bot, 1)
    uploads, offered = await offer(bot, rita, hit)
    await bot.press_label(rita, "ZIP with the files", offered.message_id)
    (event,) = OutboxEvent.select().where(OutboxEvent.kind == "export.requested")
    users.set_language(user_id=rita.id, language="de")  # she switched to German before the worker got to it
    job = {k: event.payload[k] for k in ("requester_id", "chat_id", "message_id", "hit_id", "batch_id")}
    outcome = await results_zip.build_and_send(bot.app.bot, now=event.created_at, **job)

    assert outcome == "3 file(s) in 1 part(s), 0 missing"  # the log's line stays English
    shown = edits_of(bot, rita.id, offered.message_id)
    assert "📦 ZIP wird erstellt … Dateien: ▓▓▓▓▓▓▓▓▓▓ 3/3" in shown
    assert bot.tg.chats[rita.id][offered.message_id].text == "✅ ZIP fertig: 3 Dateien in 1 Teil."
    caption = [c.params.get("caption") for c in bot.tg.calls if c.method == "sendDocument"][-1]
    assert caption.startswith(f"📦 3 Dateien, dazu hit-{hit.id}-results.csv und hit-{hit.id}-results.json")
    ((name, z),) = zips(uploads)
    assert name == f"hit-{hit.id}-results.zip"  # machines read the names and columns: unchanged
    assert z.read(f"hit-{hit.id}-results.csv").decode("utf-8-sig").startswith("hit_id,")


async def test_a_small_zip_built_in_the_handler_speaks_the_language_of_the_update(bot):
    rita, hit, _, _ = await work_done(bot, 1)
    _, offered = await offer(bot, rita, hit)
    await bot.text(rita, "/language ru")  # the press is handled in Russian
    await bot.press(rita, offered.buttons[0][1], offered.message_id)
    assert bot.tg.chats[rita.id][offered.message_id].text == "✅ ZIP готов: 3 файла (1 часть)."
