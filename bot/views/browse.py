"""Finding work: the /browse list (one message, edited as the worker pages and filters),
the filter menu, and a HIT's preview."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot import callbacks
from bot.views import materials, messages
from bot.views.common import (
    button,
    clip,
    countdown,
    duration,
    esc,
    fit,
    keyboard,
    local_time,
    money,
    stars,
)
from core.review.reputation import RequesterStats
from core.work.browse import MAX_KEYWORD, SORTS, BrowsePage, Filters, Preview

SORT_LABELS = {"newest": "newest", "reward": "reward", "hourly": "hourly rate", "available": "most available",
               "rating": "requester rating"}
SORT_ORDER = list(SORTS)
# Filter steps a thumb can cycle through (minor units / seconds); 0 means "any".
REWARD_STEPS = (0, 10, 50, 100, 500)
DURATION_STEPS = (0, 300, 900, 3600)
HOURLY_STEPS = (0, 300, 600, 1000, 1500)
KIND_LABELS = {"choice": "choice", "multi": "multiple choice", "text": "text", "number": "number",
               "rating": "rating", "photo": "photo", "document": "file", "voice": "voice", "location": "location",
               "web": "🌐 web task (opens its page)"}

ASK_KEYWORD = (f"🔤 Send a word to look for in titles and keywords (up to {MAX_KEYWORD} characters), "
               "or press Cancel.")
EMPTY = "No open HITs match your filters right now."


def next_step(steps: tuple[int, ...], value: int) -> int:
    later = [s for s in steps if s > value]
    return later[0] if later else steps[0]


def hourly(cents: int) -> str:
    return f"{money(cents)}/h"


def filter_summary(f: Filters) -> str:
    parts = []
    if f.min_reward_cents:
        parts.append(f"reward ≥ {money(f.min_reward_cents)}")
    if f.max_duration_s:
        parts.append(f"time ≤ {duration(f.max_duration_s)}")
    if f.min_hourly_cents:
        parts.append(f"≥ {hourly(f.min_hourly_cents)}")
    if f.keyword:
        parts.append(f"“{esc(f.keyword)}”")
    if f.qualified_only:
        parts.append("only ones I qualify for")
    return ", ".join(parts) or "none"


def hit_list(bp: BrowsePage) -> tuple[str, InlineKeyboardMarkup]:
    f = bp.filters
    lines = [f"🔎 <b>Open HITs</b> · page {bp.number + 1} · sorted by {SORT_LABELS[f.sort]}",
             f"Filters: {filter_summary(f)}", ""]
    rows = []
    if not bp.page.cards:
        lines.append(EMPTY if bp.number == 0 else "No more HITs on this page.")
    for card in bp.page.cards:
        h = card.hit
        rate = f"~{hourly(h.hourly_cents)}" if h.hourly_is_estimate else "new"
        mark = "🌐 " if card.web else ""
        lines.append(f"• {mark}<b>{esc(clip(h.title, 60))}</b> — {money(h.reward_cents)} · ⏱ {duration(h.duration_s)}"
                     f" · 📈 {rate} · {h.available} left")
        rows.append([button(f"{mark}{clip(h.title, 40)} · {money(h.reward_cents)}",
                            callbacks.make("b", "v", h.id, bp.number))])
    nav = []
    if bp.has_prev:
        nav.append(button("◀️ Prev", callbacks.make("b", "pg", bp.number - 1)))
    if bp.has_next:
        nav.append(button("Next ▶️", callbacks.make("b", "pg", bp.number + 1)))
    rows.append(nav)
    sort_next = SORT_ORDER[(SORT_ORDER.index(f.sort) + 1) % len(SORT_ORDER)]
    rows.append([button("⚙️ Filters", callbacks.make("b", "fm")),
                 button(f"↕️ Sort: {SORT_LABELS[f.sort]}", callbacks.make("b", "so", SORT_ORDER.index(sort_next)))])
    if not bp.page.cards and f != Filters(sort=f.sort):
        rows.append([button("♻️ Reset filters", callbacks.make("b", "rst"))])
    return fit("\n".join(lines)), keyboard(rows)


def filter_menu(f: Filters) -> tuple[str, InlineKeyboardMarkup]:
    text = ("⚙️ <b>Filters</b> (tap to change; I remember them for next time)\n"
            f"Now: {filter_summary(f)}")
    any_ = "any"
    rows = [
        [button(f"💵 Min reward: {money(f.min_reward_cents) if f.min_reward_cents else any_}",
                callbacks.make("b", "mr", next_step(REWARD_STEPS, f.min_reward_cents)))],
        [button(f"⏱ Max time: {duration(f.max_duration_s) if f.max_duration_s else any_}",
                callbacks.make("b", "mt", next_step(DURATION_STEPS, f.max_duration_s)))],
        [button(f"📈 Min hourly: {hourly(f.min_hourly_cents) if f.min_hourly_cents else any_}",
                callbacks.make("b", "mh", next_step(HOURLY_STEPS, f.min_hourly_cents)))],
        [button(f"🔤 Keyword: {clip(f.keyword, 30) if f.keyword else any_}", callbacks.make("b", "kw"))]
        + ([button("✖️ Clear keyword", callbacks.make("b", "kwx"))] if f.keyword else []),
        [button(f"{'✅' if f.qualified_only else '⬜'} Only HITs I qualify for",
                callbacks.make("b", "qo", 0 if f.qualified_only else 1))],
        [button("♻️ Reset", callbacks.make("b", "rst")), button("✔️ Done", callbacks.make("b", "pg", 0))],
    ]
    return text, keyboard(rows)


def keyword_prompt() -> tuple[str, InlineKeyboardMarkup]:
    return ASK_KEYWORD, keyboard([[button("✖️ Cancel", callbacks.make("b", "fm"))]])


def _requester_line(p: Preview, rs: RequesterStats) -> str:
    parts = [stars(rs.rating_avg, rs.rating_n)]
    if rs.approval_rate_pct is not None:
        parts.append(f"approves {rs.approval_rate_pct}%")
    if rs.avg_review_s is not None:
        parts.append(f"reviews in ~{duration(rs.avg_review_s)}")
    return f"👤 {esc(p.requester.display_name)} · " + " · ".join(parts)


def preview(p: Preview, rs: RequesterStats, now: datetime, tz: str | None, back_page: int = 0, *,
            mine: bool = False, holding: int | None = None) -> tuple[str, InlineKeyboardMarkup]:
    h = p.hit
    if h.hourly_is_estimate:
        rate = f"~{hourly(h.hourly_cents)} (from {h.work_n} submissions)"
    else:
        rate = "new (not enough submissions yet)"
    web = any(q.kind == "web" for q in p.questions)
    lines = [f"{'🌐' if web else '📄'} <b>{esc(h.title)}</b>"]
    if h.description:
        lines.append(esc(clip(h.description, 600)))
    lines += materials.lines(materials.of(h))
    lines += [
        "",
        _requester_line(p, rs),
        f"💵 Reward: <b>{money(h.reward_cents)}</b> · ⏱ time allotted: {duration(h.duration_s)}",
        f"📈 Estimated hourly: {rate}",
        f"👥 {h.available} of {h.max_assignments} assignments left",
        f"⌛ Expires {local_time(h.expires_at, tz, now=now)} ({countdown(h.expires_at, now)})",
    ]
    if p.checks:
        lines.append("")
        lines.append("Qualifications:")
        for c in p.checks:
            lines.append(f"{'✅' if c.passed else '❌'} {esc(c.text)}")
    kinds = [KIND_LABELS.get(q.kind, q.kind) for q in p.questions]
    lines.append("")
    lines.append("🌐 A web task: after Accept, Open task shows its page." if web
                 else f"📝 {len(kinds)} question(s): " + ", ".join(kinds))
    if not p.open:
        lines.append("\n🚫 This HIT is no longer available.")
    elif mine:
        lines.append("\nThis is your own HIT (workers see this preview).")
    elif holding:
        lines.append("\nYou are working on this HIT.")
    elif p.done_before:
        lines.append("\nYou have already worked on this HIT (see /mywork).")
    elif not p.qualified:
        lines.append("\n❌ You don't meet every requirement yet.")
    rows = []
    if p.open and p.page_url:  # see the page before taking it, as MTurk's preview
        rows.append([InlineKeyboardButton("👀 Preview page", web_app=WebAppInfo(p.page_url))])
    if p.open and p.qualified and not p.done_before and not mine:
        rows.append([button("✅ Accept", callbacks.make("w", "acc", h.id))])
    if holding:
        rows.append([button("▶️ Continue", callbacks.make("w", "go", holding))])
    if not mine and (p.open or holding or p.done_before):  # what core.messages.check_ask allows
        rows.append([messages.ask_button(h.id)])
    rows.append([button("⬅️ Back", callbacks.make("b", "pg", back_page))])
    return fit("\n".join(lines)), keyboard(rows)
