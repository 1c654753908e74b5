"""Issue 5: /newhit, the guided creation flow and spec files, over the fake Telegram."""
from __future__ import annotations

import json

from bot.app import build_application
from core import ledger
from core.config import load_settings
from core.models import DraftStatus, Hit, HitDraft, HitRequirement, Question
from tests import factories as f
from tests.bot.chat import labels, last_text
from tests.fakes.telegram import BotHarness, TgUser, answers
from tests.invariants import check_invariants


async def requester(bot, cents: int = 100_00, name: str = "Rita") -> TgUser:
    r = f.requester(cents, name=name)
    user = TgUser(r.id, name)
    await bot.text(user, "/start")
    return user


async def fill_basics(bot, rita) -> None:
    await bot.text(rita, "/newhit")
    assert "What is the <b>title</b>" in last_text(bot, rita)
    await bot.text(rita, "Label the bird")
    assert "Describe the task" in last_text(bot, rita)
    await bot.text(rita, "Look at the photo and say which bird it is.")
    assert "Reward" in last_text(bot, rita)
    await bot.press_label(rita, "$0.25")
    assert "How many workers" in last_text(bot, rita)
    await bot.text(rita, "4")
    await bot.press_label(rita, "10m")
    await bot.press_label(rita, "3d")
    assert "Auto-approve" in last_text(bot, rita)
    assert "3d (default)" in labels(bot, rita)
    await bot.press_label(rita, "1d")


async def add_question(bot, rita, kind: str, prompt: str, detail: str, required: str = "Required") -> None:
    """One question from the kind's button: its prompt, what the kind asks next (options, a range, a
    length), then Required or Optional (labels in the reader's language)."""
    await bot.press_label(rita, kind)
    await bot.text(rita, prompt)
    await bot.text(rita, detail)
    await bot.press_label(rita, required)


async def add_choice_question(bot, rita) -> None:
    assert "Question 1</b>: what kind" in last_text(bot, rita)
    await add_question(bot, rita, "Choice (pick one)", "Which bird is it?", "sparrow\nrobin\nblackbird")
    assert "Question 1 added" in last_text(bot, rita)


async def at_requirements(bot, cents: int = 100_00):
    """A requester whose draft has its basics and one question, at the requirements step."""
    rita = await requester(bot, cents=cents)
    await fill_basics(bot, rita)
    await add_choice_question(bot, rita)
    await bot.press_label(rita, "Done")
    return rita


async def assert_refused(bot, rita, cases: list[tuple[str, str]]) -> None:
    """Each typed requirement is refused with its reason, and none is kept."""
    for bad, why in cases:
        await bot.text(rita, bad)
        assert why in last_text(bot, rita), (bad, last_text(bot, rita))
    assert "So far" not in last_text(bot, rita)


