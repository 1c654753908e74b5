"""Admin commands of the requester side: /credit <user id> <amount> <reason> (HITBOT_ADMINS only)."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks, input as waiting
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import admin, topup as views
from core.config import get_settings
from core.errors import NotAllowed, NotFound, StaleAction, ValidationFailed
from core.money import parse_amount
from core.payments import accounts
from core.users import commands as users


@on_message
async def credit(update: Update, context: Context) -> None:
    """/credit <user id> <amount> <reason>: shown with its numbers first; the admin confirms."""
    me, msg = update.effective_user.id, update.effective_message
    settings = get_settings()
    if me not in settings.admins:
        raise NotAllowed(admin.only_admins())
    parts = (msg.text or "").split(maxsplit=3)[1:]
    if len(parts) < 3 or not (parts[0].isascii() and parts[0].isdigit()) or len(parts[0]) > 16:
        raise ValidationFailed(views.credit_usage())
    user_id, cents, reason = int(parts[0]), parse_amount(parts[1], settings.currency), parts[2].strip()
    if len(reason) > accounts.MAX_REASON:
        raise ValidationFailed(views.credit_reason_too_long(accounts.MAX_REASON))
    try:
        target = await call(users.get_user, user_id=user_id)
    except NotFound:
        raise NotFound(admin.no_such_user(user_id)) from None
    # The key is this very command message: Telegram redelivering it, or a double tap, credits once.
    await waiting.expect(me, "credit", target_id=target.id, amount_cents=cents, reason=reason,
                         key=f"{me}:{msg.chat_id}:{msg.message_id}")
    text, markup = views.credit_confirm(target.display_name, target.id, cents, reason)
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def credit_confirm(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    if me not in get_settings().admins:
        raise NotAllowed()
    wait = await call(waiting.waiting_for, user_id=me) or {}
    if cb.verb == "crx":
        if wait.get("kind") == "credit":
            await waiting.done(me)
        await msg.edit_text(views.credit_cancelled())
        return None
    if wait.get("kind") != "credit" or (wait.get("target_id"), wait.get("amount_cents")) != cb.args:
        raise StaleAction()  # cancelled, already made, or another /credit since
    added = await call(accounts.credit, admin_id=me, user_id=cb.arg(0), amount_cents=cb.arg(1),
                       reason=wait["reason"], now=now(context), key=wait["key"])
    await waiting.done(me)
    if not added:
        await msg.edit_text(views.credit_already())
        return None
    target = await call(users.get_user, user_id=cb.arg(0))
    balances = await call(accounts.balances, user_id=target.id)
    await msg.edit_text(views.credit_done(target.display_name, target.id, cb.arg(1), balances.available_cents),
                        parse_mode="HTML")
    return admin.credited_toast()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("credit", credit))
    app.add_handler(CallbackQueryHandler(credit_confirm, pattern=callbacks.pattern("ad", "cr", 2)))
    app.add_handler(CallbackQueryHandler(credit_confirm, pattern=callbacks.pattern("ad", "crx", 0)))
