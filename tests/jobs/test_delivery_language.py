"""Issue 20: a notice is rendered in its recipient's language, not in the language of whoever caused it.
A Spanish requester and a Russian worker: each side's notices, delivered by the jobs worker while the
other side's language is the active one, and the requester's card as the worker edits it later."""
from __future__ import annotations

from datetime import timedelta

from bot.i18n import use
from bot.views.review import render_card
from core.models import ChatCard, OutboxEvent, User
from core.review import commands as review
from core.review.queries import submission
from jobs import cards as card_jobs
from jobs.delivery import deliver_event
from tests import factories
from tests.conftest import NOW
from tests.unit.views.test_notify import _submit


def _buttons(botapi, chat_id: int) -> str:
    """The button labels of the last message the chat got."""
    message_id = max(i for i, s in enumerate(botapi.sent, 1) if s.chat_id == chat_id)
    return str(botapi._messages[(chat_id, message_id)][1])


def _deliver(jobs, user_id: int) -> list[str]:
    """Deliver the user's pending notices in order (a later one waits for the earlier ones)."""
    pending = OutboxEvent.select().where((OutboxEvent.user_id == user_id) & OutboxEvent.done_at.is_null()
                                         & (OutboxEvent.kind != "cards.refresh")).order_by(OutboxEvent.id)
    return [deliver_event(e.id, jobs=jobs) for e in pending]


def test_a_spanish_requesters_approval_reaches_a_russian_worker_in_russian(jobs, botapi):
    rita = factories.requester(100_00, name="Rita")
    User.update(language_code="es").where(User.id == rita.id).execute()  # her Telegram app is in Spanish
    olga = factories.user("Olga", language_code="ru")
    hit = factories.hit(rita.id, title="Label the photo", reward="2.00", assignments=1)
    OutboxEvent.update(done_at=NOW).execute()  # what came before (the top-up, the publish) was told already
    a = _submit(hit, olga.id)

    with use("ru"):  # the worker's submit caused the requester's review card
        assert _deliver(jobs, rita.id) == ["sent"]
    card = botapi.sent[-1]
    assert card.chat_id == rita.id
    with use("es"):
        spanish, _, _ = render_card(submission(assignment_id=a.id), now=NOW)
    with use("ru"):
        russian, _, _ = render_card(submission(assignment_id=a.id), now=NOW)
    assert spanish != russian and card.text == spanish
    assert "✉️ Mensaje" in _buttons(botapi, rita.id)  # the card's buttons in her words too

    later = NOW + timedelta(minutes=5)
    OutboxEvent.update(done_at=NOW).where(OutboxEvent.kind == "submission.confirmed").execute()  # told already
    with use("es"):  # the requester's press: her update's language is the active one
        review.approve(requester_id=rita.id, assignment_id=a.id, now=later, feedback="muy bien")
        assert _deliver(jobs, olga.id) == ["sent"]
    notice = botapi.sent[-1]
    assert notice.chat_id == olga.id
    assert notice.text.split("\n") == [
        "✅ Ваша работа по заданию «Label the photo» принята: <b>+2,00\xa0$</b>.",
        "Отзыв: muy bien",
        "Как вам этот заказчик? Оцените его:",
    ]
    assert "💰 Баланс" in _buttons(botapi, olga.id)

    # The approval changed the card the requester got: the worker edits it in her language, not Olga's.
    assert ChatCard.select().where(ChatCard.chat_id == rita.id).exists()
    refresh = OutboxEvent.select().where(OutboxEvent.kind == "cards.refresh").order_by(OutboxEvent.id.desc()).first()
    with use("ru"):
        planned = [(c.chat_id, rendered) for c, rendered in card_jobs.plan(refresh) if c.chat_id == rita.id]
    with use("es"):
        now_spanish, _, _ = render_card(submission(assignment_id=a.id), now=refresh.created_at)
    with use("ru"):
        now_russian, _, _ = render_card(submission(assignment_id=a.id), now=refresh.created_at)
    assert planned and now_spanish != now_russian and planned[0][1][0] == now_spanish
