"""Qualifications, tests, quality rules, appeals, worker profile and admin block counts."""
from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, input as waiting
from bot.handlers import language
from bot.runtime import Context, call, now, on_button, on_message
from bot.views import notify, qual_requests as request_views, quals as views
from bot.views.start import cancel_markup
from core import notices
from core.config import get_settings
from core.errors import StaleAction, ValidationFailed
from core.hits.spec import parse_duration
from core.hits.spec_files import load_spec_document
from core.mturk import workers as mturk_workers
from core.quals import commands as quals, requests as qual_requests
from core.review import appeals, quality
from core.users import commands as users, languages as user_languages

log = logging.getLogger(__name__)
MAX_TEST_FILE = views.MAX_TEST_FILE_KB * 1024


def _worker_given(text: str) -> bool:
    """A WorkerId as the review card shows it (with or without '#'), or a numeric id (admins, old habits)."""
    return text.isdigit() or re.fullmatch(r"#?A[A-Z2-7]{13}", text) is not None


async def _worker(requester_id: int, text: str) -> int:
    if text.isdigit():
        return _int(text, "worker")
    ref = text.lstrip("#")
    found = await call(mturk_workers.workers_of, requester_id=requester_id, refs=[ref])
    if ref not in found:  # a worker who asked for one of the requester's qualifications is known by it too
        found = await call(qual_requests.workers_asking, requester_id=requester_id, refs=[ref])
    if ref not in found:
        raise ValidationFailed(views.no_such_worker(ref))
    return found[ref]


def _settings(verb: str, rest: str) -> dict:
    """/qual auto NAME on [VALUE] | /qual auto NAME off | /qual retry NAME DELAY"""
    parts = rest.rsplit(maxsplit=2)
    if verb == "auto" and len(parts) == 3 and parts[1] == "on" and parts[2].isdigit():
        return {"name": parts[0], "auto_grant_value": _int(parts[2], "value")}
    parts = rest.rsplit(maxsplit=1)
    if len(parts) == 2 and verb == "auto" and parts[1] in ("on", "off"):
        return {"name": parts[0], "auto_grant_value": 1 if parts[1] == "on" else None}
    if len(parts) == 2 and verb == "retry":
        return {"name": parts[0], "retry_delay_s": parse_duration(parts[1], field="retry")}
    raise ValidationFailed(request_views.settings_usage())


def _int(text: str, what: str) -> int:
    """`what`: a key of views.WHOLE_NUMBER, the refusal that names the number."""
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed(views.not_a_whole_number(what)) from None


@on_message
async def qual(update: Update, context: Context) -> None:
    """/qual | /qual new NAME | DESCRIPTION | /qual grant NAME WORKER [VALUE] | /qual revoke NAME WORKER"""
    me, t = update.effective_user.id, now(context)
    args = (update.effective_message.text or "").split(maxsplit=1)[1:] or [""]
    verb, _, rest = args[0].partition(" ")
    if verb == "new":
        name, _, description = rest.partition("|")
        qt = await call(quals.create_type, owner_id=me, name=name, description=description.strip(), now=t)
        await update.effective_message.reply_text(views.created(qt.name))
        return
    if verb == "requests":
        total, cards = await call(qual_requests.waiting_cards, requester_id=me)
        await update.effective_message.reply_text(request_views.waiting_header(total, len(cards)))
        for p in cards:
            text, markup = request_views.request_card(p)
            await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
        return
    if verb in ("auto", "retry"):
        s = await call(qual_requests.configure, owner_id=me, **_settings(verb, rest))
        await update.effective_message.reply_text(request_views.type_settings(s), parse_mode="HTML")
        return
    if verb in ("grant", "revoke"):
        parts = rest.rsplit(maxsplit=2 if verb == "grant" else 1)
        if verb == "grant" and len(parts) == 3 and parts[2].lstrip("-").isdigit() and _worker_given(parts[1]):
            name, given, value = parts[0], parts[1], _int(parts[2], "value")
        else:
            parts = rest.rsplit(maxsplit=1)
            if len(parts) < 2 or not _worker_given(parts[1]):
                raise ValidationFailed(views.qual_usage(verb))
            name, given, value = parts[0], parts[1], 1
        worker = await _worker(me, given)
        qt = await call(quals.type_by_name, owner_id=me, name=name)
        if verb == "grant":
            await call(quals.grant, owner_id=me, qtype_id=qt.id, worker_id=worker, value=value, now=t)
            await update.effective_message.reply_text(views.granted(qt.name, value, given))
        else:
            gone = await call(quals.revoke, owner_id=me, qtype_id=qt.id, worker_id=worker, now=t)
            await update.effective_message.reply_text(views.revoked(gone))
        return
    types = await call(quals.my_types, owner_id=me)
    await update.effective_message.reply_text(views.qual_list(types), parse_mode="HTML")


