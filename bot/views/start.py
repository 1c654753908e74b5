from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, clip, esc, keyboard


def welcome(first_name: str | None) -> str:
    name = f", {first_name}" if first_name else ""
    return (f"Hi{name}! hitbot is a marketplace for small paid tasks (HITs).\n"
            "Workers earn by doing them right here in the chat; requesters post them and pay for good work.")


def main_menu() -> InlineKeyboardMarkup:
    return keyboard([
        [button("🔎 Browse HITs", callbacks.make("m", "browse")), button("🧰 My work", callbacks.make("m", "mywork"))],
        [button("💰 Balance", callbacks.make("m", "balance")), button("➕ New HIT", callbacks.make("m", "newhit"))],
    ])


# Every command, by who uses it: /help and the command menu are both made from these.
WORKER_COMMANDS = [
    ("browse", "Find HITs to work on"),
    ("mywork", "Your assignments: continue, submitted, decided"),
    ("balance", "Your balance, earnings and chart"),
    ("withdraw", "Get your earnings paid out"),
    ("payout", "Where your money goes; auto-withdraw"),
    ("alerts", "New matching HITs sent to you"),
    ("tests", "Qualification tests you can take"),
    ("profile", "Your country, time zone, skills and interests"),
]
REQUESTER_COMMANDS = [
    ("newhit", "Post a new HIT"),
    ("batch", "Post many HITs from a spec file and a CSV"),
    ("review", "Submissions waiting for your review"),
    ("myhits", "Your HITs: progress, spend, results"),
    ("topup", "Add funds to your balance"),
    ("qual", "Your qualification types: create, grant, revoke"),
    ("quality", "Automatic rule on control answers"),
    ("apikey", "Keys for the MTurk API (boto3 scripts)"),
]
GENERAL_COMMANDS = [
    ("start", "Start and show the menu"),
    ("help", "What hitbot can do"),
    ("cancel", "Stop what the bot is waiting for"),
    ("privacy", "Your data: see it, export it, delete your account"),
]
ADMIN_COMMANDS = [
    ("credit", "Credit a user's balance"),
    ("blocks", "Workers blocked by requesters"),
    ("forget", "Delete someone's account at their request"),
]


def help_text(*, admin: bool = False) -> str:
    lines = ["<b>For workers</b>"] + [f"/{c} – {d}" for c, d in WORKER_COMMANDS]
    lines += ["", "<b>For requesters</b>"] + [f"/{c} – {d}" for c, d in REQUESTER_COMMANDS]
    lines += ["", "<b>Anyone</b>"] + [f"/{c} – {d}" for c, d in GENERAL_COMMANDS]
    if admin:
        lines += ["", "<b>For admins</b>"] + [f"/{c} – {d}" for c, d in ADMIN_COMMANDS]
    return "\n".join(lines)


# What /cancel ended, by the kind of prompt that was waiting.
CANCELLED = {
    "answer": "⏸ Your messages no longer answer “{title}”. Your answers so far are kept: continue it from /mywork.",
    "newhit": "✖️ Cancelled the new HIT. Nothing was published.",
    "batch": "✖️ Cancelled the batch. Nothing was published.",
    "reject": "✖️ Cancelled the rejection; the submission still waits for your review.",
    "bonus": "✖️ Cancelled the bonus; nothing was paid.",
    "appeal": "✖️ Cancelled the appeal; nothing was sent.",
    "addasg": "✖️ Cancelled adding assignments; nothing was added or paid.",
    "alert": "✖️ Cancelled the new alert.",
    "browse_kw": "✖️ Cancelled the keyword search.",
}
CANCELLED_OTHER = "✖️ Cancelled; nothing changed."
NOTHING_TO_CANCEL = "There is nothing to cancel: I'm not waiting for anything from you. See /help."


def cancel_markup() -> InlineKeyboardMarkup:
    """The Cancel button of a prompt that waits for typed input (the same as /cancel)."""
    return keyboard([[button("✖️ Cancel", callbacks.make("m", "cx"))]])


def cancelled(kind: str, title: str = "") -> str:
    return CANCELLED.get(kind, CANCELLED_OTHER).format(title=esc(clip(title, 80)))


def unknown_command(command: str) -> str:
    return f"I don't know /{esc(clip(command, 32))}. Here is what you can do:"


NOT_WAITING = ("I'm not waiting for a message from you right now. Pick something below, "
               "or see /help for every command.")
SPEC_FILE_HINT = ("To post work from this file, send it again with the caption /newhit (one HIT) "
                  "or /batch (a spec file, then the CSV).")
