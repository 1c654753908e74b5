"""One module per feature; each has `register(app)`. Order matters only for text input."""
from __future__ import annotations

import importlib
import logging

from telegram import BotCommand
from telegram.ext import Application, CallbackQueryHandler

from bot.runtime import unknown_button

log = logging.getLogger(__name__)

# Feature modules, in registration order (a module missing while its feature is built is skipped).
MODULES = [
    "bot.handlers.start",
    "bot.handlers.quals",
    "bot.handlers.newhit",
    "bot.handlers.batch",
    "bot.handlers.review",
    "bot.handlers.myhits",
    "bot.handlers.topup",
    "bot.handlers.admin",
]

# /command -> description, per language. The bot registers these with setMyCommands.
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("start", "Start and show the menu"),
        ("help", "What hitbot can do"),
        ("newhit", "Post a new HIT"),
        ("batch", "Post many HITs from a spec file and a CSV"),
        ("review", "Submissions waiting for your review"),
        ("myhits", "Your HITs: progress, spend, results"),
        ("topup", "Add funds to your balance"),
    ],
}


def register_all(app: Application) -> None:
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
