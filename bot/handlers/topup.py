"""/topup: a Telegram Payments invoice; the pre-checkout query is checked and answered,
and a successful payment is credited exactly once (keyed by its Telegram charge id)."""
from __future__ import annotations

import logging
import re

from telegram import LabeledPrice, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import callbacks
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import topup as views
from core.config import get_settings
from core.errors import StaleAction, ValidationFailed
from core.money import format_money, parse_amount
from core.payments import accounts
from core.users import commands as users

log = logging.getLogger(__name__)
_PAYLOAD = re.compile(r"^topup:(\d{1,18}):(\d{1,12})$")
MAX_TOPUP_UNITS = 10_000  # Telegram caps invoices at about this much in most currencies


def bounds() -> tuple[int, int]:
    """Smallest and largest top-up in minor units (1 to 10,000 whole units of the currency)."""
    factor = 10 ** get_settings().currency_precision
    return factor, MAX_TOPUP_UNITS * factor


def check_payload(payload: str, user_id: int, currency: str, total: int) -> str | None:
    """Why an invoice payment must be refused, or None when it is ours and consistent."""
    match = _PAYLOAD.match(payload or "")
    low, high = bounds()
    if match is None:
        return "This invoice is not from hitbot."
    if int(match.group(1)) != user_id:
        return "This invoice was made for someone else."
    if currency != get_settings().currency or int(match.group(2)) != total or not low <= total <= high:
        return "This invoice is out of date. Send /topup for a new one."
    return None


async def _invoice(update: Update, context: Context, cents: int) -> None:
    settings = get_settings()
    low, high = bounds()
    if not low <= cents <= high:
        raise ValidationFailed(f"Top up between {format_money(low, settings.currency)} and "
                               f"{format_money(high, settings.currency)}.")
    me = update.effective_user.id
    await context.bot.send_invoice(
        chat_id=update.effective_chat.id, title=views.INVOICE_TITLE, description=views.invoice_description(cents),
        payload=f"topup:{me}:{cents}", provider_token=settings.payment_provider_token.get_secret_value(),
        currency=settings.currency, prices=[LabeledPrice("Balance top-up", cents)])


@on_message
async def topup(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    settings = get_settings()
    if settings.payment_provider_token is None or not settings.payment_provider_token.get_secret_value():
        await msg.reply_text(views.NOT_CONFIGURED.format(user_id=me))
        return
    args = (msg.text or "").split(maxsplit=1)[1:]
    if args:
        await _invoice(update, context, parse_amount(args[0], settings.currency, field="amount"))
        return
    balances = await call(accounts.balances, user_id=me)
    low, high = bounds()
    text, markup = views.topup_menu(balances, 10 ** settings.currency_precision, low, high)
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def preset(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    settings = get_settings()
    if settings.payment_provider_token is None:
        raise StaleAction("Payments aren't set up on this bot any more.")
    await _invoice(update, context, cb.arg(0))
    return None


async def pre_checkout(update: Update, context: Context) -> None:
    """Telegram asks before charging: answer within 10 s, yes only for our own, unchanged invoice."""
    query = update.pre_checkout_query
    problem = check_payload(query.invoice_payload, query.from_user.id, query.currency, query.total_amount)
    if problem:
        log.warning("refused pre-checkout from %s: %s", query.from_user.id, problem)
        await query.answer(ok=False, error_message=problem)
    else:
        await query.answer(ok=True)


@on_message
async def paid(update: Update, context: Context) -> None:
    me, msg = update.effective_user, update.effective_message
    payment = msg.successful_payment
    problem = check_payload(payment.invoice_payload, me.id, payment.currency, payment.total_amount)
    if problem:  # the money was taken: never silently drop it; an admin sees the charge id in the log
        log.error("payment %s from %s does not match its invoice: %s", payment.telegram_payment_charge_id,
                  me.id, problem)
        await msg.reply_text("We received a payment we couldn't match; an admin will sort it out. "
                             f"Reference: {payment.telegram_payment_charge_id}")
        return
    await call(users.register, user_id=me.id, first_name=me.first_name or "", now=now(context),
               username=me.username, language_code=me.language_code)
    added = await call(accounts.topup, user_id=me.id, amount_cents=payment.total_amount,
                       charge_id=payment.telegram_payment_charge_id, now=now(context))
    if not added:
        await msg.reply_text(views.ALREADY)
        return
    balances = await call(accounts.balances, user_id=me.id)
    await msg.reply_text(views.credited(payment.total_amount, balances.available_cents))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("topup", topup))
    app.add_handler(CallbackQueryHandler(preset, pattern=callbacks.pattern("r", "tu", 1)))
    app.add_handler(PreCheckoutQueryHandler(pre_checkout))
    # Group 1: runs even if a feature's catch-all in group 0 also matched the service message.
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid), group=1)
