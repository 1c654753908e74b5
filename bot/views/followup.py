"""Follow-up work (core.hits.followup) and group messages (core.messages.groups): the buttons, the
offer's screen and its confirmation, the worker's notice with Preview, the group message prompt and
its progress card ("Sent 120/450"). Pure: everything shown comes from the core result handed in."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import _, _n
from bot.views.common import button, clip, duration, esc, keyboard, money
from bot.views.start import cancel_markup

if TYPE_CHECKING:
    from core.hits.followup import OfferView
    from core.messages.groups import Audience, Progress
    from core.models import OutboxEvent

BAR = 10


def offer_button(assignment_id: int):
    """On a submission card."""
    return button(_("➕ Offer follow-up work"), callbacks.make("fu", "a", assignment_id))


def offer_thread_button(thread_id: int):
    """In a conversation (the requester's side)."""
    return button(_("➕ Offer follow-up work"), callbacks.make("fu", "t", thread_id))


def offer_screen(view: OfferView) -> tuple[str, InlineKeyboardMarkup]:
    title = _("➕ Follow-up work")
    lines = [f"<b>{title}</b>",
             _("A private HIT only the workers you choose can see and accept, made from one of your HITs."),
             "",
             _("Template: {title}", title=f"<b>{esc(clip(view.template_title, 100))}</b>"),
             _("Workers: {workers}", workers=esc(", ".join(view.workers))),
             "",
             _("Type the reward for each worker, e.g. 0.50. To offer it to more workers who did your HITs, "
               "add their WorkerIds after the reward, separated by spaces.")]
    rows = []
    for hit_id, name in view.templates:
        mark = "✅ " if hit_id == view.template_id else ""
        rows.append([button(f"{mark}{clip(name, 50)}", callbacks.make("fu", "tp", view.offer_id, hit_id))])
    return "\n".join(lines), keyboard([*rows, *cancel_markup().inline_keyboard])


def confirm_screen(view: OfferView) -> tuple[str, InlineKeyboardMarkup]:
    n, title = len(view.workers), _("➕ Follow-up work")
    lines = [f"<b>{title}</b>",
             _("Template: {title}", title=f"<b>{esc(clip(view.template_title, 100))}</b>"),
             _("Workers: {workers}", workers=esc(", ".join(view.workers))),
             _n("Reward: {amount} for {n} worker", "Reward: {amount} for each of {n} workers", n,
                amount=money(int(view.reward_cents or 0))),
             _("Escrow with fees: {amount} (your balance: {balance})", amount=money(int(view.total_cents or 0)),
               balance=money(view.available_cents))]
    if (view.total_cents or 0) > view.available_cents:
        lines.append(_("⚠️ Your balance is too low: top up with /topup, then press Publish."))
    lines.append(_("To change the reward or the workers, type them again."))
    markup = keyboard([[button(_("✅ Publish for {amount}", amount=money(int(view.total_cents or 0))),
                               callbacks.make("fu", "ok", view.offer_id))], *cancel_markup().inline_keyboard])
    return "\n".join(lines), markup


def published(view: OfferView) -> str:
    return _("✅ Published “{title}” for {workers}. Only they can see and accept it; each got a notice with Preview.",
             title=esc(clip(view.template_title, 100)), workers=esc(", ".join(view.workers)))


def offered_notice(event: OutboxEvent) -> tuple[str, InlineKeyboardMarkup]:
    p = event.payload or {}
    hit_id = int(p["hit_id"])
    text = "\n".join([
        _("➕ <b>{sender}</b> offers you follow-up work: “{title}”",
          sender=esc(clip(str(p.get("sender") or ""), 60)), title=esc(clip(str(p.get("title") or ""), 100))),
        _("{amount} · {duration} allowed", amount=money(int(p.get("reward_cents") or 0)),
          duration=duration(int(p.get("duration_s") or 0))),
        _("Only the workers it was offered to can see and accept it."),
    ])
    return text, keyboard([[button(_("👀 Preview"), callbacks.make("b", "v", hit_id, 0))]])


# Group messages --------------------------------------------------------------------------------

def group_hit_button(hit_id: int):
    return button(_("📣 Message workers"), callbacks.make("gm", "h", hit_id))


def group_batch_button(batch_id: int):
    return button(_("📣 Message workers"), callbacks.make("gm", "b", batch_id))


def group_qual_button(qtype_id: int, name: str, holders: int):
    return button(_n("📣 {name} ({n} holder)", "📣 {name} ({n} holders)", holders, name=clip(name, 40)),
                  callbacks.make("gm", "q", qtype_id))


MAX_PICKED = 20  # qualification types offered as buttons


def qual_pick(types: list[tuple[object, int]]) -> tuple[str, InlineKeyboardMarkup | None]:
    """`/qual message` without a name: a button per qualification type that someone holds."""
    held = [(t, n) for t, n in types if n][:MAX_PICKED]
    if not held:
        return _("Nobody holds any of your qualifications yet. Grant one with /qual grant NAME WORKER."), None
    return (_("📣 Whose holders should get your message? Or type /qual message NAME."),
            keyboard([[group_qual_button(t.id, t.name, n)] for t, n in held]))


def group_prompt(a: Audience) -> str:
    lines = [_n("📣 Write one message to the {n} worker of “{name}” (up to 4096 characters).",
                "📣 Write one message to the {n} workers of “{name}” (up to 4096 characters).", a.recipients,
                name=esc(clip(a.name, 100))),
             _("Each gets it in their own conversation with you and can reply; nobody sees who else got it.")]
    if a.skipped:
        lines.append(_n("{n} muted or blocked conversation is left out.",
                        "{n} muted or blocked conversations are left out.", a.skipped))
    return "\n".join(lines)


def group_starting() -> str:
    return _("📣 Sending…")


def group_progress(p: Progress) -> tuple[str, InlineKeyboardMarkup | None]:
    filled = BAR * p.done // max(1, p.total)
    bar = "▓" * filled + "░" * (BAR - filled)
    head = (_n("📣 Sent to the {n} worker of “{name}”.", "📣 Sent to all {n} workers of “{name}”.", p.total,
               name=esc(clip(p.name, 100)))
            if p.finished else _("📣 Message to the workers of “{name}”", name=esc(clip(p.name, 100))))
    lines = [head, f"{bar} " + _("Sent {done}/{total}", done=p.done, total=p.total)]
    if p.skipped:
        lines.append(_n("{n} muted or blocked conversation was left out.",
                        "{n} muted or blocked conversations were left out.", p.skipped))
    if p.finished:
        lines.append(_("Their replies arrive in /messages."))
    return "\n".join(lines), None
