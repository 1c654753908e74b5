"""Views for qualifications, tests, quality rules, appeals and profiles.

Names of qualifications that requesters wrote are shown as written; hitbot's built-in ones (approval
rate, approved HITs, country, account age) are named in the reader's language."""
from __future__ import annotations

from typing import TYPE_CHECKING

from babel.numbers import format_percent
from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n, current
from bot.views import hit_language, ratings
from bot.views.common import button, esc, keyboard
from core.models import SystemQual
from core.review.quality import Policy
from core.users.languages import listed

if TYPE_CHECKING:
    from core.models import Appeal, QualificationType, QualTest, QualTestAttempt
    from core.quals.rules import Check

QUAL_HELP = N_(
    "<b>Qualifications</b>\n"
    "/qual new <i>name</i> | <i>description</i> – create one\n"
    "/qual grant <i>name</i> <i>WorkerId</i> [<i>value</i>] – give it to a worker (the WorkerId is on the review card)\n"
    "/qual revoke <i>name</i> <i>WorkerId</i>\n"
    "/qualtest – send a quiz as a JSON or YAML file with this caption; its score is granted\n"
    "Use them on a HIT as a requirement, e.g. {example}.")
REQUIREMENT_EXAMPLE = "<code>{name: Bird expert, comparator: '>=', value: 3}</code>"
MAX_TEST_FILE_KB = 64


def percent(value: int) -> str:
    """A whole percentage as the reader writes it: 80%, 80 %, %80."""
    return format_percent(value / 100, locale=current())


def qual_help() -> str:
    return _(QUAL_HELP, example=REQUIREMENT_EXAMPLE) + "\n" + _(
        "Workers who miss one of yours can ask for it from the HIT; you grant or refuse in chat.\n"
        "/qual requests – the requests waiting for you\n"
        "/qual auto <i>name</i> on [<i>value</i>] | off – grant their requests at once\n"
        "/qual retry <i>name</i> <i>12h</i> – how long a worker waits before asking again") + "\n" + _(
        "/qual message <i>name</i> – write to every worker holding it")


def qual_list(types: list[tuple[QualificationType, int]]) -> str:
    if not types:
        return qual_help() + "\n\n" + _("You have no qualifications yet.")
    lines = []
    for t, n in types:
        line = _n("• <b>{name}</b> – {n} worker", "• <b>{name}</b> – {n} workers", n, name=esc(t.name))
        lines.append(line + (f"\n  {esc(t.description)}" if t.description else ""))
    return qual_help() + "\n\n" + _("<b>Yours</b>") + "\n" + "\n".join(lines)


