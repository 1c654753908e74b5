"""Follow-up work (issue 18): "➕ Offer follow-up work" on a submission card or in a conversation.

The requester picks one of their HITs as the template (default: the card's), types a new reward and
optionally more workers (WorkerIds of workers who did their HITs), and publishes a private HIT only
those workers can see and accept. Visibility reuses the qualification machinery, not a new rule:
publishing creates an automatic private qualification type owned by the requester, grants it to the
chosen workers, and requires it ("exists", guard "discover") on the HIT, so browse, search, alerts,
preview and accept all leave every other worker out. Escrow is taken as by any publish; each chosen
worker gets a `followup.offered` notice with Preview. Every press is re-authorised here: the offer
is the presser's and still a draft; publishing moves it to "published" once (conditional update)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError

from core import ledger
from core.config import get_settings
from core.db import db, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.hits import groups
from core.hits.followup_tables import FollowupOffer
from core.hits.publishing import _active_requester, _short
from core.hits.spec import MAX_LIFETIME_S, MIN_LIFETIME_S, reward_cents
from core.messages import safety
from core.messages.commands import requester_alias
from core.models import (
    Assignment,
    Hit,
    HitRequirement,
    MturkHit,
    QualificationType,
    Question,
    Thread,
    User,
    WorkerBlock,
)
from core.money import fee_for
from core.mturk.ids import worker_alias, worker_ref
from core.outbox import emit
from core.payments.accounts import warn_if_low
from core.quals.commands import upsert_grant
from core.texts import N_

MAX_WORKERS = 100  # MTurk's NotifyWorkers bound, and a private HIT's assignments
MAX_TEMPLATES = 6  # HITs offered as templates on the offer's screen
MAX_TEXT = 2000  # the typed reward and WorkerIds
MAX_KNOWN = 20_000  # workers of the requester looked through to resolve a WorkerId
_WORKER_ID = re.compile(r"^(?:worker\s*#?\s*)?(A[A-Z2-7]{13})$", re.IGNORECASE)
_COPIED = ("position", "key", "kind", "prompt", "options", "required", "min_value", "max_value", "gold")


@dataclass(frozen=True)
class OfferView:
    """What the offer's screen shows, as it stands."""

    offer_id: int
    template_id: int
    template_title: str
    templates: list[tuple[int, str]]  # (hit id, title) the requester may pick instead, newest first
    workers: list[str]  # the chosen workers' aliases (WorkerIds), the card's first
    reward_cents: int | None
    total_cents: int | None  # reward + fee per worker, times the workers
    available_cents: int
    status: str
    hit_id: int | None = None  # once published


def _worked_for(requester_id: int, worker_id: int) -> bool:
    return (Assignment.select().join(Hit, on=(Assignment.hit == Hit.id))
            .where((Hit.requester == requester_id) & (Assignment.worker == worker_id)).exists())


def _reachable(requester_id: int, worker_id: int) -> bool:
    """A worker the requester may offer work to: did their HITs, not blocked either way."""
    if worker_id == requester_id or not _worked_for(requester_id, worker_id):
        return False
    if safety.blocked(worker_id, requester_id):
        return False
    return not WorkerBlock.select().where((WorkerBlock.requester == requester_id)
                                          & (WorkerBlock.worker == worker_id)).exists()


def _costs(offer: FollowupOffer) -> int | None:
    if offer.reward_cents is None:
        return None
    fee = fee_for(int(offer.reward_cents), get_settings().fee_percent)
    return (int(offer.reward_cents) + fee) * len(offer.workers or [])


def _view(offer: FollowupOffer) -> OfferView:
    template = Hit.get_by_id(offer.template_id)
    recent = (Hit.select(Hit.id, Hit.title).where((Hit.requester == offer.requester_id) & (Hit.id != template.id)
                                                   & Hit.id.not_in(_private_hits(offer.requester_id)))
              .order_by(Hit.id.desc()).limit(MAX_TEMPLATES - 1))
    return OfferView(offer.id, template.id, template.title, [(template.id, template.title)]
                     + [(h.id, h.title) for h in recent],
                     [worker_alias(offer.requester_id, w) for w in offer.workers or []], offer.reward_cents,
                     _costs(offer), ledger.balance(ledger.available(offer.requester_id)), offer.status,
                     offer.hit_id)


def _private_hits(requester_id: int):
    """The requester's follow-up HITs: not offered as templates (their spec is another's copy)."""
    return FollowupOffer.select(FollowupOffer.hit).where((FollowupOffer.requester == requester_id)
                                                         & FollowupOffer.hit.is_null(False))


def _store(user_id: int, prefs, *args: object) -> None:
    """The bot's conversation state, given the person's prefs (and the offer, for a new one)."""
    if prefs is not None:
        from core.users.commands import get_user, write_prefs

        user = get_user(user_id)
        write_prefs(user, prefs(dict(user.prefs or {}), *args))


