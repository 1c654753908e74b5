"""Finding work: the /browse list of HIT groups (one message, edited as the worker pages and
filters), the filter menu, and a group's preview."""
from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot import callbacks
from bot.i18n import N_, _, _n
from bot.views import hit_language, materials, messages, qual_requests, ratings
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
from core.work.browse import MAX_KEYWORD, SORTS, BrowsePage, Card, Filters, Preview

SORT_LABELS = {"newest": N_("newest"), "reward": N_("reward"), "hourly": N_("hourly rate"),
               "available": N_("most available"), "rating": N_("requester rating"), "foryou": N_("for you")}
SORT_ORDER = list(SORTS)
# Filter steps a thumb can cycle through (minor units / seconds); 0 means "any".
REWARD_STEPS = (0, 10, 50, 100, 500)
DURATION_STEPS = (0, 300, 900, 3600)
HOURLY_STEPS = (0, 300, 600, 1000, 1500)
KIND_LABELS = {"choice": N_("choice"), "multi": N_("multiple choice"), "text": N_("text"), "number": N_("number"),
               "rating": N_("rating"), "photo": N_("photo"), "document": N_("file"), "voice": N_("voice"),
               "location": N_("location"), "web": N_("🌐 web task (opens its page)")}


def sort_label(sort: str) -> str:
    return _(SORT_LABELS[sort])


def next_step(steps: tuple[int, ...], value: int) -> int:
    later = [s for s in steps if s > value]
    return later[0] if later else steps[0]


def hourly(cents: int) -> str:
    return _("{amount}/h", amount=money(cents))


def rate(card: Card | Preview, *, long: bool = False) -> str:
    """The hourly estimate as a worker can trust it: from real work times once the group has 3
    submissions; before, the requester's own estimate, said to be theirs; else "new"."""
    if card.hourly_is_estimate:
        if long:
            return _n("~{rate} (from {n} submission)", "~{rate} (from {n} submissions)", card.submissions,
                      rate=hourly(card.hourly_cents), n=card.submissions)
        return _("~{rate}", rate=hourly(card.hourly_cents))
    if card.estimated_s:
        if long:
            return _("~{rate}, the requester's estimate ({time} a HIT); new: not enough submissions yet",
                     rate=hourly(card.hourly_cents), time=duration(card.estimated_s))
        return _("~{rate} (requester's estimate)", rate=hourly(card.hourly_cents))
    return _("new (not enough submissions yet)") if long else _("new")


def filter_summary(f: Filters) -> str:
    parts = []
    if f.min_reward_cents:
        parts.append(_("reward ≥ {amount}", amount=money(f.min_reward_cents)))
    if f.max_duration_s:
        parts.append(_("time ≤ {time}", time=duration(f.max_duration_s)))
    if f.min_hourly_cents:
        parts.append(_("≥ {rate}", rate=hourly(f.min_hourly_cents)))
    if f.keyword:
        parts.append(_("“{keyword}”", keyword=esc(f.keyword)))
    if f.qualified_only:
        parts.append(_("only ones I qualify for"))
    return ", ".join(parts) or _("none")


def _entry(card: Card) -> str:
    h = card.hit
    mark = "🌐 " if card.web else ""
    return _("• {mark}<b>{title}</b> — {reward} · ⏱ {time} · 📈 {rate} · {available}",
             mark=mark, title=esc(clip(h.title, 60)), reward=money(h.reward_cents), time=duration(h.duration_s),
             rate=rate(card), available=_n("{n} left", "{n} left", card.available, n=card.available)
             ) + hit_language.suffix(h)


