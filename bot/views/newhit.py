"""/newhit: one prompt per step with its preset buttons, the preview, and the edit menu."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, duration, esc, fit, keyboard, money, progress_bar
from core.config import get_settings
from core.hits.drafts import EDITABLE, PRESETS, STEPS, requirement_tag, step_code
from core.hits.publishing import Cost
from core.hits.spec import MAX_QUESTIONS, HitSpec, format_duration, parse_duration
from core.money import parse_amount

if TYPE_CHECKING:
    from core.models import HitDraft

KIND_LABELS = {
    "choice": "Choice (pick one)", "multi": "Multiple choice", "text": "Text", "number": "Number",
    "rating": "Rating 1–5", "photo": "Photo", "document": "Document", "voice": "Voice", "location": "Location",
}
EDIT_LABELS = {
    "title": "Title", "description": "Description", "reward": "Reward", "assignments": "Assignments",
    "duration": "Time allotted", "lifetime": "Lifetime", "auto_approve": "Auto-approve",
    "q_add": "Add a question", "q_drop": "Remove last question", "quals": "Requirements", "attachment": "Attachment",
}
_SYMBOLS = {">=": "≥", "<=": "≤", "!=": "≠"}


def _preset_label(step: str, value: str) -> str:
    if step == "reward":
        return money(parse_amount(value, get_settings().currency))
    if step in ("duration", "lifetime", "auto_approve"):
        label = duration(parse_duration(value))
        default = format_duration(get_settings().auto_approve_s)
        return f"{label} (default)" if step == "auto_approve" and value == default else label
    if step == "q_kind":
        return KIND_LABELS[value]
    return {
        ("description", ""): "Skip", ("q_bounds", ""): "Skip", ("attachment", ""): "Skip",
        ("q_required", "yes"): "Required", ("q_required", "no"): "Optional",
        ("q_more", "add"): "➕ Add another question", ("q_more", "done"): "Done",
        ("quals", "approval_rate >= 95"): "Approval rate ≥ 95%", ("quals", "approved_count >= 10"): "10+ approved HITs",
        ("quals", "done"): "Done",
    }.get((step, value), value)


def _question_n(draft: HitDraft) -> int:
    return len(draft.data.get("questions") or []) + (0 if draft.step == "q_more" else 1)


def _prompt(draft: HitDraft) -> str:
    s = get_settings()
    step, work = draft.step, draft.work or {}
    q = work.get("question") or {}
    n = _question_n(draft)
    reqs = draft.data.get("qualifications") or []
    return {
        "title": "📝 <b>New HIT</b>\nWhat is the <b>title</b> workers will see? (up to 128 characters)\n\n"
                 "<i>Or send a HIT spec file (YAML or JSON) to fill in everything at once.</i>",
        "description": "Describe the task: what to do and what good work looks like (up to 2000 characters). "
                       "Or press Skip.",
        "reward": f"💰 <b>Reward</b> per assignment in {s.currency}, e.g. 0.25 "
                  f"({money(s.min_reward_cents)} to {money(s.max_reward_cents)}).",
        "assignments": f"👥 How many workers should do it? (<b>assignments</b>, 1 to {s.max_assignments})",
        "duration": "⏱ <b>Time allotted</b>: how long a worker has once they accept (30s to 24h), e.g. 10m.",
        "lifetime": "⌛ <b>Lifetime</b>: how long the HIT stays open for new workers (1m to 30d), e.g. 3d.",
        "auto_approve": "✅ <b>Auto-approve</b>: work you haven't reviewed is approved and paid after this delay.",
        "q_kind": f"❓ <b>Question {n}</b>: what kind of answer do you want?",
        "q_prompt": f"❓ Question {n} ({esc(KIND_LABELS.get(q.get('kind', ''), ''))}): type the question.",
        "q_options": f"Question {n}: send the <b>options</b>, one per line (or separated by commas), 2 to 10.",
        "q_bounds": (f"Question {n}: allowed <b>range</b>: send the lowest and highest number, e.g. “0 100”. "
                     "Or press Skip." if q.get("kind") == "number" else
                     f"Question {n}: the <b>longest answer</b> in characters (1 to 2000)? Or press Skip."),
        "q_required": f"Question {n}: must workers answer it?",
        "q_more": f"✅ Question {n} added. Add another one, or press Done"
                  + (f" (at most {MAX_QUESTIONS})." if n >= MAX_QUESTIONS - 3 else "."),
        "quals": "🔒 <b>Requirements</b> (optional): who may take this HIT. Type one like "
                 "<code>approval_rate &gt;= 95</code>, <code>country in DE, AT</code> or "
                 "<code>account_age_days &gt;= 7</code>; built in: approval_rate, approved_count, country, "
                 "account_age_days, or your own from /qual. Press Done when finished."
                 + ("\nSo far: " + esc("; ".join(requirement_text(r) for r in reqs))
                    + "\nPress ✖️ on one to remove it; the others stay." if reqs else ""),
        "attachment": "📎 Optional: send a <b>photo or document</b> workers should look at, or a link "
                      "(https://…). Or press Skip.",
    }[step]


def ask(draft: HitDraft) -> tuple[str, InlineKeyboardMarkup]:
    """The prompt for the draft's current step, its preset buttons, and Cancel."""
    step = draft.step
    values = PRESETS.get(step, ())
    if step == "q_more" and len(draft.data.get("questions") or []) >= MAX_QUESTIONS:
        values = ("done",)
    code = step_code(step)
    presets = [button(_preset_label(step, v), callbacks.make("r", "nv", draft.id, code, PRESETS[step].index(v)))
               for v in values]
    if step == "quals" and not draft.data.get("qualifications"):
        presets[-1] = button("No requirements", presets[-1].callback_data)
    per_row = 3 if step in ("q_kind", "reward", "duration") else 2
    rows = [presets[i:i + per_row] for i in range(0, len(presets), per_row)]
    if step == "quals":  # one Remove button per requirement: removing one keeps the others
        rows.extend([button("✖️ " + fit_label(requirement_text(r)),
                            callbacks.make("r", "nr", draft.id, i, requirement_tag(r)))]
                    for i, r in enumerate(draft.data.get("qualifications") or []))
    rows.append([button("✖️ Cancel", callbacks.make("r", "nx", draft.id))])
    return _prompt(draft), keyboard(rows)


