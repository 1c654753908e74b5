"""/privacy in the chat: what hitbot keeps, Export my data (a JSON file), Delete my account (with
what stays and why, after a confirmation), a requester with escrow told to wait, /forget for admins."""
from __future__ import annotations

import json

from core.hits import manage
from core.models import User
from tests import factories as f
from tests.bot.test_worker_balance import capture_uploads, do_work
from tests.conftest import ADMIN_ID, NOW
from tests.fakes.telegram import TgUser, answers
from tests.invariants import check_invariants


def _texts(calls) -> str:
    return "\n".join(c.text for c in calls if c.method in ("sendMessage", "editMessageText"))


async def test_privacy_shows_what_is_kept_and_exports_it_as_json(bot):
    rita = f.requester(20_00)
    hit = f.hit(rita.id, reward="1.00", assignments=1)
    wes = TgUser(f.user("Wes").id, "Wes", username="wes_w")
    do_work(hit, wes, animal="dog")
    shown = _texts(await bot.text(wes, "/privacy"))
    assert "Your data in hitbot" in shown and "Wes" in shown and "Work: 1 assignment with 1 answer, 0 appeals" in shown

    uploads = capture_uploads(bot)
    await bot.press_label(wes, "Export my data")
    (name, body, mime), = uploads
    assert name == f"hitbot-data-{wes.id}.json"
    data = json.loads(body)
    assert data["profile"]["username"] == "wes_w"
    assert data["work"][0]["answers"][0]["value"] == "dog"
    assert {"payouts", "ratings", "appeals", "hits", "balances"} <= set(data)


async def test_delete_my_account_asks_says_what_stays_and_erases(bot):
    rita = f.requester(20_00)
    hit = f.hit(rita.id, reward="1.00", assignments=1)
    wes = TgUser(f.user("Wes").id, "Wes", username="wes_w")
    do_work(hit, wes, animal="dog")
    await bot.text(wes, "/privacy")
    ask = _texts(await bot.press_label(wes, "Delete my account"))
    assert "What stays, and why" in ask and "ledger" in ask and "cannot be undone" in ask
    assert User.get_by_id(wes.id).first_name == "Wes"  # nothing happens before Yes

    await bot.press_label(wes, "Cancel")
    assert User.get_by_id(wes.id).first_name == "Wes"

    await bot.text(wes, "/privacy")
    await bot.press_label(wes, "Delete my account")
    done = _texts(await bot.press_label(wes, "Yes, delete"))
    assert "Your account is deleted" in done
    gone = User.get_by_id(wes.id)
    assert gone.first_name == "" and gone.username is None
    check_invariants()


async def test_a_requester_with_escrow_is_told_to_wait(bot):
    rita_user = f.requester(20_00)
    hit = f.hit(rita_user.id, reward="1.00", assignments=2)
    rita = TgUser(rita_user.id, "Rita")
    await bot.text(rita, "/privacy")
    told = _texts(await bot.press_label(rita, "Delete my account"))
    assert "escrow" in told and "/myhits" in told
    assert not any("Yes, delete" in label for c in bot.tg.sent_to(rita.id) for label, _ in c.buttons)

    manage.close_hit(hit_id=hit.id, now=NOW, requester_id=rita.id)
    await bot.text(rita, "/privacy")
    assert "What stays" in _texts(await bot.press_label(rita, "Delete my account"))


async def test_forget_is_for_admins_with_a_confirmation(bot):
    wes = TgUser(f.user("Wes").id, "Wes")
    admin = TgUser(f.user("Ada", user_id=ADMIN_ID).id, "Ada")
    refused = _texts(await bot.text(wes, f"/forget {wes.id}"))
    assert "Only admins" in refused
    forged = await bot.press(wes, f"pv:fg:{wes.id}")  # a forged button: core re-checks
    assert answers(forged) and User.get_by_id(wes.id).first_name == "Wes"

    assert "Usage" in _texts(await bot.text(admin, "/forget someone"))
    ask = _texts(await bot.text(admin, f"/forget {wes.id}"))
    assert "Delete the account of Wes" in ask and User.get_by_id(wes.id).first_name == "Wes"
    done = _texts(await bot.press_label(admin, "Yes, delete"))
    assert f"user {wes.id} is deleted" in done and User.get_by_id(wes.id).first_name == ""


async def test_help_lists_privacy_and_admins_see_forget(bot):
    wes = TgUser(f.user("Wes").id, "Wes")
    admin = TgUser(f.user("Ada", user_id=ADMIN_ID).id, "Ada")
    assert "/privacy" in _texts(await bot.text(wes, "/help")) and "/forget" not in _texts(await bot.text(wes, "/help"))
    assert "/forget" in _texts(await bot.text(admin, "/help"))
