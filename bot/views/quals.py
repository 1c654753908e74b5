"""Views for qualifications, tests, quality rules, appeals and profiles."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, esc, keyboard
from core.review.quality import Policy

if TYPE_CHECKING:
    from core.models import Appeal, QualificationType, QualTest, QualTestAttempt

QUAL_HELP = (
    "<b>Qualifications</b>\n"
    "/qual new <i>name</i> | <i>description</i> – create one\n"
    "/qual grant <i>name</i> <i>WorkerId</i> [<i>value</i>] – give it to a worker (the WorkerId is on the review card)\n"
    "/qual revoke <i>name</i> <i>WorkerId</i>\n"
    "/qualtest – send a quiz as a JSON or YAML file with this caption; its score is granted\n"
    "Use them on a HIT as a requirement, e.g. <code>{name: Bird expert, comparator: '>=', value: 3}</code>."
)


def qual_list(types: list[tuple[QualificationType, int]]) -> str:
    if not types:
        return QUAL_HELP + "\n\nYou have no qualifications yet."
    lines = [f"• <b>{esc(t.name)}</b> – {n} worker(s)" + (f"\n  {esc(t.description)}" if t.description else "")
             for t, n in types]
    return QUAL_HELP + "\n\n<b>Yours</b>\n" + "\n".join(lines)


def tests_list(rows: list[tuple[QualTest, QualificationType, int | None]]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not rows:
        return "No qualification tests are open right now.", None
    lines, buttons = ["<b>Qualification tests</b> – pass one to unlock HITs that need it."], []
    for test, qtype, score in rows:
        mine = f" (your score: {score}%)" if score is not None else ""
        lines.append(f"• {esc(qtype.name)}: {len(test.questions)} question(s){mine}")
        buttons.append([button(f"📝 Take test: {qtype.name}", callbacks.make("q", "tst", test.id))])
    return "\n".join(lines), keyboard(buttons)


def test_question(test: QualTest, attempt: QualTestAttempt) -> tuple[str, InlineKeyboardMarkup]:
    position = len(attempt.answers)
    q = test.questions[position]
    text = f"Question {position + 1} of {len(test.questions)}\n\n{esc(q['prompt'])}"
    rows = [[button(opt, callbacks.make("q", "ta", attempt.id, position, i))] for i, opt in enumerate(q["options"])]
    return text, keyboard(rows)


def test_result(qtype: QualificationType, attempt: QualTestAttempt) -> str:
    return f"✅ Test finished: you scored <b>{attempt.score}%</b> on “{esc(qtype.name)}”. HITs that need it now see it."


def policy_text(policy: Policy) -> str:
    if policy.min_accuracy is None:
        rule = "No automatic rule: you review every submission yourself."
    else:
        rule = (f"After {policy.min_gold} control answers, a worker below {policy.min_accuracy}% accuracy is "
                f"{'rejected and blocked' if policy.action == 'block' else 'rejected'} automatically: each of "
                "their waiting submissions with a wrong control answer is rejected, never one with a right "
                "answer. You are told each time, with an Undo; the worker is told why and can appeal.")
    return ("<b>Quality control</b>\n" + rule + "\n\nChange it: /quality <i>min %</i> <i>after N</i> reject|block, "
            "or /quality off. Mark control answers in a batch CSV with <code>_gold_&lt;question id&gt;</code> columns.")


def profile_text(user, profile: dict) -> str:
    skills = ", ".join(profile.get("skills") or []) or "—"
    interests = ", ".join(profile.get("interests") or []) or "—"
    return (f"<b>Your profile</b>\nCountry: {esc(user.country or '—')}\nTime zone: {esc(user.timezone)}\n"
            f"Skills: {esc(skills)}\nInterests: {esc(interests)}\n\n"
            "Change it: /profile country DE · /profile timezone Europe/Berlin · "
            "/profile skills German, birds · /profile interests audio, images")


def appeal_keyboard(assignment_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button("✉️ Appeal", callbacks.make("q", "apl", assignment_id))]])


def appeal_card(appeal: Appeal, hit_title: str, worker_name: str, feedback: str | None) -> tuple[str, InlineKeyboardMarkup | None]:
    text = (f"✉️ <b>Appeal</b> from {esc(worker_name)} on “{esc(hit_title)}”\n"
            f"Your rejection: {esc(feedback or '—')}\nTheir message: {esc(appeal.message)}")
    if appeal.outcome:
        return text + f"\n\nDecided: {'approved instead' if appeal.outcome == 'approved' else 'rejection kept'}.", None
    return text, keyboard([[button("✅ Approve instead", callbacks.make("q", "apy", appeal.id)),
                            button("Keep rejection", callbacks.make("q", "apn", appeal.id))]])


def block_counts_text(counts: dict) -> str:
    def rows(items: list) -> str:
        return "\n".join(f"• {esc(name)} (id {uid}): {n}" for uid, name, n in items) or "• none"

    return ("<b>Blocks</b> (private to each requester; shown to admins to spot abuse)\n"
            f"Workers blocked most often:\n{rows(counts['workers'])}\n"
            f"Requesters who block most:\n{rows(counts['requesters'])}")


TEST_FILE_SHAPE = "A test file needs a name and a list of questions with prompt, options and answer."