def start(*, requester_id: int, now: datetime, assignment_id: int | None = None, thread_id: int | None = None,
          prefs=None) -> OfferView:
    """➕ Offer follow-up work pressed on a submission card (an assignment) or in a conversation (a
    thread): a new draft for that worker with the card's HIT (or the last HIT they did for the
    requester) as template. `prefs(prefs, offer_id)`: the bot's conversation state, stored in the same
    transaction."""
    with tx():
        if assignment_id is not None:
            a = Assignment.get_or_none(Assignment.id == assignment_id)
            hit = Hit.get_or_none(Hit.id == a.hit_id) if a is not None else None
            if hit is None or hit.requester_id != requester_id:
                raise NotAllowed()
            worker_id = a.worker_id
        else:
            thread = Thread.get_or_none(Thread.id == int(thread_id or 0))
            if thread is None or thread.requester_id != requester_id:
                raise NotAllowed()  # a forged press, or the worker's side of the thread
            worker_id = thread.worker_id
            hit = (Hit.select().join(Assignment, on=(Assignment.hit == Hit.id))
                   .where((Hit.requester == requester_id) & (Assignment.worker == worker_id)
                          & Hit.id.not_in(_private_hits(requester_id)))
                   .order_by(Assignment.id.desc()).first())
            if hit is None:
                raise NotAllowed(N_("You can only offer follow-up work to workers who worked on your HITs."))
        if not _reachable(requester_id, worker_id):
            raise safety.WorkerUnreachable()
        # One draft per requester: an earlier, unpublished offer's buttons go stale (and drafts stay few).
        FollowupOffer.delete().where((FollowupOffer.requester == requester_id)
                                     & (FollowupOffer.status == FollowupOffer.DRAFT)).execute()
        offer = FollowupOffer.create(requester=requester_id, template=hit.id, workers=[worker_id], created_at=now)
        _store(requester_id, prefs, offer.id)
        return _view(offer)


def _draft(requester_id: int, offer_id: int) -> FollowupOffer:
    offer = FollowupOffer.get_or_none(FollowupOffer.id == offer_id)
    if offer is None or offer.requester_id != requester_id:
        raise NotAllowed()
    if offer.status != FollowupOffer.DRAFT:
        raise StaleAction(N_("This follow-up work was already published."))
    return offer


def choose_template(*, requester_id: int, offer_id: int, hit_id: int) -> OfferView:
    """Another of the requester's HITs as the template (a forged HIT id changes nothing)."""
    with tx():
        offer = _draft(requester_id, offer_id)
        hit = Hit.get_or_none(Hit.id == hit_id)
        if hit is None or hit.requester_id != requester_id or FollowupOffer.select().where(
                FollowupOffer.hit == hit.id).exists():
            raise NotAllowed()
        FollowupOffer.update(template=hit.id).where(FollowupOffer.id == offer.id).execute()
        return _view(FollowupOffer.get_by_id(offer.id))


def _known_workers(requester_id: int) -> dict[str, int]:
    """WorkerId -> user id for the workers of the requester's HITs (bounded)."""
    ids = (Assignment.select(Assignment.worker).join(Hit, on=(Assignment.hit == Hit.id))
           .where(Hit.requester == requester_id).distinct().limit(MAX_KNOWN))
    return {worker_ref(requester_id, a.worker_id): a.worker_id for a in ids}