def fit_label(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chosen(prompt: str, step: str, value: str) -> str:
    """The prompt once answered with a button (its keyboard removed)."""
    return f"{prompt}\n\n✔️ {esc(_preset_label(step, value))}"


def requirement_text(req: dict) -> str:
    name = str(req.get("name", "")).replace("_", " ")
    comp = _SYMBOLS.get(req.get("comparator", ""), req.get("comparator", ""))
    value = req.get("value")
    shown = ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
    unit = "%" if req.get("name") == "approval_rate" and shown else ""
    return f"{name} {comp} {shown}{unit}".strip()


def _question_line(i: int, q) -> str:
    line = f"{i}. {esc(q.prompt)} — {KIND_LABELS[q.kind].lower()}"
    if q.options:
        line += ": " + esc(" / ".join(q.options))
    if q.kind == "number" and q.min is not None:
        line += f" ({q.min:g} to {q.max:g})" if q.max is not None else f" (at least {q.min:g})"
    elif q.kind == "number" and q.max is not None:
        line += f" (at most {q.max:g})"
    if not q.required:
        line += " (optional)"
    return line


def hit_text(spec: HitSpec) -> str:
    """The HIT as a worker sees its preview (before anyone has worked on it)."""
    reward_cents = parse_amount(spec.reward, get_settings().currency)
    hourly = reward_cents * 3600 // spec.duration_s
    lines = [f"<b>{esc(spec.title)}</b>"]
    if spec.description:
        lines.append(esc(spec.description))
    lines.append(f"💰 {money(reward_cents)} · ⏱ {duration(spec.duration_s)} · ≈ {money(hourly)}/h (new)")
    lines.append(f"👥 {spec.assignments} left · ⌛ open for {duration(spec.lifetime_s)}")
    if spec.qualifications:
        lines.append("🔒 Requires: " + esc("; ".join(requirement_text(r.model_dump()) for r in spec.qualifications)))
    if spec.attachment:
        kind = spec.attachment.split(":", 1)[0]
        lines.append(f"📎 Attachment: {esc(kind if kind in ('photo', 'document') else spec.attachment)}")
    lines.append("❓ Questions:")
    lines.extend(_question_line(i, q) for i, q in enumerate(spec.questions, start=1))
    return "\n".join(lines)


def preview(draft: HitDraft, spec: HitSpec, cost: Cost, available_cents: int,
            auto_approve_s: int) -> tuple[str, InlineKeyboardMarkup]:
    short = cost.total_cents - available_cents
    balance = f"Your balance: {money(available_cents)}"
    if short > 0:
        balance += f" — <b>{money(short)} missing</b>: top up with /topup, then press Publish."
    text = (f"👀 <b>Preview</b> — what workers will see:\n\n{hit_text(spec)}\n\n"
            f"💳 <b>Cost</b>: {cost.assignments} × {money(cost.reward_cents)} = {money(cost.rewards_total)}"
            f" + fee {money(cost.fees_total)} = <b>{money(cost.total_cents)}</b> into escrow\n"
            f"Unreviewed work is approved after {duration(auto_approve_s)}.\n{balance}")
    markup = keyboard([[button("🚀 Publish", callbacks.make("r", "np", draft.id)),
                        button("✏️ Edit", callbacks.make("r", "ne", draft.id)),
                        button("✖️ Cancel", callbacks.make("r", "nx", draft.id))]])
    return fit(text), markup


def edit_menu(draft: HitDraft) -> InlineKeyboardMarkup:
    buttons = [button(EDIT_LABELS[f], callbacks.make("r", "nf", draft.id, i)) for i, f in enumerate(EDITABLE)]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append([button("⬅️ Back", callbacks.make("r", "nc", draft.id))])
    return keyboard(rows)


def resume(draft: HitDraft) -> tuple[str, InlineKeyboardMarkup]:
    title = draft.data.get("title")
    text = ("You have an unfinished HIT" + (f" “{esc(title)}”" if title else "") + ". Continue it or start over?")
    return text, keyboard([[button("▶️ Continue", callbacks.make("r", "nc", draft.id)),
                            button("🆕 Start over", callbacks.make("r", "nn", draft.id))],
                           [button("✖️ Cancel", callbacks.make("r", "nx", draft.id))]])


def published(hit_id: int, title: str) -> str:
    return (f"🚀 Published “{esc(title)}” (HIT #{hit_id}). Workers can take it now.\n"
            "Follow it in /myhits; submissions arrive here for review (/review).")


REQUIREMENT_REMOVED = "Requirement removed."
CANCELLED = "Cancelled. Nothing was published. Start again any time with /newhit."
STEP_COUNT = len(STEPS)


# Batches (/batch) -----------------------------------------------------------------------------

BATCH_START = ("📦 <b>Batch</b>: one HIT per CSV row.\n"
               "1. Send the HIT spec file (YAML or JSON, the /newhit fields; any text may hold "
               "<code>${column}</code> placeholders).\n"
               "2. Send the CSV (UTF-8, a header row naming the columns; "
               "<code>_gold_&lt;question id&gt;</code> columns hold control answers).\n"
               "Nothing is published until you confirm; all rows or none.")


def batch_need(have_spec: bool) -> str:
    return ("✔️ Spec file received. Now send the CSV with one row per HIT." if have_spec
            else "✔️ CSV received. Now send the HIT spec file (YAML or JSON).")


def batch_summary(rows_n: int, plan, available_cents: int) -> tuple[str, InlineKeyboardMarkup]:
    short = plan.total_cents - available_cents
    text = (f"📦 <b>{rows_n} HITs</b> ready, {plan.assignments} assignments in all.\n"
            f"💳 Rewards {money(plan.rewards_cents)} + fees {money(plan.fees_cents)} = "
            f"<b>{money(plan.total_cents)}</b> into escrow.\nYour balance: {money(available_cents)}")
    if short > 0:
        text += f" — <b>{money(short)} missing</b>: top up with /topup, then press Publish."
    return text, batch_buttons()


def batch_buttons() -> InlineKeyboardMarkup:
    return keyboard([[button("🚀 Publish", callbacks.make("r", "bp")), button("✖️ Cancel", callbacks.make("r", "bx"))]])


def batch_progress(done: int, total: int) -> str:
    return f"⏳ Publishing your batch…\n{progress_bar(done, total)}"


BATCH_BACKGROUND = "It is a big one, so it is published in the background; this message shows how far it got."
BATCH_FILES_GONE = "❌ Telegram no longer has the batch files, so nothing was published. Send /batch and the files again."


def batch_done(batch_id: int, hits_n: int, total_cents: int) -> str:
    return (f"✅ Published {hits_n} HITs (batch #{batch_id}); {money(total_cents)} is in escrow.\n"
            "Follow it in /myhits, where you can also download the results.")


def batch_bad_rows(message: str, count: int) -> str:
    extra = "\nThe full list is in the attached file." if count > 20 else ""
    return fit(f"❌ {esc(message)}{extra}\nFix the CSV (or the spec) and send it again.")
