"""/topup: a Telegram Payments invoice by card or in Telegram Stars (XTR, at HITBOT_STARS_RATE_CENTS);
the pre-checkout query is re-checked in core and answered, and a successful payment is credited
exactly once (keyed by its Telegram charge id). /refund (admins): an unspent top-up back to the
original payment (Telegram's refundStarPayment for Stars)."""
from __future__ import annotations

import logging

from telegram import LabeledPrice, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import callbacks
from bot.runtime import Context, call, error_text, now, on_button, on_message
from bot.views import topup as views
from core.config import get_settings
from core.errors import HitbotError, NotAllowed, ValidationFailed
from core.models import TopUpSource
from core.money import parse_amount
from core.payments import accounts, topups
from core.users import commands as users

log = logging.getLogger(__name__)


async def _send(update: Update, context: Context, invoice: topups.Invoice) -> None:
    settings = get_settings()
    stars = invoice.source == TopUpSource.STARS
    await context.bot.send_invoice(
        chat_id=update.effective_chat.id, title=views.invoice_title(),
        description=views.invoice_description(invoice.amount_cents, stars=invoice.paid_amount if stars else None),
        payload=invoice.payload,
        provider_token=None if stars else settings.payment_provider_token.get_secret_value(),
        currency=invoice.currency, prices=[LabeledPrice(views.price_label(stars), invoice.paid_amount)])


@on_message
async def topup(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    settings = get_settings()
    card, stars = topups.card_offered(), topups.stars_offered()
    if not card and not stars:
        await msg.reply_text(views.not_configured(me))
        return
    args = (msg.text or "").split()[1:]
    if len(args) == 2 and args[0].lower() == "stars":
        count = parse_stars(args[1])
        await _send(update, context, await call(topups.stars_invoice, user_id=me, stars=count))
        return
    if len(args) == 1 and card:
        cents = parse_amount(args[0], settings.currency, field="amount")
        await _send(update, context, await call(topups.card_invoice, user_id=me, amount_cents=cents))
        return
    if args:
        raise ValidationFailed(views.usage(card=card, stars=stars))
    balances = await call(accounts.balances, user_id=me)
    low, high = topups.card_bounds()
    text, markup = views.topup_menu(balances, 10 ** settings.currency_precision, low, high, card=card,
                                    stars_rate_cents=settings.stars_rate_cents)
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


def parse_stars(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise ValidationFailed(views.stars_number())
    return int(text)


@on_button
async def preset(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    if cb.verb == "ts":
        invoice = await call(topups.stars_invoice, user_id=me, stars=cb.arg(0))
    else:
        invoice = await call(topups.card_invoice, user_id=me, amount_cents=cb.arg(0))
    await _send(update, context, invoice)
    return None


async def pre_checkout(update: Update, context: Context) -> None:
    """Telegram asks before charging: answer within 10 s, yes only for our own, unchanged invoice
    (re-checked in core: this user's, still at today's amounts and Stars rate)."""
    query = update.pre_checkout_query
    try:
        await call(topups.check_invoice, user_id=query.from_user.id, payload=query.invoice_payload,
                   currency=query.currency, total=query.total_amount)
    except HitbotError as problem:
        log.warning("refused pre-checkout from %s: %s", query.from_user.id, problem.message)
        await query.answer(ok=False, error_message=error_text(problem))
        return
    await query.answer(ok=True)


@on_message
async def paid(update: Update, context: Context) -> None:
    me, msg = update.effective_user, update.effective_message
    payment = msg.successful_payment
    await call(users.register, user_id=me.id, first_name=me.first_name or "", now=now(context),
               username=me.username, language_code=me.language_code)
    try:
        done = await call(accounts.credit_payment, user_id=me.id, payload=payment.invoice_payload,
                          currency=payment.currency, total=payment.total_amount,
                          charge_id=payment.telegram_payment_charge_id, now=now(context))
    except ValidationFailed as problem:  # the money was taken: never silently drop it; an admin sees the id
        log.error("payment %s from %s does not match its invoice: %s", payment.telegram_payment_charge_id,
                  me.id, problem.message)
        await msg.reply_text(views.unmatched(payment.telegram_payment_charge_id))
        return
    if not done.added:
        await msg.reply_text(views.already())
        return
    stars = done.invoice.paid_amount if done.invoice.source == TopUpSource.STARS else None
    await msg.reply_text(views.credited(done.invoice.amount_cents, done.available_cents, stars=stars,
                                        charge_id=payment.telegram_payment_charge_id))


# Refunds (admins) ------------------------------------------------------------------------------

@on_message
async def refund(update: Update, context: Context) -> None:
    """/refund <payment reference>: shown first (who, how much, how), then confirmed."""
    me, msg = update.effective_user.id, update.effective_message
    args = (msg.text or "").split()[1:]
    if me not in get_settings().admins:
        raise NotAllowed(views.admins_only())
    if len(args) != 1:
        raise ValidationFailed(views.refund_usage())
    quote = await call(topups.refund_quote, admin_id=me, charge=args[0])
    text, markup = views.refund_confirm(quote)
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def refund_confirm(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    if cb.verb == "rfx":
        await msg.edit_text(views.refund_cancelled())
        return None
    quote = await call(topups.start_refund, admin_id=me, topup_id=cb.arg(0), now=now(context))
    if quote.refund_state == "pending":  # Stars: Telegram gives them back; the ledger already moved
        try:
            await context.bot.refund_star_payment(user_id=quote.user_id, telegram_payment_charge_id=quote.charge_id)
        except BadRequest as exc:  # Telegram said no: the refund did not happen
            if "ALREADY_REFUNDED" not in str(exc).upper():
                await call(topups.undo_refund, topup_id=quote.topup_id, now=now(context))
                await msg.edit_text(views.refund_refused(quote, str(exc)[:200]), parse_mode="HTML")
                return None
        except TelegramError:  # no answer (timeout, network): it may have happened, so it stays pending
            text, markup = views.refund_unconfirmed(quote)
            await msg.edit_text(text, reply_markup=markup, parse_mode="HTML")
            return None
        await call(topups.finish_refund, topup_id=quote.topup_id, now=now(context))
    await msg.edit_text(views.refund_done(quote), parse_mode="HTML")
    return views.refunded_toast()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("topup", topup))
    app.add_handler(CommandHandler("refund", refund))
    app.add_handler(CallbackQueryHandler(preset, pattern=callbacks.pattern("r", "tu", 1)))
    app.add_handler(CallbackQueryHandler(preset, pattern=callbacks.pattern("r", "ts", 1)))
    app.add_handler(CallbackQueryHandler(refund_confirm, pattern=callbacks.pattern("ad", "rf", 1)))
    app.add_handler(CallbackQueryHandler(refund_confirm, pattern=callbacks.pattern("ad", "rfx", 0)))
    app.add_handler(PreCheckoutQueryHandler(pre_checkout))
    # Group 1: runs even if a feature's catch-all in group 0 also matched the service message.
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid), group=1)
