"""/privacy: what hitbot keeps about you, Export my data, Delete my account; /forget for admins."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n, number
from bot.views.common import button, esc, hits, keyboard, money
from core.users.privacy import Deleted, PrivacySummary

WHAT_STAYS = N_("What stays, and why: the money records — every ledger entry, payout and the status and amount "
                "of each assignment — because accounting and payment law require them and the other side of each "
                "payment relies on them. Choices and numbers you gave as answers stay with the requester who paid "
                "for them, without your name. Ratings stay, anonymous, in the reputation they are part of.")
WHAT_GOES = N_("What goes: your name, username, language, country, time zone, profile and settings, alerts, "
               "drafts, the text, photos, voice notes, documents and locations in your answers, your appeal "
               "texts, API keys, payout destinations and tax details (your payouts keep the masked destination "
               "they went to).")


def forget_usage() -> str:
    return _("Usage: /forget <user id> — deletes the account of someone who asked you by other means.")


def delete_cancelled() -> str:
    return _("Nothing was deleted.")


def export_caption() -> str:
    return _("Everything hitbot keeps about you, as JSON.")


def _assignments(n: int) -> str:
    return _n("{n} assignment", "{n} assignments", n)


def _payouts(n: int) -> str:
    return _n("{n} payout", "{n} payouts", n)


def overview(s: PrivacySummary) -> tuple[str, InlineKeyboardMarkup]:
    u = s.user
    name = esc(u.first_name) if u.first_name else "—"
    profile = (_("Profile: {name} (@{username}), Telegram id {id}", name=name, username=esc(u.username), id=u.id)
               if u.username else _("Profile: {name}, Telegram id {id}", name=name, id=u.id))
    lines = [_("🔒 <b>Your data in hitbot</b>"),
             profile,
             _("Language {language}, country {country}, time zone {zone}", language=esc(u.language_code or "—"),
               country=esc(u.country or "—"), zone=esc(u.timezone)),
             _("Work: {assignments} with {answers}, {appeals}", assignments=_assignments(s.assignments_n),
               answers=_n("{n} answer", "{n} answers", s.answers_n),
               appeals=_n("{n} appeal", "{n} appeals", s.appeals_n)),
             _("As a requester: {hits}", hits=hits(s.hits_n)),
             _("Money: {payouts}, balance {balance}", payouts=_payouts(s.payouts_n), balance=money(s.available_cents)),
             _("Ratings given or received: {ratings}; alerts: {alerts}", ratings=number(s.ratings_n),
               alerts=number(s.alerts_n)),
             "",
             _("hitbot keeps these to run the marketplace and to account for every payment. "
               "It never shares your Telegram identity with the people you work with.")]
    return "\n".join(lines), keyboard([[button(_("📦 Export my data"), callbacks.make("pv", "exp"))],
                                       [button(_("🗑 Delete my account"), callbacks.make("pv", "del"))]])


def must_wait(s: PrivacySummary, *, theirs: bool = False) -> str:
    """Deleting waits for the escrow of open HITs: the person's own (or, for /forget, the other person's)."""
    if theirs:
        return _n("⏳ Their HITs still hold {amount} in escrow ({n} HIT). The account can be deleted once that is "
                  "settled: they end the HITs in /myhits (the rest comes back to the balance) or wait until their "
                  "work is reviewed.",
                  "⏳ Their HITs still hold {amount} in escrow ({n} HITs). The account can be deleted once that is "
                  "settled: they end the HITs in /myhits (the rest comes back to the balance) or wait until their "
                  "work is reviewed.", s.open_hits_n, amount=money(s.escrow_cents))
    return _n("⏳ Your HITs still hold {amount} in escrow ({n} HIT). The account can be deleted once that is "
              "settled: end the HITs in /myhits (the rest comes back to the balance) or wait until their work "
              "is reviewed.",
              "⏳ Your HITs still hold {amount} in escrow ({n} HITs). The account can be deleted once that is "
              "settled: end the HITs in /myhits (the rest comes back to the balance) or wait until their work "
              "is reviewed.", s.open_hits_n, amount=money(s.escrow_cents))


def confirm_delete(s: PrivacySummary) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("🗑 <b>Delete your account?</b>"), "", _(WHAT_GOES), "", _(WHAT_STAYS)]
    if s.available_cents:
        lines += ["", _("Your balance of {amount} stays yours: withdraw it first with /withdraw if you want it "
                        "paid out.", amount=money(s.available_cents))]
    lines += ["", _("This cannot be undone.")]
    return "\n".join(lines), keyboard([[button(_("Yes, delete my account"), callbacks.make("pv", "dely")),
                                        button(_("✖️ Cancel"), callbacks.make("pv", "delx"))]])


def deleted(d: Deleted) -> str:
    return _("✅ Your account is deleted: your name, profile and the personal content of your answers are gone; "
             "the money records are kept. If you write to hitbot again it starts a fresh, empty profile.")


def confirm_forget(s: PrivacySummary) -> tuple[str, InlineKeyboardMarkup]:
    u = s.user
    title = (_("🗑 <b>Delete the account of {name} (@{username}), id {id}?</b>", name=esc(u.display_name),
               username=esc(u.username), id=u.id) if u.username
             else _("🗑 <b>Delete the account of {name}, id {id}?</b>", name=esc(u.display_name), id=u.id))
    counts = _("{assignments}, {hits}, {payouts}, balance {balance}.", assignments=_assignments(s.assignments_n),
               hits=hits(s.hits_n), payouts=_payouts(s.payouts_n), balance=money(s.available_cents))
    text = "\n".join([title, counts, "", _(WHAT_GOES), "", _(WHAT_STAYS)])
    return text, keyboard([[button(_("Yes, delete"), callbacks.make("pv", "fg", u.id)),
                            button(_("✖️ Cancel"), callbacks.make("pv", "fgx"))]])


def forgotten(d: Deleted) -> str:
    return _n("✅ The account of user {id} is deleted ({n} answer erased); money records kept.",
              "✅ The account of user {id} is deleted ({n} answers erased); money records kept.",
              d.answers_erased, id=d.user_id)
