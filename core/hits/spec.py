"""What a requester describes: a HIT spec (the /newhit answers, or a YAML/JSON file).

Validation is strict: unknown keys are errors, every value has a bound, and every
message names the field so the requester can fix it."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from core.config import get_settings
from core.errors import SpecInvalid, ValidationFailed
from core.hits.spec_rules import (
    MAX_TEXT_ANSWER,
    WHOLE_NUMBER,
    AnswerShape,
    Path,
    checked_text,
    gold_value,
    not_bool,
    pydantic_problems,
    whole_number,
)
from core.models import COMPARATORS, GUARDS, QUESTION_KINDS, WEB_KIND, SystemQual
from core.money import parse_amount
from core.quals.countries import is_country
from core.users.languages import language_code
from core.texts import N_, Amount, Text

_DURATION = re.compile(r"^\s*([0-9]{1,7})\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

MAX_TITLE = 128
MAX_DESCRIPTION = 2000
MAX_PROMPT = 500
MAX_OPTIONS = 10
MAX_OPTION_LEN = 60
MAX_QUESTIONS = 20
MAX_KEYWORDS = 10
MIN_DURATION_S = 30
MAX_DURATION_S = 24 * 3600
MIN_LIFETIME_S = 60
MAX_LIFETIME_S = 30 * 86400
MAX_AUTO_APPROVE_S = 30 * 86400
MAX_REQUIREMENTS = 10


def parse_duration(value: str | int, *, field: str = "duration") -> int:
    """'90s', '10m', '2h', '3d' or plain seconds -> seconds."""
    if isinstance(value, bool):
        raise ValidationFailed(N_("{field}: use a duration such as 90s, 10m, 2h or 3d."), field=field)
    if isinstance(value, int):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValidationFailed(N_("{field}: use a duration such as 90s, 10m, 2h or 3d."), field=field)
    return int(match.group(1)) * _UNIT_S[match.group(2).lower()]


def format_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    if seconds >= 60:
        return f"{seconds // 60}m {seconds % 60}s"
    return f"{seconds}s"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class QuestionSpec(_Strict):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")
    kind: Literal["choice", "multi", "text", "number", "rating", "photo", "document", "voice", "location", "web"]
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    options: list[str] | None = None
    required: bool = True
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(None, ge=1, le=MAX_TEXT_ANSWER)
    gold: object | None = None

    @field_validator("min", "max", mode="before")
    @classmethod
    def _bounds_are_numbers(cls, value: object) -> object:
        return not_bool(value)

    @field_validator("max_length", mode="before")
    @classmethod
    def _max_length_whole(cls, value: object) -> object:
        return None if value is None else whole_number(value)

    @field_validator("kind")
    @classmethod
    def _web_from_the_api(cls, value: str, info: ValidationInfo) -> str:
        # A web task's page is the HTMLQuestion or ExternalQuestion the API kept; a chat spec has none.
        if value == WEB_KIND and not (info.context or {}).get("web_tasks"):
            raise ValueError(Text(N_("web tasks come from the MTurk API (HTMLQuestion or ExternalQuestion)")))
        return value

    @field_validator("prompt")
    @classmethod
    def _prompt_shows(cls, value: str) -> str:
        return checked_text(value, line=False)

    @field_validator("options")
    @classmethod
    def _options_show(cls, value: list[str] | None) -> list[str] | None:
        for option in value or ():
            checked_text(option, line=True)
        return value

    @model_validator(mode="after")
    def _by_kind(self) -> "QuestionSpec":
        if self.kind in ("choice", "multi"):
            opts = self.options or []
            if not 2 <= len(opts) <= MAX_OPTIONS:
                raise ValueError(Text(N_("a {kind} question needs 2 to {max} options"), kind=self.kind,
                                      max=MAX_OPTIONS))
            if any(not o.strip() or len(o) > MAX_OPTION_LEN for o in opts):
                raise ValueError(Text(N_("each option needs 1 to {max} characters"), max=MAX_OPTION_LEN))
            if len({o.strip().lower() for o in opts}) != len(opts):
                raise ValueError(Text(N_("options must be different from each other")))
            self.options = [o.strip() for o in opts]
        elif self.options:
            raise ValueError(Text(N_("a {kind} question takes no options"), kind=self.kind))
        if self.kind == "number":
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(Text(N_("min must not be above max")))
            for bound in (self.min, self.max):
                if bound is not None and abs(bound) > 1e12:
                    raise ValueError(Text(N_("number bounds must be within ±1e12")))
        elif self.kind == "text":
            if self.min is not None and not 0 <= self.min <= MAX_TEXT_ANSWER:
                raise ValueError(Text(N_("min length must be 0 to {max_text_answer}"), max_text_answer=MAX_TEXT_ANSWER))
        elif self.min is not None or self.max is not None:
            raise ValueError(Text(N_("a {kind} question takes no min/max"), kind=self.kind))
        if self.max_length is not None and self.kind != "text":
            raise ValueError(Text(N_("max_length is for text questions")))
        return self

    @field_validator("gold")
    @classmethod
    def _gold_is_an_answer(cls, value: object, info: ValidationInfo) -> object:
        shape = info.data
        if value is None or "kind" not in shape:
            return value  # the kind's own error is reported instead
        try:
            return gold_value(AnswerShape(shape["kind"], shape.get("options"), shape.get("min"), shape.get("max"),
                                     shape.get("max_length")), value)
        except ValidationFailed as exc:
            raise ValueError(exc.text) from None

    @property
    def text_bounds(self) -> tuple[int, int]:
        return int(self.min or 0), self.max_length or MAX_TEXT_ANSWER


# Requirements nobody can meet are refused: a value outside what any worker can have, an
# ordering a value can't satisfy, a country code that is no country.
_NUMERIC_QUALS = {  # system key: (what it is, with its article, lowest, highest or None)
    SystemQual.APPROVAL_RATE: (Text(N_("approval rate")), Text(N_("an approval rate")), 0, 100),
    SystemQual.APPROVED_COUNT: (Text(N_("approved HITs")), Text(N_("approved HITs")), 0, None),
    SystemQual.ACCOUNT_AGE_DAYS: (Text(N_("account age")), Text(N_("an account age")), 0, None),
    # Stars from requesters, averaged: 1 to 5 (a worker nobody rated yet has none: "not exists" is meetable).
    SystemQual.WORKER_RATING: (Text(N_("worker rating")), Text(N_("a worker rating")), 1, 5),
}
_ORDERING = ("<", "<=", ">", ">=")


class RequirementSpec(_Strict):
    name: str = Field(min_length=1, max_length=64)
    comparator: str
    value: int | str | list[int | str] | None = None
    guard: str = "accept"

    @model_validator(mode="before")
    @classmethod
    def _speaks_comparator(cls, data: object) -> object:
        # {name: speaks, value: es} reads as "speaks es": = for one language, in for a list.
        if (isinstance(data, dict) and "comparator" not in data and "value" in data
                and str(data.get("name", "")).strip().lower() == SystemQual.SPEAKS):
            return {**data, "comparator": "in" if isinstance(data["value"], list) else "="}
        return data

    @field_validator("value", mode="before")
    @classmethod
    def _no_booleans(cls, value: object) -> object:
        if isinstance(value, bool) or (isinstance(value, list) and any(isinstance(v, bool) for v in value)):
            raise ValueError(Text(N_("must be a whole number or a code such as DE, not true or false")))
        return value

    @field_validator("comparator")
    @classmethod
    def _known_comparator(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in COMPARATORS:
            raise ValueError(Text(N_("comparator must be one of {choices}"), choices=", ".join(COMPARATORS)))
        return value

    @field_validator("guard")
    @classmethod
    def _known_guard(cls, value: str) -> str:
        if value not in GUARDS:
            raise ValueError(Text(N_("guard must be one of {choices}"), choices=", ".join(GUARDS)))
        return value

    @model_validator(mode="after")
    def _value_fits(self) -> "RequirementSpec":
        if self.comparator in ("exists", "not exists"):
            if self.value is not None:
                raise ValueError(Text(N_("'{comparator}' takes no value"), comparator=self.comparator))
        elif self.value is None:
            raise ValueError(Text(N_("'{comparator}' needs a value"), comparator=self.comparator))
        elif self.comparator in ("in", "not in"):
            if not isinstance(self.value, list) or not 1 <= len(self.value) <= 30:
                raise ValueError(Text(N_("'{comparator}' needs a list of 1 to 30 values"), comparator=self.comparator))
        elif isinstance(self.value, list):
            raise ValueError(Text(N_("'{comparator}' needs a single value"), comparator=self.comparator))
        values = self._meetable(self.system_key, self.values)
        if self.value is not None:
            self.value = values if isinstance(self.value, list) else values[0]
        return self

    @property
    def system_key(self) -> str:
        return self.name.strip().lower().replace(" ", "_")

    def _meetable(self, key: str, values: list[int | str]) -> list[int | str]:
        comp = self.comparator
        if key == SystemQual.SPEAKS:
            return _languages(comp, values)
        if key == SystemQual.COUNTRY:
            if comp in _ORDERING:
                raise ValueError(Text(N_("country can only be compared with =, !=, in, not in, exists or not exists")))
            codes = []
            for v in values:
                code = str(v).strip().upper()
                if not is_country(code):
                    raise ValueError(Text(N_("“{code}” is not a country code: use ISO 3166-1 two-letter codes "
                                             "such as DE, IN or US"), code=v))
                codes.append(code)
            return codes
        label, having, low, high = _NUMERIC_QUALS.get(key, (Text(N_("the qualification's value")),
                                                            Text(N_("a qualification value")), 0, None))
        if key in _NUMERIC_QUALS and key != SystemQual.WORKER_RATING and comp == "not exists":
            raise ValueError(Text(N_("every worker has {having}, so nobody could meet “not exists”"), having=having))
        numbers = []
        for v in values:
            if isinstance(v, str) and WHOLE_NUMBER.fullmatch(v.strip()):
                v = int(v)
            if not isinstance(v, int) or not low <= v <= (high if high is not None else v):
                if key == SystemQual.APPROVAL_RATE:
                    raise ValueError(Text(N_("approval rate is a percentage from 0 to 100")))
                if key == SystemQual.WORKER_RATING:
                    raise ValueError(Text(N_("worker rating is a number of stars from 1 to 5, such as 4")))
                if isinstance(v, int):
                    raise ValueError(Text(N_("{label} can't be negative"), label=label))
                raise ValueError(Text(N_("{label} is a whole number, so '{comparator}' needs a whole number "
                                         "such as 10"),
                                      label=label, comparator=comp))
            numbers.append(v)
        if comp == "<" and numbers[0] <= low:
            raise ValueError(Text(N_("no worker can have {having} below {low}"), having=having, low=low))
        if comp == ">" and high is not None and numbers[0] >= high:
            raise ValueError(Text(N_("no worker can have {having} above {high}"), having=having, high=high))
        return numbers

    @property
    def values(self) -> list[int | str]:
        if self.value is None:
            return []
        return list(self.value) if isinstance(self.value, list) else [self.value]


def _languages(comp: str, values: list[int | str]) -> list[int | str]:
    """`speaks`: language codes compared like countries (=, !=, in, not in)."""
    if comp in _ORDERING or comp in ("exists", "not exists"):
        raise ValueError(Text(N_("speaks can only be compared with =, !=, in or not in")))
    codes: list[int | str] = []
    for v in values:
        code = language_code(v)
        if code is None:
            raise ValueError(Text(N_("“{code}” is not a language code: use ISO 639-1 codes such as es, pt-BR or hi"),
                                  code=str(v)[:16]))
        codes.append(code)
    return codes


MIN_ESTIMATE_S = 5


class HitSpec(_Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    keywords: list[str] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    reward: str
    assignments: int = Field(1, ge=1)
    duration: str | int = "10m"
    lifetime: str | int = "3d"
    auto_approve: str | int | None = None
    estimated_time: str | int | None = None  # the requester's estimate of the work, shown until real times exist
    questions: list[QuestionSpec] = Field(min_length=1, max_length=MAX_QUESTIONS)
    qualifications: list[RequirementSpec] = Field(default_factory=list, max_length=MAX_REQUIREMENTS)
    attachment: str | None = Field(None, max_length=2000)
    language: str | None = None  # what the texts are written in (ISO 639-1, e.g. es or pt-BR); not translated

    @field_validator("language", mode="before")
    @classmethod
    def _language_code(cls, value: object) -> object:
        if value is None:
            return None
        code = language_code(value)
        if code is None:
            raise ValueError(Text(N_("“{code}” is not a language code: use ISO 639-1 codes such as es, pt-BR or hi"),
                                  code=str(value)[:16]))
        return code

    @field_validator("reward", mode="before")
    @classmethod
    def _reward_text(cls, value: object) -> object:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("assignments", mode="before")
    @classmethod
    def _assignments_whole(cls, value: object) -> object:
        return whole_number(value)

    @field_validator("duration", "lifetime", "auto_approve", "estimated_time", mode="before")
    @classmethod
    def _durations_not_bool(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(Text(N_("use a duration such as 90s, 10m, 2h or 3d")))
        return value

    @field_validator("title")
    @classmethod
    def _title_shows(cls, value: str) -> str:
        return checked_text(value, line=True)

    @field_validator("description")
    @classmethod
    def _description_shows(cls, value: str) -> str:
        return checked_text(value, line=False)

    @field_validator("keywords")
    @classmethod
    def _clean_keywords(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip().lower() for k in value if k.strip()]
        if any(len(k) > 32 for k in cleaned):
            raise ValueError(Text(N_("each keyword can have at most 32 characters")))
        for k in cleaned:
            checked_text(k, line=True)
        return cleaned

    @model_validator(mode="after")
    def _unique_ids(self) -> "HitSpec":
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError(Text(N_("question ids must be unique")))
        return self

    @model_validator(mode="after")
    def _estimate_within_duration(self) -> "HitSpec":
        """The requester's estimate of the work time (shown to workers until real times exist): 5s up to the duration."""
        if self.estimated_time is not None:
            try:
                estimate, duration = parse_duration(self.estimated_time, field="estimated_time"), self.duration_s
            except ValidationFailed as exc:
                raise ValueError(exc.text) from None
            if not MIN_ESTIMATE_S <= estimate <= duration:
                raise ValueError(Text(N_("estimated_time must be from {low}s up to the duration ({duration})"),
                                      low=MIN_ESTIMATE_S, duration=format_duration(duration)))
        return self

    @property
    def duration_s(self) -> int:
        return _bounded(parse_duration(self.duration, field="duration"), MIN_DURATION_S, MAX_DURATION_S, "duration")

    @property
    def lifetime_s(self) -> int:
        return _bounded(parse_duration(self.lifetime, field="lifetime"), MIN_LIFETIME_S, MAX_LIFETIME_S, "lifetime")

    @property
    def estimated_s(self) -> int | None:
        """The requester's estimate of the work time (validated: 5s up to the duration), or None."""
        if self.estimated_time is None:
            return None
        return parse_duration(self.estimated_time, field="estimated_time")

    def auto_approve_s(self, default_s: int) -> int:
        if self.auto_approve is None:
            return default_s
        return _bounded(parse_duration(self.auto_approve, field="auto_approve"), 0, MAX_AUTO_APPROVE_S, "auto_approve")


