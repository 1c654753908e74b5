"""/newhit and /batch: one prompt per step with its preset buttons, the preview, the edit menu, the batch
screens, and every reply and toast their handlers give. What the requester wrote (title, description,
questions, options, requirement names) is shown as written, never translated."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n, isolate, number
from bot.views.common import button, clip, duration, esc, fit, keyboard, money, progress_bar
from core.config import get_settings
from core.hits.drafts import EDITABLE, PRESETS, STEPS, requirement_tag, step_code
from core.hits.publishing import Cost
from core.hits.spec import MAX_QUESTIONS, HitSpec, format_duration, parse_duration
from core.money import parse_amount

if TYPE_CHECKING:
    from core.models import HitDraft

# The kind of a question: on its button and in the prompt (KIND_LABELS), inside a sentence of the preview
# (KIND_NAMES: English lower-cases it there; a language whose nouns keep their capital keeps it).
KIND_LABELS = {
    "choice": N_("Choice (pick one)"), "multi": N_("Multiple choice"), "text": N_("Text"), "number": N_("Number"),
    "rating": N_("Rating 1–5"), "photo": N_("Photo"), "document": N_("Document"), "voice": N_("Voice"),
    "location": N_("Location"),
}
KIND_NAMES = {
    "choice": N_("choice (pick one)"), "multi": N_("multiple choice"), "text": N_("text"), "number": N_("number"),
    "rating": N_("rating 1–5"), "photo": N_("photo"), "document": N_("document"), "voice": N_("voice"),
    "location": N_("location"),
}
EDIT_LABELS = {
    "title": N_("Title"), "description": N_("Description"), "reward": N_("Reward"),
    "assignments": N_("Assignments"), "duration": N_("Time allotted"), "lifetime": N_("Lifetime"),
    "auto_approve": N_("Auto-approve"), "q_add": N_("Add a question"), "q_drop": N_("Remove last question"),
    "quals": N_("Requirements"), "attachment": N_("Attachment"),
}
PRESET_LABELS = {
    ("description", ""): N_("Skip"), ("q_bounds", ""): N_("Skip"), ("attachment", ""): N_("Skip"),
    ("q_required", "yes"): N_("Required"), ("q_required", "no"): N_("Optional"),
    ("q_more", "add"): N_("➕ Add another question"), ("q_more", "done"): N_("Done"),
    ("quals", "approval_rate >= 95"): N_("Approval rate ≥ 95%"),
    ("quals", "approved_count >= 10"): N_("10+ approved HITs"), ("quals", "done"): N_("Done"),
}
_SYMBOLS = {">=": "≥", "<=": "≤", "!=": "≠"}
STEP_COUNT = len(STEPS)
MAX_UNITS = 4096  # Telegram counts a message's length in UTF-16 code units
# The most of the requester's own text one preview shows of each part (UTF-16 units, escaped): the cost
# and the buttons' meaning must always fit under it, however long the spec.
PROMPT_UNITS, OPTIONS_UNITS, REQUIREMENTS_UNITS, ATTACHMENT_UNITS, SHORT_DESCRIPTION_UNITS = 600, 700, 600, 200, 400


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def esc_fit(raw: str, limit: int) -> str:
    """`raw` escaped for HTML in at most `limit` UTF-16 units, cut (with …) before escaping so no entity breaks."""
    out = esc(raw)
    while units(out) > limit and len(raw) > 1:
        raw = clip(raw, max(1, min(len(raw) - 1, len(raw) * limit // units(out))))
        out = esc(raw)
    return out


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else ""


def _preset_label(step: str, value: str) -> str:
    if step == "reward":
        return money(parse_amount(value, get_settings().currency))
    if step in ("duration", "lifetime", "auto_approve"):
        label = duration(parse_duration(value))
        default = format_duration(get_settings().auto_approve_s)
        return _("{duration} (default)", duration=label) if step == "auto_approve" and value == default else label
    if step == "q_kind":
        return kind_label(value)
    text = PRESET_LABELS.get((step, value))
    return _(text) if text else value


def _question_n(draft: HitDraft) -> int:
    return len(draft.data.get("questions") or []) + (0 if draft.step == "q_more" else 1)


def _quals_prompt(reqs: list[dict]) -> str:
    # The requirement syntax (names, comparators) is what the requester types: it stays as it is.
    text = _("🔒 <b>Requirements</b> (optional): who may take this HIT. Type one like "
             "<code>approval_rate &gt;= 95</code>, <code>country in DE, AT</code> or "
             "<code>account_age_days &gt;= 7</code>; built in: approval_rate, approved_count, country, "
             "account_age_days, worker_rating, or your own from /qual. Press Done when finished.")
    if not reqs:
        return text
    so_far = _("So far: {requirements}\nPress ✖️ on one to remove it; the others stay.",
               requirements=esc_fit("; ".join(requirement_text(r) for r in reqs), REQUIREMENTS_UNITS))
    return f"{text}\n{so_far}"


def _bounds_prompt(kind: str, n: int) -> str:
    if kind == "number":
        return _("Question {n}: allowed <b>range</b>: send the lowest and highest number, e.g. “{example}”. "
                 "Or press Skip.", n=n, example="0 100")
    return _("Question {n}: the <b>longest answer</b> in characters ({low} to {high})? Or press Skip.",
             n=n, low=1, high=2000)


def _more_prompt(n: int) -> str:
    if n >= MAX_QUESTIONS - 3:
        return _("✅ Question {n} added. Add another one, or press Done (at most {max}).", n=n, max=MAX_QUESTIONS)
    return _("✅ Question {n} added. Add another one, or press Done.", n=n)


def _prompt(draft: HitDraft) -> str:
    s = get_settings()
    step, work = draft.step, draft.work or {}
    q = work.get("question") or {}
    n = _question_n(draft)
    # What the requester types (10m, 3d, 0.25) is the bot's own syntax: the examples are values, not words.
    prompts = {
        "title": lambda: _("📝 <b>New HIT</b>\nWhat is the <b>title</b> workers will see? (up to {max} characters)"
                           "\n\n<i>Or send a HIT spec file (YAML or JSON) to fill in everything at once.</i>",
                           max=128),
        "description": lambda: _("Describe the task: what to do and what good work looks like (up to {max} "
                                 "characters). Or press Skip.", max=number(2000)),
        "reward": lambda: _("💰 <b>Reward</b> per assignment in {currency}, e.g. {example} ({low} to {high}).",
                            currency=s.currency, example=number(0.25), low=money(s.min_reward_cents),
                            high=money(s.max_reward_cents)),
        "assignments": lambda: _("👥 How many workers should do it? (<b>assignments</b>, 1 to {max})",
                                 max=number(s.max_assignments)),
        "duration": lambda: _("⏱ <b>Time allotted</b>: how long a worker has once they accept ({low} to {high}), "
                              "e.g. {example}.", low="30s", high="24h", example="10m"),
        "lifetime": lambda: _("⌛ <b>Lifetime</b>: how long the HIT stays open for new workers ({low} to {high}), "
                              "e.g. {example}.", low="1m", high="30d", example="3d"),
        "auto_approve": lambda: _("✅ <b>Auto-approve</b>: work you haven't reviewed is approved and paid after "
                                  "this delay."),
        "q_kind": lambda: _("❓ <b>Question {n}</b>: what kind of answer do you want?", n=n),
        "q_prompt": lambda: _("❓ Question {n} ({kind}): type the question.", n=n,
                              kind=esc(kind_label(q.get("kind", "")))),
        "q_options": lambda: _("Question {n}: send the <b>options</b>, one per line (or separated by commas), "
                               "{low} to {high}.", n=n, low=2, high=10),
        "q_bounds": lambda: _bounds_prompt(q.get("kind", ""), n),
        "q_required": lambda: _("Question {n}: must workers answer it?", n=n),
        "q_more": lambda: _more_prompt(n),
        "quals": lambda: _quals_prompt(draft.data.get("qualifications") or []),
        "attachment": lambda: _("📎 Optional: send a <b>photo or document</b> workers should look at, or a link "
                                "(https://…). Or press Skip."),
    }
    return prompts[step]()


def cancel_button(data: str):
    return button(_("✖️ Cancel"), data)


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
        presets[-1] = button(_("No requirements"), presets[-1].callback_data)
    per_row = 3 if step in ("q_kind", "reward", "duration") else 2
    rows = [presets[i:i + per_row] for i in range(0, len(presets), per_row)]
    if step == "quals":  # one Remove button per requirement: removing one keeps the others
        rows.extend([button("✖️ " + fit_label(requirement_text(r)),
                            callbacks.make("r", "nr", draft.id, i, requirement_tag(r)))]
                    for i, r in enumerate(draft.data.get("qualifications") or []))
    rows.append([cancel_button(callbacks.make("r", "nx", draft.id))])
    return _prompt(draft), keyboard(rows)


def fit_label(text: str, limit: int = 48) -> str:
    return clip(text, limit)


def chosen(prompt: str, step: str, value: str) -> str:
    """The prompt once answered with a button (its keyboard removed)."""
    return f"{prompt}\n\n✔️ {esc(_preset_label(step, value))}"


def requirement_text(req: dict) -> str:
    """A requirement as its syntax reads (`approval rate ≥ 95%`): names are the requester's or built-in keys."""
    name = str(req.get("name", "")).replace("_", " ")
    comp = _SYMBOLS.get(req.get("comparator", ""), req.get("comparator", ""))
    value = req.get("value")
    shown = ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
    unit = "%" if req.get("name") == "approval_rate" and shown else ""
    return f"{name} {comp} {shown}{unit}".strip()


