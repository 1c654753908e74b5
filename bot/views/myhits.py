"""/myhits: the list (HITs and batches), one HIT's or batch's card with its actions, and each
group's effective hourly pay against the operator's floor."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n
from bot.views import followup
from bot.views.common import (
    button,
    clip,
    countdown,
    duration,
    esc,
    hits,
    keyboard,
    money,
    progress_bar,
)
from core.effective_pay import MIN_SUBMISSIONS, GroupPay
from core.hits.queries import Item, Progress
from core.models import HitStatus
from core.payments.accounts import Balances

if TYPE_CHECKING:
    from core.effective_pay import MyHits
    from core.models import Hit

# Refusals core raises with these (translated where shown).
MOST_ASSIGNMENTS = N_("This HIT already has the most assignments allowed.")
COUNT_BOUNDS = N_("Send a whole number from 1 to {most}, or press Cancel.")


def fit_lines(lines: list[str], limit: int = 4096) -> str:
    """Whole lines while they fit Telegram's limit, counted as it counts (UTF-16 units), so no line and
    no tag in it is cut; "…" says some were left out (common.fit clips characters, the last guard)."""
    out, used = [], 0
    for i, line in enumerate(lines):
        size = len(line.encode("utf-16-le")) // 2 + (1 if out else 0)
        if used + size > limit - 2 or (i < len(lines) - 1 and used + size > limit - 4):
            out.append("…")
            break
        out.append(line)
        used += size
    return "\n".join(out)


def _state(item: Item, now: datetime) -> str:
    p = item.progress
    if item.batch is not None:
        if p.expires_at:
            return _("{open} of {total} open, {left}", open=p.open_hits, total=p.hits, left=countdown(p.expires_at, now))
        return _("{open} of {total} open", open=p.open_hits, total=p.hits)
    hit = item.hit
    if hit.status == HitStatus.OPEN and hit.expires_at > now:
        return _("open, {left}", left=countdown(hit.expires_at, now))
    return _("ended")


def _counts(p: Progress) -> str:
    return _("{working} working · {review} to review · {approved} approved · {rejected} rejected of {total}",
             working=p.accepted, review=p.submitted, approved=p.approved, rejected=p.rejected, total=p.max_assignments)


def pay_line(pay: GroupPay | None, floor_cents: int) -> str:
    """The group's effective hourly pay (median work time), and a warning below the operator's floor."""
    if pay is None:
        return ""
    if pay.hourly_cents is None:
        return _n("⏱ Effective pay: — ({n} submission so far; shown from {least})",
                  "⏱ Effective pay: — ({n} submissions so far; shown from {least})", pay.submissions,
                  n=pay.submissions, least=MIN_SUBMISSIONS)
    line = _n("⏱ Effective pay: {hourly}/hour (median {time} over {n} submission)",
              "⏱ Effective pay: {hourly}/hour (median {time} over {n} submissions)", pay.submissions,
              hourly=money(pay.hourly_cents), time=duration(pay.median_s or 0), n=pay.submissions)
    if pay.below_floor:
        line += "\n" + _("⚠️ Below this marketplace's minimum of {floor}/hour: raise the reward or make the task "
                         "quicker.", floor=money(floor_cents))
    return line


def item_line(i: int, item: Item, now: datetime, pay: GroupPay | None = None, floor_cents: int = 0) -> str:
    p = item.progress
    if item.batch is not None:
        head = _("{i}. 📦 Batch “{title}” (#{id}, {hits})", i=i, title=esc(clip(item.title, 60)), id=item.batch.id,
                 hits=hits(p.hits))
    else:
        head = _("{i}. “{title}” (HIT #{id})", i=i, title=esc(clip(item.title, 60)), id=item.hit.id)
    text = _("{head} — {state}\n   {counts} · {spent} spent", head=head, state=_state(item, now), counts=_counts(p),
             spent=money(p.spent_cents))
    line = pay_line(pay, floor_cents)
    return text + ("\n   " + line.replace("\n", "\n   ") if line else "")


def balance_line(b: Balances) -> str:
    return _("💰 {available} available · {escrow} in escrow · {spent} spent (fees {fees})",
             available=money(b.available_cents), escrow=money(b.escrow_cents), spent=money(b.spent_cents),
             fees=money(b.fees_cents))


def hits_list(page_: MyHits, page: int, now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    items, more, balances = page_.items, page_.more, page_.balances
    if not items and page == 0:
        return _("📋 You haven't posted any HITs yet. Create one with /newhit, or many with /batch.\n{balance}",
                 balance=balance_line(balances)), None
    title = _("📋 <b>Your HITs</b> (page {page})", page=page + 1) if page else _("📋 <b>Your HITs</b>")
    lines = [title, balance_line(balances), ""]
    pays = page_.pay or [None] * len(items)
    for i, (item, pay) in enumerate(zip(items, pays), start=1):
        lines += item_line(page * 10 + i, item, now, pay, page_.floor_cents).split("\n")
    rows = []
    for i, item in enumerate(items, start=1):
        data = (callbacks.make("r", "mb", item.batch.id) if item.batch is not None
                else callbacks.make("r", "mh", item.hit.id))
        rows.append([button(f"{page * 10 + i}. {item.title}", data)])
    nav = []
    if page > 0:
        nav.append(button(_("◀ Newer"), callbacks.make("r", "mp", page - 1)))
    if more:
        nav.append(button(_("Older ▶"), callbacks.make("r", "mp", page + 1)))
    rows.append(nav)
    return fit_lines(lines), keyboard(rows)


def _back() -> list:
    return [button(_("⬅️ Back"), callbacks.make("r", "mp", 0))]


def hit_card(item: Item, now: datetime, pay: GroupPay | None = None,
             floor_cents: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    hit, p = item.hit, item.progress
    is_open = hit.status == HitStatus.OPEN and hit.expires_at > now
    lines = [
        _("📋 <b>{title}</b> (HIT #{id}) — {state}", title=esc(hit.title), id=hit.id, state=_state(item, now)),
        _("Approved {bar}", bar=progress_bar(p.approved, p.max_assignments)),
        _("👥 {counts}; {available} not taken yet", counts=_counts(p), available=p.available),
        _("💸 {spent} spent · {escrow} in escrow", spent=money(p.spent_cents), escrow=money(p.escrow_cents)),
        _("💰 {reward} per assignment (+ {fee} fee)", reward=money(hit.reward_cents), fee=money(hit.fee_cents)),
    ]
    line = pay_line(pay, floor_cents)
    lines += [line] if line else []
    rows = []
    if is_open:
        rows.append([button(_("⏳ +1 day"), callbacks.make("r", "ext", hit.id, 1)),
                     button(_("⏳ +7 days"), callbacks.make("r", "ext", hit.id, 7))])
        rows.append([button(_("➕ {n} more", n=n), callbacks.make("r", "add", hit.id, n, hit.max_assignments))
                     for n in (1, 5)] + [button(_("➕ Other number"), callbacks.make("r", "addn", hit.id,
                                                                                    hit.max_assignments))])
        rows.append([button(_("⛔ Expire now"), callbacks.make("r", "exp", hit.id))])
    rows.append([button(_("📥 Download results"), callbacks.make("r", "res", hit.id))])
    if p.max_assignments > p.available:  # someone took it: "📣 Message workers" (bot.views.followup)
        rows.append([followup.group_hit_button(hit.id)])
    rows.append(_back())
    return fit_lines(lines), keyboard(rows)


def batch_card(item: Item, now: datetime, pay: GroupPay | None = None,
               floor_cents: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    b, p = item.batch, item.progress
    lines = [
        _("📦 <b>{title}</b> (batch #{id}, {hits}) — {state}", title=esc(item.title), id=b.id, hits=hits(p.hits),
          state=_state(item, now)),
        _("Approved {bar}", bar=progress_bar(p.approved, p.max_assignments)),
        _("👥 {counts}; {available} not taken yet", counts=_counts(p), available=p.available),
        _("💸 {spent} spent · {escrow} in escrow", spent=money(p.spent_cents), escrow=money(p.escrow_cents)),
    ]
    line = pay_line(pay, floor_cents)
    lines += [line] if line else []
    rows = [[button(_("📥 Download results"), callbacks.make("r", "resb", b.id))]]
    if p.open_hits:
        rows.append([button(_("⛔ Expire all now"), callbacks.make("r", "expb", b.id))])
    if p.max_assignments > p.available:
        rows.append([followup.group_batch_button(b.id)])
    rows.append(_back())
    return fit_lines(lines), keyboard(rows)


def expire_confirm(refund_cents: int | None, verb: str, target_id: int, back: str) -> tuple[str, InlineKeyboardMarkup]:
    """Ending one HIT (its refund known) or every open HIT of a batch (refund_cents None)."""
    if refund_cents is not None:
        text = _("End this HIT now? No new workers can take it; work already accepted can still be submitted and "
                 "reviewed. {refund} of unused escrow goes back to your balance.", refund=money(refund_cents))
    else:
        text = _("End every open HIT of this batch now? No new workers can take them; work already accepted can still "
                 "be submitted and reviewed. The unused escrow goes back to your balance.")
    return text, keyboard([[button(_("⛔ Confirm"), callbacks.make("r", verb, target_id)),
                            button(_("⬅️ Back"), callbacks.make("r", back, target_id))]])


def ask_count(hit: Hit, most: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _("➕ How many more assignments for “{title}”? Send a number from 1 to {most}; each costs {cost}. "
             "You confirm the total before anything is paid.", title=esc(hit.title), most=most,
             cost=money(hit.unit_cost_cents))
    return text, keyboard([[button(_("✖️ Cancel"), callbacks.make("r", "addx", hit.id))]])


def confirm_add(hit: Hit, count: int, max_before: int) -> tuple[str, InlineKeyboardMarkup]:
    total = hit.unit_cost_cents * count
    # TRANSLATORS: English keeps "assignment(s)" in both forms; translate each form with the plural it needs.
    text = _n("➕ Add {n} assignment(s) to “{title}”? {total} ({n} × {unit}, reward and fee) moves from your "
              "balance into escrow.",
              "➕ Add {n} assignment(s) to “{title}”? {total} ({n} × {unit}, reward and fee) moves from your "
              "balance into escrow.", count, n=count, title=esc(hit.title), total=money(total),
              unit=money(hit.unit_cost_cents))
    return text, keyboard([[button(_("✅ Add {n} for {total}", n=count, total=money(total)),
                                   callbacks.make("r", "add", hit.id, count, max_before)),
                            button(_("✖️ Cancel"), callbacks.make("r", "addx", hit.id))]])


def add_cancelled() -> str:
    return _("✖️ Cancelled; no assignments were added and nothing was paid.")


def extended(days: int) -> str:
    return _n("Extended by {n} day(s).", "Extended by {n} day(s).", days, n=days)


def added(count: int) -> str:
    return _n("Added {n} assignment(s); their cost is in escrow.", "Added {n} assignment(s); their cost is in escrow.",
              count, n=count)


def ended(refund_cents: int | None) -> str:
    if refund_cents is None:
        return _("This HIT had already ended.")
    return _("Ended; {refund} back in your balance.", refund=money(refund_cents))


def batch_ended(ended_n: int, refund_cents: int) -> str:
    if not ended_n:
        return _("Nothing was open any more.")
    return _n("Ended {n} HIT(s); {refund} back in your balance.", "Ended {n} HIT(s); {refund} back in your balance.",
              ended_n, n=ended_n, refund=money(refund_cents))


def nothing_to_download() -> str:
    return _("No one has worked on it yet: nothing to download.")


def csv_caption(rows: int) -> str:
    return _n("{n} assignment(s) as CSV (opens in any spreadsheet).", "{n} assignment(s) as CSV (opens in any spreadsheet).",
              rows, n=rows)


def json_caption() -> str:
    return _("The same as JSON.")


def results_name(kind: str, target_id: int) -> str:
    """The results files' name (not translated: scripts look for it)."""
    return f"{'hit' if kind == 'res' else 'batch'}-{target_id}-results"


def below_floor(reason: str, draft_id: int, hourly_cents: int) -> tuple[str, InlineKeyboardMarkup]:
    """Publishing a HIT whose own estimate pays below the operator's floor: confirm it, at that rate."""
    text = _("⚠️ {reason}\nWorkers see your estimate and what it pays an hour. Publish it anyway, or raise the "
             "reward with Edit on its preview.", reason=esc(reason))
    return text, keyboard([[button(_("🚀 Publish anyway"), callbacks.make("r", "npf", draft_id, hourly_cents))]])