async def test_guided_flow_preview_publish_and_double_tap(bot, now):
    rita = await requester(bot)
    await fill_basics(bot, rita)
    await add_choice_question(bot, rita)
    await bot.press_label(rita, "Add another question")
    await add_question(bot, rita, "Number", "How many birds do you see?", "0 50", "Optional")
    await bot.press_label(rita, "Done")
    assert "Requirements" in last_text(bot, rita)
    await bot.press_label(rita, "Approval rate ≥ 95%")
    assert "So far: approval rate ≥ 95%" in last_text(bot, rita)
    await bot.text(rita, "country in DE, AT")
    await bot.press_label(rita, "Done")
    await bot.photo(rita, file_id="bird-photo")
    text = last_text(bot, rita)
    assert "Preview" in text and "<b>Label the bird</b>" in text
    assert "Which bird is it? — choice (pick one): sparrow / robin / blackbird" in text
    assert "How many birds do you see? — number (0 to 50) (optional)" in text
    assert "approval rate ≥ 95%; country in DE, AT" in text
    assert "📎 Attachment: photo" in text
    # 4 x $0.25 = $1.00 rewards, fee 20% = $0.05 each -> $0.20, total $1.20.
    assert "4 × $0.25 = $1.00 + fee $0.20 = <b>$1.20</b> into escrow" in text
    assert labels(bot, rita) == ["🚀 Publish", "✏️ Edit", "✖️ Cancel"]
    preview = bot.tg.last_message(rita.id)
    publish = preview.buttons[0][1]
    calls = await bot.press(rita, publish, preview.message_id)
    assert answers(calls)[0].params["text"] == "Published!"
    again = await bot.press(rita, publish, preview.message_id)  # the double tap
    assert "already published" in answers(again)[0].params["text"]
    (hit,) = Hit.select()
    assert (hit.title, hit.max_assignments, hit.reward_cents, hit.duration_s, hit.auto_approve_s) == \
        ("Label the bird", 4, 25, 600, 86400)
    assert hit.attachment == "photo:bird-photo"
    qs = list(Question.select().where(Question.hit == hit.id).order_by(Question.position))
    assert [(q.kind, q.required, q.options) for q in qs] == [
        ("choice", True, ["sparrow", "robin", "blackbird"]), ("number", False, None)]
    assert (qs[1].min_value, qs[1].max_value) == (0, 50)
    assert HitRequirement.select().where(HitRequirement.hit == hit.id).count() == 2
    assert ledger.balance(ledger.escrow(hit.id)) == 120
    assert ledger.balance(ledger.available(rita.id)) == 100_00 - 120
    assert HitDraft.get(HitDraft.user == rita.id).status == DraftStatus.PUBLISHED
    assert "Published “Label the bird”" in bot.tg.chats[rita.id][preview.message_id].text
    check_invariants()


async def test_bad_inputs_get_clear_errors_and_a_retry(bot):
    rita = await requester(bot)
    await bot.text(rita, "/newhit")
    await bot.text(rita, "x" * 129)
    assert "at most 128 characters" in last_text(bot, rita)
    await bot.text(rita, "Short title")
    await bot.press_label(rita, "Skip")
    for bad, why in [("abc", "must be a number"), ("0.001", "at most 2 decimal places"), ("-1", "more than zero"),
                     ("5000", "between $0.01 and $1,000.00")]:
        await bot.text(rita, bad)
        assert why in last_text(bot, rita), (bad, last_text(bot, rita))
    await bot.text(rita, "0.10")
    for bad, why in [("0", "from 1 to 1000"), ("lots", "whole number"), ("100000", "from 1 to 1000")]:
        await bot.text(rita, bad)
        assert why in last_text(bot, rita)
    await bot.text(rita, "2")
    for bad, why in [("5 minutes", "duration such as 90s"), ("10s", "between 30s and 1d"), ("2d", "between 30s")]:
        await bot.text(rita, bad)
        assert why in last_text(bot, rita), (bad, last_text(bot, rita))
    await bot.text(rita, "90s")
    await bot.text(rita, "31d")
    assert "between 1m and 30d" in last_text(bot, rita)
    await bot.text(rita, "2h")
    await bot.text(rita, "3d")
    await bot.text(rita, "essay")
    assert "Pick the kind of answer" in last_text(bot, rita)
    await bot.text(rita, "multi")
    await bot.text(rita, "Which colours?")
    await bot.text(rita, "red")
    assert "needs 2 to 10 options" in last_text(bot, rita)
    await bot.text(rita, "red, Red")
    assert "different from each other" in last_text(bot, rita)
    await bot.text(rita, "red, " + "g" * 61)
    assert "1 to 60 characters" in last_text(bot, rita)
    await bot.text(rita, "red, green, blue")
    await bot.text(rita, "maybe")
    assert "Required or Optional" in last_text(bot, rita)
    await bot.text(rita, "required")
    await bot.press_label(rita, "Done")
    await bot.text(rita, "karma >= 5")
    assert "qualification 'karma' is unknown" in last_text(bot, rita)
    await bot.text(rita, "approval_rate is high")
    assert "Write a requirement like" in last_text(bot, rita)
    await bot.text(rita, "approval_rate in")
    assert "needs a list of 1 to 30 values" in last_text(bot, rita)
    await bot.press_label(rita, "No requirements")
    await bot.text(rita, "ftp://example.com/x")
    assert "https://" in last_text(bot, rita)
    await bot.press_label(rita, "Skip")
    text = last_text(bot, rita)
    assert "Preview" in text and "2 × $0.10" in text and "⏱ 1m" in text
    draft = HitDraft.get(HitDraft.user == rita.id)
    assert draft.data["reward"] == "0.10" and draft.data["duration"] == "90s"
    assert Hit.select().count() == 0


