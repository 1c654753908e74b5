"""The web chat in headless Chromium (Debian's package, driven by Playwright): people are
created in the page and a worker accepts, answers and submits a HIT by clicking."""
from __future__ import annotations

import re

import pytest

from core.models import Assignment
from tests.e2e.walks import published_in_core
from tests.e2e.web_chat_page import CHROMIUM, Chat, add_person, chromium_page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM, reason="no chromium binary (CI installs it with .ci/browser-deps)"),
]

RITA, WES = 531, 631
SPEC = {"title": "Pick the bird", "description": "Which bird is on the feeder?", "reward": "0.40",
        "assignments": 1, "duration": "10m", "lifetime": "1d",
        "questions": [{"id": "bird", "kind": "choice", "prompt": "Which bird is it?",
                       "options": ["sparrow", "robin", "blackbird"]},
                      {"id": "sure", "kind": "rating", "prompt": "How sure are you?"}]}


def _requester_with_a_hit() -> None:
    published_in_core(RITA, SPEC, "bt")


def test_worker_accepts_answers_and_submits_by_clicking(stack, tmp_path):
    from playwright.sync_api import expect

    _requester_with_a_hit()
    with chromium_page(stack.url + "/") as (page, errors):
        add_person(page, "Rita", RITA)
        add_person(page, "Wes", WES)
        expect(page.locator("#user-list button")).to_have_count(2)
        wes = Chat(page, WES)

        wes.send("/start")
        wes.bot_says("Hi, Wes")
        wes.click("Browse HITs")
        wes.bot_says("Pick the bird")
        wes.click("Pick the bird")
        wes.bot_says("Which bird is on the feeder?")
        wes.click("Accept")
        wes.bot_says("Which bird is it?")
        wes.click("robin")
        wes.bot_says("How sure are you?")
        wes.click("4⭐")
        ready = wes.bot_says("Submit")
        # one message, edited in place from question to question, ends as the recap of the answers
        expect(ready).to_contain_text("robin")
        expect(wes.locator(".msg.bot .meta", has_text="edited").first).to_be_visible()
        wes.click("Submit")
        wes.bot_says("submitted")
        shot = tmp_path / "web-chat-worker.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: one chat at a time, tabs on top
        expect(page.locator("#tabs button")).to_have_count(2)
        # Rita's tab counts what the bot sent her meanwhile (the new submission); opening it clears that
        rita_tab = page.locator("#tabs button", has_text=re.compile(r"^Rita \(\d+\)$"))
        expect(rita_tab).to_be_visible(timeout=30_000)
        rita_tab.click()
        rita = page.locator(f"article.chat[data-user='{RITA}']")
        expect(rita.locator(".msg.bot", has_text="Pick the bird").first).to_be_visible()
        expect(page.locator("#tabs button", has_text="Rita")).to_have_text("Rita")
        page.screenshot(path=str(tmp_path / "web-chat-phone.png"))
        assert errors == []
    a = Assignment.get(Assignment.worker == WES)
    assert a.status == "submitted"
    answers = {ans.question.key: ans.value for ans in a.answers}
    assert answers == {"bird": "robin", "sure": 4}
