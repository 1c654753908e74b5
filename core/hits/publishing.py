"""Publishing HITs and batches: validation, escrow, and the 'new work' announcement."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import ledger
from core.config import get_settings
from core.db import insert_rows, tx
from core.errors import BatchInvalid, HitbotError, InsufficientFunds, StaleAction, ValidationFailed
from core.hits import groups
from core.hits.spec import HitSpec, RequirementSpec, check_assignments, parse_spec, reward_cents
from core.hits.spec_rules import gold_value
from core.models import (
    Account,
    Batch,
    Entry,
    Hit,
    HitGroup,
    HitRequirement,
    LedgerTxn,
    QualificationType,
    Question,
    User,
)
from core.money import fee_for
from core.outbox import emit
from core.payments.accounts import warn_if_low
from core.texts import N_, Amount, Text
from core.users.commands import get_user

_PLACEHOLDER = re.compile(r"\$\{([^}]{1,64})\}")
GOLD_PREFIX = "_gold_"


@dataclass(frozen=True)
class Cost:
    reward_cents: int
    fee_cents: int  # per assignment
    assignments: int

    @property
    def unit_cents(self) -> int:
        return self.reward_cents + self.fee_cents

    @property
    def rewards_total(self) -> int:
        return self.reward_cents * self.assignments

    @property
    def fees_total(self) -> int:
        return self.fee_cents * self.assignments

    @property
    def total_cents(self) -> int:
        return self.unit_cents * self.assignments


def cost_of(spec: HitSpec) -> Cost:
    """What a HIT will take from the requester's balance into escrow."""
    reward = reward_cents(spec.reward)
    check_assignments(spec.assignments)
    return Cost(reward, fee_for(reward, get_settings().fee_percent), spec.assignments)


def _resolve_requirement(requester_id: int, req: RequirementSpec) -> QualificationType:
    key = req.name.strip().lower().replace(" ", "_")
    qtype = QualificationType.get_or_none(QualificationType.system == key)
    if qtype is None:
        qtype = QualificationType.get_or_none(
            (QualificationType.owner == requester_id) & (QualificationType.name == req.name.strip())
        )
    if qtype is None:
        raise ValidationFailed(
            N_("qualification '{name}' is unknown: use approval_rate, approved_count, country, "
               "account_age_days, worker_rating, speaks, or one of your own qualification types."), name=req.name
        )
    return qtype


def _resolve_requirements(requester_id: int, reqs: list[RequirementSpec],
                          known: dict[str, QualificationType] | None = None) -> list[tuple[QualificationType, RequirementSpec]]:
    """`known`: names already looked up (a batch's rows mostly share them), filled in as we go."""
    known = {} if known is None else known
    resolved = []
    for req in reqs:
        if req.name not in known:
            known[req.name] = _resolve_requirement(requester_id, req)
        resolved.append((known[req.name], req))
    return resolved


def _hit_row(requester: User, spec: HitSpec, cost: Cost, now: datetime, *, batch: Batch | None,
             row: dict | None, has_requirements: bool, group: HitGroup | None = None) -> dict:
    duration_s = spec.duration_s
    return {
        "requester": requester.id,
        "batch": batch,
        "batch_row": row,
        "title": spec.title,
        "description": spec.description,
        "keywords": " ".join(spec.keywords),
        "attachment": spec.attachment,
        "reward_cents": cost.reward_cents,
        "fee_cents": cost.fee_cents,
        "max_assignments": cost.assignments,
        "available": cost.assignments,
        "duration_s": duration_s,
        "auto_approve_s": spec.auto_approve_s(get_settings().auto_approve_s),
        "created_at": now,
        "expires_at": now + timedelta(seconds=spec.lifetime_s),
        "hourly_cents": cost.reward_cents * 3600 // duration_s,
        "requester_score": round((requester.rating_avg or 0) * 100),
        "has_requirements": has_requirements,
        "group": group.id if group is not None else None,
        "language": spec.language,
    }


def _question_rows(hit_id: int, spec: HitSpec) -> list[dict]:
    return [
        {
            "hit": hit_id, "position": i, "key": q.id, "kind": q.kind, "prompt": q.prompt,
            "options": q.options, "required": q.required,
            "min_value": q.min if q.kind != "text" else q.text_bounds[0],
            "max_value": q.max if q.kind != "text" else q.text_bounds[1],
            "gold": q.gold,
        }
        for i, q in enumerate(spec.questions)
    ]