async def test_insufficient_balance_says_what_is_missing(bot):
    rita = await at_requirements(bot, cents=50)
    await bot.press_label(rita, "No requirements")
    await bot.press_label(rita, "Skip")
    assert "$0.70 missing" in last_text(bot, rita)  # $1.20 needed, $0.50 available
    calls = await bot.press_label(rita, "Publish")
    sent = [c.text for c in calls if c.method == "sendMessage"]
    assert sent and "needs $1.20 but your balance is $0.50: $0.70 missing. Top up with /topup." in sent[0]
    assert Hit.select().count() == 0
    assert ledger.balance(ledger.available(rita.id)) == 50
    assert HitDraft.get(HitDraft.user == rita.id).status == DraftStatus.EDITING  # still there after topping up


async def test_edit_from_preview_and_cancel_any_time(bot):
    rita = await at_requirements(bot)
    await bot.press_label(rita, "No requirements")
    await bot.press_label(rita, "Skip")
    await bot.press_label(rita, "Edit")
    await bot.press_label(rita, "Reward")
    await bot.text(rita, "0.40")
    assert "4 × $0.40" in last_text(bot, rita)  # straight back to the preview
    await bot.press_label(rita, "Edit")
    await bot.press_label(rita, "Add a question")
    await add_question(bot, rita, "Text", "Any comment?", "300", "Optional")
    await bot.press_label(rita, "Done")
    assert "Any comment? — text (optional)" in last_text(bot, rita)
    await bot.press_label(rita, "Edit")
    await bot.press_label(rita, "Remove last question")
    assert "Any comment?" not in last_text(bot, rita)
    # Cancel in the middle of a question.
    await bot.press_label(rita, "Edit")
    await bot.press_label(rita, "Add a question")
    await bot.press_label(rita, "Cancel")
    assert "Cancelled. Nothing was published" in last_text(bot, rita)
    await bot.text(rita, "Some stray text")  # no longer routed to the draft
    assert HitDraft.get(HitDraft.user == rita.id).status == DraftStatus.CANCELLED
    assert Hit.select().count() == 0


async def test_stale_preset_button_is_refused(bot):
    rita = await requester(bot)
    await bot.text(rita, "/newhit")
    await bot.text(rita, "Title")
    await bot.press_label(rita, "Skip")
    reward_prompt = bot.tg.last_message(rita.id)
    await bot.press_label(rita, "$0.05", reward_prompt.message_id)
    again = await bot.press(rita, reward_prompt.buttons[1][1], reward_prompt.message_id)  # $0.10, too late
    assert "already answered" in answers(again)[0].params["text"]
    assert HitDraft.get(HitDraft.user == rita.id).data["reward"] == "0.05"
    mallory = await requester(bot, name="Mallory")
    forged = await bot.press(mallory, reward_prompt.buttons[1][1])
    assert answers(forged)[0].params["text"] == "This button is no longer valid."


