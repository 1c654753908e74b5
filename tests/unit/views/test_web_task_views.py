"""Web tasks in chat, rendered from plain data (issue 16): the Open task message offers the page as a
Mini App (web_app) and as a plain link (?via=link, unless links are turned off), with Return; without a tasks origin it says the page can't
be reached; the requester's card lists the page's fields."""
from __future__ import annotations

from datetime import timedelta

from bot.views import review, work
from core.config import get_settings
from core.models import Assignment, AssignmentStatus as S, Hit, Question
from core.work.queries import WorkState
from tests.conftest import NOW


def _state() -> WorkState:
    hit = Hit(id=3, title="Label the photo", description="", reward_cents=50, duration_s=600, requester=1)
    a = Assignment(id=7, hit=3, worker=2, status=S.ACCEPTED, accepted_at=NOW, deadline=NOW + timedelta(minutes=10),
                   current_q=0)
    q = Question(id=1, hit=3, position=0, kind="web", prompt="Do this task on its page", required=True)
    return WorkState(a, hit, [q])


def test_the_open_task_message_offers_the_page_as_a_mini_app_and_a_link(monkeypatch):
    monkeypatch.setenv("HITBOT_TASKS_URL", "https://tasks.example.org")
    monkeypatch.setenv("HITBOT_SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    try:
        text, markup = work.question(_state(), NOW)
    finally:
        get_settings.cache_clear()
    (app,), (link,), (ret,) = markup.inline_keyboard
    assert app.text == "🌐 Open task" and app.web_app.url.startswith("https://tasks.example.org/task/7-")
    assert link.url == app.web_app.url + "?via=link" and ret.callback_data == "w:ret:7"
    assert "its own page" in text and "Question 1 of 1" not in text


def test_with_plain_links_turned_off_only_the_mini_app_opens_the_task(monkeypatch):
    monkeypatch.setenv("HITBOT_TASKS_URL", "https://tasks.example.org")
    monkeypatch.setenv("HITBOT_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("HITBOT_TASK_LINKS", "false")
    get_settings.cache_clear()
    try:
        _, markup = work.question(_state(), NOW)
    finally:
        get_settings.cache_clear()
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["🌐 Open task"], ["↩️ Return"]]


def test_without_a_tasks_origin_the_message_says_the_page_cant_be_reached(monkeypatch):
    monkeypatch.delenv("HITBOT_TASKS_URL", raising=False)
    get_settings.cache_clear()
    try:
        text, markup = work.question(_state(), NOW)
    finally:
        get_settings.cache_clear()
    assert "can't be reached" in text
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["↩️ Return"]]


def test_the_requesters_card_lists_the_pages_fields_in_order():
    shown = review._answer_text("web", [["animal", "dog"], ["tag", "<b>"], ["tag", "b"]])
    assert shown.splitlines()[1:] == ["   animal: <b>dog</b>", "   tag: <b>&lt;b&gt;</b>", "   tag: <b>b</b>"]
    assert review._answer_text("web", []) == "<i>an empty form</i>"