def _requirement_rows(hit_id: int, requirements: list[tuple[QualificationType, RequirementSpec]]) -> list[dict]:
    return [{"hit": hit_id, "qtype": qtype.id, "comparator": req.comparator, "values": req.values, "guard": req.guard}
            for qtype, req in requirements]


def _group(requester: User, spec: HitSpec, cost: Cost, now: datetime, *, batch_id: int | None = None,
           hit_type: str | None = None) -> HitGroup:
    return groups.join(key=groups.group_key(requester.id, spec, batch_id=batch_id, hit_type=hit_type),
                       requester_id=requester.id, reward_cents=cost.reward_cents, duration_s=spec.duration_s,
                       estimated_s=spec.estimated_s, requester_score=round((requester.rating_avg or 0) * 100), now=now)


def _insert_hit(requester: User, spec: HitSpec, cost: Cost, now: datetime, hit_type: str | None = None) -> Hit:
    requirements = _resolve_requirements(requester.id, spec.qualifications)
    group = _group(requester, spec, cost, now, hit_type=hit_type)
    hit = Hit.create(**_hit_row(requester, spec, cost, now, batch=None, row=None,
                                has_requirements=bool(requirements), group=group))
    groups.refresh([group.id])
    Question.insert_many(_question_rows(hit.id, spec)).execute()
    if requirements:
        HitRequirement.insert_many(_requirement_rows(hit.id, requirements)).execute()
    return hit


ROWS_PER_INSERT = 500  # a batch's HITs per chunk (progress step); core.db.insert_rows bounds each INSERT


