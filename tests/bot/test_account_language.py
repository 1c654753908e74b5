"""The account and qualification commands answer in the person's language (issue 20): the screens, the
buttons, the refusals a handler gives (usage, admins only, a WorkerId nobody has) and the toasts."""
from __future__ import annotations

from core.models import QualificationType, User
from tests import factories as f
from tests.fakes.telegram import TgUser, answers


def _last(bot, user) -> str:
    return bot.tg.last_message(user.id).text


async def test_a_russian_requester_gets_qual_replies_and_refusals_in_russian(bot):
    rita = TgUser(f.requester(10_00).id, "Rita", language_code="ru")
    await bot.text(rita, "/start")
    await bot.text(rita, "/qual new Bird expert | knows birds")
    assert _last(bot, rita) == "Квалификация «Bird expert» создана. Выдайте её командой /qual grant Bird expert <WorkerId>."
    await bot.text(rita, "/qual grant Bird expert")
    assert _last(bot, rita).startswith("Формат: /qual grant <название> <WorkerId> [значение]")
    await bot.text(rita, "/qual grant Bird expert A2B3C4D5E6F7GH")
    assert _last(bot, rita) == "Ни у кого из исполнителей ваших заданий нет WorkerId A2B3C4D5E6F7GH."
    await bot.text(rita, "/quality 80 x")
    assert _last(bot, rita) == "Число контрольных ответов должно быть целым."
    await bot.text(rita, "/quality 80 1 block")
    assert "После 1 контрольного ответа исполнитель с точностью ниже 80\xa0% отклоняется и блокируется" in _last(bot, rita)
    await bot.text(rita, "/qual")
    assert "• <b>Bird expert</b> — 0 исполнителей" in _last(bot, rita)
    assert QualificationType.select().where(QualificationType.name == "Bird expert").count() == 1


async def test_privacy_and_its_buttons_speak_spanish(bot):
    wes = TgUser(f.user("Wes").id, "Wes", language_code="es")
    await bot.text(wes, "/start")
    (shown,) = [c for c in await bot.text(wes, "/privacy") if c.method == "sendMessage"]
    assert shown.text.startswith("🔒 <b>Tus datos en hitbot</b>\nPerfil: Wes, id de Telegram")
    assert "Trabajo: 0 asignaciones con 0 respuestas, 0 apelaciones" in shown.text
    assert [label for label, _ in shown.buttons] == ["📦 Exportar mis datos", "🗑 Borrar mi cuenta"]
    await bot.press_label(wes, "Borrar mi cuenta")
    assert "Esto no se puede deshacer." in _last(bot, wes)
    await bot.press_label(wes, "Cancel")
    assert _last(bot, wes) == "No se borró nada."
    assert User.get_by_id(wes.id).first_name == "Wes"  # Cancel deleted nothing


async def test_alerts_admin_refusals_and_toasts_speak_german(bot):
    ivo = TgUser(f.user("Ivo").id, "Ivo", language_code="de")
    await bot.text(ivo, "/start")
    (listing,) = [c for c in await bot.text(ivo, "/alerts") if c.method == "sendMessage"]
    assert listing.text.startswith("🔔 <b>Benachrichtigungen</b>\nNoch keine Benachrichtigungen.")
    assert listing.buttons == [("➕ Neue Benachrichtigung", "al:new"), ("🔔 Benachrichtigung für meine Fähigkeiten", "al:sk")]
    await bot.press(ivo, "al:new")
    assert "<code>reward 0.50, time 10m, hourly 6, word photo</code>" in _last(bot, ivo)
    await bot.text(ivo, "reward 0.50, word foto")
    assert _last(bot, ivo).startswith("✅ Benachrichtigung gespeichert: Vergütung ≥ 0,50\xa0$, „foto“.")
    await bot.text(ivo, "/alerts")
    sub_button = bot.tg.last_message(ivo.id).buttons[0][1]
    muted = await bot.press(ivo, sub_button)
    assert answers(muted)[0].params["text"] == "Pausiert: nichts mehr von dieser Benachrichtigung, bis du sie fortsetzt."
    await bot.text(ivo, "/credit 1 1.00 gift")
    assert _last(bot, ivo) == "Das können nur Admins."
    await bot.text(ivo, "/forget 1")
    assert _last(bot, ivo) == "Das können nur Admins."
    await bot.text(ivo, "/tests")
    assert _last(bot, ivo) == "Gerade sind keine Qualifikationstests offen."