def hit_list(bp: BrowsePage) -> tuple[str, InlineKeyboardMarkup]:
    f = bp.filters
    lines = [_("🔎 <b>Open HITs</b> · page {page} · sorted by {sort}", page=bp.number + 1, sort=sort_label(f.sort)),
             _("Filters: {filters}", filters=filter_summary(f)), ""]
    if f.sort == "foryou" and bp.number == 0:
        lines.insert(2, _("✨ First the HITs that match your skills and interests: {words}",
                          words=esc(clip(", ".join(bp.interests), 200))) if bp.interests
                     else _("✨ Tell me your skills and interests and the HITs that match them come first: "
                            "/profile skills photo tagging, translation"))
    rows = []
    if not bp.page.cards:
        lines.append(_("No open HITs match your filters right now.") if bp.number == 0
                     else _("No more HITs on this page."))
    for card in bp.page.cards:
        h = card.hit
        lines.append(_entry(card))
        mark = "🌐 " if card.web else ""
        label = _("{mark}{title} · {reward}", mark=mark, title=clip(h.title, 40), reward=money(h.reward_cents))
        rows.append([button(label, callbacks.make("b", "v", h.id, bp.number))])
    nav = []
    if bp.has_prev:
        nav.append(button(_("◀️ Prev"), callbacks.make("b", "pg", bp.number - 1)))
    if bp.has_next:
        nav.append(button(_("Next ▶️"), callbacks.make("b", "pg", bp.number + 1)))
    rows.append(nav)
    sort_next = SORT_ORDER[(SORT_ORDER.index(f.sort) + 1) % len(SORT_ORDER)]
    rows.append([button(_("⚙️ Filters"), callbacks.make("b", "fm")),
                 button(_("↕️ Sort: {sort}", sort=sort_label(f.sort)),
                        callbacks.make("b", "so", SORT_ORDER.index(sort_next)))])
    extra = [button(_("🕘 Recent groups"), callbacks.make("b", "rc"))]
    if f.sort == "foryou" and bp.interests:
        extra.append(button(_("🔔 Alert me for my skills"), callbacks.make("al", "sk")))
    rows.append(extra)
    if not bp.page.cards and f != Filters(sort=f.sort):
        rows.append([button(_("♻️ Reset filters"), callbacks.make("b", "rst"))])
    return fit("\n".join(lines)), keyboard(rows)


def recent_groups(groups: list) -> tuple[str, InlineKeyboardMarkup]:
    """The groups the worker worked on in the last 7 days that still have HITs for them (core.dashboard
    RecentGroup): one tap previews the HIT Accept would take next."""
    if not groups:
        text = _("🕘 <b>Recent groups</b>\nNothing to continue: none of the groups you worked on in the last "
                 "7 days has HITs left for you.")
    else:
        lines = [_("🕘 <b>Recent groups</b> (the last 7 days)")]
        lines += [_("• <b>{title}</b> — {reward} · {available}", title=esc(clip(g.title, 60)),
                    reward=money(g.reward_cents), available=_n("{n} left", "{n} left", g.available, n=g.available))
                  for g in groups]
        text = "\n".join(lines)
    rows = [[button(_("▶️ {title}", title=clip(g.title, 40)), callbacks.make("b", "v", g.hit_id, 0))] for g in groups]
    rows.append([button(_("⬅️ Back"), callbacks.make("b", "pg", 0))])
    return fit(text), keyboard(rows)


def filter_menu(f: Filters) -> tuple[str, InlineKeyboardMarkup]:
    text = (_("⚙️ <b>Filters</b> (tap to change; I remember them for next time)") + "\n"
            + _("Now: {filters}", filters=filter_summary(f)))
    any_ = _("any")
    rows = [
        [button(_("💵 Min reward: {value}", value=money(f.min_reward_cents) if f.min_reward_cents else any_),
                callbacks.make("b", "mr", next_step(REWARD_STEPS, f.min_reward_cents)))],
        [button(_("⏱ Max time: {value}", value=duration(f.max_duration_s) if f.max_duration_s else any_),
                callbacks.make("b", "mt", next_step(DURATION_STEPS, f.max_duration_s)))],
        [button(_("📈 Min hourly: {value}", value=hourly(f.min_hourly_cents) if f.min_hourly_cents else any_),
                callbacks.make("b", "mh", next_step(HOURLY_STEPS, f.min_hourly_cents)))],
        [button(_("🔤 Keyword: {value}", value=clip(f.keyword, 30) if f.keyword else any_), callbacks.make("b", "kw"))]
        + ([button(_("✖️ Clear keyword"), callbacks.make("b", "kwx"))] if f.keyword else []),
        [button(("✅ " if f.qualified_only else "⬜ ") + _("Only HITs I qualify for"),
                callbacks.make("b", "qo", 0 if f.qualified_only else 1))],
        [button(_("♻️ Reset"), callbacks.make("b", "rst")), button(_("✔️ Done"), callbacks.make("b", "pg", 0))],
    ]
    return text, keyboard(rows)


def keyword_prompt() -> tuple[str, InlineKeyboardMarkup]:
    text = _("🔤 Send a word to look for in titles and keywords (up to {n} characters), or press Cancel.",
             n=MAX_KEYWORD)
    return text, keyboard([[button(_("✖️ Cancel"), callbacks.make("b", "fm"))]])


