"""Admin commands of the requester side: /credit <user id> <amount> <reason> (HITBOT_ADMINS only)."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.runtime import Context, call, now, on_message
from bot.views import topup as views
from core.config import get_settings
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.money import parse_amount
from core.services import accounts, users


@on_message
async def credit(update: Update, context: Context) -> None:
    me, msg = update.effective_user.id, update.effective_message
    settings = get_settings()
    if me not in settings.admins:
        raise NotAllowed("Only admins can do that.")
    parts = (msg.text or "").split(maxsplit=3)[1:]
    if len(parts) < 3 or not parts[0].isdigit() or len(parts[0]) > 16:
        raise ValidationFailed(views.CREDIT_USAGE)
    user_id, cents, reason = int(parts[0]), parse_amount(parts[1], settings.currency), parts[2]
    try:
        target = await call(users.get_user, user_id=user_id)
    except NotFound:
        raise NotFound(f"No user with id {user_id} has started hitbot yet.") from None
    # The key is this very message: Telegram redelivering the update credits once.
    added = await call(accounts.credit, admin_id=me, user_id=target.id, amount_cents=cents, reason=reason,
                       now=now(context), key=f"{me}:{msg.chat_id}:{msg.message_id}")
    if not added:
        await msg.reply_text("That credit was already made.")
        return
    balances = await call(accounts.balances, user_id=target.id)
    await msg.reply_text(views.credit_done(target.display_name, target.id, cents, balances.available_cents),
                         parse_mode="HTML")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("credit", credit))