@on_message
async def qualtest_file(update: Update, context: Context) -> None:
    """A document captioned /qualtest: {name, description?, retake?, questions: [{prompt, options, answer}]}"""
    doc = update.effective_message.document
    if doc.file_size and doc.file_size > MAX_TEST_FILE:
        raise ValidationFailed(views.test_file_too_large())
    raw = bytes(await (await doc.get_file()).download_as_bytearray())
    # The spec files' loader: no aliases, bounded size and depth, errors with their line.
    spec = (await call(load_spec_document, raw=raw, filename=doc.file_name or "",
                       not_a_mapping=views.test_file_shape())).data
    if not isinstance(spec.get("questions"), list):
        raise ValidationFailed(views.test_file_shape())
    retake = parse_duration(spec.get("retake", "1d"), field="retake")
    test = await call(quals.create_test, owner_id=update.effective_user.id, name=str(spec.get("name", "")),
                      description=str(spec.get("description", "")), questions=spec["questions"],
                      retake_after_s=retake, now=now(context))
    await update.effective_message.reply_text(views.test_created(len(test.questions)))


@on_message
async def tests(update: Update, context: Context) -> None:
    rows = await call(quals.tests_for, worker_id=update.effective_user.id)
    text, markup = views.tests_list(rows)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")


@on_button
async def take_test(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    attempt = await call(quals.start_test, worker_id=me, test_id=cb.arg(0), now=now(context))
    test, attempt, _ = await call(quals.attempt_view, worker_id=me, attempt_id=attempt.id)
    text, markup = views.test_question(test, attempt)
    await update.effective_message.reply_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_button
async def test_answer(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    attempt_id, position, option = cb.args
    await call(quals.answer_test, worker_id=me, attempt_id=attempt_id, position=position, option=option,
               now=now(context))
    test, attempt, qtype = await call(quals.attempt_view, worker_id=me, attempt_id=attempt_id)
    if attempt.score is not None:
        await update.effective_message.edit_text(views.test_result(qtype, attempt), parse_mode="HTML")
    else:
        text, markup = views.test_question(test, attempt)
        await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return None


@on_message
async def quality_rule(update: Update, context: Context) -> None:
    """/quality | /quality off | /quality MIN_PCT [AFTER_N] [reject|block]"""
    me = update.effective_user.id
    args = (update.effective_message.text or "").split()[1:]
    if args == ["off"]:
        policy = await call(quality.set_policy, requester_id=me, min_accuracy=None)
    elif args:
        if len(args) > 3:
            raise ValidationFailed(views.quality_usage())
        policy = await call(quality.set_policy, requester_id=me, min_accuracy=_int(args[0], "accuracy"),
                            min_gold=_int(args[1], "gold") if len(args) > 1 else 3,
                            action=args[2] if len(args) > 2 else "reject")
    else:
        policy = quality.Policy.of(await call(users.get_user, user_id=me))
    await update.effective_message.reply_text(views.policy_text(policy), parse_mode="HTML")


@on_message
async def profile(update: Update, context: Context) -> None:
    """/profile | /profile country DE | timezone Europe/Berlin | skills a, b | interests c, d | languages es, pt"""
    me = update.effective_user.id
    field, _, value = " ".join((update.effective_message.text or "").split()[1:]).partition(" ")
    if field == "country":
        await call(users.set_country, user_id=me, country=value)
    elif field == "timezone":
        await call(users.set_timezone, user_id=me, tz_name=value.strip())
        language.remember_timezone(context, value.strip())
    elif field == "languages":
        await call(user_languages.set_languages, user_id=me, text=value)
    elif field in ("skills", "interests"):
        current = await call(quality.profile, user_id=me)
        current[field] = [v for v in value.split(",")]
        await call(quality.set_profile, user_id=me, skills=current["skills"], interests=current["interests"])
    elif field:
        raise ValidationFailed(views.profile_usage())
    shown = await call(quality.profile_view, user_id=me)
    await update.effective_message.reply_text(views.profile_text(shown.user, shown.profile, rating=shown.rating),
                                              parse_mode="HTML")


@on_button
async def appeal_start(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me, msg = update.effective_user.id, update.effective_message
    keep = notify.without_appeal(msg.reply_markup)
    try:  # refused now (appealed already, no longer rejected, too late), not after the typing
        await call(appeals.check_appeal, worker_id=me, assignment_id=cb.arg(0), now=now(context))
    except StaleAction:
        await _drop_appeal(context, me, msg.message_id, keep, cb.arg(0))
        raise
    await waiting.expect(me, "appeal", assignment_id=cb.arg(0), message_id=msg.message_id, keep=keep)
    await msg.reply_text(views.ask_appeal(), reply_markup=cancel_markup())
    return None


async def _drop_appeal(context: Context, chat_id: int, message_id: int, keep: list, assignment_id: int) -> None:
    """The message that offered Appeal loses the button once it is used."""
    markup = notify.keyboard_of(keep, rated=await call(notices.rated, assignment_id=assignment_id))
    try:
        await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except BadRequest as exc:  # not modified, deleted, too old to edit: nothing more to do
        log.info("could not drop the Appeal button: %s", exc)


@on_message
async def appeal_text(update: Update, context: Context) -> None:
    me = update.effective_user.id
    wait = await call(waiting.waiting_for, user_id=me)
    await call(appeals.appeal, worker_id=me, assignment_id=int(wait["assignment_id"]),
               message=update.effective_message.text or "", now=now(context))
    await waiting.done(me)
    await update.effective_message.reply_text(views.appeal_sent())
    if wait.get("message_id"):
        await _drop_appeal(context, me, int(wait["message_id"]), wait.get("keep") or [], int(wait["assignment_id"]))


@on_button
async def appeal_decide(update: Update, context: Context, cb: callbacks.Callback) -> str | None:
    me = update.effective_user.id
    await call(appeals.decide, requester_id=me, appeal_id=cb.arg(0), approve=cb.verb == "apy", now=now(context))
    row, assignment, hit, worker = await call(appeals.appeal_context, requester_id=me, appeal_id=cb.arg(0))
    text, markup = views.appeal_card(row, hit.title, worker.display_name, assignment.feedback)
    await update.effective_message.edit_text(text, reply_markup=markup, parse_mode="HTML")
    return views.appeal_decided_toast(cb.verb == "apy")


@on_message
async def blocks(update: Update, context: Context) -> None:
    if update.effective_user.id not in get_settings().admins:  # a worker: the requesters they blocked
        from bot.handlers.messages import blocks_of_worker

        return await blocks_of_worker(update, context)
    counts = await call(appeals.block_counts, admin_ids=get_settings().admins, admin_id=update.effective_user.id)
    await update.effective_message.reply_text(views.block_counts_text(counts), parse_mode="HTML")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("qual", qual))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^/qualtest\b"), qualtest_file))
    app.add_handler(CommandHandler("tests", tests))
    app.add_handler(CommandHandler("quality", quality_rule))
    app.add_handler(CommandHandler("profile", profile))
    app.add_handler(CommandHandler("blocks", blocks))
    app.add_handler(CallbackQueryHandler(take_test, pattern=callbacks.pattern("q", "tst", 1)))
    app.add_handler(CallbackQueryHandler(test_answer, pattern=callbacks.pattern("q", "ta", 3)))
    app.add_handler(CallbackQueryHandler(appeal_start, pattern=callbacks.pattern("q", "apl", 1)))
    app.add_handler(CallbackQueryHandler(appeal_decide, pattern=r"^q:ap[yn]:\d{1,18}$"))
    app.add_handler(MessageHandler(filters.TEXT & waiting.awaiting("appeal"), appeal_text))