def _requester_line(p: Preview, rs: RequesterStats) -> str:
    parts = [stars(rs.rating_avg, rs.rating_n)]
    if rs.approval_rate_pct is not None:
        parts.append(_("approves {pct}%", pct=rs.approval_rate_pct))
    if rs.avg_review_s is not None:
        parts.append(_("reviews in ~{time}", time=duration(rs.avg_review_s)))
    dims = ratings.requester_dimensions(rs.dimensions)  # from 3 ratings on (issue 18)
    return "👤 " + esc(p.requester.display_name) + " · " + " · ".join(parts) + ("\n" + dims if dims else "")


def preview(p: Preview, rs: RequesterStats, now: datetime, tz: str | None, back_page: int = 0, *,
            mine: bool = False, holding: int | None = None) -> tuple[str, InlineKeyboardMarkup]:
    h = p.hit
    web = any(q.kind == "web" for q in p.questions)
    lines = [("🌐" if web else "📄") + " <b>" + esc(h.title) + "</b>"]
    lines += hit_language.lines(h)
    if h.description:
        lines.append(esc(clip(h.description, 600)))
    lines += materials.lines(materials.of(h))
    lines += [
        "",
        _requester_line(p, rs),
        _("💵 Reward: <b>{reward}</b> · ⏱ time allotted: {time}", reward=money(h.reward_cents),
          time=duration(h.duration_s)),
        _("📈 Estimated hourly: {rate}", rate=rate(p, long=True)),
    ]
    if p.pay_floor_cents:  # the operator's minimum pay is on: say where this HIT's estimate stands
        lines.append(_("⚠️ Below the minimum pay of {floor} set on this marketplace", floor=hourly(p.pay_floor_cents))
                     if p.below_floor else
                     _("✅ At or above the minimum pay of {floor} set on this marketplace",
                       floor=hourly(p.pay_floor_cents)))
    if p.group is not None and p.group_available != h.available:
        lines.append(_n("👥 {n} HIT available in this group: Accept takes the next one",
                        "👥 {n} HITs available in this group: Accept takes the next one",
                        p.group_available, n=p.group_available))
    else:
        lines.append(_("👥 {left} of {total} assignments left", left=h.available, total=h.max_assignments))
    lines.append(_("⌛ Expires {when} ({countdown})", when=local_time(h.expires_at, tz, now=now),
                   countdown=countdown(h.expires_at, now)))
    if p.checks:
        lines.append("")
        lines.append(_("Qualifications:"))
        for c in p.checks:
            lines.append(("✅ " if c.passed else "❌ ") + hit_language.check_line(c))
        lines += qual_requests.offer_lines(p.qual_offers, tz) if not mine else []
    kinds = [_(KIND_LABELS[q.kind]) if q.kind in KIND_LABELS else q.kind for q in p.questions]
    lines.append("")
    lines.append(_("🌐 A web task: after Accept, Open task shows its page.") if web
                 else _("📝 {n} question(s): {kinds}", n=len(kinds), kinds=", ".join(kinds)))
    can_accept = p.can_accept and p.qualified and not mine and not holding
    if not p.open and not can_accept:
        lines.append("\n" + _("🚫 This HIT is no longer available."))
    elif mine:
        lines.append("\n" + _("This is your own HIT (workers see this preview)."))
    elif holding:
        lines.append("\n" + _("You are working on this HIT."))
    elif p.done_before and not can_accept:
        lines.append("\n" + _("You have already worked on this HIT (see /mywork)."))
    elif not p.qualified:
        lines.append("\n" + _("❌ You don't meet every requirement yet."))
    rows = []
    if p.open and p.page_url:  # see the page before taking it, as MTurk's preview
        rows.append([InlineKeyboardButton(_("👀 Preview page"), web_app=WebAppInfo(p.page_url))])
    if can_accept:
        rows.append([button(_("✅ Accept"), callbacks.make("w", "acc", h.id))])  # this HIT, else its group's next
    if holding:
        rows.append([button(_("▶️ Continue"), callbacks.make("w", "go", holding))])
    if not mine and (p.open or holding or p.done_before):  # what core.messages.check_ask allows
        rows.append([messages.ask_button(h.id)])
    if p.open and not mine:
        rows += qual_requests.offer_rows(h.id, p.qual_offers)
    rows.append([button(_("⬅️ Back"), callbacks.make("b", "pg", back_page))])
    return fit("\n".join(lines)), keyboard(rows)
