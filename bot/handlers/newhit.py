"""/newhit: the guided HIT creation flow, or a spec file sent as a document.

The draft and the step it is on live in the database (core.hits.drafts); the
'awaiting newhit' mark (bot.input) routes the requester's next typed message here."""
from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, input as waiting
from bot.runtime import Context, call, error_text, now, on_button, on_button_showing, on_message, reply_or_edit
from bot.views import myhits as pay_views, newhit as views
from core import effective_pay
from core.config import get_settings
from core.errors import BelowPayFloor, InsufficientFunds, StaleAction, ValidationFailed
from core.hits import drafts, publishing
from core.hits.spec_files import MAX_SPEC_BYTES, parse_spec_file
from core.models import HitDraft
from core.payments import accounts

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


async def show(message: Message, context: Context, draft: HitDraft, *, edit: bool = False) -> None:
    """Send (or put in place of `message`) what the draft needs next: a prompt, or the preview."""
    me = draft.user_id
    if draft.step == "preview":
        spec = await call(drafts.spec_of, draft=draft)
        balance = await call(accounts.balances, user_id=me)
        text, markup = views.preview(draft, spec, publishing.cost_of(spec), balance.available_cents,
                                     spec.auto_approve_s(get_settings().auto_approve_s))
        await waiting.done(me)
    else:
        text, markup = views.ask(draft)
        await waiting.expect(me, "newhit", draft_id=draft.id)
    await reply_or_edit(message, text, markup, edit=edit)


@on_message
async def newhit(update: Update, context: Context) -> None:
    me = update.effective_user.id
    draft = await call(drafts.current, user_id=me)
    if draft is not None:
        text, markup = views.resume(draft)
        await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
        return
    await show(update.effective_message, context, await call(drafts.start, user_id=me, now=now(context)))


menu_newhit = on_button_showing(newhit)


@on_message
async def typed(update: Update, context: Context) -> None:
    """A typed answer to the current step (bad values: a friendly error, then the same prompt stands)."""
    me = update.effective_user.id
    draft = await call(drafts.current, user_id=me)
    if draft is None:
        await waiting.done(me)
        return
    draft = await call(drafts.give, user_id=me, draft_id=draft.id, step=draft.step,
                       text=update.effective_message.text or "", now=now(context))
    await show(update.effective_message, context, draft)


@on_message
async def file_sent(update: Update, context: Context) -> None:
    """A photo/document while a draft waits: the attachment, or (at the title) a whole spec file."""
    me, msg = update.effective_user.id, update.effective_message
    draft = await call(drafts.current, user_id=me)
    if draft is None:
        await waiting.done(me)
        return
    doc = msg.document
    if doc is not None and (doc.file_name or "").lower().endswith(SPEC_SUFFIXES) and draft.step != "attachment":
        await spec_file(update, context)
        return
    if draft.step != "attachment":
        raise ValidationFailed(views.no_file_expected())
    ref = f"photo:{msg.photo[-1].file_id}" if msg.photo else f"document:{doc.file_id}"
    draft = await call(drafts.give, user_id=me, draft_id=draft.id, step="attachment", text=ref, now=now(context))
    await show(msg, context, draft)


@on_message
async def spec_file(update: Update, context: Context) -> None:
    """A spec file (YAML or JSON): straight to the preview, or every problem with its line."""
    me, msg = update.effective_user.id, update.effective_message
    doc = msg.document
    if doc.file_size and doc.file_size > MAX_SPEC_BYTES:
        raise ValidationFailed(views.spec_too_big(MAX_SPEC_BYTES))
    raw = bytes(await (await doc.get_file()).download_as_bytearray())
    spec = await call(parse_spec_file, raw=raw, filename=doc.file_name or "")
    draft = await call(drafts.from_spec, user_id=me, spec=spec, now=now(context))
    await show(msg, context, draft)