def _bounds(q) -> str:
    if q.kind != "number":
        return ""
    if q.min is not None and q.max is not None:
        return _("({low} to {high})", low=number(q.min), high=number(q.max))
    if q.min is not None:
        return _("(at least {low})", low=number(q.min))
    if q.max is not None:
        return _("(at most {high})", high=number(q.max))
    return ""


def _question_line(i: int, q) -> str:
    kind = _(KIND_NAMES[q.kind]) if q.kind in KIND_NAMES else q.kind
    # The requester's words are isolated so that, in a right-to-left language, the line keeps reading from the right.
    line = f"{i}. {isolate(esc_fit(q.prompt, PROMPT_UNITS))} — {kind}"
    if q.options:
        line += ": " + isolate(esc_fit(" / ".join(q.options), OPTIONS_UNITS))
    bounds = _bounds(q)
    if bounds:
        line += " " + bounds
    if not q.required:
        line += " " + _("(optional)")
    return line


def hit_text(spec: HitSpec, *, description_units: int | None = None, questions_shown: int | None = None) -> str:
    """The HIT as a worker sees its preview (before anyone has worked on it); a long description and the
    questions past `questions_shown` give way so that the whole preview fits one message."""
    reward_cents = parse_amount(spec.reward, get_settings().currency)
    hourly = reward_cents * 3600 // spec.duration_s
    lines = [f"<b>{esc(spec.title)}</b>"]
    if spec.description:
        lines.append(esc(spec.description) if description_units is None
                     else esc_fit(spec.description, description_units))
    lines.append(_("💰 {reward} · ⏱ {time} · ≈ {hourly}/h (new)", reward=money(reward_cents),
                   time=duration(spec.duration_s), hourly=money(hourly)))
    lines.append(_n("👥 {n} left · ⌛ open for {duration}", "👥 {n} left · ⌛ open for {duration}",
                    spec.assignments, duration=duration(spec.lifetime_s)))
    if spec.qualifications:
        lines.append(_("🔒 Requires: {requirements}", requirements=esc_fit(
            "; ".join(requirement_text(r.model_dump()) for r in spec.qualifications), REQUIREMENTS_UNITS)))
    if spec.attachment:
        kind = spec.attachment.split(":", 1)[0]
        shown = _(KIND_NAMES[kind]) if kind in ("photo", "document") else esc_fit(spec.attachment, ATTACHMENT_UNITS)
        lines.append(_("📎 Attachment: {attachment}", attachment=shown))
    lines.append(_("❓ Questions:"))
    shown = spec.questions if questions_shown is None else spec.questions[:questions_shown]
    lines.extend(_question_line(i, q) for i, q in enumerate(shown, start=1))
    if len(shown) < len(spec.questions):
        lines.append(_n("…and {n} more question", "…and {n} more questions", len(spec.questions) - len(shown)))
    return "\n".join(lines)