def _insert_batch_hits(requester: User, batch: Batch, specs: list[tuple[HitSpec, dict[str, str]]],
                       costs: list[Cost], now: datetime, progress) -> list[tuple[Account, int]]:
    """Every HIT of a batch with its questions, requirements and escrow account, a few
    statements per chunk of rows rather than seven per row; the escrow legs, in row order."""
    known: dict[str, QualificationType] = {}
    # Big batches in ten or more chunks, so the progress bar moves; 50 to ROWS_PER_INSERT rows in each.
    step = max(50, min(ROWS_PER_INSERT, -(-len(specs) // 10)))
    legs: list[tuple[Account, int]] = []
    # A batch is one group (a few where rows differ in reward or time): made before its HITs, two statements.
    same: dict[tuple, str] = {}  # rows without requirements: the key follows from the reward and the time

    def key_of(spec: HitSpec) -> str:
        if spec.qualifications:
            return groups.group_key(requester.id, spec, batch_id=batch.id)
        shape = (spec.reward, spec.duration_s, spec.language)  # what group_key reads besides the batch
        if shape not in same:
            same[shape] = groups.group_key(requester.id, spec, batch_id=batch.id)
        return same[shape]

    keys = [key_of(spec) for spec, _ in specs]
    score = round((requester.rating_avg or 0) * 100)
    made = groups.join_many([{"key": key, "requester_id": requester.id, "reward_cents": cost.reward_cents,
                              "duration_s": spec.duration_s, "estimated_s": spec.estimated_s, "requester_score": score}
                             for key, (spec, _), cost in zip(keys, specs, costs)], now)
    for start in range(0, len(specs), step):
        chunk = specs[start:start + step]
        requirements = [_resolve_requirements(requester.id, spec.qualifications, known) for spec, _ in chunk]
        hit_ids = insert_rows(Hit, [
            _hit_row(requester, spec, cost, now, batch=batch, has_requirements=bool(reqs),
                     row={k: v for k, v in row.items() if not k.startswith(GOLD_PREFIX)}, group=made[key])
            for (spec, row), cost, reqs, key in zip(chunk, costs[start:start + step], requirements,
                                                    keys[start:start + step])])
        insert_rows(Question, [q for hit_id, (spec, _) in zip(hit_ids, chunk) for q in _question_rows(hit_id, spec)],
                    ids=False)
        insert_rows(HitRequirement, [r for hit_id, reqs in zip(hit_ids, requirements)
                                     for r in _requirement_rows(hit_id, reqs)], ids=False)
        legs += [(acc, cost.total_cents)
                 for acc, cost in zip(ledger.open_escrows(hit_ids), costs[start:start + step])]
        if progress is not None:
            progress(start + len(chunk), len(specs))
    groups.refresh([g.id for g in made.values()])
    return legs


def publish_hit(*, requester_id: int, spec: HitSpec | dict, now: datetime, key: str | None = None,
                hit_type: str | None = None) -> Hit:
    """Publish one HIT, moving rewards x assignments + fees into its escrow.

    `key` (e.g. the draft id) makes a double-tapped Publish create one HIT, not two.
    `hit_type`: the MTurk API's HITTypeId it was made with (its HITs are one group)."""
    spec = spec if isinstance(spec, HitSpec) else parse_spec(spec)
    cost = cost_of(spec)
    with tx():
        requester = _active_requester(requester_id)
        if ledger.balance(ledger.available(requester.id)) < cost.total_cents:
            raise _short(requester.id, cost.total_cents)
        hit = _insert_hit(requester, spec, cost, now, hit_type)
        moved = ledger.post(
            key=f"publish:{key}" if key else f"publish:hit:{hit.id}",
            kind="publish",
            legs=[(ledger.available(requester.id), -cost.total_cents), (ledger.escrow(hit.id), cost.total_cents)],
            now=now,
            memo=f"escrow for HIT {hit.id}",
        )
        if not moved:
            raise StaleAction(N_("This HIT was already published."))
        warn_if_low(user_id=requester.id, spent_cents=cost.total_cents, now=now)
        emit("hits.published", user_id=None, now=now, hit_ids=[hit.id], requester_id=requester.id)
    return hit


def _active_requester(requester_id: int) -> User:
    requester = get_user(requester_id)
    if requester.banned:
        raise HitbotError(N_("Your account is suspended; contact an admin."))
    return requester


def fill_placeholders(value: object, row: dict[str, str], missing: set[str]) -> object:
    """Replace ${column} in every string of a spec with the row's value."""
    if isinstance(value, str):
        if "${" not in value:  # most of a template's strings: no regex pass per row
            return value

        def sub(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            if name not in row:
                missing.add(name)
                return m.group(0)
            return row[name]

        return _PLACEHOLDER.sub(sub, value)
    if isinstance(value, list):
        return [fill_placeholders(v, row, missing) for v in value]
    if isinstance(value, dict):
        return {k: fill_placeholders(v, row, missing) for k, v in value.items()}
    return value


def _filler(template: object):
    """fill_placeholders compiled once for a batch's rows: None where a part has no placeholder (it is
    passed on as it is: validation only reads it), else a function (row, missing) -> the filled part."""
    if isinstance(template, str):
        return None if "${" not in template else (lambda row, missing: fill_placeholders(template, row, missing))
    if isinstance(template, list):
        parts = [_filler(v) for v in template]
        if all(p is None for p in parts):
            return None
        return lambda row, missing: [v if p is None else p(row, missing) for v, p in zip(template, parts)]
    if isinstance(template, dict):
        items = [(k, v, _filler(v)) for k, v in template.items()]
        if all(p is None for _, _, p in items):
            return None
        return lambda row, missing: {k: v if p is None else p(row, missing) for k, v, p in items}
    return None


def expand_batch(template: dict, rows: list[dict[str, str]], *,
                 web_tasks: bool = False) -> list[tuple[HitSpec, dict[str, str]]]:
    """One spec per CSV row; BatchInvalid lists every bad row (numbered from 1, after the header)."""
    return _expand(template, rows, web_tasks)[0]


def _expand(template: dict, rows: list[dict[str, str]],
            web_tasks: bool) -> tuple[list[tuple[HitSpec, dict[str, str]]], list[Cost]]:
    """expand_batch, with each row's cost (computed once: checking it is part of validating the row)."""
    settings = get_settings()
    if not rows:
        raise ValidationFailed(N_("The CSV has no rows."))
    if len(rows) > settings.max_batch_rows:
        raise ValidationFailed(N_("A batch can have at most {max} rows; this one has {count}."),
                               max=settings.max_batch_rows, count=len(rows))
    specs, costs, problems = [], [], []
    fill = _filler(template) if isinstance(template, dict) else None
    for n, row in enumerate(rows, start=1):
        missing: set[str] = set()
        data = fill(row, missing) if fill is not None else fill_placeholders(template, row, missing)
        if missing:
            problems.append((n, Text(N_("no column named {columns}"), columns=", ".join(sorted(missing)))))
            continue
        try:
            spec = parse_spec(data, web_tasks=web_tasks)
            _apply_gold(spec, row)
            cost = cost_of(spec)
        except ValidationFailed as exc:
            problems.append((n, exc.text))
            continue
        specs.append((spec, row))
        costs.append(cost)
    if problems:
        raise BatchInvalid(problems)
    return specs, costs


def _apply_gold(spec: HitSpec, row: dict[str, str]) -> None:
    """Set each question's control answer from the row's _gold_<id> cell, checked as the
    worker's answer would be (an option of the question, a number within its bounds...)."""
    by_id = {q.id: q for q in spec.questions}
    for column, value in row.items():
        if column.startswith(GOLD_PREFIX) and value.strip():
            qid = column[len(GOLD_PREFIX):]
            if qid not in by_id:
                raise ValidationFailed(N_("{column}: there is no question '{qid}'"), column=column, qid=qid)
            try:
                by_id[qid].gold = gold_value(by_id[qid], value.strip())
            except ValidationFailed as exc:
                raise ValidationFailed(N_("{column}: {reason}"), column=column, reason=exc.text) from None


def publish_batch(*, requester_id: int, title: str, template: dict, rows: list[dict[str, str]],
                  now: datetime, key: str | None = None, progress=None, web_tasks: bool = False) -> Batch:
    """Publish one HIT per row, all or nothing, with one escrow movement for the lot.

    `progress(done, total)` is called as HITs are written (for a progress bar)."""
    specs, costs = _expand(template, rows, web_tasks)
    total = sum(c.total_cents for c in costs)
    with tx():
        requester = _active_requester(requester_id)
        if key and LedgerTxn.select().where(LedgerTxn.key == f"batch:{key}").exists():
            # Before the balance check: a repeat (a redelivered job) must not look like a short balance.
            raise StaleAction(N_("This batch was already published."))
        if ledger.balance(ledger.available(requester.id)) < total:
            raise _short(requester.id, total)
        batch = Batch.create(requester=requester.id, title=title[:128] or "batch", rows_n=len(specs), created_at=now)
        escrows = _insert_batch_hits(requester, batch, specs, costs, now, progress)
        legs = [(ledger.available(requester.id), -total), *escrows]
        if not ledger.post(key=f"batch:{key}" if key else f"batch:{batch.id}", kind="publish", legs=legs,
                           now=now, memo=f"escrow for batch {batch.id}",
                           fresh=frozenset(acc.id for acc, _ in escrows)):
            raise StaleAction(N_("This batch was already published."))
        warn_if_low(user_id=requester.id, spent_cents=total, now=now)
        emit("hits.published", user_id=None, now=now, hit_ids=[acc.hit_id for acc, _ in escrows],
             requester_id=requester.id)
    return batch


def published_batch(*, key: str) -> tuple[Batch, int] | None:
    """The batch publish_batch made with this key and what went into escrow, or None (not yet)."""
    txn = LedgerTxn.get_or_none(LedgerTxn.key == f"batch:{key}")
    if txn is None:
        return None
    legs = list(Entry.select(Entry.amount_cents, Account.hit_id).join(Account).where(Entry.txn == txn.id).tuples())
    hit_id = next((h for _, h in legs if h is not None), None)
    hit = Hit.get_or_none(Hit.id == hit_id) if hit_id is not None else None
    if hit is None or hit.batch_id is None:
        return None
    return Batch.get_by_id(hit.batch_id), sum(amount for amount, h in legs if h is not None)


def _short(requester_id: int, needed: int) -> HitbotError:
    currency = get_settings().currency
    have = ledger.balance(ledger.available(requester_id))
    return InsufficientFunds(
        N_("This needs {needed} but your balance is {have}: {missing} missing. Top up with /topup."),
        needed=Amount(needed, currency), have=Amount(have, currency), missing=Amount(needed - have, currency)
    )


BATCH_REQUESTED = "batch.requested"


def request_batch(*, requester_id: int, chat_id: int, message_id: int, state: dict, now: datetime) -> int:
    """Ask the jobs worker to publish a big batch (its files are in `state`): an outbox event,
    which the relay routes to the batch actor; its message `message_id` shows the progress.
    Publishing checks everything again, so this only records the request. Returns the event id."""
    requester = _active_requester(requester_id)
    with tx():
        event = emit(BATCH_REQUESTED, user_id=None, now=now, requester_id=requester.id, chat_id=chat_id,
                     message_id=message_id, state=state)
    return event.id
