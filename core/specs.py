"""What a requester describes: a HIT spec (the /newhit answers, or a YAML/JSON file).

Validation is strict: unknown keys are errors, every value has a bound, and every
message names the field so the requester can fix it."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ValidationFailed
from core.models import COMPARATORS, GUARDS, QUESTION_KINDS

_DURATION = re.compile(r"^\s*(\d{1,7})\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

MAX_TITLE = 128
MAX_DESCRIPTION = 2000
MAX_PROMPT = 500
MAX_OPTIONS = 10
MAX_OPTION_LEN = 60
MAX_QUESTIONS = 20
MAX_TEXT_ANSWER = 2000
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
        raise ValidationFailed(f"{field}: use a duration such as 90s, 10m, 2h or 3d.")
    if isinstance(value, int):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValidationFailed(f"{field}: use a duration such as 90s, 10m, 2h or 3d.")
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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class QuestionSpec(_Strict):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")
    kind: Literal["choice", "multi", "text", "number", "rating", "photo", "document", "voice", "location"]
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    options: list[str] | None = None
    required: bool = True
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(None, ge=1, le=MAX_TEXT_ANSWER)
    gold: object | None = None

    @model_validator(mode="after")
    def _by_kind(self) -> "QuestionSpec":
        if self.kind in ("choice", "multi"):
            opts = self.options or []
            if not 2 <= len(opts) <= MAX_OPTIONS:
                raise ValueError(f"a {self.kind} question needs 2 to {MAX_OPTIONS} options")
            if any(not o.strip() or len(o) > MAX_OPTION_LEN for o in opts):
                raise ValueError(f"each option needs 1 to {MAX_OPTION_LEN} characters")
            if len({o.strip().lower() for o in opts}) != len(opts):
                raise ValueError("options must be different from each other")
            self.options = [o.strip() for o in opts]
        elif self.options:
            raise ValueError(f"a {self.kind} question takes no options")
        if self.kind == "number":
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError("min must not be above max")
            for bound in (self.min, self.max):
                if bound is not None and abs(bound) > 1e12:
                    raise ValueError("number bounds must be within ±1e12")
        elif self.kind == "text":
            if self.min is not None and not 0 <= self.min <= MAX_TEXT_ANSWER:
                raise ValueError(f"min length must be 0 to {MAX_TEXT_ANSWER}")
        elif self.min is not None or self.max is not None:
            raise ValueError(f"a {self.kind} question takes no min/max")
        if self.max_length is not None and self.kind != "text":
            raise ValueError("max_length is for text questions")
        return self

    @property
    def text_bounds(self) -> tuple[int, int]:
        return int(self.min or 0), self.max_length or MAX_TEXT_ANSWER


class RequirementSpec(_Strict):
    name: str = Field(min_length=1, max_length=64)
    comparator: str
    value: int | str | list[int | str] | None = None
    guard: str = "accept"

    @field_validator("comparator")
    @classmethod
    def _known_comparator(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in COMPARATORS:
            raise ValueError(f"comparator must be one of {', '.join(COMPARATORS)}")
        return value

    @field_validator("guard")
    @classmethod
    def _known_guard(cls, value: str) -> str:
        if value not in GUARDS:
            raise ValueError(f"guard must be one of {', '.join(GUARDS)}")
        return value

    @model_validator(mode="after")
    def _value_fits(self) -> "RequirementSpec":
        if self.comparator in ("exists", "not exists"):
            if self.value is not None:
                raise ValueError(f"'{self.comparator}' takes no value")
        elif self.value is None:
            raise ValueError(f"'{self.comparator}' needs a value")
        elif self.comparator in ("in", "not in"):
            if not isinstance(self.value, list) or not 1 <= len(self.value) <= 30:
                raise ValueError(f"'{self.comparator}' needs a list of 1 to 30 values")
        elif isinstance(self.value, list):
            raise ValueError(f"'{self.comparator}' needs a single value")
        return self

    @property
    def values(self) -> list[int | str]:
        if self.value is None:
            return []
        return list(self.value) if isinstance(self.value, list) else [self.value]


class HitSpec(_Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    keywords: list[str] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    reward: str
    assignments: int = Field(1, ge=1)
    duration: str | int = "10m"
    lifetime: str | int = "3d"
    auto_approve: str | int | None = None
    questions: list[QuestionSpec] = Field(min_length=1, max_length=MAX_QUESTIONS)
    qualifications: list[RequirementSpec] = Field(default_factory=list, max_length=MAX_REQUIREMENTS)
    attachment: str | None = Field(None, max_length=2000)

    @field_validator("reward", mode="before")
    @classmethod
    def _reward_text(cls, value: object) -> object:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("keywords")
    @classmethod
    def _clean_keywords(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip().lower() for k in value if k.strip()]
        if any(len(k) > 32 for k in cleaned):
            raise ValueError("each keyword can have at most 32 characters")
        return cleaned

    @model_validator(mode="after")
    def _unique_ids(self) -> "HitSpec":
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return self

    @property
    def duration_s(self) -> int:
        return _bounded(parse_duration(self.duration, field="duration"), MIN_DURATION_S, MAX_DURATION_S, "duration")

    @property
    def lifetime_s(self) -> int:
        return _bounded(parse_duration(self.lifetime, field="lifetime"), MIN_LIFETIME_S, MAX_LIFETIME_S, "lifetime")

    def auto_approve_s(self, default_s: int) -> int:
        if self.auto_approve is None:
            return default_s
        return _bounded(parse_duration(self.auto_approve, field="auto_approve"), 0, MAX_AUTO_APPROVE_S, "auto_approve")


def _bounded(value: int, low: int, high: int, field: str) -> int:
    if not low <= value <= high:
        raise ValidationFailed(f"{field} must be between {format_duration(low)} and {format_duration(high)}.")
    return value


def parse_spec(data: object) -> HitSpec:
    """Validate a dict into a HitSpec; one ValidationFailed lists every problem by field."""
    if not isinstance(data, dict):
        raise ValidationFailed("A HIT spec must be a mapping of keys such as title, reward, questions.")
    try:
        spec = HitSpec.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(describe_errors(exc)) from None
    spec.duration_s, spec.lifetime_s  # noqa: B018 - raise bound errors now, not at publish
    return spec


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "spec"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{where}: {msg}")
    return "; ".join(lines[:10]) + (f" (and {len(lines) - 10} more)" if len(lines) > 10 else "")


assert set(QUESTION_KINDS) == set(QuestionSpec.model_fields["kind"].annotation.__args__)  # type: ignore[union-attr]