def _balance_line(available_cents: int, short_cents: int) -> str:
    if short_cents > 0:
        return _("Your balance: {balance} — <b>{missing} missing</b>: top up with /topup, then press Publish.",
                 balance=money(available_cents), missing=money(short_cents))
    return _("Your balance: {balance}", balance=money(available_cents))


def preview(draft: HitDraft, spec: HitSpec, cost: Cost, available_cents: int,
            auto_approve_s: int) -> tuple[str, InlineKeyboardMarkup]:
    cost_line = _("💳 <b>Cost</b>: {assignments} × {reward} = {rewards} + fee {fee} = <b>{total}</b> into escrow",
                  assignments=cost.assignments, reward=money(cost.reward_cents), rewards=money(cost.rewards_total),
                  fee=money(cost.fees_total), total=money(cost.total_cents))
    head = _("👀 <b>Preview</b> — what workers will see:")
    tail = "\n".join([cost_line, _("Unreviewed work is approved after {duration}.", duration=duration(auto_approve_s)),
                      _balance_line(available_cents, cost.total_cents - available_cents)])
    n = len(spec.questions)
    # Longest first: all of it, then a shorter description, then fewer questions, until it fits one message.
    for description_units, shown in [(None, n), *((SHORT_DESCRIPTION_UNITS, k) for k in range(n, -1, -1))]:
        text = "\n".join([head, "", hit_text(spec, description_units=description_units, questions_shown=shown),
                          "", tail])
        if units(text) <= MAX_UNITS:
            break
    markup = keyboard([[button(_("🚀 Publish"), callbacks.make("r", "np", draft.id)),
                        button(_("✏️ Edit"), callbacks.make("r", "ne", draft.id)),
                        cancel_button(callbacks.make("r", "nx", draft.id))]])
    return fit(text), markup


