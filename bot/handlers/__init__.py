"""One module per feature; each has `register(app)`. Order matters only for text input."""
from __future__ import annotations

import importlib
import logging

from telegram import BotCommand, Update
from telegram.ext import Application, CallbackQueryHandler, TypeHandler

from bot import input as input_state
from bot.runtime import unknown_button

log = logging.getLogger(__name__)

# Feature modules, in registration order (a module missing while its feature is built is skipped).
MODULES = [
    "bot.handlers.start",
    # Early: a worker's answers are the most frequent typed input, and each feature's
    # awaiting() filter before them costs a database read per message.
    "bot.handlers.work",
    "bot.handlers.browse",
    "bot.handlers.mywork",
    "bot.handlers.quals",
    "bot.handlers.newhit",
    "bot.handlers.batch",
    "bot.handlers.review",
    "bot.handlers.myhits",
    "bot.handlers.results",
    "bot.handlers.topup",
    "bot.handlers.admin",
    "bot.handlers.balance",
    "bot.handlers.alerts",
    "bot.handlers.rating",
]

# /command -> description, per language. The bot registers these with setMyCommands.
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("start", "Start and show the menu"),
        ("help", "What hitbot can do"),
        ("browse", "Find HITs to work on"),
        ("mywork", "Your assignments: continue, submitted, decided"),
        ("newhit", "Post a new HIT"),
        ("batch", "Post many HITs from a spec file and a CSV"),
        ("review", "Submissions waiting for your review"),
        ("myhits", "Your HITs: progress, spend, results"),
        ("topup", "Add funds to your balance"),
        ("balance", "Your balance, earnings and chart"),
        ("withdraw", "Get your earnings paid out"),
        ("alerts", "New matching HITs sent to you"),
    ],
}

# Translated descriptions; a command without one here keeps its English text.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "ru": {
        "start": "Начать и показать меню", "help": "Что умеет hitbot", "browse": "Найти задания",
        "mywork": "Мои задания в работе", "balance": "Баланс, заработок и график",
        "withdraw": "Вывести заработок", "alerts": "Уведомления о новых заданиях",
        "newhit": "Создать задание", "batch": "Много заданий из файла и CSV",
        "review": "Работы на проверку", "myhits": "Мои задания: ход, расходы, результаты",
        "topup": "Пополнить баланс",
    },
    "es": {
        "start": "Empezar y ver el menú", "help": "Qué puede hacer hitbot", "browse": "Buscar tareas",
        "mywork": "Mis tareas en curso", "balance": "Saldo, ganancias y gráfico",
        "withdraw": "Cobrar tus ganancias", "alerts": "Avisos de tareas nuevas",
        "newhit": "Publicar una tarea", "batch": "Muchas tareas desde un archivo y un CSV",
        "review": "Trabajos por revisar", "myhits": "Tus tareas: progreso, gasto, resultados",
        "topup": "Añadir fondos",
    },
    "de": {
        "start": "Starten und Menü zeigen", "help": "Was hitbot kann", "browse": "Aufgaben finden",
        "mywork": "Meine laufenden Aufgaben", "balance": "Guthaben, Verdienst und Diagramm",
        "withdraw": "Verdienst auszahlen lassen", "alerts": "Benachrichtigung bei neuen Aufgaben",
        "newhit": "Neue Aufgabe einstellen", "batch": "Viele Aufgaben aus Datei und CSV",
        "review": "Einreichungen prüfen", "myhits": "Deine Aufgaben: Fortschritt, Kosten, Ergebnisse",
        "topup": "Guthaben aufladen",
    },
}
for _lang, _texts in TRANSLATIONS.items():
    COMMANDS[_lang] = [(name, _texts.get(name, text)) for name, text in COMMANDS["en"]]


def register_all(app: Application) -> None:
    app.add_handler(TypeHandler(Update, input_state.preload), group=-2)
    for name in MODULES:
        importlib.import_module(name).register(app)
    app.add_handler(CallbackQueryHandler(unknown_button))  # last: whatever no feature claimed


async def post_init(app: Application) -> None:
    """Publish the command list, in each language we have it in."""
    for lang, commands in COMMANDS.items():
        items = [BotCommand(c, d) for c, d in commands]
        try:
            await app.bot.set_my_commands(items, language_code=None if lang == "en" else lang)
        except Exception:  # commands are a nicety; the bot works without them
            log.exception("setMyCommands failed for %s", lang)
