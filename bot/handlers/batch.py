"""/batch: a spec file with ${column} placeholders plus a CSV -> one HIT per row, all or nothing;
with an MTurk HTML template beside them, one web task per row on the template's page.

Between messages the bot keeps only the two files' Telegram ids (in the database, via
bot.input), downloading them again when needed, so a restart loses nothing."""
from __future__ import annotations

import csv
import io
import logging

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import batch_publish, callbacks, input as waiting
from bot.runtime import Context, call, error_text, now, on_button, on_message, render
from bot.views import newhit as views
from core import effective_pay
from core.config import get_settings
from core.errors import BatchInvalid, StaleAction, ValidationFailed
from core.hits import publishing
from core.hits.spec_files import MAX_CSV_BYTES, MAX_SPEC_BYTES, load_spec_document
from core.payments import accounts
from core.texts import Text
from core.webtasks import templates

log = logging.getLogger(__name__)
SPEC_SUFFIXES = (".yaml", ".yml", ".json")


@on_message
async def batch(update: Update, context: Context) -> None:
    await waiting.expect(update.effective_user.id, "batch")
    await update.effective_message.reply_text(views.batch_start(), parse_mode="HTML")


@on_message
async def file_in(update: Update, context: Context) -> None:
    """The spec file or the CSV, in either order; with both, validate every row and show the cost."""
    me, msg = update.effective_user.id, update.effective_message
    doc = msg.document
    name = (doc.file_name or "").lower()
    state = dict(await call(waiting.waiting_for, user_id=me) or {"kind": "batch"})
    if name.endswith(SPEC_SUFFIXES):
        if doc.file_size and doc.file_size > MAX_SPEC_BYTES:
            raise ValidationFailed(views.spec_too_big(MAX_SPEC_BYTES))
        await call(load_spec_document, raw=await batch_publish.download(context.bot, doc.file_id), filename=name)
        state.update(spec=doc.file_id, spec_name=name)
    elif name.endswith((".html", ".htm")) or doc.mime_type == "text/html":
        if doc.file_size and doc.file_size > templates.MAX_TEMPLATE_BYTES:
            raise ValidationFailed(views.template_too_big(templates.MAX_TEMPLATE_BYTES))
        await call(templates.load_template, raw=await batch_publish.download(context.bot, doc.file_id))
        state.update(template=doc.file_id)
    elif name.endswith((".csv", ".txt")) or doc.mime_type in ("text/csv", "text/plain"):
        if doc.file_size and doc.file_size > MAX_CSV_BYTES:
            raise ValidationFailed(views.batch_csv_too_big(MAX_CSV_BYTES))
        state.update(csv=doc.file_id)
    else:
        raise ValidationFailed(views.batch_wrong_file())
    state.pop("kind", None)
    await waiting.expect(me, "batch", **state)
    if not (state.get("spec") and state.get("csv")):
        await msg.reply_text(views.batch_need(bool(state.get("spec")), bool(state.get("template"))))
        return
    try:
        spec, rows, plan, _ = await batch_publish.plan_files(context.bot, state)
    except BatchInvalid as exc:
        await waiting.expect(me, "batch", **_kept(state))  # keep the spec (and template): send a fixed CSV
        await msg.reply_text(views.batch_bad_rows(error_text(exc), len(exc.problems)), parse_mode="HTML")
        if len(exc.problems) > 20:
            await msg.reply_document(InputFile(_problems_csv(exc.problems), filename="bad-rows.csv"))
        return
    except ValidationFailed:
        # Which file is at fault is the message's to say: all are kept, and the next file replaces its kind.
        await waiting.expect(me, "batch", **state)
        raise
    state["rows_n"] = len(rows)  # decides inline or background publishing
    # The rows' own estimates against the operator's floor (a ${column} reward or time is each row's).
    below = effective_pay.batch_below_floor(spec, [row_spec for row_spec, _ in plan.specs])
    state["below_floor"] = below.params["hourly_cents"] if below is not None else 0
    await waiting.expect(me, "batch", **state)
    balance = await call(accounts.balances, user_id=me)
    text, markup = views.batch_summary(len(rows), plan, balance.available_cents,
                                       error_text(below) if below is not None else None, state["below_floor"])
    await msg.reply_text(text, reply_markup=markup, parse_mode="HTML")


def _kept(state: dict) -> dict:
    """What stays after bad rows: the spec and the template, so a fixed CSV is all it takes."""
    return {k: state[k] for k in ("spec", "spec_name", "template") if state.get(k)}


def _problems_csv(problems: list[tuple[int, Text | str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["row", "problem"])
    writer.writerows((n, render(why)) for n, why in problems)  # each reason in the reader's language
    return out.getvalue().encode()


@on_button
async def publish(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    state = await call(waiting.waiting_for, user_id=me)
    if not state or state.get("kind") != "batch" or not (state.get("spec") and state.get("csv")):
        raise StaleAction()
    if state.get("below_floor") and (cb.verb != "bpf" or cb.arg(0) != state["below_floor"]):
        raise StaleAction()  # below the pay floor: only "Publish anyway" at the rate the summary showed
    await waiting.done(me)  # a second tap finds nothing to publish
    job = dict(requester_id=me, chat_id=msg.chat_id, message_id=msg.message_id, state=state, now=now(context))
    if int(state.get("rows_n") or 0) > get_settings().batch_background_rows:
        # Through the outbox like everything else: the relay hands it to the jobs worker's batch actor.
        await call(publishing.request_batch, **job)
        await msg.edit_text(views.batch_background())
        return views.batch_background_toast()
    return await batch_publish.publish_from_files(context.bot, **job)


@on_button
async def cancel(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    await waiting.done_if(update.effective_user.id, "batch")
    await update.effective_message.edit_text(views.batch_cancelled())
    return views.cancelled_toast()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("batch", batch))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^/batch\b"), file_in))
    app.add_handler(MessageHandler(filters.Document.ALL & waiting.awaiting("batch"), file_in))
    app.add_handler(CallbackQueryHandler(publish, pattern=callbacks.pattern("r", "bp", 0)))
    app.add_handler(CallbackQueryHandler(publish, pattern=callbacks.pattern("r", "bpf", 1)))
    app.add_handler(CallbackQueryHandler(cancel, pattern=callbacks.pattern("r", "bx", 0)))