def edit_menu(draft: HitDraft) -> InlineKeyboardMarkup:
    buttons = [button(_(EDIT_LABELS[f]), callbacks.make("r", "nf", draft.id, i)) for i, f in enumerate(EDITABLE)]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append([button(_("⬅️ Back"), callbacks.make("r", "nc", draft.id))])
    return keyboard(rows)


def resume(draft: HitDraft) -> tuple[str, InlineKeyboardMarkup]:
    title = draft.data.get("title")
    text = (_("You have an unfinished HIT “{title}”. Continue it or start over?", title=esc(title)) if title
            else _("You have an unfinished HIT. Continue it or start over?"))
    return text, keyboard([[button(_("▶️ Continue"), callbacks.make("r", "nc", draft.id)),
                            button(_("🆕 Start over"), callbacks.make("r", "nn", draft.id))],
                           [cancel_button(callbacks.make("r", "nx", draft.id))]])


def published(hit_id: int, title: str) -> str:
    return _("🚀 Published “{title}” (HIT #{id}). Workers can take it now.\n"
             "Follow it in /myhits; submissions arrive here for review (/review).", title=esc(title), id=str(hit_id))


# The wizard's replies and toasts (the handlers hold no text) ------------------------------------

def requirement_removed() -> str:
    return _("Requirement removed.")


def cancelled() -> str:
    return _("Cancelled. Nothing was published. Start again any time with /newhit.")


def cancelled_toast() -> str:
    return _("Cancelled.")


def published_toast() -> str:
    return _("Published!")


def not_enough_toast() -> str:
    return _("Not enough balance yet.")


def short_of_funds(reason: str) -> str:
    """Core's refusal (already in the reader's language) after the card icon."""
    return f"💳 {reason}"


def what_to_change() -> str:
    return _("What do you want to change?")


def preview_out_of_date() -> str:
    return _("This preview is out of date; see the latest message.")


def draft_closed() -> str:
    return _("This draft is closed. Start a new one with /newhit.")


def started_over() -> str:
    return _("Started over; the old draft was discarded.")


def no_file_expected() -> str:
    return _("I wasn't expecting a file here. Answer the question above, or press Cancel.")


