"""/mywork: the worker's assignments (active with time left and a Continue button,
waiting for review, decided with the requester's feedback), a page at a time."""
from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.runtime import Context, call, now, on_button, on_button_showing, on_message, reply_or_edit
from bot.views import mywork as views
from core.errors import StaleAction
from core.work import queries as work_queries

MAX_PAGES = 1000


async def _render(message: Message, context: Context, me: int, page: int, *, edit: bool) -> None:
    items = await call(work_queries.my_work, worker_id=me, page=page)
    text, markup = views.my_work(items, now(context))
    await reply_or_edit(message, text, markup, edit=edit)


async def _first_page(update: Update, context: Context) -> None:
    await _render(update.effective_message, context, update.effective_user.id, 0, edit=False)


mywork_command = on_message(_first_page)
menu_mywork = on_button_showing(_first_page)


@on_button
async def page(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    if not 0 <= cb.arg(0) < MAX_PAGES:
        raise StaleAction()
    await _render(update.effective_message, context, update.effective_user.id, cb.arg(0), edit=True)
    return None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("mywork", mywork_command))
    app.add_handler(CallbackQueryHandler(menu_mywork, pattern=callbacks.pattern("m", "mywork", 0)))
    app.add_handler(CallbackQueryHandler(page, pattern=callbacks.pattern("w", "mw", 1)))
