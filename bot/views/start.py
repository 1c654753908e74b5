from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, keyboard


def welcome(first_name: str | None) -> str:
    name = f", {first_name}" if first_name else ""
    return (f"Hi{name}! hitbot is a marketplace for small paid tasks (HITs).\n"
            "Workers earn by doing them right here in the chat; requesters post them and pay for good work.")


def main_menu() -> InlineKeyboardMarkup:
    return keyboard([
        [button("🔎 Browse HITs", callbacks.make("m", "browse")), button("🧰 My work", callbacks.make("m", "mywork"))],
        [button("💰 Balance", callbacks.make("m", "balance")), button("➕ New HIT", callbacks.make("m", "newhit"))],
    ])


def help_text() -> str:
    lines = [
        "<b>For workers</b>",
        "/browse – find HITs", "/mywork – your assignments", "/balance – earnings", "/withdraw – get paid",
        "/alerts – new HITs pushed to you",
        "",
        "<b>For requesters</b>",
        "/newhit – post a HIT", "/batch – post many from a CSV", "/review – submissions to review",
        "/myhits – your HITs", "/topup – add funds",
    ]
    return "\n".join(lines)
