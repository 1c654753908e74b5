"""/privacy: what hitbot keeps about you, Export my data, Delete my account; /forget for admins."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, esc, keyboard, money
from core.users.privacy import Deleted, PrivacySummary

FORGET_USAGE = "Usage: /forget <user id> — deletes the account of someone who asked you by other means."
DELETE_CANCELLED = "Nothing was deleted."
EXPORT_CAPTION = "Everything hitbot keeps about you, as JSON."

WHAT_STAYS = ("What stays, and why: the money records — every ledger entry, payout and the status and amount "
              "of each assignment — because accounting and payment law require them and the other side of each "
              "payment relies on them. Choices and numbers you gave as answers stay with the requester who paid "
              "for them, without your name. Ratings stay, anonymous, in the reputation they are part of.")
WHAT_GOES = ("What goes: your name, username, language, country, time zone, profile and settings, alerts, "
             "drafts, the text, photos, voice notes, documents and locations in your answers, your appeal "
             "texts, API keys, payout destinations and tax details (your payouts keep the masked destination "
             "they went to).")


def overview(s: PrivacySummary) -> tuple[str, InlineKeyboardMarkup]:
    u = s.user
    name = esc(u.first_name) if u.first_name else "—"
    lines = ["🔒 <b>Your data in hitbot</b>",
             f"Profile: {name}" + (f" (@{esc(u.username)})" if u.username else "") + f", Telegram id {u.id}",
             f"Language {esc(u.language_code or '—')}, country {esc(u.country or '—')}, time zone {esc(u.timezone)}",
             f"Work: {s.assignments_n} assignments with {s.answers_n} answers, {s.appeals_n} appeals",
             f"As a requester: {s.hits_n} HITs",
             f"Money: {s.payouts_n} payouts, balance {money(s.available_cents)}",
             f"Ratings given or received: {s.ratings_n}; alerts: {s.alerts_n}",
             "",
             "hitbot keeps these to run the marketplace and to account for every payment. "
             "It never shares your Telegram identity with the people you work with."]
    return "\n".join(lines), keyboard([[button("📦 Export my data", callbacks.make("pv", "exp"))],
                                       [button("🗑 Delete my account", callbacks.make("pv", "del"))]])


def must_wait(s: PrivacySummary, *, subject: str = "Your") -> str:
    return (f"⏳ {subject} HITs still hold {money(s.escrow_cents)} in escrow ({s.open_hits_n} HITs). "
            "The account can be deleted once that is settled: end the HITs in /myhits (the rest comes back "
            "to the balance) or wait until their work is reviewed.")


def confirm_delete(s: PrivacySummary) -> tuple[str, InlineKeyboardMarkup]:
    lines = ["🗑 <b>Delete your account?</b>", "", WHAT_GOES, "", WHAT_STAYS]
    if s.available_cents:
        lines += ["", f"Your balance of {money(s.available_cents)} stays yours: withdraw it first with /withdraw "
                      "if you want it paid out."]
    lines += ["", "This cannot be undone."]
    return "\n".join(lines), keyboard([[button("Yes, delete my account", callbacks.make("pv", "dely")),
                                        button("Cancel", callbacks.make("pv", "delx"))]])


def deleted(d: Deleted) -> str:
    return ("✅ Your account is deleted: your name, profile and the personal content of your answers are gone; "
            "the money records are kept. If you write to hitbot again it starts a fresh, empty profile.")


def confirm_forget(s: PrivacySummary) -> tuple[str, InlineKeyboardMarkup]:
    u = s.user
    who = esc(u.display_name) + (f" (@{esc(u.username)})" if u.username else "")
    text = (f"🗑 <b>Delete the account of {who}, id {u.id}?</b>\n"
            f"{s.assignments_n} assignments, {s.hits_n} HITs, {s.payouts_n} payouts, balance "
            f"{money(s.available_cents)}.\n\n{WHAT_GOES}\n\n{WHAT_STAYS}")
    return text, keyboard([[button("Yes, delete", callbacks.make("pv", "fg", u.id)),
                            button("Cancel", callbacks.make("pv", "fgx"))]])


def forgotten(d: Deleted) -> str:
    return f"✅ The account of user {d.user_id} is deleted ({d.answers_erased} answers erased); money records kept."
