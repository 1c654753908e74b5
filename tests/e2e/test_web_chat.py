"""The web chat's own features in headless Chromium, with the test playing the bot over the
Bot API: reply keyboards, edits in place, uploads, location, paying an invoice, blocking."""
from __future__ import annotations

import time

import httpx
import pytest

from sandbox.server import SandboxServer
from tests.e2e.web_chat_page import CHROMIUM, chromium_page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM, reason="no chromium binary (CI installs it with .ci/browser-deps)"),
]

TOKEN = "424242:web-chat"
ANN = 7001


class FakeBot:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=f"{url}/bot{TOKEN}", timeout=30)
        self.offset = 0

    def call(self, method: str, **params):
        body = self.http.post(f"/{method}", json=params).json()
        assert body["ok"], body
        return body["result"]

    def next_update(self, kind: str, timeout: float = 15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for u in self.call("getUpdates", offset=self.offset, timeout=1):
                self.offset = u["update_id"] + 1
                if kind in u:
                    return u[kind]
        raise AssertionError(f"no {kind} update")


@pytest.fixture
def server():
    with SandboxServer(flood_control=False) as s:
        yield s


def test_web_chat_features(server, tmp_path):
    from playwright.sync_api import expect

    bot = FakeBot(server.url)
    with chromium_page(server.url + "/", 1100, 800) as (page, errors):
        # a bad id is refused with the API's own message, then a good one opens the chat
        page.get_by_test_id("new-name").fill("Ann")
        page.get_by_test_id("new-id").fill("0")
        page.get_by_test_id("create-user").click()
        expect(page.locator("#new-user-error")).to_contain_text("id must be a positive whole number")
        page.get_by_test_id("new-id").fill(str(ANN))
        page.get_by_test_id("create-user").click()
        chat = page.locator(f"article.chat[data-user='{ANN}']")
        expect(chat).to_be_visible()

        # typed text reaches the bot; its reply (HTML) shows; an edit replaces it in place
        chat.locator(".composer .text").fill("hello bot")
        chat.locator(".composer .text").press("Enter")
        assert bot.next_update("message")["text"] == "hello bot"
        sent = bot.call("sendMessage", chat_id=ANN, text="Pick <b>one</b>", parse_mode="HTML",
                        reply_markup={"keyboard": [["Red", "Blue"]], "one_time_keyboard": True})
        expect(chat.locator(".msg.bot b", has_text="one")).to_be_visible()
        chat.locator(".reply-keyboard button", has_text="Blue").click()
        assert bot.next_update("message")["text"] == "Blue"
        expect(chat.locator(".reply-keyboard")).to_be_hidden()
        bot.call("editMessageText", chat_id=ANN, message_id=sent["message_id"], text="Thanks for picking")
        bubble = chat.locator(f".msg[data-message-id='{sent['message_id']}']")
        expect(bubble).to_contain_text("Thanks for picking")
        expect(bubble.locator(".meta")).to_contain_text("edited")
        expect(chat.locator(".msg.bot")).to_have_count(1)

        # a photo through the 📎 input, then a document with a caption
        png = tmp_path / "dot.png"
        png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        chat.locator(".composer .file").set_input_files(str(png))
        photo = bot.next_update("message")["photo"]
        assert photo[-1]["file_size"] == png.stat().st_size
        expect(chat.locator(".msg.me img")).to_have_count(1)
        doc = tmp_path / "notes.txt"
        doc.write_text("some notes")
        chat.locator(".composer .text").fill("my notes")
        chat.locator(".composer .file").set_input_files(str(doc))
        got = bot.next_update("message")
        assert got["document"]["file_name"] == "notes.txt" and got["caption"] == "my notes"

        # location: the browser asks (no geolocation on plain http)
        page.once("dialog", lambda d: d.accept("48.8584, 2.2945"))
        chat.locator(".composer .location").click()
        assert bot.next_update("message")["location"] == {"latitude": 48.8584, "longitude": 2.2945}

        # an invoice is paid with its button once the bot confirms the pre-checkout query
        bot.call("sendInvoice", chat_id=ANN, title="Top up", description="Adds $5.00", payload="p1",
                 provider_token="x", currency="USD", prices=[{"label": "Top-up", "amount": 500}])
        chat.locator(".invoice .pay").click()
        query = bot.next_update("pre_checkout_query")
        bot.call("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
        assert bot.next_update("message")["successful_payment"]["total_amount"] == 500
        expect(chat.locator(".msg.me", has_text="Paid $5.00")).to_be_visible()
        expect(chat.locator(".invoice .pay")).to_be_disabled()

        # an inline button press shows the bot's answer as a toast
        bot.call("sendMessage", chat_id=ANN, text="Ready?",
                 reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})
        chat.locator(".inline-kb button", has_text="Go").click()
        cq = bot.next_update("callback_query")
        bot.call("answerCallbackQuery", callback_query_id=cq["id"], text="Off we go")
        expect(page.locator("#toast")).to_have_text("Off we go")

        # the ☰ menu lists the bot's commands and sends the one picked
        bot.call("setMyCommands", commands=[{"command": "start", "description": "Start and show the menu"},
                                            {"command": "help", "description": "What the bot can do"}])
        chat.locator(".composer .menu").click()
        expect(chat.locator(".command-menu button")).to_have_count(2)
        chat.locator(".command-menu button", has_text="/help").click()
        assert bot.next_update("message")["text"] == "/help"
        expect(chat.locator(".command-menu")).to_be_hidden()

        # blocking from the chat header: the bot then gets 403
        chat.locator(".chat-head .block").click()
        expect(chat.locator(".chat-head .block")).to_have_text("Unblock bot")
        resp = bot.http.post("/sendMessage", json={"chat_id": ANN, "text": "still there?"})
        assert resp.status_code == 403
        # many chats open at once still leave connections for presses: one long poll serves them all
        for uid in range(7101, 7108):
            httpx.post(f"{server.url}/sandbox/api/users", json={"id": uid, "first_name": f"P{uid}"})
            page.locator(f"#user-list button[data-user='{uid}']").click()
            expect(page.locator(f"article.chat[data-user='{uid}']")).to_be_attached()
        bot.call("sendMessage", chat_id=7107, text="Last one?",
                 reply_markup={"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]})
        last = page.locator("article.chat[data-user='7107']")
        last.locator(".inline-kb button", has_text="Yes").click()
        cq = bot.next_update("callback_query", timeout=5)
        bot.call("answerCallbackQuery", callback_query_id=cq["id"], text="Noted")
        expect(page.locator("#toast")).to_have_text("Noted")
        page.screenshot(path=str(tmp_path / "web-chat-features.png"), full_page=True)
        assert errors == []
