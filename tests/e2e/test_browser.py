"""The web chat in headless Chromium (Debian's package, driven by Playwright): people are
created in the page and a worker accepts, answers and submits a HIT by clicking."""
from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, timezone

import pytest

from core.hits.publishing import publish_hit
from core.models import Assignment
from core.payments import accounts
from core.users import commands as users
from tests.conftest import ADMIN_ID

CHROMIUM = os.environ.get("HITBOT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

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
    now = datetime.now(timezone.utc)
    users.register(user_id=RITA, first_name="Rita", now=now)
    accounts.credit(admin_id=ADMIN_ID, user_id=RITA, amount_cents=5_00, reason="browser test", now=now, key="bt")
    publish_hit(requester_id=RITA, spec=SPEC, now=now)


def _add_person(page, name: str, uid: int) -> None:
    page.get_by_test_id("new-name").fill(name)
    page.get_by_test_id("new-id").fill(str(uid))
    page.get_by_test_id("create-user").click()
    page.locator(f"article.chat[data-user='{uid}']").wait_for()


def test_worker_accepts_answers_and_submits_by_clicking(stack, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    _requester_with_a_hit()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(stack.url + "/")
            _add_person(page, "Rita", RITA)
            _add_person(page, "Wes", WES)
            expect(page.locator("#user-list button")).to_have_count(2)
            wes = page.locator(f"article.chat[data-user='{WES}']")

            def bot_says(text: str):
                bubble = wes.locator(".msg.bot", has_text=text).last
                expect(bubble).to_be_visible(timeout=20_000)
                return bubble

            def click(label: str) -> None:
                button = wes.locator(".inline-kb button", has_text=label).last
                expect(button).to_be_enabled(timeout=20_000)
                button.click()

            wes.locator(".composer .text").fill("/start")
            wes.locator(".composer .text").press("Enter")
            bot_says("Hi, Wes")
            click("Browse HITs")
            bot_says("Pick the bird")
            click("Pick the bird")
            bot_says("Which bird is on the feeder?")
            click("Accept")
            bot_says("Which bird is it?")
            click("robin")
            bot_says("How sure are you?")
            click("4⭐")
            ready = bot_says("Submit")
            # one message, edited in place from question to question, ends as the recap of the answers
            expect(ready).to_contain_text("robin")
            expect(wes.locator(".msg.bot .meta", has_text="edited").first).to_be_visible()
            click("Submit")
            bot_says("submitted")
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
        finally:
            browser.close()
    a = Assignment.get(Assignment.worker == WES)
    assert a.status == "submitted"
    answers = {ans.question.key: ans.value for ans in a.answers}
    assert answers == {"bird": "robin", "sure": 4}