def tests_list(rows: list[tuple[QualTest, QualificationType, int | None]]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not rows:
        return _("No qualification tests are open right now."), None
    lines, buttons = [_("<b>Qualification tests</b> – pass one to unlock HITs that need it.")], []
    for test, qtype, score in rows:
        n = len(test.questions)
        if score is None:
            lines.append(_n("• {name}: {n} question", "• {name}: {n} questions", n, name=esc(qtype.name)))
        else:
            lines.append(_n("• {name}: {n} question (your score: {score})", "• {name}: {n} questions (your score: {score})",
                            n, name=esc(qtype.name), score=percent(score)))
        buttons.append([button(_("📝 Take test: {name}", name=qtype.name), callbacks.make("q", "tst", test.id))])
    return "\n".join(lines), keyboard(buttons)


def test_question(test: QualTest, attempt: QualTestAttempt) -> tuple[str, InlineKeyboardMarkup]:
    position = len(attempt.answers)
    q = test.questions[position]
    text = _("Question {number} of {total}", number=position + 1, total=len(test.questions)) + f"\n\n{esc(q['prompt'])}"
    rows = [[button(opt, callbacks.make("q", "ta", attempt.id, position, i))] for i, opt in enumerate(q["options"])]
    return text, keyboard(rows)


def test_result(qtype: QualificationType, attempt: QualTestAttempt) -> str:
    return _("✅ Test finished: you scored <b>{score}</b> on “{name}”. HITs that need it now see it.",
             score=percent(attempt.score), name=esc(qtype.name))


def policy_text(policy: Policy) -> str:
    if policy.min_accuracy is None:
        rule = _("No automatic rule: you review every submission yourself.")
    elif policy.action == "block":
        rule = _n("After {n} control answer, a worker below {accuracy} accuracy is rejected and blocked "
                  "automatically: each of their waiting submissions with a wrong control answer is rejected, never "
                  "one with a right answer. You are told each time, with an Undo; the worker is told why and can "
                  "appeal.",
                  "After {n} control answers, a worker below {accuracy} accuracy is rejected and blocked "
                  "automatically: each of their waiting submissions with a wrong control answer is rejected, never "
                  "one with a right answer. You are told each time, with an Undo; the worker is told why and can "
                  "appeal.", policy.min_gold, accuracy=percent(policy.min_accuracy))
    else:
        rule = _n("After {n} control answer, a worker below {accuracy} accuracy is rejected automatically: each of "
                  "their waiting submissions with a wrong control answer is rejected, never one with a right "
                  "answer. You are told each time, with an Undo; the worker is told why and can appeal.",
                  "After {n} control answers, a worker below {accuracy} accuracy is rejected automatically: each of "
                  "their waiting submissions with a wrong control answer is rejected, never one with a right "
                  "answer. You are told each time, with an Undo; the worker is told why and can appeal.",
                  policy.min_gold, accuracy=percent(policy.min_accuracy))
    return "\n".join([_("<b>Quality control</b>"), rule, "",
                      _("Change it: /quality <i>min %</i> <i>after N</i> reject|block, or /quality off. Mark control "
                        "answers in a batch CSV with <code>_gold_&lt;question id&gt;</code> columns.")])


def profile_text(user, profile: dict, rating=None) -> str:
    """`rating`: the requesters' stars for this worker (core.review.ratings.Average), None to leave out."""
    skills = ", ".join(profile.get("skills") or []) or "—"
    interests = ", ".join(profile.get("interests") or []) or "—"
    return "\n".join([
        _("<b>Your profile</b>"),
        _("Country: {country}", country=esc(user.country or "—")),
        _("Time zone: {zone}", zone=esc(user.timezone)),
        _("Skills: {skills}", skills=esc(skills)),
        _("Interests: {interests}", interests=esc(interests)),
        *languages_lines(user),
        *rating_lines(rating),
        "",
        _("Change it: /profile country DE · /profile timezone Europe/Berlin · "
          "/profile skills German, birds · /profile interests audio, images")])


def rating_lines(rating) -> list[str]:
    """How requesters rate the worker: what HITs requiring a worker rating compare against."""
    if rating is None:
        return []
    if not rating.n:
        return [_("Your rating from requesters: none yet")]
    return [_n("Your rating from requesters: {stars} from {n} rating",
               "Your rating from requesters: {stars} from {n} ratings", rating.n, stars=ratings.average(rating.avg),
               n=rating.n)]


def languages_lines(user) -> list[str]:
    """The languages a worker listed (the `speaks` requirement counts them with their hitbot language)."""
    shown = ", ".join(hit_language.name(c) for c in listed(user)) or "—"
    return [_("Languages you also speak: {languages}", languages=esc(shown)),
            _("Change them: /profile languages es, pt-BR (or /profile languages none)")]


def appeal_keyboard(assignment_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button(_("✉️ Appeal"), callbacks.make("q", "apl", assignment_id))]])


def appeal_card(appeal: Appeal, hit_title: str, worker_name: str, feedback: str | None) -> tuple[str, InlineKeyboardMarkup | None]:
    text = "\n".join([_("✉️ <b>Appeal</b> from {worker} on “{title}”", worker=esc(worker_name), title=esc(hit_title)),
                      _("Your rejection: {feedback}", feedback=esc(feedback or "—")),
                      _("Their message: {message}", message=esc(appeal.message))])
    if appeal.outcome:
        decided = _("Decided: approved instead.") if appeal.outcome == "approved" else _("Decided: rejection kept.")
        return text + "\n\n" + decided, None
    return text, keyboard([[button(_("✅ Approve instead"), callbacks.make("q", "apy", appeal.id)),
                            button(_("Keep rejection"), callbacks.make("q", "apn", appeal.id))]])


def block_counts_text(counts: dict) -> str:
    def rows(items: list) -> str:
        return "\n".join(f"• {esc(name)} (id {uid}): {n}" for uid, name, n in items) or _("• none")

    return "\n".join([_("<b>Blocks</b> (private to each requester; shown to admins to spot abuse)"),
                      _("Workers blocked most often:"), rows(counts["workers"]),
                      _("Requesters who block most:"), rows(counts["requesters"]),
                      _("Requesters blocked by most workers:"), rows(counts.get("by_workers", []))])


# What the commands answer (bot/handlers/quals.py) ------------------------------------------------

def created(name: str) -> str:
    return _("Created “{name}”. Grant it with /qual grant {name} <WorkerId>.", name=name)


