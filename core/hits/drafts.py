"""The /newhit conversation as data: a draft HIT spec built one answer at a time.

The draft lives in the database (HitDraft), so a restart or another bot replica picks
up exactly where the requester was. Every step validates what was typed (or which
preset button was pressed) and either advances or raises ValidationFailed with a
message that says how to fix it; a bad answer changes nothing. A step change is a
conditional UPDATE on the step the requester answered, so a double-tapped button or a
stale keyboard is refused instead of answering the wrong question."""
from __future__ import annotations

import json
import re
import zlib
from datetime import datetime

from pydantic import ValidationError

from core.config import get_settings
from core.db import for_update, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.hits import publishing
from core.hits.spec import (
    MAX_AUTO_APPROVE_S,
    MAX_DESCRIPTION,
    MAX_DURATION_S,
    MAX_LIFETIME_S,
    MAX_PROMPT,
    MAX_QUESTIONS,
    MAX_REQUIREMENTS,
    MAX_TEXT_ANSWER,
    MAX_TITLE,
    MIN_DURATION_S,
    MIN_LIFETIME_S,
    HitSpec,
    QuestionSpec,
    RequirementSpec,
    format_duration,
    parse_duration,
    parse_spec,
)
from core.hits.spec_rules import check_text, first_problem
from core.models import COMPARATORS, QUESTION_KINDS, DraftStatus, Hit, HitDraft
from core.money import parse_amount
from core.texts import N_, Amount, Text
from core.users.commands import get_user

# The order the questions are asked in; a step's index is its code in button data.
STEPS = ("title", "description", "reward", "assignments", "duration", "lifetime", "auto_approve",
         "q_kind", "q_prompt", "q_options", "q_bounds", "q_required", "q_more", "quals", "attachment", "preview")
FIELDS = ("title", "description", "reward", "assignments", "duration", "lifetime", "auto_approve")
# Values offered as buttons (the bot labels them); pressing one is the same as typing it.
PRESETS: dict[str, tuple[str, ...]] = {
    "description": ("",),
    "reward": ("0.05", "0.10", "0.25", "0.50", "1.00"),
    "assignments": ("1", "3", "5", "10"),
    "duration": ("2m", "5m", "10m", "30m", "1h"),
    "lifetime": ("1d", "3d", "7d"),
    "auto_approve": ("1d", "3d", "7d"),
    "q_kind": QUESTION_KINDS,
    "q_bounds": ("",),
    "q_required": ("yes", "no"),
    "q_more": ("add", "done"),
    "quals": ("approval_rate >= 95", "approved_count >= 10", "done"),
    "attachment": ("",),
}
EDITABLE = (*FIELDS, "q_add", "q_drop", "quals", "attachment")
MAX_URL = 2000
_NUMBER = r"-?[0-9]+(?:[.,][0-9]+)?"  # ASCII digits: "١٠" is not read as 10
_WORD_COMPARATORS = ("not exists", "exists", "not in", "in")


def step_code(step: str) -> int:
    return STEPS.index(step)


def owned_draft(user_id: int, draft_id: int, *, editing: bool = True) -> HitDraft:
    draft = HitDraft.get_or_none(HitDraft.id == draft_id)
    if draft is None or draft.user_id != user_id:
        raise NotAllowed()
    if editing and draft.status == DraftStatus.PUBLISHED:
        raise StaleAction(N_("This HIT was already published. See it in /myhits."))
    if editing and draft.status != DraftStatus.EDITING:
        raise StaleAction(N_("This draft was cancelled. Start a new one with /newhit."))
    return draft


def current(*, user_id: int) -> HitDraft | None:
    """The requester's unfinished draft, if any (at most one is kept open)."""
    return (HitDraft.select().where((HitDraft.user == user_id) & (HitDraft.status == DraftStatus.EDITING))
            .order_by(HitDraft.id.desc()).first())


def get(*, user_id: int, draft_id: int) -> HitDraft:
    return owned_draft(user_id, draft_id, editing=False)


def start(*, user_id: int, now: datetime, data: dict | None = None, step: str = "title") -> HitDraft:
    """A fresh draft; an unfinished one is cancelled first (the bot asks before calling this)."""
    with tx():
        get_user(user_id)
        HitDraft.update(status=DraftStatus.CANCELLED, updated_at=now).where(
            (HitDraft.user == user_id) & (HitDraft.status == DraftStatus.EDITING)).execute()
        return HitDraft.create(user=user_id, step=step, data=data or {}, work={}, created_at=now, updated_at=now)


def from_spec(*, user_id: int, spec: HitSpec, now: datetime) -> HitDraft:
    """A complete spec (from a file) becomes a draft at its preview, ready to publish or edit."""
    _check_requirements(user_id, spec.qualifications)
    data = spec.model_dump(exclude_none=True)
    return start(user_id=user_id, now=now, data=data, step="preview")