def spec_too_big(max_bytes: int) -> str:
    return _("A spec file can be at most {size} KB.", size=number(max_bytes // 1024))


# Batches (/batch) -----------------------------------------------------------------------------

def batch_start() -> str:
    return _("📦 <b>Batch</b>: one HIT per CSV row.\n"
             "1. Send the HIT spec file (YAML or JSON, the /newhit fields; any text may hold "
             "<code>{placeholder}</code> placeholders).\n"
             "2. Send the CSV (UTF-8, a header row naming the columns; "
             "<code>{gold}</code> columns hold control answers).\n"
             "Nothing is published until you confirm; all rows or none.\n"
             "🌐 For a web task, also send an MTurk HTML template (.html, with <code>{placeholder}</code> "
             "variables and crowd-html-elements or a form): the spec then has no questions, and each row "
             "becomes a task on that page.",
             placeholder="${column}", gold="_gold_&lt;question id&gt;")


def batch_need(have_spec: bool, have_template: bool = False) -> str:
    if have_template:
        return _("✔️ HTML template received: each CSV row becomes a web task on its page. Send the spec file "
                 "(title, reward, time; no questions) and the CSV, if you haven't yet.")
    return (_("✔️ Spec file received. Now send the CSV with one row per HIT.") if have_spec
            else _("✔️ CSV received. Now send the HIT spec file (YAML or JSON)."))


def template_too_big(max_bytes: int) -> str:
    return _("An HTML template can be at most {size} KB.", size=number(max_bytes // 1024))


def batch_csv_too_big(max_bytes: int) -> str:
    return _("A batch CSV can be at most {size} MB. Split it into several batches.",
             size=number(max_bytes // (1024 * 1024)))


def batch_wrong_file() -> str:
    return _("Send the spec as a .yaml or .json file, the rows as a .csv file and an MTurk HTML template as "
             "an .html file.")


def batch_summary(rows_n: int, plan, available_cents: int, below_floor: str | None = None,
                  hourly_cents: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    """`below_floor`: why the spec's estimate pays below the operator's floor (then "Publish anyway", at that rate)."""
    ready = _("📦 {hits} ready, {assignments}.",
              hits=_n("<b>{n} HIT</b>", "<b>{n} HITs</b>", rows_n),
              assignments=_n("{n} assignment in all", "{n} assignments in all", plan.assignments))
    cost = _("💳 Rewards {rewards} + fees {fees} = <b>{total}</b> into escrow.", rewards=money(plan.rewards_cents),
             fees=money(plan.fees_cents), total=money(plan.total_cents))
    text = "\n".join([ready, cost, _balance_line(available_cents, plan.total_cents - available_cents)])
    if below_floor:
        text += "\n" + _("⚠️ {reason}\nWorkers see your estimate and what it pays an hour. Publish the batch "
                         "anyway, or raise the reward in the spec and send the files again.", reason=esc(below_floor))
    return text, batch_buttons(hourly_cents if below_floor else 0)


def batch_buttons(below_floor_cents: int = 0) -> InlineKeyboardMarkup:
    """Publish and Cancel; "Publish anyway" at that hourly rate when the spec's estimate pays below the floor."""
    publish = (button(_("🚀 Publish anyway"), callbacks.make("r", "bpf", below_floor_cents)) if below_floor_cents
               else button(_("🚀 Publish"), callbacks.make("r", "bp")))
    return keyboard([[publish, cancel_button(callbacks.make("r", "bx"))]])


def batch_progress(done: int, total: int) -> str:
    return _("⏳ Publishing your batch…\n{bar}", bar=progress_bar(done, total))


def batch_background(done: int = 0, total: int = 1) -> str:
    return "\n".join([batch_progress(done, total), _(
        "It is a big one, so it is published in the background; this message shows how far it got.")])


def batch_background_toast() -> str:
    return _("Publishing in the background.")


def batch_cancelled() -> str:
    return _("Cancelled. Nothing was published.")


def batch_files_gone() -> str:
    return _("❌ Telegram no longer has the batch files, so nothing was published. Send /batch and the files again.")


def batch_done(batch_id: int, hits_n: int, total_cents: int) -> str:
    return _n("✅ Published {n} HIT (batch #{batch}); {amount} is in escrow.\n"
              "Follow it in /myhits, where you can also download the results.",
              "✅ Published {n} HITs (batch #{batch}); {amount} is in escrow.\n"
              "Follow it in /myhits, where you can also download the results.",
              hits_n, batch=str(batch_id), amount=money(total_cents))


def batch_bad_rows(message: str, count: int) -> str:
    template = (N_("❌ {problems}\nThe full list is in the attached file.\nFix the CSV (or the spec) and send it again.")
                if count > 20 else N_("❌ {problems}\nFix the CSV (or the spec) and send it again."))
    room = MAX_UNITS - units(_(template, problems="")) - 8  # 8: the isolation marks of a right-to-left text
    return _(template, problems=esc_fit(message, room))
