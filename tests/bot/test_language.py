"""Every person in their own language (issue 20): Telegram's language_code by default, /language to
choose, the choice stored and winning on later updates, the command menu following it."""
from __future__ import annotations

import json

from bot.handlers import language, post_init
from core.models import User
from core.users import commands as users
from tests.fakes.telegram import TgUser, answers


def _commands(call) -> dict[str, str]:
    raw = call.params["commands"]
    return {c["command"]: c["description"] for c in (json.loads(raw) if isinstance(raw, str) else raw)}


def _scope(call) -> dict:
    raw = call.params.get("scope") or {"type": "default"}
    return json.loads(raw) if isinstance(raw, str) else raw


def _sent(calls) -> list:
    return [c for c in calls if c.method in ("sendMessage", "editMessageText")]


async def test_a_spanish_app_gets_spanish_start_help_and_menu(bot):
    nia = TgUser(601, "Nia", language_code="es")
    (welcome,) = _sent(await bot.text(nia, "/start"))
    assert welcome.text.startswith("¡Hola, Nia! hitbot es un mercado de pequeñas tareas pagadas")
    assert [label for label, _ in welcome.buttons] == ["🔎 Ver tareas", "🧰 Mi trabajo", "💰 Saldo", "➕ Nueva tarea"]
    (help_,) = _sent(await bot.text(nia, "/help"))
    assert help_.text.startswith("<b>Para trabajadores</b>\n/browse – Buscar tareas para hacer")
    assert "<b>Para solicitantes</b>" in help_.text and "/language – Elegir el idioma de hitbot" in help_.text
    bot.tg.calls.clear()
    await post_init(bot.app)
    menus = {c.params.get("language_code"): c for c in bot.tg.calls
             if c.method == "setMyCommands" and _scope(c)["type"] == "default"}
    assert _commands(menus["es"])["browse"] == "Buscar tareas para hacer"
    assert _commands(menus[None])["browse"] == "Find HITs to work on"  # the default: English
    assert set(menus) == {None, "es", "pt", "ru", "id", "hi", "ar", "uk", "tr", "de", "fr"}


async def test_language_buttons_switch_to_russian_and_the_choice_wins_over_the_app(bot):
    nia = TgUser(602, "Nia", language_code="es")
    await bot.text(nia, "/start")
    (prompt,) = _sent(await bot.text(nia, "/language"))
    assert prompt.text.startswith("Elige tu idioma")
    labels = dict(prompt.buttons)
    assert "✓ Español" in labels and "Русский" in labels and "العربية" in labels and len(labels) == 11
    calls = await bot.press_label(nia, "Русский")
    (done,) = _sent(calls)
    assert done.text.startswith("✅ Русский: теперь hitbot отвечает вам на этом языке")
    (menu,) = [c for c in calls if c.method == "setMyCommands"]
    assert _scope(menu) == {"type": "chat", "chat_id": 602} and _commands(menu)["browse"] == "Найти задания"
    assert User.get_by_id(602).prefs["language"] == "ru"
    # Her app still says Spanish on every update; her choice wins, in this process and after a restart.
    (help_,) = _sent(await bot.text(nia, "/help"))
    assert help_.text.startswith("<b>Исполнителям</b>\n/browse – Найти задания")
    bot.app.drop_user_data(602)  # as a fresh process sees her
    (reply,) = _sent(await bot.text(nia, "/cancel"))
    assert reply.text == "Отменять нечего: я ничего от вас не жду. См. /help."
    assert User.get_by_id(602).language_code == "es"  # what Telegram says is still kept as it is


async def test_a_choice_stored_by_another_replica_is_seen_within_the_recheck(bot, clock):
    nia = TgUser(612, "Nia", language_code="es")
    await bot.text(nia, "/start")
    users.set_language(user_id=612, language="uk")  # /language on another bot replica
    assert _sent(await bot.text(nia, "/help"))[0].text.startswith("<b>Para trabajadores</b>")
    clock.advance(seconds=language.RECHECK_S + 1)
    assert _sent(await bot.text(nia, "/help"))[0].text.startswith("<b>Виконавцям</b>")


async def test_a_forged_language_button_changes_nothing(bot):
    ivo = TgUser(603, "Ivo", language_code="de")
    await bot.text(ivo, "/start")
    for data in ("lg:set:11", "lg:set:-1", "lg:set:99999", "lg:set", "zz"):
        (answer,) = answers(await bot.press(ivo, data))
        assert answer.params["text"] == "Diese Schaltfläche gilt nicht mehr."  # told in his language
    assert "language" not in (User.get_by_id(603).prefs or {})
    (help_,) = _sent(await bot.text(ivo, "/help"))
    assert help_.text.startswith("<b>Für Bearbeiter</b>")


async def test_language_by_name_or_code_and_an_unknown_one(bot):
    ivo = TgUser(604, "Ivo", language_code="en")
    await bot.text(ivo, "/start")
    (done,) = _sent(await bot.text(ivo, "/language pt-BR"))
    assert done.text.startswith("✅ Português (Brasil): a partir de agora o hitbot responde neste idioma")
    (done,) = _sent(await bot.text(ivo, "/language Deutsch"))
    assert done.text.startswith("✅ Deutsch: hitbot antwortet dir ab jetzt")
    (unknown,) = _sent(await bot.text(ivo, "/language klingon"))
    assert unknown.text.startswith("„klingon“ spreche ich noch nicht.\nWähle deine Sprache")
    assert User.get_by_id(604).prefs["language"] == "de"


async def test_fallbacks_pt_to_brazilian_regional_spanish_to_spanish_unknown_to_english(bot):
    for uid, code, start in ((605, "pt", "Olá, Ana! O hitbot é um mercado"), (606, "pt-PT", "Olá, Ana!"),
                             (607, "es-419", "¡Hola, Ana!"), (608, "zh-hans", "Hi, Ana! hitbot is a marketplace"),
                             (609, "", "Hi, Ana!")):
        (welcome,) = _sent(await bot.text(TgUser(uid, "Ana", language_code=code), "/start"))
        assert welcome.text.startswith(start), code


async def test_each_update_speaks_its_own_persons_language(bot):
    """Two people one after the other: nothing of the first one's language lingers for the second."""
    ru, en = TgUser(610, "Оля", language_code="ru"), TgUser(611, "Al", language_code="en")
    await bot.text(ru, "/start")
    await bot.text(en, "/start")
    (a,) = _sent(await bot.text(ru, "hello?"))
    (b,) = _sent(await bot.text(en, "hello?"))
    assert a.text.startswith("Сейчас я не жду от вас сообщения") and b.text.startswith("I'm not waiting")