def cancel(*, user_id: int, draft_id: int, now: datetime) -> HitDraft:
    with tx():
        draft = owned_draft(user_id, draft_id)
        HitDraft.update(status=DraftStatus.CANCELLED, updated_at=now).where(
            (HitDraft.id == draft.id) & (HitDraft.status == DraftStatus.EDITING)).execute()
        return HitDraft.get_by_id(draft.id)


def preset(*, user_id: int, draft_id: int, code: int, index: int, now: datetime) -> HitDraft:
    """A preset button: the same as typing its value at that step."""
    if not 0 <= code < len(STEPS) or not 0 <= index < len(PRESETS.get(STEPS[code], ())):
        raise NotAllowed()
    step = STEPS[code]
    return give(user_id=user_id, draft_id=draft_id, step=step, text=PRESETS[step][index], now=now)


def give(*, user_id: int, draft_id: int, step: str, text: str, now: datetime) -> HitDraft:
    """Answer `step` with `text`. Raises ValidationFailed (nothing changes) for a bad value,
    StaleAction when the draft has moved past that step (a stale or double-pressed button)."""
    draft = owned_draft(user_id, draft_id)
    if draft.step != step:
        raise StaleAction(N_("That question was already answered; see the latest message."))
    data, work = dict(draft.data), dict(draft.work)
    nxt = _apply(user_id, step, (text or "").strip(), data, work)
    if work.get("return") and (step in FIELDS or (step, nxt) in (("q_more", "quals"), ("quals", "attachment"))):
        nxt = "preview"  # editing from the preview: back there once this part is done
    if nxt == "preview":
        work = {}
        spec_of_data(data)  # never show a preview of something that can't be published
    with tx():
        changed = HitDraft.update(step=nxt, data=data, work=work, updated_at=now).where(
            (HitDraft.id == draft.id) & (HitDraft.step == step) & (HitDraft.status == DraftStatus.EDITING)).execute()
        if changed != 1:
            raise StaleAction(N_("That question was already answered; see the latest message."))
    return HitDraft.get_by_id(draft.id)


def _apply(user_id: int, step: str, text: str, data: dict, work: dict) -> str:
    """Validate one answer into `data`/`work`; return the next step."""
    settings = get_settings()
    if step == "title":
        what = Text(N_("The title"))
        data["title"] = check_text(_text(text, 1, MAX_TITLE, what), what, line=True)
        return "description"
    if step == "description":
        what = Text(N_("The description"))
        data["description"] = check_text(_text(text, 0, MAX_DESCRIPTION, what), what, line=False)
        return "reward"
    if step == "reward":
        cents = parse_amount(text, settings.currency, field="reward")
        if not settings.min_reward_cents <= cents <= settings.max_reward_cents:
            raise ValidationFailed(N_("The reward must be between {min_reward} and {max_reward}."),
                                   min_reward=Amount(settings.min_reward_cents, settings.currency),
                                   max_reward=Amount(settings.max_reward_cents, settings.currency))
        data["reward"] = text.lstrip("$€£").replace(",", ".").strip()
        return "assignments"
    if step == "assignments":
        data["assignments"] = _count(text, 1, settings.max_assignments, Text(N_("The number of assignments")))
        return "duration"
    if step == "duration":
        data["duration"] = _duration(text, MIN_DURATION_S, MAX_DURATION_S, Text(N_("The time allotted")))
        return "lifetime"
    if step == "lifetime":
        data["lifetime"] = _duration(text, MIN_LIFETIME_S, MAX_LIFETIME_S, Text(N_("The lifetime")))
        return "auto_approve"
    if step == "auto_approve":
        data["auto_approve"] = _duration(text, 0, MAX_AUTO_APPROVE_S, Text(N_("The auto-approve delay")))
        return "q_kind" if not data.get("questions") else "quals"
    if step.startswith("q_"):
        return _question_step(step, text, data, work)
    if step == "quals":
        if text.lower() in ("done", "skip", "none"):
            return "attachment"
        reqs = list(data.get("qualifications") or [])
        if len(reqs) >= MAX_REQUIREMENTS:
            raise ValidationFailed(N_("A HIT can have at most {max_requirements} requirements. Press Done."),
                                   max_requirements=MAX_REQUIREMENTS)
        req = parse_requirement(text)
        _check_requirements(user_id, [req])
        reqs.append(req.model_dump(exclude_none=True, exclude_defaults=True))
        data["qualifications"] = reqs
        return "quals"
    if step == "attachment":
        data.pop("attachment", None)
        if text:
            data["attachment"] = _attachment(text)
        return "preview"
    raise StaleAction(N_("Use the buttons on the preview: Publish, Edit or Cancel."))


