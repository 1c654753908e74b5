"""A user the bot could not reach (they had blocked it: a send got 403) is reachable again as
soon as any update comes from them, /start or not; core then tells them, in one message, what
they missed meanwhile (core.users.commands.came_back)."""
from __future__ import annotations

from collections import OrderedDict

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.runtime import Context, call, now
from core.users import commands as users

RECHECK_S = 60.0  # someone sending updates has not blocked the bot: look again after this at the soonest
_KEEP = 10_000


async def any_update(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        return
    seen: OrderedDict[int, float] = context.bot_data.setdefault("comeback_seen", OrderedDict())
    at = now(context)
    t = at.timestamp()
    if abs(t - seen.get(user.id, -RECHECK_S)) < RECHECK_S:
        return
    seen[user.id] = t
    seen.move_to_end(user.id)
    while len(seen) > _KEEP:
        seen.popitem(last=False)
    await call(users.came_back, user_id=user.id, now=at)


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, any_update), group=-3)  # before everything else
