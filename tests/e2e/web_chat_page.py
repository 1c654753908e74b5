"""The web chat in a real browser, as the browser tests drive it: a chromium page on the sandbox, a person
added from its form, and a chat in which to wait for the bot's words and press its buttons. Also the
requester the task-page tests script before the worker opens the chat: registered, funded, with an API key."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import boto3

from core.mturk import apikeys
from core.payments import accounts
from core.users import commands as users
from tests.conftest import ADMIN_ID

CHROMIUM = os.environ.get("HITBOT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
WAIT_MS = 20_000


@contextmanager
def chromium_page(url: str, width: int = 1280, height: int = 860) -> Iterator[tuple[object, list[str]]]:
    """A page on `url` and the script errors it raises (a test asserts there were none)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url)
            yield page, errors
        finally:
            browser.close()


def add_person(page, name: str, uid: int) -> None:
    page.get_by_test_id("new-name").fill(name)
    page.get_by_test_id("new-id").fill(str(uid))
    page.get_by_test_id("create-user").click()
    page.locator(f"article.chat[data-user='{uid}']").wait_for()


class Chat:
    """One person's chat on the page."""

    def __init__(self, page, uid: int) -> None:
        self.chat = page.locator(f"article.chat[data-user='{uid}']")

    def locator(self, selector: str, **kw):
        return self.chat.locator(selector, **kw)

    def send(self, text: str) -> None:
        self.locator(".composer .text").fill(text)
        self.locator(".composer .text").press("Enter")

    def bot_says(self, text: str):
        from playwright.sync_api import expect

        bubble = self.locator(".msg.bot", has_text=text).last
        expect(bubble).to_be_visible(timeout=WAIT_MS)
        return bubble

    def click(self, label: str) -> None:
        from playwright.sync_api import expect

        button = self.locator(".inline-kb button", has_text=label).last
        expect(button).to_be_enabled(timeout=WAIT_MS)
        button.click()


def scripted_requester(url: str, uid: int, key: str):
    """A requester with $5.00 and an API key, as the boto3 client her script would hold."""
    now = datetime.now(UTC)
    users.register(user_id=uid, first_name="Rita", now=now)
    accounts.credit(admin_id=ADMIN_ID, user_id=uid, amount_cents=5_00, reason="browser test", now=now, key=key)
    api_key = apikeys.create_key(user_id=uid, now=now, request_key=key)
    return boto3.client("mturk", endpoint_url=url + "/mturk", region_name="us-east-1",
                        aws_access_key_id=api_key.access_key_id, aws_secret_access_key=api_key.secret)
