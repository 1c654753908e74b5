"""/topup (Telegram Payments invoice) and the admin's /credit."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, esc, keyboard, money
from core.payments.accounts import Balances

PRESET_UNITS = (5, 10, 25, 50, 100)  # in whole currency units
NOT_CONFIGURED = ("Payments aren't set up on this bot yet. An admin can add funds to your balance "
                  "(/credit); ask them and give your user id: {user_id}.")
INVOICE_TITLE = "hitbot balance top-up"


def topup_menu(balances: Balances, precision_factor: int, low: int, high: int) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"💰 Your balance: {money(balances.available_cents)} available, {money(balances.escrow_cents)} "
            f"in escrow.\nHow much do you want to add? Or type e.g. <code>/topup 12.50</code> "
            f"({money(low)} to {money(high)}).")
    buttons = [button(money(units * precision_factor), callbacks.make("r", "tu", units * precision_factor))
               for units in PRESET_UNITS]
    return text, keyboard([buttons[:3], buttons[3:]])


def invoice_description(cents: int) -> str:
    return f"Adds {money(cents)} to your hitbot balance, for rewards and fees of the HITs you post."


def credited(cents: int, balance_cents: int) -> str:
    return f"✅ Payment received: {money(cents)} added. Your balance is now {money(balance_cents)}."


ALREADY = "This payment was already added to your balance."
CREDIT_USAGE = "Use: /credit <user id> <amount> <reason>, e.g. /credit 123456 10.00 refund for HIT 42"


CREDIT_REASON_TOO_LONG = "The reason can have at most {most} characters."
CREDIT_CANCELLED = "✖️ Cancelled; nothing was credited."
CREDIT_ALREADY = "That credit was already made."


def credit_confirm(name: str, user_id: int, cents: int, reason: str) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"💳 Credit <b>{money(cents)}</b> to {esc(name)} (id {user_id})?\nReason: {esc(reason)}\n"
            "Nothing moves until you confirm.")
    return text, keyboard([[button(f"✅ Credit {money(cents)}", callbacks.make("ad", "cr", user_id, cents)),
                            button("✖️ Cancel", callbacks.make("ad", "crx"))]])


def credit_done(name: str, user_id: int, cents: int, balance_cents: int) -> str:
    return f"Credited {money(cents)} to {esc(name)} (id {user_id}). Their balance: {money(balance_cents)}."
