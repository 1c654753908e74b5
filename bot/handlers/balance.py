"""/balance (figures and a 30-day earnings chart) and /withdraw (Confirm pays out once).

The withdrawal's idempotency key is the confirmation message, so a double tap on
Confirm (or two devices) requests one payout; core refuses the second."""
from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.runtime import Context, call, now, on_button, on_button_showing, on_message
from bot.views import balance as views
from bot.views.chart import earnings_png
from core.config import get_settings
from core.payments import accounts, destinations, queries as payments_queries
from core.users import commands as users


async def show_balance(update: Update, context: Context) -> None:
    chat_id = update.effective_chat.id
    settings = get_settings()
    o = await call(payments_queries.balance_overview, user_id=update.effective_user.id, now=now(context))
    text, markup = views.overview(o, min_payout_cents=settings.min_payout_cents,
                                  payout_methods=bool(settings.payout_methods))
    days = o.days
    await context.bot.send_message(chat_id, text, reply_markup=markup, parse_mode="HTML")
    total = sum(cents for _, cents in days)
    if total == 0:
        await context.bot.send_message(chat_id, views.no_recent_earnings())
        return
    png = await call(earnings_png, days=days)
    await context.bot.send_photo(chat_id, InputFile(png, filename="earnings.png"), caption=views.chart_caption(total))


balance = on_message(show_balance)
menu_balance = on_button_showing(show_balance)


@on_button
async def statement(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    lines = await call(accounts.statement, user_id=me, limit=10)
    user = await call(users.get_user, user_id=me)
    await update.effective_message.reply_text(views.statement_text(lines, user.timezone), parse_mode="HTML")
    return None


async def _withdraw_offer(update: Update, context: Context, destination_id: int | None = None) -> None:
    me, chat_id = update.effective_user.id, update.effective_chat.id
    quote = await call(accounts.withdrawal_quote, worker_id=me, now=now(context), destination_id=destination_id)
    payouts = await call(accounts.recent_payouts, worker_id=me, limit=5)
    block = views.payouts_block(payouts, now(context))
    if quote.available_cents < quote.minimum_cents:
        await context.bot.send_message(chat_id, views.too_small(quote.available_cents, quote.minimum_cents) + block,
                                       parse_mode="HTML")
        return
    if quote.destination is None:
        text, markup = views.confirm_withdraw(quote.available_cents)
    else:
        others = await call(destinations.list_destinations, user_id=me)
        text, markup = views.confirm_withdraw_to(quote, others)
    await context.bot.send_message(chat_id, text + block, reply_markup=markup, parse_mode="HTML")


withdraw = on_message(_withdraw_offer)
withdraw_ask = on_button_showing(_withdraw_offer)


@on_button
async def withdraw_to(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await _withdraw_offer(update, context, destination_id=cb.arg(0))
    return None


@on_button
async def withdraw_confirm(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    payout = await call(accounts.withdraw, worker_id=me, now=now(context), amount_cents=cb.arg(0),
                        destination_id=cb.args[1] if len(cb.args) > 1 else None,
                        key=f"{me}:{msg.chat_id}:{msg.message_id}")
    await msg.edit_text(views.withdraw_requested(payout))
    return views.payout_requested_toast()


@on_button
async def withdraw_cancel(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await update.effective_message.edit_text(views.cancelled())
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("balance", balance))
    app.add_handler(CommandHandler("withdraw", withdraw))
    app.add_handler(CallbackQueryHandler(menu_balance, pattern=callbacks.pattern("m", "balance", 0)))
    app.add_handler(CallbackQueryHandler(statement, pattern=callbacks.pattern("bal", "st", 0)))
    app.add_handler(CallbackQueryHandler(withdraw_ask, pattern=callbacks.pattern("wd", "ask", 0)))
    app.add_handler(CallbackQueryHandler(withdraw_confirm, pattern=callbacks.pattern("wd", "ok", 1)))
    app.add_handler(CallbackQueryHandler(withdraw_confirm, pattern=callbacks.pattern("wd", "ok", 2)))
    app.add_handler(CallbackQueryHandler(withdraw_to, pattern=callbacks.pattern("wd", "to", 1)))
    app.add_handler(CallbackQueryHandler(withdraw_cancel, pattern=callbacks.pattern("wd", "no", 0)))
