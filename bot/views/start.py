from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _
from bot.views.common import button, clip, esc, keyboard


def welcome(first_name: str | None) -> str:
    text = _("Hi, {name}!", name=first_name) if first_name else _("Hi!")
    return text + " " + _("hitbot is a marketplace for small paid tasks (HITs).\n"
                          "Workers earn by doing them right here in the chat; "
                          "requesters post them and pay for good work.")


def main_menu_rows(*, home: bool = True) -> list[list]:
    rows = [
        [button(_("🔎 Browse HITs"), callbacks.make("m", "browse")), button(_("🧰 My work"), callbacks.make("m", "mywork"))],
        [button(_("💰 Balance"), callbacks.make("m", "balance")), button(_("➕ New HIT"), callbacks.make("m", "newhit"))],
    ]
    return rows + ([[button(_("🏠 Home"), callbacks.make("m", "home"))]] if home else [])


def main_menu(*, home: bool = True) -> InlineKeyboardMarkup:
    """The menu's buttons; home: with 🏠 Home (a new user's welcome has no home screen yet)."""
    return keyboard(main_menu_rows(home=home))


# Every command, by who uses it: /help and the command menu are both made from these (translated where shown).
WORKER_COMMANDS = [
    ("browse", N_("Find HITs to work on")),
    ("mywork", N_("Your assignments: continue, submitted, decided")),
    ("balance", N_("Your balance, earnings and chart")),
    ("withdraw", N_("Get your earnings paid out")),
    ("payout", N_("Where your money goes; auto-withdraw")),
    ("alerts", N_("New matching HITs sent to you")),
    ("blocks", N_("Requesters you blocked")),
    ("tests", N_("Qualification tests you can take")),
    ("profile", N_("Your country, time zone, skills and interests")),
]
REQUESTER_COMMANDS = [
    ("newhit", N_("Post a new HIT")),
    ("batch", N_("Post many HITs from a spec file and a CSV")),
    ("review", N_("Submissions waiting for your review")),
    ("myhits", N_("Your HITs: progress, spend, results")),
    ("topup", N_("Add funds to your balance")),
    ("qual", N_("Your qualification types: create, grant, revoke")),
    ("quality", N_("Automatic rule on control answers")),
    ("apikey", N_("Keys for the MTurk API (boto3 scripts)")),
]
GENERAL_COMMANDS = [
    ("start", N_("Start and show the menu")),
    ("help", N_("What hitbot can do")),
    ("language", N_("Choose the language hitbot speaks")),
    ("cancel", N_("Stop what the bot is waiting for")),
    ("privacy", N_("Your data: see it, export it, delete your account")),
    ("messages", N_("Your conversations with requesters and workers")),
]
ADMIN_COMMANDS = [
    ("credit", N_("Credit a user's balance")),
    ("refund", N_("Give an unspent top-up back")),
    ("blocks", N_("Workers blocked by requesters")),
    ("reports", N_("Reported conversations")),
    ("forget", N_("Delete someone's account at their request")),
]


def menu_commands(*, admin: bool = False) -> list[tuple[str, str]]:
    """The command menu (setMyCommands) in the reader's language: the first steps, then by role."""
    everyone = [*GENERAL_COMMANDS[:3], *WORKER_COMMANDS, *REQUESTER_COMMANDS, *GENERAL_COMMANDS[3:]]
    admins = [(c, d) for c, d in ADMIN_COMMANDS if c not in {n for n, _ in everyone}]  # /blocks: once, as workers' own
    return [(c, _(d)) for c, d in everyone + (admins if admin else [])]


def help_text(*, admin: bool = False) -> str:
    def section(title: str, commands: list[tuple[str, str]]) -> list[str]:
        return [f"<b>{esc(title)}</b>"] + [f"/{c} – {esc(_(d))}" for c, d in commands]

    lines = section(_("For workers"), WORKER_COMMANDS) + [""] + section(_("For requesters"), REQUESTER_COMMANDS)
    lines += [""] + section(_("Anyone"), GENERAL_COMMANDS)
    if admin:
        lines += [""] + section(_("For admins"), ADMIN_COMMANDS)
    return "\n".join(lines)


# What /cancel ended, by the kind of prompt that was waiting.
CANCELLED = {
    "answer": N_("⏸ Your messages no longer answer “{title}”. Your answers so far are kept: "
                 "continue it from /mywork."),
    "newhit": N_("✖️ Cancelled the new HIT. Nothing was published."),
    "batch": N_("✖️ Cancelled the batch. Nothing was published."),
    "reject": N_("✖️ Cancelled the rejection; the submission still waits for your review."),
    "bonus": N_("✖️ Cancelled the bonus; nothing was paid."),
    "appeal": N_("✖️ Cancelled the appeal; nothing was sent."),
    "message": N_("✖️ Cancelled the message; nothing was sent."),
    "addasg": N_("✖️ Cancelled adding assignments; nothing was added or paid."),
    "alert": N_("✖️ Cancelled the new alert."),
    "browse_kw": N_("✖️ Cancelled the keyword search."),
}
CANCELLED_OTHER = N_("✖️ Cancelled; nothing changed.")
NOTHING_TO_CANCEL = N_("There is nothing to cancel: I'm not waiting for anything from you. See /help.")


def cancel_markup() -> InlineKeyboardMarkup:
    """The Cancel button of a prompt that waits for typed input (the same as /cancel)."""
    return keyboard([[button(_("✖️ Cancel"), callbacks.make("m", "cx"))]])


def cancelled(kind: str | None, title: str = "") -> str:
    """What /cancel (kind None: nothing was waiting) or a prompt's Cancel button ended."""
    if kind is None:
        return _(NOTHING_TO_CANCEL)
    if kind == "answer":
        return _(CANCELLED["answer"], title=esc(clip(title, 80)))
    return _(CANCELLED.get(kind, CANCELLED_OTHER))


def unknown_command(command: str) -> str:
    return _("I don't know /{command}. Here is what you can do:", command=esc(clip(command, 32)))


NOT_WAITING = N_("I'm not waiting for a message from you right now. Pick something below, "
                 "or see /help for every command.")
SPEC_FILE_HINT = N_("To post work from this file, send it again with the caption /newhit (one HIT) "
                    "or /batch (a spec file, then the CSV).")


def not_waiting() -> str:
    return _(NOT_WAITING)


def spec_file_hint() -> str:
    return _(SPEC_FILE_HINT)
