"""The revision screens (issue 18) in every language: the requester's prompt and card lines, the
worker's notices, revision screen and question prompts, within Telegram's limits (4096 UTF-16
units, valid HTML, callback data 1..64 bytes, no empty button), translated, and no English
literal left in their modules."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot import catalogs
from bot.i18n import DEFAULT, LANGUAGES, use
from bot.notices import render
from bot.views import revisions as views
from bot.views.review import render_card
from core.models import OutboxEvent, Question
from core.review import revisions
from core.review.queries import submission
from tests import factories as f
from tests.telegram_limits import assert_screen_ok

pytestmark = pytest.mark.usefixtures("database")

MODULES = ["bot/views/revisions.py", "bot/handlers/revisions.py"]
LONG_NOTE = "Please <look> again & " + "ы" * 978  # the most a note may be (1000 characters)


@pytest.fixture
def screens(now):
    """Every revision screen, as a function of nothing (rendered in the active language)."""
    r = f.requester()
    qs = [{"id": "animal", "kind": "choice", "prompt": "Which animal? " + "long " * 95, "options": ["cat", "dog"]},
          {"id": "why", "kind": "multi", "prompt": "Why?", "options": ["ears", "tail", "fur"],
           "required": False},
          {"id": "stars", "kind": "rating", "prompt": "How sure?", "required": False},
          {"id": "notes", "kind": "text", "prompt": "Anything else?", "required": False, "max_length": 2000}]
    (a,) = f.submitted(r.id, 1, now, questions=qs)
    ids = {q.key: q.id for q in Question.select().where(Question.hit == a.hit_id)}
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note=LONG_NOTE, now=now)
    revisions.revise_answer(worker_id=a.worker_id, assignment_id=a.id, question_id=ids["notes"], value="é" * 2000,
                            now=now)
    state = revisions.revision_state(worker_id=a.worker_id, assignment_id=a.id, now=now)
    revising = submission(assignment_id=a.id)
    requested = OutboxEvent.select().where(OutboxEvent.kind == "revision.requested").get()
    revisions.resubmit(worker_id=a.worker_id, assignment_id=a.id, now=now + timedelta(hours=1))
    revised = submission(assignment_id=a.id)
    revisions.request_revision(requester_id=r.id, assignment_id=a.id, note="again", now=now + timedelta(hours=2),
                               window_s=3600)
    revisions.lapse(revision_id=revisions.due(now=now + timedelta(hours=4), limit=5)[0], now=now + timedelta(hours=4))
    lapsed_card = submission(assignment_id=a.id)
    lapsed = OutboxEvent.select().where(OutboxEvent.kind == "revision.lapsed").get()
    later = now + timedelta(hours=5)
    return {
        "ask": lambda: (views.ask_note(a.id, 86400), views.note_keyboard(a.id, 86400, [43200, 86400, 259200])),
        "toast": lambda: (views.window_toast(43200), None),
        "sent": lambda: (views.requested_reply(now + timedelta(days=1), now), None),
        "card_revising": lambda: render_card(revising, now=now)[:2],
        "card_revised": lambda: render_card(revised, now=later)[:2],
        "card_lapsed": lambda: render_card(lapsed_card, now=later)[:2],
        "notice": lambda: (render(requested).text, render(requested).reply_markup),
        "lapsed": lambda: (render(lapsed).text, render(lapsed).reply_markup),
        "screen": lambda: views.screen(state, now),
        **{f"q_{key}": (lambda key=key: views.question_prompt(state, ids[key])) for key in ids},
        "changed": lambda: (views.changed_toast(), None),
        "resubmitted": lambda: (views.resubmitted(), None),
        "cancelled": lambda: (views.cancelled(), None),
    }


def test_every_revision_screen_fits_and_is_translated(screens):
    with use(DEFAULT):
        english = {name: fn()[0] for name, fn in screens.items()}
    assert "Sent back for revision 1 of 2" in english["card_revising"]
    assert "Revised by the worker (revision 1 of 2)" in english["card_revised"]
    assert "Not revised in time" in english["card_lapsed"]
    for lang in LANGUAGES:
        with use(lang):
            for name, fn in screens.items():
                text, markup = fn()
                assert_screen_ok(text, markup)
                if lang != DEFAULT:
                    assert text != english[name], (lang, name)  # translated, not English


def test_russian_reads_russian(screens):
    with use("ru"):
        assert "Отправлено на доработку (1 из 2)" in screens["card_revising"]()[0]
        text, markup = screens["notice"]()
        assert "Заказчик просит доработать" in text and markup.inline_keyboard[0][0].text == "✏️ Доработать"
        assert screens["screen"]()[1].inline_keyboard[-1][0].text == "📤 Отправить снова"


def test_no_english_literal_left_in_the_revision_modules():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == {m: 0 for m in MODULES}
