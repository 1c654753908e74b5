"""Qualification requirements: what a worker's values are and whether they pass."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.models import HitRequirement, QualificationGrant, QualificationType, SystemQual, User
from core.users.languages import EXCLUDING, base, spoken

GUARD_RANK = {"discover": 0, "preview": 1, "accept": 2}
_LABELS = {
    SystemQual.APPROVAL_RATE: ("approval rate", "%"),
    SystemQual.APPROVED_COUNT: ("approved HITs", ""),
    SystemQual.COUNTRY: ("country", ""),
    SystemQual.ACCOUNT_AGE_DAYS: ("account age", " days"),
    SystemQual.WORKER_RATING: ("worker rating", "★"),
    SystemQual.SPEAKS: ("speaks", ""),
}


@dataclass(frozen=True)
class Check:
    requirement: HitRequirement
    qtype: QualificationType
    have: int | str | None
    passed: bool

    @property
    def text(self) -> str:
        label, unit = _LABELS.get(self.qtype.system, (self.qtype.name, ""))
        values = self.requirement.values or []
        want = ", ".join(f"{v}{unit}" for v in values)
        comp = self.requirement.comparator
        need = f"{label} {comp} {want}".strip() if comp not in ("exists", "not exists") else (
            f"the '{label}' qualification" if comp == "exists" else f"no '{label}' qualification")
        have = "none" if self.have is None else (
            ", ".join(self.have) if isinstance(self.have, tuple) else f"{self.have}{unit}")
        return f"needs {need}, you have {have}"

    def __str__(self) -> str:  # in a refusal's English; the bot words it per locale (bot.views.quals.requirement)
        return self.text


def worker_values(worker: User, now: datetime, qtype_ids: Iterable[int] = ()) -> dict[int | str, int | str | None]:
    """A worker's value per system key and per custom qualification type id."""
    values: dict[int | str, int | str | None] = {
        # New workers count as 100% approved, as on MTurk; pair with approved_count to be strict.
        SystemQual.APPROVAL_RATE: worker.approval_rate_pct if worker.approval_rate_pct is not None else 100,
        SystemQual.APPROVED_COUNT: worker.approved_n,
        SystemQual.COUNTRY: worker.country,
        SystemQual.ACCOUNT_AGE_DAYS: max(0, (now - worker.created_at).days),
        SystemQual.WORKER_RATING: worker_rating_value(worker.id),  # None until a requester rated them
        SystemQual.SPEAKS: spoken(worker),  # several at once: compare() asks whether any is wanted
    }
    ids = list(set(qtype_ids))
    if ids:
        for grant in QualificationGrant.select().where(
            (QualificationGrant.worker == worker.id) & (QualificationGrant.qtype.in_(ids))
        ):
            values[grant.qtype_id] = grant.value
    return values


def worker_rating_value(worker_id: int) -> float | None:
    from core.review.ratings import worker_average  # review imports quals: read it late

    avg = worker_average(worker_id=worker_id).avg
    return None if avg is None else round(avg, 1)


def compare(comparator: str, have: int | str | None, want: list) -> bool:
    if comparator == "exists":
        return have is not None
    if comparator == "not exists":
        return have is None
    if have is None:
        return False
    if isinstance(have, tuple):  # the languages a worker speaks: is a wanted one among them?
        inside = any(base(str(w)) == h for w in want for h in have)
        return inside if comparator in ("=", "in") else (not inside if comparator in EXCLUDING else False)
    if comparator in ("in", "not in"):
        inside = any(_same(have, w) for w in want)
        return inside if comparator == "in" else not inside
    target = want[0]
    if isinstance(have, str) or isinstance(target, str):
        if comparator == "=":
            return _same(have, target)
        if comparator == "!=":
            return not _same(have, target)
        return False  # ordering makes no sense for country codes
    return {
        "<": have < target, "<=": have <= target, ">": have > target,
        ">=": have >= target, "=": have == target, "!=": have != target,
    }[comparator]


def _same(a: object, b: object) -> bool:
    return str(a).strip().upper() == str(b).strip().upper()


def requirements_for(hit_ids: Iterable[int]) -> dict[int, list[tuple[HitRequirement, QualificationType]]]:
    by_hit: dict[int, list[tuple[HitRequirement, QualificationType]]] = defaultdict(list)
    ids = list(hit_ids)
    if not ids:
        return by_hit
    query = (HitRequirement.select(HitRequirement, QualificationType)
             .join(QualificationType).where(HitRequirement.hit.in_(ids)).order_by(HitRequirement.id))
    for req in query:
        by_hit[req.hit_id].append((req, req.qtype))
    return by_hit


def evaluate(worker: User, reqs: list[tuple[HitRequirement, QualificationType]], now: datetime,
             stage: str = "accept", values: dict | None = None) -> list[Check]:
    """Checks of the requirements that apply at `stage` (discover < preview < accept)."""
    applicable = [(r, q) for r, q in reqs if GUARD_RANK[r.guard] <= GUARD_RANK[stage]]
    if not applicable:
        return []
    if values is None:
        values = worker_values(worker, now, [q.id for _, q in applicable if q.system is None])
    checks = []
    for req, qtype in applicable:
        have = values.get(qtype.system if qtype.system else qtype.id)
        checks.append(Check(req, qtype, have, compare(req.comparator, have, req.values or [])))
    return checks