@on_button
async def preset(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    draft_id, code, index = cb.args
    me = update.effective_user.id
    before = await call(drafts.get, user_id=me, draft_id=draft_id)
    prompt = views.ask(before)[0] if before.step == drafts.STEPS[code] else None
    draft = await call(drafts.preset, user_id=me, draft_id=draft_id, code=code, index=index, now=now(context))
    if prompt is not None:
        step = drafts.STEPS[code]
        await update.effective_message.edit_text(views.chosen(prompt, step, drafts.PRESETS[step][index]),
                                                 parse_mode="HTML")
    await show(update.effective_message, context, draft)
    return None


@on_button
async def publish(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    confirmed = cb.arg(1) if cb.verb == "npf" else None  # "Publish anyway" below the pay floor, at this rate
    try:
        hit = await call(effective_pay.publish_draft, user_id=me, draft_id=cb.arg(0), now=now(context),
                         confirmed_hourly_cents=confirmed)
    except BelowPayFloor as exc:
        text, markup = pay_views.below_floor(error_text(exc), exc.params["draft_id"], exc.params["hourly_cents"])
        await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
        return None
    except InsufficientFunds as exc:
        await update.effective_message.reply_text(views.short_of_funds(error_text(exc)))
        return views.not_enough_toast()
    await update.effective_message.edit_text(views.published(hit.id, hit.title), parse_mode="HTML")
    return views.published_toast()


@on_button
async def edit_menu(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    draft = await call(drafts.get, user_id=update.effective_user.id, draft_id=cb.arg(0))
    if draft.step != "preview" or draft.status != "editing":
        raise StaleAction(views.preview_out_of_date())
    await update.effective_message.edit_reply_markup(views.edit_menu(draft))
    return views.what_to_change()


@on_button
async def edit_field(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    draft_id, index = cb.args
    if not 0 <= index < len(drafts.EDITABLE):
        raise StaleAction()
    draft = await call(drafts.edit, user_id=update.effective_user.id, draft_id=draft_id,
                       field=drafts.EDITABLE[index], now=now(context))
    await show(update.effective_message, context, draft, edit=draft.step == "preview")
    return None


@on_button
async def drop_requirement(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    draft_id, index, tag = cb.args
    draft = await call(drafts.drop_requirement, user_id=update.effective_user.id, draft_id=draft_id, index=index,
                       tag=tag, now=now(context))
    await show(update.effective_message, context, draft, edit=True)
    return views.requirement_removed()


@on_button
async def resume(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    draft = await call(drafts.get, user_id=update.effective_user.id, draft_id=cb.arg(0))
    if draft.status != "editing":
        raise StaleAction(views.draft_closed())
    await show(update.effective_message, context, draft, edit=draft.step == "preview")
    return None


@on_button
async def start_over(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    old = await call(drafts.get, user_id=me, draft_id=cb.arg(0))
    if old.status != "editing":
        raise StaleAction(views.draft_closed())
    draft = await call(drafts.start, user_id=me, now=now(context))
    await update.effective_message.edit_text(views.started_over())
    await show(update.effective_message, context, draft)
    return None


@on_button
async def cancel(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    await call(drafts.cancel, user_id=me, draft_id=cb.arg(0), now=now(context))
    await waiting.done(me)
    await update.effective_message.edit_text(views.cancelled())
    return views.cancelled_toast()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("newhit", newhit))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^/newhit\b"), spec_file))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & waiting.awaiting("newhit"), typed))
    app.add_handler(MessageHandler((filters.PHOTO | filters.Document.ALL) & waiting.awaiting("newhit"), file_sent))
    app.add_handler(CallbackQueryHandler(menu_newhit, pattern=callbacks.pattern("m", "newhit", 0)))
    app.add_handler(CallbackQueryHandler(preset, pattern=callbacks.pattern("r", "nv", 3)))
    app.add_handler(CallbackQueryHandler(publish, pattern=callbacks.pattern("r", "np", 1)))
    app.add_handler(CallbackQueryHandler(publish, pattern=callbacks.pattern("r", "npf", 2)))
    app.add_handler(CallbackQueryHandler(edit_menu, pattern=callbacks.pattern("r", "ne", 1)))
    app.add_handler(CallbackQueryHandler(edit_field, pattern=callbacks.pattern("r", "nf", 2)))
    app.add_handler(CallbackQueryHandler(drop_requirement, pattern=callbacks.pattern("r", "nr", 3)))
    app.add_handler(CallbackQueryHandler(resume, pattern=callbacks.pattern("r", "nc", 1)))
    app.add_handler(CallbackQueryHandler(start_over, pattern=callbacks.pattern("r", "nn", 1)))
    app.add_handler(CallbackQueryHandler(cancel, pattern=callbacks.pattern("r", "nx", 1)))