def _question_step(step: str, text: str, data: dict, work: dict) -> str:
    q = dict(work.get("question") or {})
    if step == "q_kind":
        if text.lower() not in QUESTION_KINDS:
            raise ValidationFailed(N_("Pick the kind of answer with the buttons."))
        questions = data.get("questions") or []
        if len(questions) >= MAX_QUESTIONS:
            raise ValidationFailed(N_("A HIT can have at most {max_questions} questions."), max_questions=MAX_QUESTIONS)
        taken = {x["id"] for x in questions}
        n = len(questions) + 1
        while f"q{n}" in taken:
            n += 1
        work["question"] = {"id": f"q{n}", "kind": text.lower()}
        return "q_prompt"
    if step == "q_prompt":
        what = Text(N_("The question"))
        q["prompt"] = check_text(_text(text, 1, MAX_PROMPT, what), what, line=False)
        work["question"] = q
        return "q_options" if q["kind"] in ("choice", "multi") else "q_bounds" if q["kind"] in ("number", "text") \
            else "q_required"
    if step == "q_options":
        parts = text.split("\n") if "\n" in text else text.split(",")
        q["options"] = [p.strip() for p in parts if p.strip()]
        _validate_question({**q, "prompt": q.get("prompt", "?")})
        work["question"] = q
        return "q_required"
    if step == "q_bounds":
        q.pop("min", None), q.pop("max", None), q.pop("max_length", None)
        if text and q["kind"] == "number":
            found = re.fullmatch(rf"\s*({_NUMBER})\s*(?:\.\.|to|-|\s)\s*({_NUMBER})\s*", text)
            if not found:
                raise ValidationFailed(N_("Send the lowest and highest allowed number, e.g. “0 100”, or press Skip."))
            q["min"], q["max"] = (_num(found.group(1)), _num(found.group(2)))
        elif text:
            q["max_length"] = _count(text, 1, MAX_TEXT_ANSWER, Text(N_("The longest answer")))
        _validate_question({**q, "prompt": q.get("prompt", "?")})
        work["question"] = q
        return "q_required"
    if step == "q_required":
        if text.lower() not in ("yes", "no", "required", "optional"):
            raise ValidationFailed(N_("Press Required or Optional."))
        q["required"] = text.lower() in ("yes", "required")
        data["questions"] = [*(data.get("questions") or []), _validate_question(q)]
        work.pop("question", None)
        return "q_more"
    if step == "q_more":
        if text.lower() == "add":
            return "q_kind"
        if text.lower() == "done":
            return "quals"
        raise ValidationFailed(N_("Press “Add another question” or “Done”."))
    raise StaleAction()


def _validate_question(q: dict) -> dict:
    try:
        return QuestionSpec.model_validate(q).model_dump(exclude_none=True)
    except ValidationError as exc:
        raise ValidationFailed("{problem}.", problem=first_problem(exc, q)) from None


def parse_requirement(text: str) -> RequirementSpec:
    """'approval_rate >= 95', 'country in DE, AT', 'Bird expert exists' -> a requirement."""
    text = " ".join(text.split())
    usage = Text(N_("Write a requirement like “approval_rate >= 95”, “country in DE, AT” or “Bird expert exists”, "
                    "or press Done."))
    name = comparator = value = None
    symbol = re.search(r"(<=|>=|!=|<|>|=)", text)
    if symbol:
        name, comparator, value = text[: symbol.start()], symbol.group(1), text[symbol.end():]
    else:
        for word in _WORD_COMPARATORS:
            found = re.search(rf"\s{word}(\s|$)", text, re.IGNORECASE)
            if found:
                name, comparator, value = text[: found.start()], word, text[found.end():]
                break
    if not name or not name.strip() or comparator not in COMPARATORS:
        raise ValidationFailed(usage)
    values: list[int | str] = [_int_or_text(v) for v in value.split(",") if v.strip()] if value else []
    payload: dict = {"name": name.strip(), "comparator": comparator}
    if comparator in ("in", "not in"):
        payload["value"] = values
    elif values:
        payload["value"] = values[0] if len(values) == 1 else values
    try:
        return RequirementSpec.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed("{problem}. {usage}", problem=first_problem(exc, payload), usage=usage) from None


def _check_requirements(user_id: int, reqs: list[RequirementSpec]) -> None:
    publishing._resolve_requirements(user_id, reqs)  # unknown qualification names fail here, with the list


def _int_or_text(v: str) -> int | str:
    v = v.strip()
    return int(v) if re.fullmatch(r"-?[0-9]{1,12}", v) else v


def _text(text: str, low: int, high: int, what: Text) -> str:
    if len(text) < low:
        raise ValidationFailed(N_("{what} can't be empty."), what=what)
    if len(text) > high:
        raise ValidationFailed(N_("{what} can have at most {high} characters (this has {text_count}). Please shorten "
                                  "it."), what=what, high=high, text_count=len(text))
    return text


