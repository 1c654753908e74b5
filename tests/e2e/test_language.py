"""End to end over HTTP (issue 20): someone whose Telegram app speaks Spanish gets Spanish from the
first /start, menu included; /language switches to Russian with a button, and everything after it,
the chat's own command menu too, is Russian; a forged language button changes nothing."""
from __future__ import annotations

import pytest

from core.models import User
from sandbox.scripting import Person

pytestmark = pytest.mark.slow

NIA = 721


def _menu(stack, **params) -> dict[str, str]:
    listed = stack.http.get("/sandbox/api/commands", params=params).json()["commands"]
    return {c["command"]: c["description"] for c in listed}


def test_language_walk_in_the_sandbox(stack):
    nia = Person(stack.http, NIA, "Nia", language_code="es")
    nia.send("/start")
    nia.wait_for("¡Hola, Nia!", "🔎 Ver tareas")
    nia.send("/help")
    nia.wait_for("Para trabajadores", "/browse – Buscar tareas para hacer")
    assert _menu(stack, chat_id=NIA, language_code="es")["language"] == "Elegir el idioma de hitbot"

    nia.send("/language")
    prompt = nia.wait_for("Elige tu idioma", "✓ Español", "Русский", "العربية")
    forged = stack.http.post(f"/sandbox/api/users/{NIA}/press", json={
        "message_id": prompt["message_id"], "callback_data": "lg:set:77", "forged": True}).json()
    assert forged["text"] == "Este botón ya no es válido."
    assert "language" not in (User.get_by_id(NIA).prefs or {})

    nia.press("Русский", prompt)
    nia.wait_for("✅ Русский: теперь hitbot отвечает вам на этом языке")
    nia.send("/help")
    nia.wait_for("Исполнителям", "/browse – Найти задания")
    nia.send("hello?")
    nia.wait_for("Сейчас я не жду от вас сообщения", "🔎 Найти задания")
    # Her app still says Spanish; her chat's own menu is now the Russian one.
    assert _menu(stack, chat_id=NIA, language_code="es")["browse"] == "Найти задания"
    assert _menu(stack, language_code="es")["browse"] == "Buscar tareas para hacer"  # everyone else's
