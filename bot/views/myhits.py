"""/myhits: the list (HITs and batches), one HIT's or batch's card with its actions."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import (
    button,
    clip,
    countdown,
    esc,
    fit,
    keyboard,
    money,
    progress_bar,
)
from core.hits.queries import Item, Progress
from core.models import HitStatus
from core.payments.accounts import Balances

if TYPE_CHECKING:
    from core.models import Hit


def _state(item: Item, now: datetime) -> str:
    p = item.progress
    if item.batch is not None:
        return f"{p.open_hits} of {p.hits} open" + (f", {countdown(p.expires_at, now)}" if p.expires_at else "")
    hit = item.hit
    if hit.status == HitStatus.OPEN and hit.expires_at > now:
        return f"open, {countdown(hit.expires_at, now)}"
    return "ended"


def _counts(p: Progress) -> str:
    return (f"{p.accepted} working · {p.submitted} to review · {p.approved} approved · {p.rejected} rejected"
            f" of {p.max_assignments}")


def item_line(i: int, item: Item, now: datetime) -> str:
    p = item.progress
    if item.batch is not None:
        head = f"{i}. 📦 Batch “{esc(clip(item.title, 60))}” (#{item.batch.id}, {p.hits} HITs)"
    else:
        head = f"{i}. “{esc(clip(item.title, 60))}” (HIT #{item.hit.id})"
    return f"{head} — {_state(item, now)}\n   {_counts(p)} · {money(p.spent_cents)} spent"


def balance_line(b: Balances) -> str:
    return (f"💰 {money(b.available_cents)} available · {money(b.escrow_cents)} in escrow · "
            f"{money(b.spent_cents)} spent (fees {money(b.fees_cents)})")


def hits_list(items: list[Item], page: int, more: bool, balances: Balances,
              now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    if not items and page == 0:
        return ("📋 You haven't posted any HITs yet. Create one with /newhit, or many with /batch.\n"
                + balance_line(balances)), None
    lines = ["📋 <b>Your HITs</b>" + (f" (page {page + 1})" if page else ""), balance_line(balances), ""]
    lines += [item_line(page * 10 + i, item, now) for i, item in enumerate(items, start=1)]
    rows = []
    for i, item in enumerate(items, start=1):
        data = (callbacks.make("r", "mb", item.batch.id) if item.batch is not None
                else callbacks.make("r", "mh", item.hit.id))
        rows.append([button(f"{page * 10 + i}. {item.title}", data)])
    nav = []
    if page > 0:
        nav.append(button("◀ Newer", callbacks.make("r", "mp", page - 1)))
    if more:
        nav.append(button("Older ▶", callbacks.make("r", "mp", page + 1)))
    rows.append(nav)
    return fit("\n".join(lines)), keyboard(rows)


def hit_card(item: Item, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    hit, p = item.hit, item.progress
    is_open = hit.status == HitStatus.OPEN and hit.expires_at > now
    text = (f"📋 <b>{esc(hit.title)}</b> (HIT #{hit.id}) — {_state(item, now)}\n"
            f"Approved {progress_bar(p.approved, p.max_assignments)}\n"
            f"👥 {_counts(p)}; {p.available} not taken yet\n"
            f"💸 {money(p.spent_cents)} spent · {money(p.escrow_cents)} in escrow\n"
            f"💰 {money(hit.reward_cents)} per assignment (+ {money(hit.fee_cents)} fee)")
    rows = []
    if is_open:
        rows.append([button("⏳ +1 day", callbacks.make("r", "ext", hit.id, 1)),
                     button("⏳ +7 days", callbacks.make("r", "ext", hit.id, 7))])
        rows.append([button(f"➕ {n} more", callbacks.make("r", "add", hit.id, n, hit.max_assignments))
                     for n in (1, 5)] + [button("➕ Other number", callbacks.make("r", "addn", hit.id,
                                                                                 hit.max_assignments))])
        rows.append([button("⛔ Expire now", callbacks.make("r", "exp", hit.id))])
    rows.append([button("📥 Download results", callbacks.make("r", "res", hit.id))])
    rows.append([button("⬅️ Back", callbacks.make("r", "mp", 0))])
    return fit(text), keyboard(rows)


def batch_card(item: Item, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    b, p = item.batch, item.progress
    text = (f"📦 <b>{esc(item.title)}</b> (batch #{b.id}, {p.hits} HITs) — {_state(item, now)}\n"
            f"Approved {progress_bar(p.approved, p.max_assignments)}\n"
            f"👥 {_counts(p)}; {p.available} not taken yet\n"
            f"💸 {money(p.spent_cents)} spent · {money(p.escrow_cents)} in escrow")
    rows = [[button("📥 Download results", callbacks.make("r", "resb", b.id))]]
    if p.open_hits:
        rows.append([button("⛔ Expire all now", callbacks.make("r", "expb", b.id))])
    rows.append([button("⬅️ Back", callbacks.make("r", "mp", 0))])
    return fit(text), keyboard(rows)


def expire_confirm(what: str, refund_cents: int | None, verb: str, target_id: int,
                   back: str) -> tuple[str, InlineKeyboardMarkup]:
    refund = f"{money(refund_cents)} of unused escrow" if refund_cents is not None else "The unused escrow"
    text = (f"End {what} now? No new workers can take it; work already accepted can still be submitted and "
            f"reviewed. {refund} goes back to your balance.")
    return text, keyboard([[button("⛔ Confirm", callbacks.make("r", verb, target_id)),
                            button("⬅️ Back", callbacks.make("r", back, target_id))]])


def ask_count(hit: Hit, most: int) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"➕ How many more assignments for “{esc(hit.title)}”? Send a number from 1 to {most}; "
            f"each costs {money(hit.unit_cost_cents)}. You confirm the total before anything is paid.")
    return text, keyboard([[button("✖️ Cancel", callbacks.make("r", "addx", hit.id))]])


def count_bounds(most: int) -> str:
    return f"Send a whole number from 1 to {most}, or press Cancel."


def confirm_add(hit: Hit, count: int, max_before: int) -> tuple[str, InlineKeyboardMarkup]:
    total = hit.unit_cost_cents * count
    text = (f"➕ Add {count} assignment(s) to “{esc(hit.title)}”? {money(total)} "
            f"({count} × {money(hit.unit_cost_cents)}, reward and fee) moves from your balance into escrow.")
    return text, keyboard([[button(f"✅ Add {count} for {money(total)}",
                                   callbacks.make("r", "add", hit.id, count, max_before)),
                            button("✖️ Cancel", callbacks.make("r", "addx", hit.id))]])


ADD_CANCELLED = "✖️ Cancelled; no assignments were added and nothing was paid."