def give(*, requester_id: int, offer_id: int, text: str) -> OfferView:
    """The typed reward, then optionally more WorkerIds (spaces, commas or lines between them)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(N_("Type the reward, e.g. 0.50, and optionally WorkerIds after it."))
    first, *rest = re.split(r"[\s,;]+", text)
    cents = reward_cents(first)
    with tx():
        offer = _draft(requester_id, offer_id)
        workers = list(offer.workers or [])
        if rest:
            known = _known_workers(requester_id)
            for token in rest:
                m = _WORKER_ID.match(token.strip().lstrip("#"))
                worker = known.get(m.group(1).upper()) if m else None
                if worker is None:
                    raise ValidationFailed(N_("{worker_id} is not a WorkerId of someone who worked on your HITs."),
                                           worker_id=token[:20])
                if not _reachable(requester_id, worker):
                    raise ValidationFailed(N_("{worker_id} does not take work or messages from you."),
                                           worker_id=token[:20])
                if worker not in workers:
                    workers.append(worker)
        if len(workers) > MAX_WORKERS:
            raise ValidationFailed(N_("Follow-up work goes to at most {max} workers."), max=MAX_WORKERS)
        FollowupOffer.update(reward_cents=cents, workers=workers).where(FollowupOffer.id == offer.id).execute()
        return _view(FollowupOffer.get_by_id(offer.id))


def _copy_hit(offer: FollowupOffer, requester: User, template: Hit, qtype: QualificationType,
              now: datetime) -> Hit:
    n = len(offer.workers)
    reward = int(offer.reward_cents)
    fee = fee_for(reward, get_settings().fee_percent)
    lifetime_s = int((template.expires_at - template.created_at).total_seconds())
    lifetime_s = min(max(lifetime_s, MIN_LIFETIME_S), MAX_LIFETIME_S)
    score = round((requester.rating_avg or 0) * 100)
    group = groups.join(key=f"followup:{offer.id}", requester_id=requester.id, reward_cents=reward,
                        duration_s=template.duration_s, estimated_s=None, requester_score=score, now=now)
    hit = Hit.create(requester=requester.id, title=template.title, description=template.description,
                     keywords=template.keywords, attachment=template.attachment, reward_cents=reward, fee_cents=fee,
                     max_assignments=n, available=n, duration_s=template.duration_s,
                     auto_approve_s=template.auto_approve_s, created_at=now,
                     expires_at=now + timedelta(seconds=lifetime_s),
                     hourly_cents=reward * 3600 // max(1, template.duration_s), requester_score=score,
                     has_requirements=True, group=group.id, batch_row=template.batch_row,
                     language=template.language)
    questions = list(Question.select().where(Question.hit == template.id).order_by(Question.position))
    Question.insert_many([{"hit": hit.id, **{k: getattr(q, k) for k in _COPIED}} for q in questions]).execute()
    HitRequirement.create(hit=hit.id, qtype=qtype.id, comparator="exists", values=[], guard="discover")
    page = MturkHit.get_or_none(MturkHit.hit == template.id)
    if page is not None:  # a task page (HTMLQuestion, template batch): its page and field mapping come along
        MturkHit.create(hit=hit.id, requester=requester.id, description=page.description, question=page.question,
                        identifiers=page.identifiers, created_at=now)
    groups.refresh([group.id])
    return hit


def _private_type(requester_id: int, offer_id: int, template_id: int, now: datetime) -> QualificationType:
    """The offer's qualification type, named for it; a type of the requester's already called so
    (they named one themselves) gets the next free suffix."""
    base = f"Follow-up #{offer_id}"
    for suffix in ("", *(f" ({i})" for i in range(2, 12))):
        try:
            with db.atomic():
                return QualificationType.create(owner=requester_id, name=base + suffix,
                                                description=f"Follow-up work from HIT {template_id}", created_at=now)
        except IntegrityError:
            continue
    raise StaleAction()


def publish(*, requester_id: int, offer_id: int, now: datetime, prefs=None) -> OfferView:
    """Publish the private HIT: its qualification granted to the chosen workers, escrow taken, each
    worker told. A second press (or a second device) finds the offer published and changes nothing."""
    with tx():
        offer = _draft(requester_id, offer_id)
        if offer.reward_cents is None:
            raise StaleAction(N_("Type the reward first."))
        if not (FollowupOffer.update(status=FollowupOffer.PUBLISHED)
                .where((FollowupOffer.id == offer.id) & (FollowupOffer.status == FollowupOffer.DRAFT)).execute()):
            raise StaleAction(N_("This follow-up work was already published."))
        requester = _active_requester(requester_id)
        template = Hit.get_by_id(offer.template_id)
        workers = [w for w in offer.workers or [] if _reachable(requester_id, w)]
        if not workers:
            raise safety.WorkerUnreachable()
        offer.workers = workers
        total = _costs(offer)
        if ledger.balance(ledger.available(requester.id)) < total:
            raise _short(requester.id, total)
        # The automatic private qualification: the requester's own type, named for the offer.
        qtype = _private_type(requester.id, offer.id, template.id, now)
        for w in workers:
            upsert_grant(qtype.id, w, 1, now)
        hit = _copy_hit(offer, requester, template, qtype, now)
        ledger.post(key=f"publish:followup:{offer.id}", kind="publish",
                    legs=[(ledger.available(requester.id), -total), (ledger.escrow(hit.id), total)], now=now,
                    memo=f"escrow for HIT {hit.id}")
        warn_if_low(user_id=requester.id, spent_cents=total, now=now)
        FollowupOffer.update(hit=hit.id, qtype=qtype.id, workers=workers).where(FollowupOffer.id == offer.id).execute()
        emit("hits.published", user_id=None, now=now, hit_ids=[hit.id], requester_id=requester.id)
        sender = requester_alias(requester)
        for w in workers:
            emit("followup.offered", user_id=w, now=now, hit_id=hit.id, title=hit.title, sender=sender,
                 reward_cents=hit.reward_cents, duration_s=hit.duration_s)
        _store(requester_id, prefs)
        return _view(FollowupOffer.get_by_id(offer.id))
