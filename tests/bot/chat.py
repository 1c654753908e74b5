"""What the bot tests do alike over the fake Telegram: a person who said /start, the last thing a chat
shows, a callback's alert, a submitted assignment, and a notice sent the way the jobs worker sends it."""
from __future__ import annotations

from datetime import timedelta

from bot.notices import render
from core.models import OutboxEvent, Question
from core.work import commands as work
from jobs import cards as card_jobs
from tests import factories as f
from tests.conftest import NOW
from tests.fakes.telegram import TgUser, answers
from tests.telegram_limits import html_problems


async def person(bot, name: str, cents: int = 0, username: str | None = None) -> TgUser:
    """A user who has said /start (the bot learns a username from the update); a requester with `cents` on
    their balance when given."""
    u = f.requester(cents, name=name) if cents else f.user(name)
    tg = TgUser(u.id, name, username=username)
    await bot.text(tg, "/start")
    return tg


def alert(calls) -> str:
    """The text of the one callback answer among `calls`."""
    (a,) = answers(calls)
    return a.params.get("text") or ""


def last_text(bot, user) -> str:
    return bot.tg.last_message(user.id).text


def labels(bot, user) -> list[str]:
    return [label for label, _ in bot.tg.last_message(user.id).buttons]


def submit(hit, worker, at=NOW):
    """The worker accepts the (factory) HIT, answers "cat" and submits a minute later."""
    a = work.accept(worker_id=worker.id, hit_id=hit.id, now=at)
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    work.save_answer(worker_id=worker.id, assignment_id=a.id, question_id=q.id, value="cat", now=at)
    return work.submit(worker_id=worker.id, assignment_id=a.id, now=at + timedelta(minutes=1))


async def deliver(bot, kind: str, user_id: int, *, card: bool = False) -> int:
    """Send the latest `kind` notice the way the jobs worker does (valid HTML, or the real API would refuse
    it); with `card`, remembered as the live card it is. Returns its message id."""
    event = OutboxEvent.select().where((OutboxEvent.kind == kind) & (OutboxEvent.user_id == user_id)) \
        .order_by(OutboxEvent.id.desc()).get()
    notice = render(event)
    assert notice is not None and html_problems(notice.text) == [], kind
    sent = await bot.app.bot.send_message(notice.chat_id, notice.text, reply_markup=notice.reply_markup,
                                          parse_mode="HTML")
    if card:
        card_jobs.remember_notice(event, chat_id=notice.chat_id, message_id=sent.message_id)
    return sent.message_id


async def start(bot, user: TgUser) -> TgUser:
    await bot.text(user, "/start")
    return user


def newest(kind: str, to: int):
    """The newest `kind` notice for `to` as the jobs worker would render it (None when there is none)."""
    event = (OutboxEvent.select().where((OutboxEvent.kind == kind) & (OutboxEvent.user_id == to))
             .order_by(OutboxEvent.id.desc()).first())
    return render(event) if event else None
