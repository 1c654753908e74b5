from __future__ import annotations

from core.models import User
from tests.fakes.telegram import TgUser, answers


async def test_start_registers_and_shows_menu(bot):
    ann = TgUser(501, "Ann", language_code="de", username="ann")
    calls = await bot.text(ann, "/start")
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 1
    assert sent[0].text.startswith("Hallo Ann! hitbot ist ein Marktplatz")  # her app speaks German
    labels = [label for label, _ in sent[0].buttons]
    assert "🔎 Aufgaben ansehen" in labels
    user = User.get_by_id(501)
    assert (user.first_name, user.username, user.language_code) == ("Ann", "ann", "de")


async def test_forged_button_gets_notice_and_changes_nothing(bot):
    eve = TgUser(502, "Eve")
    await bot.text(eve, "/start")
    for data in ("x" * 70, "w:acc:abc", "zz", "w:acc:1:2:3:4"):
        calls = await bot.press(eve, data)
        (answer,) = answers(calls)
        assert answer.params["text"] == "This button is no longer valid."