async def test_draft_survives_a_restart(bot, clock):
    rita = await requester(bot)
    await bot.text(rita, "/newhit")
    await bot.text(rita, "Restart-proof")
    await bot.press_label(rita, "Skip")
    await bot.text(rita, "0.30")
    await bot.app.shutdown()
    # A new process: nothing in memory, the same database.
    app = build_application(load_settings(telegram_bot_token="123:TEST", telegram_api_url="http://fake.invalid"),
                            request=bot.tg, rate_limit=False, clock=clock)
    await app.initialize()
    fresh = BotHarness(app, bot.tg)
    fresh._update_ids = bot._update_ids
    await fresh.text(rita, "2")  # the assignments answer goes to the same draft
    assert "Time allotted" in last_text(fresh, rita)
    await fresh.text(rita, "/newhit")
    assert "unfinished HIT “Restart-proof”" in last_text(fresh, rita)
    await fresh.press_label(rita, "Continue")
    assert "Time allotted" in last_text(fresh, rita)
    draft = HitDraft.get(HitDraft.user == rita.id)
    assert (draft.data["reward"], draft.data["assignments"]) == ("0.30", 2)
    await app.shutdown()


async def test_spec_file_instead_of_the_steps(bot):
    rita = await requester(bot)
    spec = f.spec(assignments=2, qualifications=[{"name": "approval_rate", "comparator": ">=", "value": 90}])
    bot.tg.files["spec1"] = json.dumps(spec).encode()
    await bot._feed({"message": bot._message(rita, caption="/newhit", document={
        "file_id": "spec1", "file_unique_id": "s1", "file_name": "hit.json", "file_size": 500})})
    text = last_text(bot, rita)
    assert "Preview" in text and "Label the photo" in text and "2 × $0.50" in text
    await bot.press_label(rita, "Publish")
    assert Hit.select().count() == 1


async def test_spec_file_errors_name_the_line(bot):
    rita = await requester(bot)
    await bot.text(rita, "/newhit")
    bad_yaml = b"title: Birds\nreward: '0.10'\nquestions:\n  - {id: a, kind: text, prompt: 'x'\n"
    await bot.document(rita, "bad1", "hit.yaml", "application/x-yaml", bad_yaml)
    assert "can't be read on line" in last_text(bot, rita)
    unknown = (b"title: Birds\nreward: '0.10'\ncolour: red\nquestions:\n"
               b"  - id: a\n    kind: choice\n    prompt: Which?\n    options: [one]\n")
    await bot.document(rita, "bad2", "hit.yml", "application/x-yaml", unknown)
    text = last_text(bot, rita)
    assert "line 3, colour: unknown key" in text
    assert "line 5, questions.0: " in text and "2 to 10 options" in text
    assert Hit.select().count() == 0
    assert HitDraft.get(HitDraft.user == rita.id).step == "title"  # the guided draft is untouched


# Issue 13: hostile spec files, invisible titles, requirements nobody can meet -----------------

def alias_bomb(levels: int = 7) -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefg", "bcdefgh"[: levels - 1]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


