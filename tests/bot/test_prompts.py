"""Typed input never spends money by surprise: every prompt can be cancelled (its button or
/cancel), any other command ends it, and what nothing waits for gets a helpful reply.
/help and the command menu list every command, by role."""
from __future__ import annotations

import json
import re

from telegram.ext import CommandHandler

from bot.handlers import post_init
from bot.views import start as start_views
from core import ledger
from core.models import Assignment, AssignmentStatus, Hit, HitDraft, User
from core.review import commands as review
from core.work import commands as work
from tests import factories as f
from tests.bot.chat import last_text
from tests.bot.worker_fixtures import (
    every_html_message_parses,  # noqa: F401  (autouse)
    person,
)
from tests.conftest import ADMIN_ID, NOW
from tests.fakes.telegram import TgUser


def waiting(user) -> dict | None:
    return (User.get_by_id(user.id).prefs or {}).get("awaiting")


def submitted(hit, worker):
    a = work.accept(worker_id=worker.id, hit_id=hit.id, now=NOW)
    q = next(q for q in hit.questions if q.key == "animal")
    work.save_answer(worker_id=worker.id, assignment_id=a.id, question_id=q.id, value="cat", now=NOW)
    return work.submit(worker_id=worker.id, assignment_id=a.id, now=NOW)


async def hit_card(bot, rita, hit):
    await bot.text(rita, "/myhits")
    await bot.press_label(rita, hit.title)
    return bot.tg.last_message(rita.id)


async def test_other_number_does_not_stay_armed_across_cancel_and_other_commands(bot):
    """The first real run: typing 7 long after /cancel added 7 paid assignments, unconfirmed."""
    rita = await person(bot, "Rita", cents=20_00)
    hit = f.hit(rita.id, reward="0.40", assignments=2)
    card = await hit_card(bot, rita, hit)
    escrow = ledger.balance(ledger.escrow(hit.id))
    await bot.press_label(rita, "Other number", card.message_id)
    prompt = bot.tg.last_message(rita.id)
    assert "How many more assignments" in prompt.text and "✖️ Cancel" in [lbl for lbl, _ in prompt.buttons]
    await bot.text(rita, "/cancel")
    assert last_text(bot, rita) == "✖️ Cancelled adding assignments; nothing was added or paid."
    await bot.text(rita, "/myhits")
    await bot.text(rita, "7")
    assert last_text(bot, rita) == start_views.NOT_WAITING
    # the same without /cancel: another command ends the prompt
    await bot.press_label(rita, "Other number", card.message_id)
    await bot.text(rita, "/balance")
    await bot.text(rita, "7")
    assert last_text(bot, rita) == start_views.NOT_WAITING
    # /browse ends it in the same core call that reads its page (bot.input.ENDS_OWN_PROMPT)
    await bot.press_label(rita, "Other number", card.message_id)
    await bot.text(rita, "/browse")
    assert waiting(rita) is None
    await bot.text(rita, "7")
    assert last_text(bot, rita) == start_views.NOT_WAITING
    # ... and so does a /browse for another bot, which its handler never sees (the preload ends it)
    await bot.press_label(rita, "Other number", card.message_id)
    await bot.text(rita, "/browse@someotherbot")
    assert waiting(rita) is None
    # and the prompt's own Cancel button
    await bot.press_label(rita, "Other number", card.message_id)
    prompt = bot.tg.last_message(rita.id)
    await bot.press_label(rita, "Cancel", prompt.message_id)
    assert bot.tg.chats[rita.id][prompt.message_id].text.startswith("✖️ Cancelled")
    assert waiting(rita) is None
    await bot.text(rita, "7")
    assert Hit.get_by_id(hit.id).max_assignments == 2 and ledger.balance(ledger.escrow(hit.id)) == escrow


async def test_a_typed_count_out_of_bounds_keeps_the_question_and_moves_nothing(bot):
    rita = await person(bot, "Rita", cents=20_00)
    hit = f.hit(rita.id, reward="0.40", assignments=2)
    card = await hit_card(bot, rita, hit)
    await bot.press_label(rita, "Other number", card.message_id)
    before = ledger.balance(ledger.available(rita.id))
    for bad in ("0", "-3", "٣", "99999", "3.5"):
        await bot.text(rita, bad)
        assert "Send a whole number from 1 to 998" in last_text(bot, rita), bad
    await bot.text(rita, "3")
    assert "$1.44 (3 × $0.48, reward and fee)" in last_text(bot, rita)
    assert ledger.balance(ledger.available(rita.id)) == before and Hit.get_by_id(hit.id).max_assignments == 2


