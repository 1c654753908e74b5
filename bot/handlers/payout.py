"""/payout: add a destination (`/payout add sepa DE89...`), see them masked, pick the default,
remove one, confirm a new one from its notice, `/payout auto 10` / `/payout auto off`, and tax
details (`/payout tax DE 36574261809`).

The message that carried the details is deleted from the chat once they are stored encrypted."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.runtime import Context, call, now, on_button, on_button_showing, on_message
from bot.views import payout as views
from core.config import get_settings
from core.errors import ValidationFailed
from core.money import parse_amount
from core.payments import destinations, tax
from core.payments.payouts import set_auto_withdraw

log = logging.getLogger(__name__)
MAX_ARGS = 14


async def _show(update: Update, context: Context) -> None:
    found = await call(destinations.overview, user_id=update.effective_user.id, now=now(context))
    text, markup = views.overview(found, now(context))
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup, parse_mode="HTML")


async def _delete(msg) -> None:
    try:  # the details stay out of the chat history, whether or not they were valid
        await msg.delete()
    except TelegramError:
        log.info("could not delete a message with payout or tax details")


@on_message
async def payout(update: Update, context: Context) -> None:
    args, me, msg = list(context.args or []), update.effective_user.id, update.effective_message
    if len(args) > MAX_ARGS:
        raise ValidationFailed(views.too_many_words())
    if not args:
        await _show(update, context)
    elif args[0].lower() == "auto" and len(args) == 2:
        off = args[1].lower() in ("off", "0")
        cents = None if off else parse_amount(args[1], get_settings().currency, field="threshold")
        order = await call(set_auto_withdraw, user_id=me, threshold_cents=cents, now=now(context))
        await msg.reply_text(views.auto_set(order.threshold_cents if order else None))
    elif args[0].lower() == "tax" and len(args) >= 2:
        try:
            info = await call(tax.set_tax_details, user_id=me, country=args[1], tax_id=" ".join(args[2:]),
                              now=now(context))
        finally:
            await _delete(msg)
        await context.bot.send_message(msg.chat_id, views.tax_saved(info), parse_mode="HTML")
    elif args[0].lower() == "add" and len(args) >= 3:
        try:
            dest = await call(destinations.add_destination, user_id=me, method=args[1], parts=args[2:],
                              now=now(context))
        finally:
            await _delete(msg)
        await context.bot.send_message(msg.chat_id, views.added(dest), parse_mode="HTML")
    else:
        await _show(update, context)


menu = on_button_showing(_show)


# A destination's buttons: verb -> (the core use case, the view of its result).
_ACTIONS = {
    "ok": (destinations.confirm_destination, views.confirmed),
    "def": (destinations.set_default, views.made_default),
    "rm": (destinations.remove_destination, views.removed),
}


@on_button
async def act(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    """Confirm (lifts the hold), make default, or remove one destination; core re-checks the owner."""
    use_case, view = _ACTIONS[cb.verb]
    dest = await call(use_case, user_id=update.effective_user.id, destination_id=cb.arg(0), now=now(context))
    await update.effective_message.edit_text(view(dest), parse_mode="HTML")
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("payout", payout))
    app.add_handler(CallbackQueryHandler(menu, pattern=callbacks.pattern("po", "menu", 0)))
    for verb in _ACTIONS:
        app.add_handler(CallbackQueryHandler(act, pattern=callbacks.pattern("po", verb, 1)))
