"""One module per feature; each has `register(app)`. Order matters only for text input."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, TypeHandler

from bot import i18n, input as input_state
from bot.handlers import (
    admin,
    alerts,
    apikey,
    balance,
    batch,
    browse,
    comeback,
    followup,
    language,
    messages,
    myhits,
    mywork,
    newhit,
    payout,
    privacy,
    qual_requests,
    quals,
    rating,
    results,
    review,
    revisions,
    start,
    topup,
    work,
)
from bot.runtime import call, unknown_button

log = logging.getLogger(__name__)

# Feature modules, in registration order (order matters only for typed input).
MODULES = [
    language,  # group -4: the locale of every update, before anything speaks
    comeback,  # group -3: any update from someone who had blocked the bot
    start,
    revisions,  # before work: while a revision waits for an answer, the message is the revision's
    # Early: a worker's answers are the most frequent typed input, and each feature's
    # awaiting() filter before them costs a database read per message.
    work,
    browse,
    mywork,
    followup,  # before quals: `/qual message NAME` is this feature's
    quals,
    qual_requests,
    messages,
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

def register_all(app: Application) -> None:
    app.add_handler(TypeHandler(Update, input_state.preload), group=-2)
    for module in MODULES:
        module.register(app)
    start.register_fallbacks(app)  # after every feature: messages and commands nobody claimed
    app.add_handler(CallbackQueryHandler(unknown_button))  # last: whatever no feature claimed


async def post_init(app: Application) -> None:
    """Publish the command menu in every language hitbot speaks (Telegram shows the one of the
    person's app language); admins get theirs, with the admin commands, in a chat scope of their own."""
    for lang in i18n.LANGUAGES:
        try:
            # Telegram takes a two-letter code: pt_BR's menu is every Portuguese speaker's.
            await app.bot.set_my_commands(language.menu(lang),
                                          language_code=None if lang == i18n.DEFAULT else lang.split("_")[0])
        except Exception:  # commands are a nicety; the bot works without them
            log.exception("setMyCommands failed for %s", lang)
    settings = app.bot_data.get("settings")
    for admin_id in sorted(settings.admins) if settings is not None else ():
        try:
            locale = await call(language.locale_of, user_id=admin_id)
        except Exception:  # no database yet: the menu is a nicety, English will do
            log.exception("could not read admin %s's language", admin_id)
            locale = i18n.DEFAULT
        await language.set_chat_menu(app.bot, admin_id, locale, admin=True)