async def test_cancel_says_what_it_cancelled_everywhere(bot):
    rita = await person(bot, "Rita", cents=20_00)
    await bot.text(rita, "/cancel")
    assert last_text(bot, rita) == start_views.NOTHING_TO_CANCEL
    # the new-HIT wizard: the draft goes
    await bot.text(rita, "/newhit")
    draft = HitDraft.get(HitDraft.user == rita.id)
    await bot.text(rita, "/cancel")
    assert last_text(bot, rita) == "✖️ Cancelled the new HIT. Nothing was published."
    assert HitDraft.get_by_id(draft.id).status == "cancelled"
    await bot.text(rita, "My title")
    assert last_text(bot, rita) == start_views.NOT_WAITING
    # a rejection reason: the submission still waits
    hit = f.hit(rita.id)
    wes = f.user("Wes")
    a = submitted(hit, wes)
    await bot.text(rita, "/review")
    await bot.press(rita, f"r:rej:{a.id}", bot.tg.last_message(rita.id).message_id)
    assert waiting(rita)["kind"] == "reject"
    await bot.text(rita, "/cancel")
    assert last_text(bot, rita) == "✖️ Cancelled the rejection; the submission still waits for your review."
    await bot.text(rita, "sloppy work")
    assert Assignment.get_by_id(a.id).status == AssignmentStatus.SUBMITTED


async def test_cancel_mid_assignment_stops_taking_answers_and_continue_brings_it_back(bot):
    rita = await person(bot, "Rita", cents=20_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")
    await bot.text(wes, f"/start hit_{hit.id}")
    await bot.press_label(wes, "Accept")
    await bot.text(wes, "/help")  # another command keeps the answers flowing to the HIT
    await bot.text(wes, "dog")
    assert "Question 2 of 2" in last_text(bot, wes)
    await bot.text(wes, "/cancel")
    assert last_text(bot, wes) == ("⏸ Your messages no longer answer “Label the photo”. Your answers so far are kept: "
                              "continue it from /mywork.")
    await bot.text(wes, "a small dog")
    assert last_text(bot, wes) == start_views.NOT_WAITING
    a = Assignment.get(Assignment.worker == wes.id)
    assert a.status == AssignmentStatus.ACCEPTED
    await bot.press(wes, f"w:go:{a.id}")
    await bot.text(wes, "a small dog")
    assert "Your answers" in last_text(bot, wes)  # the summary: the last question took the answer


async def test_the_appeal_prompt_has_a_cancel_button(bot):
    rita = await person(bot, "Rita", cents=20_00)
    hit = f.hit(rita.id)
    wes = await person(bot, "Wes")
    a = submitted(hit, wes)
    review.reject(requester_id=rita.id, assignment_id=a.id, feedback="no answer", now=NOW)
    await bot.press(wes, f"q:apl:{a.id}")
    prompt = bot.tg.last_message(wes.id)
    assert "Write your appeal" in prompt.text
    await bot.press_label(wes, "Cancel", prompt.message_id)
    assert bot.tg.chats[wes.id][prompt.message_id].text == "✖️ Cancelled the appeal; nothing was sent."
    await bot.text(wes, "please approve")
    assert last_text(bot, wes) == start_views.NOT_WAITING


async def test_unknown_commands_and_stray_messages_get_a_helpful_reply(bot):
    wes = await person(bot, "Wes")
    await bot.text(wes, "/frobnicate now")
    assert last_text(bot, wes).startswith("I don't know /frobnicate. Here is what you can do:\n\n<b>For workers</b>")
    calls = await bot.text(wes, "hello")
    (reply,) = [c for c in calls if c.method == "sendMessage"]
    assert reply.text == start_views.NOT_WAITING and "🔎 Browse HITs" in [lbl for lbl, _ in reply.buttons]
    await bot.photo(wes)
    assert last_text(bot, wes) == start_views.NOT_WAITING
    await bot.document(wes, file_name="task.yaml", mime_type="application/yaml")
    assert "caption /newhit" in last_text(bot, wes)


def registered_commands(app) -> set[str]:
    return {c for handlers in app.handlers.values() for h in handlers if isinstance(h, CommandHandler)
            for c in h.commands}


async def test_help_and_the_menu_list_every_command_by_role(bot):
    commands = registered_commands(bot.app)
    admin_only = {"credit", "refund", "reports", "forget"}  # /blocks is everyone's: a worker blocks requesters there
    assert {"qual", "tests", "profile", "quality", "blocks", "credit", "cancel"} <= commands
    wes = await person(bot, "Wes")
    await bot.text(wes, "/help")
    shown = set(re.findall(r"/(\w+) –", last_text(bot, wes)))
    assert shown == commands - admin_only
    ada = TgUser(ADMIN_ID, "Ada")
    await bot.text(ada, "/help")
    assert set(re.findall(r"/(\w+) –", last_text(bot, ada))) == commands
    bot.tg.calls.clear()
    await post_init(bot.app)
    menus = [c for c in bot.tg.calls if c.method == "setMyCommands"]
    everyone = [c for c in menus if "scope" not in c.params or json.loads(json.dumps(c.params["scope"]))
                .get("type") == "default"]
    for menu in everyone:
        listed = {c["command"] for c in _commands(menu)}
        assert listed == commands - admin_only, menu.params.get("language_code")
    (admins,) = [c for c in menus if c not in everyone]
    assert {c["command"] for c in _commands(admins)} == commands
    assert _scope(admins) == {"type": "chat", "chat_id": ADMIN_ID}


def _commands(call) -> list[dict]:
    raw = call.params["commands"]
    return json.loads(raw) if isinstance(raw, str) else raw


def _scope(call) -> dict:
    raw = call.params["scope"]
    return json.loads(raw) if isinstance(raw, str) else raw
