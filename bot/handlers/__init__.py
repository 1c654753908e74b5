"""One module per feature; each has `register(app)`. Order matters only for text input."""
from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.ext import Application, CallbackQueryHandler, TypeHandler

from bot import input as input_state
from bot.handlers import (
    admin,
    alerts,
    apikey,
    balance,
    batch,
    browse,
    comeback,
    myhits,
    mywork,
    newhit,
    payout,
    privacy,
    quals,
    rating,
    results,
    review,
    start,
    topup,
    work,
)
from bot.runtime import unknown_button
from bot.views import start as views

log = logging.getLogger(__name__)

# Feature modules, in registration order (order matters only for typed input).
MODULES = [
    comeback,  # group -3: any update from someone who had blocked the bot
    start,
    # Early: a worker's answers are the most frequent typed input, and each feature's
    # awaiting() filter before them costs a database read per message.
    work,
    browse,
    mywork,
    quals,
    newhit,
    batch,
    review,
    myhits,
    results,
    topup,
    admin,
    balance,
    payout,
    alerts,
    rating,
    privacy,
    apikey,
]

# /command -> description, per language. The bot registers these with setMyCommands; admins
# get theirs in a chat scope of their own.
_EVERYONE = [views.GENERAL_COMMANDS[0], views.GENERAL_COMMANDS[1], *views.WORKER_COMMANDS,
             *views.REQUESTER_COMMANDS, *views.GENERAL_COMMANDS[2:]]
COMMANDS: dict[str, list[tuple[str, str]]] = {"en": list(_EVERYONE)}

# Translated descriptions; a command without one here keeps its English text.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "ru": {
        "start": "Начать и показать меню", "help": "Что умеет hitbot", "browse": "Найти задания",
        "mywork": "Мои задания в работе", "balance": "Баланс, заработок и график",
        "withdraw": "Вывести заработок", "payout": "Куда выводить деньги; автовывод", "alerts": "Уведомления о новых заданиях",
        "newhit": "Создать задание", "batch": "Много заданий из файла и CSV",
        "review": "Работы на проверку", "myhits": "Мои задания: ход, расходы, результаты",
        "topup": "Пополнить баланс", "tests": "Тесты на квалификацию",
        "profile": "Страна, часовой пояс, навыки и интересы", "qual": "Мои квалификации: создать, выдать, отозвать",
        "quality": "Автоправило по контрольным ответам", "cancel": "Отменить то, чего ждёт бот",
        "apikey": "Ключи MTurk API (скрипты boto3)",
        "privacy": "Мои данные: выгрузить или удалить",
    },
    "es": {
        "start": "Empezar y ver el menú", "help": "Qué puede hacer hitbot", "browse": "Buscar tareas",
        "mywork": "Mis tareas en curso", "balance": "Saldo, ganancias y gráfico",
        "withdraw": "Cobrar tus ganancias", "payout": "Dónde cobras; cobro automático", "alerts": "Avisos de tareas nuevas",
        "newhit": "Publicar una tarea", "batch": "Muchas tareas desde un archivo y un CSV",
        "review": "Trabajos por revisar", "myhits": "Tus tareas: progreso, gasto, resultados",
        "topup": "Añadir fondos", "tests": "Pruebas de cualificación",
        "profile": "Tu país, zona horaria, habilidades e intereses",
        "qual": "Tus cualificaciones: crear, otorgar, revocar",
        "quality": "Regla automática de respuestas de control", "cancel": "Cancelar lo que el bot espera",
        "apikey": "Claves de la API de MTurk (boto3)",
        "privacy": "Tus datos: exportar o borrar",
    },
    "de": {
        "start": "Starten und Menü zeigen", "help": "Was hitbot kann", "browse": "Aufgaben finden",
        "mywork": "Meine laufenden Aufgaben", "balance": "Guthaben, Verdienst und Diagramm",
        "withdraw": "Verdienst auszahlen lassen", "payout": "Wohin ausgezahlt wird; Auto-Auszahlung", "alerts": "Benachrichtigung bei neuen Aufgaben",
        "newhit": "Neue Aufgabe einstellen", "batch": "Viele Aufgaben aus Datei und CSV",
        "review": "Einreichungen prüfen", "myhits": "Deine Aufgaben: Fortschritt, Kosten, Ergebnisse",
        "topup": "Guthaben aufladen", "tests": "Qualifikationstests",
        "profile": "Land, Zeitzone, Fähigkeiten und Interessen",
        "qual": "Deine Qualifikationen: anlegen, vergeben, entziehen",
        "quality": "Automatische Regel für Kontrollfragen", "cancel": "Abbrechen, worauf der Bot wartet",
        "apikey": "Schlüssel für die MTurk-API (boto3)",
        "privacy": "Deine Daten: exportieren oder löschen",
    },
}
for _lang, _texts in TRANSLATIONS.items():
    COMMANDS[_lang] = [(name, _texts.get(name, text)) for name, text in COMMANDS["en"]]


def register_all(app: Application) -> None:
    app.add_handler(TypeHandler(Update, input_state.preload), group=-2)
    for module in MODULES:
        module.register(app)
    start.register_fallbacks(app)  # after every feature: messages and commands nobody claimed
    app.add_handler(CallbackQueryHandler(unknown_button))  # last: whatever no feature claimed


async def post_init(app: Application) -> None:
    """Publish the command list, in each language we have it in."""
    for lang, commands in COMMANDS.items():
        items = [BotCommand(c, d) for c, d in commands]
        try:
            await app.bot.set_my_commands(items, language_code=None if lang == "en" else lang)
        except Exception:  # commands are a nicety; the bot works without them
            log.exception("setMyCommands failed for %s", lang)
    settings = app.bot_data.get("settings")
    admin_items = [BotCommand(c, d) for c, d in COMMANDS["en"] + views.ADMIN_COMMANDS]
    for admin_id in sorted(settings.admins) if settings is not None else ():
        try:
            await app.bot.set_my_commands(admin_items, scope=BotCommandScopeChat(admin_id))
        except Exception:  # an admin who never opened the chat: Telegram refuses the scope
            log.info("setMyCommands for admin %s failed", admin_id)