def _count(text: str, low: int, high: int, what: Text) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text.replace(" ", "")):
        raise ValidationFailed(N_("{what} must be a whole number from {low} to {high}."), what=what, low=low, high=high)
    n = int(text.replace(" ", ""))
    if not low <= n <= high:
        raise ValidationFailed(N_("{what} must be from {low} to {high}."), what=what, low=low, high=high)
    return n


def _num(text: str) -> int | float:
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def _duration(text: str, low: int, high: int, what: Text) -> str:
    seconds = parse_duration(text, field=what)
    if not low <= seconds <= high:
        raise ValidationFailed(N_("{what} must be between {low} and {high}."),
                               what=what, low=format_duration(low), high=format_duration(high))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"  # one unit only, so a spec file or parse_duration reads it back


def _attachment(text: str) -> str:
    if len(text) > MAX_URL:
        raise ValidationFailed(N_("A link can have at most {max_url} characters."), max_url=MAX_URL)
    if not re.fullmatch(r"(https?://\S+|(photo|document):[\w-]{1,256})", text):
        raise ValidationFailed(N_("Send a photo or a document, a link starting with https://, or press Skip."))
    return text


def edit(*, user_id: int, draft_id: int, field: str, now: datetime) -> HitDraft:
    """From the preview, go back to one field (then return to the preview)."""
    if field not in EDITABLE:
        raise NotAllowed()
    with tx():
        draft = owned_draft(user_id, draft_id)
        if draft.step != "preview":
            raise StaleAction(N_("Finish the current question first, or press Cancel."))
        data, work, step = dict(draft.data), {"return": True}, field
        if field == "q_add":
            if len(data.get("questions") or []) >= MAX_QUESTIONS:
                raise ValidationFailed(N_("A HIT can have at most {max_questions} questions."),
                                       max_questions=MAX_QUESTIONS)
            step = "q_kind"
        elif field == "q_drop":
            questions = list(data.get("questions") or [])
            if len(questions) <= 1:
                raise ValidationFailed(N_("A HIT needs at least one question; add another before removing this one."))
            data["questions"], step, work = questions[:-1], "preview", {}
        if HitDraft.update(step=step, data=data, work=work, updated_at=now).where(
                (HitDraft.id == draft.id) & (HitDraft.step == "preview")).execute() != 1:
            raise StaleAction()
        return HitDraft.get_by_id(draft.id)


def requirement_tag(req: dict) -> int:
    """A short fingerprint of one requirement, carried by its Remove button next to its
    position, so a stale or double-tapped button never removes a different one."""
    return zlib.crc32(json.dumps(req, sort_keys=True).encode()) % 1_000_000


def drop_requirement(*, user_id: int, draft_id: int, index: int, tag: int, now: datetime) -> HitDraft:
    """Remove one requirement while the draft asks for requirements; the others stay."""
    with tx():
        for_update(HitDraft.select(HitDraft.id).where(HitDraft.id == draft_id)).first()  # one tap at a time
        draft = owned_draft(user_id, draft_id)
        reqs = list(draft.data.get("qualifications") or [])
        if draft.step != "quals":
            raise StaleAction(N_("Requirements can be removed while the draft asks for them: Edit → Requirements."))
        if not 0 <= index < len(reqs) or requirement_tag(reqs[index]) != tag:
            raise StaleAction(N_("That requirement was already removed."))
        data = {**draft.data, "qualifications": reqs[:index] + reqs[index + 1:]}
        HitDraft.update(data=data, updated_at=now).where(HitDraft.id == draft.id).execute()
        return HitDraft.get_by_id(draft.id)


def spec_of_data(data: dict) -> HitSpec:
    spec = parse_spec({k: v for k, v in data.items() if v is not None})
    publishing.cost_of(spec)
    return spec


def spec_of(draft: HitDraft) -> HitSpec:
    return spec_of_data(draft.data)


def publish(*, user_id: int, draft_id: int, now: datetime) -> Hit:
    """Publish the draft. The draft id is the idempotency key: a double tap makes one HIT.
    InsufficientFunds (with what is missing) leaves the draft as it was."""
    with tx():
        draft = owned_draft(user_id, draft_id)
        if draft.step != "preview":
            raise StaleAction(N_("Finish the draft first; Publish is on its preview."))
        spec = spec_of(draft)
        hit = publishing.publish_hit(requester_id=user_id, spec=spec, now=now, key=f"draft:{draft.id}")
        if HitDraft.update(status=DraftStatus.PUBLISHED, hit_id=hit.id, updated_at=now).where(
                (HitDraft.id == draft.id) & (HitDraft.status == DraftStatus.EDITING)).execute() != 1:
            raise StaleAction(N_("This HIT was already published. See it in /myhits."))
        return hit
