"""Issue 18, keeping conversations safe in chat: Mute / Unmute and Report from a thread, the admin's
/reports with Resolve, a worker blocking a requester (HIT gone from /browse, Unblock from /blocks),
a flagged first message, and a photo relayed by file_id; forged presses change nothing."""
from __future__ import annotations

from core.models import OutboxEvent, RequesterBlock, Thread, ThreadReport
from tests import factories as f
from tests.bot.chat import labels, last_text, newest
from tests.conftest import ADMIN_ID
from tests.fakes.telegram import TgUser, answers


def delivered(to: int):
    return newest("message.received", to)


async def _asked(bot, text="Is a kitten a cat?"):
    r = f.requester(10_00)
    rita = TgUser(r.id, "Rita")
    await bot.text(rita, "/start")
    wes = TgUser(651, "Wes", username="wes_private")
    await bot.text(wes, "/start")
    hit = f.hit(r.id, title="Label the photo")
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Ask the requester")
    await bot.text(wes, text)
    return rita, wes, hit, Thread.get().id


async def test_mute_stops_notices_report_reaches_the_admin_who_resolves_it(bot):
    rita, wes, _hit, tid = await _asked(bot)
    await bot.text(rita, "/messages")
    await bot.press_label(rita, "Worker #")
    assert labels(bot, rita) == ["↩️ Reply", "🔕 Mute", "🚩 Report", "➕ Offer follow-up work"]  # no Block on their side
    toast = answers(await bot.press_label(rita, "🔕 Mute"))[0].params["text"]
    assert "Muted" in toast and "🔕 Muted" in last_text(bot, rita) and "🔔 Unmute" in labels(bot, rita)
    before = OutboxEvent.select().where(OutboxEvent.user_id == rita.id).count()
    await bot.press(wes, f"ms:rp:{tid}")
    await bot.text(wes, "Hello?")
    assert OutboxEvent.select().where(OutboxEvent.user_id == rita.id).count() == before  # muted: no notice
    await bot.press_label(rita, "🔔 Unmute")
    assert "🔕 Muted" not in last_text(bot, rita)

    await bot.press_label(rita, "🚩 Report")
    assert "Why are you reporting" in last_text(bot, rita)
    await bot.text(rita, "x" * 501)
    assert "at most 500" in last_text(bot, rita) and ThreadReport.select().count() == 0
    await bot.text(rita, "Spam about a crypto job")
    assert "Reported" in last_text(bot, rita)
    again = await bot.press(rita, f"ms:rep:{tid}")
    assert "already reported" in answers(again)[0].params["text"]

    await bot.text(wes, "/reports")
    assert "Only admins" in last_text(bot, wes)
    admin = TgUser(f.user("Ada", user_id=ADMIN_ID).id, "Ada")
    await bot.text(admin, "/reports")
    page = last_text(bot, admin)
    assert "Open reports: 1" in page and "Spam about a crypto job" in page and "Hello?" in page
    assert "reported by the requester" in page
    forged = await bot.press(wes, f"ms:rs:{ThreadReport.get().id}:0")
    assert "Only admins" in answers(forged)[0].params["text"] and ThreadReport.get().resolved_at is None
    toast = answers(await bot.press_label(admin, "Resolve"))[0].params["text"]
    assert toast == "✅ Resolved." and "Open reports: 0" in last_text(bot, admin)
    assert ThreadReport.get().resolved_by == ADMIN_ID


async def test_a_worker_blocks_a_requester_from_the_thread_and_unblocks_in_blocks(bot):
    rita, wes, hit, tid = await _asked(bot)
    await bot.text(wes, "/browse")
    assert "Label the photo" in last_text(bot, wes)
    forged = await bot.press(rita, f"ms:bk:{tid}")  # a requester cannot block "a requester"
    assert answers(forged)[0].params["text"] == "This button is no longer valid."
    assert RequesterBlock.select().count() == 0

    await bot.text(wes, "/messages")
    await bot.press_label(wes, "Rita")
    toast = answers(await bot.press_label(wes, "⛔ Block requester"))[0].params["text"]
    assert "Blocked" in toast and "✅ Unblock requester" in labels(bot, wes) and "↩️ Reply" not in labels(bot, wes)
    await bot.text(wes, "/browse")
    assert "Label the photo" not in last_text(bot, wes)
    await bot.text(wes, f"/start hit_{hit.id}")
    assert "You blocked this requester" in last_text(bot, wes)
    refused = await bot.press(rita, f"ms:rp:{tid}")
    assert "does not take messages from you" in answers(refused)[0].params["text"]

    await bot.text(wes, "/blocks")
    assert "Requesters you blocked" in last_text(bot, wes) and "Rita" in last_text(bot, wes)
    toast = answers(await bot.press_label(wes, "Unblock Rita"))[0].params["text"]
    assert toast == "✅ Unblocked." and RequesterBlock.select().count() == 0
    await bot.text(wes, "/browse")
    assert "Label the photo" in last_text(bot, wes)


async def test_a_first_message_with_a_link_is_delivered_with_a_warning(bot):
    rita, wes, _hit, tid = await _asked(bot, "Write me on @real_helpdesk for the bonus")
    notice = delivered(rita.id)
    assert "⚠️ This first message has a link; hitbot never asks for passwords or payments" in notice.text
    await bot.press(rita, f"ms:rp:{tid}")
    await bot.text(rita, "see https://example.com")  # not the first: no warning
    assert "⚠️" not in delivered(wes.id).text


async def test_a_photo_is_relayed_by_file_id_without_the_sender(bot):
    rita, wes, _hit, tid = await _asked(bot)
    await bot.press(wes, f"ms:rp:{tid}")
    await bot.photo(wes, file_id="AgAC-wes-photo", caption="Like this one?")
    assert "Sent" in last_text(bot, wes)
    notice = delivered(rita.id)
    assert notice.photo == "AgAC-wes-photo" and "Like this one?" in notice.text and len(notice.text) <= 1024
    assert "Wes" not in notice.text and "wes_private" not in notice.text
    await bot.press(wes, f"ms:rp:{tid}")
    await bot.document(wes, file_id="bad-exe", file_name="run.exe", mime_type="application/x-msdownload")
    assert "can't be sent" in last_text(bot, wes)
    await bot.text(rita, "/messages")
    await bot.press_label(rita, "Worker #")
    assert "📷 Photo Like this one?" in last_text(bot, rita)