def _bounded(value: int, low: int, high: int, field: str) -> int:
    if not low <= value <= high:
        raise ValidationFailed(N_("{field} must be between {low} and {high}."),
                               field=field, low=format_duration(low), high=format_duration(high))
    return value


def reward_cents(reward: object) -> int:
    """A spec's reward in cents, within the marketplace's bounds (ValidationFailed if not)."""
    settings = get_settings()
    cents = parse_amount(reward, settings.currency, field="reward")  # type: ignore[arg-type]
    if not settings.min_reward_cents <= cents <= settings.max_reward_cents:
        raise ValidationFailed(
            N_("reward must be between {low} and {high}."), low=Amount(settings.min_reward_cents, settings.currency),
            high=Amount(settings.max_reward_cents, settings.currency)
        )
    return cents


def check_assignments(assignments: int) -> int:
    high = get_settings().max_assignments
    if not 1 <= assignments <= high:
        raise ValidationFailed(N_("assignments must be between 1 and {high}."), high=high)
    return assignments


# Each top-level value checked on its own after the shape, so its error names its own key.
_VALUE_CHECKS = {
    "reward": reward_cents,
    "assignments": check_assignments,
    "duration": lambda v: _bounded(parse_duration(v, field="duration"), MIN_DURATION_S, MAX_DURATION_S, "duration"),
    "lifetime": lambda v: _bounded(parse_duration(v, field="lifetime"), MIN_LIFETIME_S, MAX_LIFETIME_S, "lifetime"),
    "auto_approve": lambda v: _bounded(parse_duration(v, field="auto_approve"), 0, MAX_AUTO_APPROVE_S,
                                       "auto_approve"),
}