async def test_a_hostile_spec_file_is_refused_at_once_with_a_clear_error(bot):
    rita = await requester(bot)
    await bot.text(rita, "/newhit")
    await bot.document(rita, "bomb", "bomb.yaml", "application/x-yaml", alias_bomb())
    assert "anchors and aliases (& and *) are not allowed" in last_text(bot, rita)
    for name, raw in [("deep.json", b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
                      ("deep.yaml", b"title: " + b"[" * 5000 + b"]" * 5000 + b"\n")]:
        await bot.document(rita, name, name, "application/x-yaml", raw)
        text = last_text(bot, rita)
        assert "nested more than 10 levels deep" in text and "Something went wrong" not in text, text
    spec = f.spec(assignments=True, questions=[{"id": "n", "kind": "number", "prompt": "How many?", "min": "nan"}])
    await bot.document(rita, "bools", "hit.json", "application/json", json.dumps(spec, indent=1).encode())
    text = last_text(bot, rita)
    assert "assignments: must be a whole number such as 3, not true or false" in text
    assert "questions.0.min: must be a finite number" in text
    assert "Input should" not in text
    assert Hit.select().count() == 0
    assert HitDraft.get(HitDraft.user == rita.id).step == "title"


async def test_the_wizard_refuses_invisible_titles_and_requirements_nobody_can_meet(bot):
    rita = await requester(bot)
    await bot.text(rita, "/newhit")
    await bot.text(rita, "\u200b\u200b\u2060")
    assert "The title holds an invisible character (U+200B ZERO WIDTH SPACE)" in last_text(bot, rita)
    await bot.text(rita, "\u200d \u200d")
    assert "The title needs at least one visible character" in last_text(bot, rita)
    await bot.text(rita, "Pay \u202eyenom\u202c now")
    assert "The title holds an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)" in last_text(bot, rita)
    await bot.text(rita, "Label the bird")
    await bot.text(rita, "Look \u2066closely\u2069")
    assert "The description holds an invisible character (U+2066" in last_text(bot, rita)
    await bot.press_label(rita, "Skip")
    await bot.press_label(rita, "$0.25")
    await bot.text(rita, "١٠")
    assert "whole number from 1 to 1000" in last_text(bot, rita)
    await bot.text(rita, "2")
    await bot.press_label(rita, "10m")
    await bot.press_label(rita, "3d")
    await bot.press_label(rita, "1d")
    await add_choice_question(bot, rita)
    await bot.press_label(rita, "Done")
    await assert_refused(bot, rita, [("approval_rate >= 150", "Approval rate is a percentage from 0 to 100"),
                                     ("approval_rate > 100", "No worker can have an approval rate above 100"),
                                     ("approved_count >= -1", "Approved HITs can't be negative"),
                                     ("account_age_days < 0", "No worker can have an account age below 0"),
                                     ("country in DE, EU", "“EU” is not a country code"),
                                     ("country = Germany", "“Germany” is not a country code"),
                                     ("country >= DE", "Country can only be compared with")])
    await bot.text(rita, "country in de, at")
    assert "So far: country in DE, AT" in last_text(bot, rita)


async def test_one_requirement_is_removed_without_re_entering_the_others(bot):
    rita = await at_requirements(bot)
    await bot.press_label(rita, "Approval rate ≥ 95%")
    await bot.text(rita, "country in DE, AT")
    await bot.text(rita, "account_age_days >= 7")
    assert "So far: approval rate ≥ 95%; country in DE, AT; account age days ≥ 7" in last_text(bot, rita)
    await bot.press_label(rita, "✖️ country in DE, AT")
    assert "So far: approval rate ≥ 95%; account age days ≥ 7" in last_text(bot, rita)
    assert "✖️ country in DE, AT" not in labels(bot, rita)
    await bot.press_label(rita, "Done")
    await bot.press_label(rita, "Skip")
    assert "approval rate ≥ 95%; account age days ≥ 7" in last_text(bot, rita)
    # From the preview: Edit → Requirements keeps them; remove one, and Done is back at the preview.
    await bot.press_label(rita, "Edit")
    await bot.press_label(rita, "Requirements")
    assert "So far: approval rate ≥ 95%; account age days ≥ 7" in last_text(bot, rita)
    card = bot.tg.last_message(rita.id)
    remove = next(data for label, data in card.buttons if label == "✖️ approval rate ≥ 95%")
    assert answers(await bot.press(rita, remove, card.message_id))[0].params["text"] == "Requirement removed."
    again = await bot.press(rita, remove, card.message_id)  # a double tap removes one requirement, not two
    assert "already removed" in answers(again)[0].params["text"]
    assert "So far: account age days ≥ 7" in last_text(bot, rita)
    await bot.press_label(rita, "Done")
    text = last_text(bot, rita)
    assert "Preview" in text and "🔒 Requires: account age days ≥ 7" in text and "approval rate" not in text
    assert HitDraft.get(HitDraft.user == rita.id).data["qualifications"] == [
        {"name": "account_age_days", "comparator": ">=", "value": 7}]