def granted(name: str, value: int, worker: str) -> str:
    """`worker` as the requester typed it: a WorkerId (with or without '#') or a numeric id."""
    if worker.isdigit():
        return _("Granted “{name}” = {value} to worker {id}.", name=name, value=value, id=worker)
    return _("Granted “{name}” = {value} to Worker #{ref}.", name=name, value=value, ref=worker.lstrip("#"))


def revoked(gone: bool) -> str:
    return _("Revoked.") if gone else _("That worker did not have it.")


def qual_usage(verb: str) -> str:
    if verb == "grant":
        return _("Use: /qual grant <name> <WorkerId> [value] (the WorkerId is on the review card, e.g. A2B3C4D5E6F7G)")
    return _("Use: /qual revoke <name> <WorkerId> (the WorkerId is on the review card, e.g. A2B3C4D5E6F7G)")


def no_such_worker(ref: str) -> str:
    return _("No worker who did your HITs has the WorkerId {ref}.", ref=ref)


# Whole numbers a command was given, by what they are.
WHOLE_NUMBER = {
    "worker": N_("The worker id must be a whole number."),
    "value": N_("The value must be a whole number."),
    "accuracy": N_("The accuracy must be a whole number."),
    "gold": N_("The number of control answers must be a whole number."),
}


def not_a_whole_number(what: str) -> str:
    return _(WHOLE_NUMBER[what])


def test_file_too_large() -> str:
    return _("That file is too large for a test ({kb} KB at most).", kb=MAX_TEST_FILE_KB)


def test_file_shape() -> str:
    return _("A test file needs a name and a list of questions with prompt, options and answer.")


def test_created(questions_n: int) -> str:
    return _n("Test created with {n} question. Workers find it with /tests; their score is granted automatically.",
              "Test created with {n} questions. Workers find it with /tests; their score is granted automatically.",
              questions_n)


def quality_usage() -> str:
    return _("Use: /quality <min %> [after N control answers] [reject|block]")


def profile_usage() -> str:
    return _("Use: /profile country DE · timezone Europe/Berlin · skills a, b · interests c, d · languages es, pt")


def ask_appeal() -> str:
    return _("Write your appeal in one message: why should this work be approved?")


def appeal_sent() -> str:
    return _("Your appeal was sent to the requester. You'll hear back here.")


def appeal_decided_toast(approved: bool) -> str:
    return _("Approved and paid.") if approved else _("Rejection kept.")


# A HIT's qualification requirement as the worker reads it (the preview, a refusal) ----------------

BUILT_IN = {
    SystemQual.APPROVAL_RATE: N_("approval rate"),
    SystemQual.APPROVED_COUNT: N_("approved HITs"),
    SystemQual.COUNTRY: N_("country"),
    SystemQual.ACCOUNT_AGE_DAYS: N_("account age"),
    SystemQual.WORKER_RATING: N_("worker rating"),
    SystemQual.SPEAKS: N_("languages spoken"),
}


def qual_name(qtype: QualificationType) -> str:
    """A built-in qualification in the reader's words; a requester's as its requester wrote it (escaped)."""
    return _(BUILT_IN[qtype.system]) if qtype.system in BUILT_IN else esc(qtype.name)


def _value(system: str | None, value: object) -> str:
    if system == SystemQual.APPROVAL_RATE and isinstance(value, int):
        return percent(value)
    if system == SystemQual.ACCOUNT_AGE_DAYS and isinstance(value, int):
        return _n("{n} day", "{n} days", value)
    if system == SystemQual.WORKER_RATING and isinstance(value, (int, float)):
        from bot.views.ratings import average  # ★4.6, as the review card shows it

        return average(float(value))
    return esc(value)


def requirement(check: Check) -> str:
    """'needs approval rate ≥ 95%, you have 100%' in the reader's language."""
    system, comp = check.qtype.system, check.requirement.comparator
    if system == SystemQual.SPEAKS:  # languages by name, in the reader's language
        return hit_language.requirement(check)
    name = qual_name(check.qtype)
    have = _("none") if check.have is None else _value(system, check.have)
    if comp == "exists":
        return _("needs the “{name}” qualification, you have {have}", name=name, have=have)
    if comp == "not exists":
        return _("needs no “{name}” qualification, you have {have}", name=name, have=have)
    # TRANSLATORS: what separates the values a requirement accepts ("DE, FR").
    values = _(", ").join(_value(system, v) for v in check.requirement.values or [])
    if comp == "in":
        return _("needs {name} one of {values}, you have {have}", name=name, values=values, have=have)
    if comp == "not in":
        return _("needs {name} none of {values}, you have {have}", name=name, values=values, have=have)
    return _("needs {name} {comparator} {values}, you have {have}", name=name, comparator=comp, values=values,
             have=have)