def spec_problems(data: dict, *, web_tasks: bool = False) -> tuple[HitSpec | None, list[tuple[Path, str]]]:
    """Validate a spec dict; every problem at once, each at its own key, in product wording.
    `web_tasks`: a web question may be among them (the API's HTMLQuestion and ExternalQuestion)."""
    spec, problems = None, []
    try:
        spec = HitSpec.model_validate(data, context={"web_tasks": web_tasks})
    except ValidationError as exc:
        problems = pydantic_problems(exc, data)
    flagged = {path[0] for path, _ in problems if path}
    values = spec.model_dump() if spec is not None else data
    for key, check in _VALUE_CHECKS.items():
        value = values.get(key)
        if key in flagged or isinstance(value, bool) or not isinstance(value, (str, int, float)):
            continue  # absent, or its shape is already reported
        try:
            check(whole_number(value) if key == "assignments" else value)
        except ValidationFailed as exc:
            problems.append(((key,), exc.text))
        except ValueError:
            pass  # pydantic reported it
    return (spec if not problems else None), problems


def parse_spec(data: object, *, web_tasks: bool = False) -> HitSpec:
    """Validate a dict into a HitSpec; one SpecInvalid lists every problem by field."""
    if not isinstance(data, dict):
        raise ValidationFailed(N_("A HIT spec must be a mapping of keys such as title, reward, questions."))
    spec, problems = spec_problems(data, web_tasks=web_tasks)
    if problems:
        raise SpecInvalid(problems)
    assert spec is not None
    return spec


assert set(QUESTION_KINDS) | {WEB_KIND} == set(QuestionSpec.model_fields["kind"].annotation.__args__)  # type: ignore[union-attr]
