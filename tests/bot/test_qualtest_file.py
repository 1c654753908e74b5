"""A qualification test file is as hostile as a spec file until bounded: no YAML aliases, no
deep nesting, and the same friendly errors (issue 13: the third path a YAML file takes)."""
from __future__ import annotations

import tracemalloc

from core.models import QualTest
from tests.bot.chat import last_text
from tests.bot.test_requester_newhit import alias_bomb
from tests.fakes.telegram import TgUser


async def send_test_file(bot, user, name: str, raw: bytes):
    bot.tg.files[name] = raw
    return await bot._feed({"message": bot._message(user, caption="/qualtest", document={
        "file_id": name, "file_unique_id": name + "u", "file_name": name, "file_size": len(raw)})})


async def test_an_alias_bomb_as_a_test_file_is_refused_without_expanding(bot):
    rita = TgUser(641, "Rita")
    await bot.text(rita, "/start")
    tracemalloc.start()
    try:
        await send_test_file(bot, rita, "bomb.yaml", alias_bomb())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "anchors and aliases (& and *) are not allowed" in last_text(bot, rita)
    assert peak < 20 * 1024 * 1024  # 9^7 expanded strings would take gigabytes
    assert QualTest.select().count() == 0


async def test_a_deeply_nested_test_file_gets_a_clear_error(bot):
    rita = TgUser(642, "Rita")
    await bot.text(rita, "/start")
    await send_test_file(bot, rita, "deep.yaml", b"name: x\nquestions: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    text = last_text(bot, rita)
    assert "nested more than" in text and "Something went wrong" not in text, text
    await send_test_file(bot, rita, "list.yaml", b"- just\n- a list\n")
    assert "A test file needs a name and a list of questions" in last_text(bot, rita)
    assert QualTest.select().count() == 0
