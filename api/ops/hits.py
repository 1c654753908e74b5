"""CreateHIT, CreateHITType, CreateHITWithHITType, GetHIT, ListHITs, ListReviewableHITs,
UpdateExpirationForHIT, CreateAdditionalAssignmentsForHIT, UpdateHITReviewStatus, DeleteHIT."""
from __future__ import annotations

from api import ids, questionform, requirements
from api.errors import ApiError, request_error
from api.ops import Ctx
from api.ops.paging import Page
from api.params import Params
from api.shapes import hit_keywords, hit_shape, requirement_shapes, requirements_digest, type_id_of
from core.config import get_settings
from core.errors import DuplicateRequest, NotAllowed, SpecInvalid, StaleAction
from core.hits.queries import progress
from core.hits.spec import parse_spec, reward_cents
from core.models import Hit
from core.mturk import commands as mturk, hits as mturk_hits, quals as mturk_quals

# hitbot's spec keys -> the CreateHIT parameters they came from (for errors)
PARAMS = {"title": "Title", "description": "Description", "keywords": "Keywords", "reward": "Reward",
          "assignments": "MaxAssignments", "duration": "AssignmentDurationInSeconds",
          "lifetime": "LifetimeInSeconds", "auto_approve": "AutoApprovalDelayInSeconds", "attachment": "Question",
          "qualifications": "QualificationRequirements"}
FIELDS = {"prompt": "QuestionContent", "options": "Selections", "min": "Constraints", "max": "Constraints",
          "max_length": "Length"}


def _spec_error(exc: SpecInvalid, identifiers: dict) -> ApiError:
    parts = []
    for path, why in exc.problems[:10]:
        if path and path[0] == "questions" and len(path) > 1 and isinstance(path[1], int):
            ident = identifiers.get(f"q{path[1] + 1}", {}).get("id", path[1] + 1)
            where = f"Question {ident}" + (f" {FIELDS.get(str(path[2]), path[2])}" if len(path) > 2 else "")
        elif path and path[0] == "qualifications" and len(path) > 1 and isinstance(path[1], int):
            where = f"QualificationRequirements[{path[1]}]"
        else:
            where = PARAMS.get(str(path[0]), str(path[0])) if path else "HIT"
        parts.append(f"{where}: {why}")
    return request_error("; ".join(parts))


def _hit_out(ctx: Ctx, hit: Hit) -> dict:
    return _shapes(ctx, [hit])[0]


def _shapes(ctx: Ctx, hits: list[Hit]) -> list[dict]:
    counts = progress(hits)
    extra = mturk.extras([h.id for h in hits])
    state = mturk_hits.states([h.id for h in hits])
    reqs = requirement_shapes([h.id for h in hits if h.has_requirements])
    return [hit_shape(h, counts[h.id], extra.get(h.id), ctx.now, state.get(h.id), reqs.get(h.id)) for h in hits]


def _requirements(ctx: Ctx, raw: object) -> requirements.Parsed:
    """QualificationRequirements as hitbot's spec entries: built-in types, or the requester's own Active ones."""
    def resolve(number: int):
        try:
            return mturk_quals.usable_type(requester_id=ctx.requester_id, qtype_id=number)
        except StaleAction as exc:  # a NotAllowed too: first
            raise request_error(exc.message, "AWS.MechanicalTurk.InvalidQualificationTypeState") from None
        except NotAllowed:
            raise request_error(f"Qualification type {ids.qual_type_id(number)} does not exist (a HIT can require "
                                "the built-in types and your own).",
                                "AWS.MechanicalTurk.QualificationTypeDoesNotExist") from None
    return requirements.parse(raw, resolve)


def _keywords(text: str | None) -> list[str]:
    return [k.strip() for k in (text or "").split(",") if k.strip()]


def _create(ctx: Ctx, p: Params, *, title: str, description: str, reward: str, duration_s: int,
            auto_s: int | None, keywords: str | None, reqs: requirements.Parsed) -> dict:
    """The HIT made as the chat publishes one (core.mturk.commands.create_hit)."""
    props = {"title": title, "description": description, "reward": reward, "duration_s": duration_s, "auto_s": auto_s,
             "keywords": keywords}
    _, _, _, shaped, type_id = _checked_type(ctx, props, reqs)
    question = p.string("Question", required=True, max_len=questionform.MAX_XML_BYTES)
    assignments = p.integer("MaxAssignments", low=1, high=1_000_000)
    lifetime_s = p.integer("LifetimeInSeconds", required=True, low=1, high=10**9)
    annotation = p.string("RequesterAnnotation", max_len=mturk.MAX_ANNOTATION)
    token = p.string("UniqueRequestToken", max_len=mturk.MAX_TOKEN)
    form = questionform.parse(question)
    if form.web is not None and not get_settings().tasks_url:
        raise request_error("Question: this hitbot serves no task pages (HITBOT_TASKS_URL is not set), so HTMLQuestion "
                            "and ExternalQuestion HITs can't be done here.", "AWS.MechanicalTurk.UnsupportedQuestionType")
    spec: dict = {
        "title": title, "description": description + (f"\n\n{form.overview}" if form.overview else ""),
        "keywords": _keywords(keywords), "reward": reward, "assignments": assignments if assignments is not None else 1,
        "duration": duration_s, "lifetime": lifetime_s, "questions": form.questions,
        "qualifications": [entry for _, entry in reqs],
    }
    if auto_s is not None:
        spec["auto_approve"] = auto_s
    if form.attachment:
        spec["attachment"] = form.attachment
    try:
        hit = mturk.create_hit(requester_id=ctx.requester_id, spec=spec, now=ctx.now, token=token,
                               annotation=annotation, description=description, question=question,
                               identifiers=form.identifiers, type_id=type_id)
    except SpecInvalid as exc:
        raise _spec_error(exc, form.identifiers) from None
    except DuplicateRequest as exc:
        if exc.hit_id is None:
            raise
        raise request_error(f"There is already a HIT with this UniqueRequestToken: HIT ID {ids.hit_id(exc.hit_id)}. "
                            "No second HIT was made.", "AWS.MechanicalTurk.DuplicateRequest") from None
    # The HIT's type is a type the requester can name (UpdateNotificationSettings, CreateHITWithHITType).
    mturk_hits.save_hit_type(requester_id=ctx.requester_id, type_id=type_id, title=title, description=description,
                             keywords=keywords or "", reward=reward, duration_s=duration_s, auto_approve_s=auto_s,
                             requirements=shaped, now=ctx.now)
    return {"HIT": _hit_out(ctx, hit)}


def _type_properties(p: Params) -> dict:
    return {"title": p.string("Title", required=True, max_len=128),
            "description": p.string("Description", required=True, max_len=2000),
            "reward": p.string("Reward", required=True, max_len=20),
            "duration_s": p.integer("AssignmentDurationInSeconds", required=True, low=1, high=10**9),
            "auto_s": p.integer("AutoApprovalDelayInSeconds", low=0, high=10**9),
            "keywords": p.string("Keywords", max_len=1000)}


def create_hit(ctx: Ctx, p: Params) -> dict:
    p.refuse("AssignmentReviewPolicy", "HITReviewPolicy", "HITLayoutId", "HITLayoutParameters")
    return _create(ctx, p, **_type_properties(p), reqs=_requirements(ctx, p.data.get("QualificationRequirements")))


def _checked_type(ctx: Ctx, props: dict, reqs: requirements.Parsed):
    """A HIT type's properties checked as CreateHIT checks them (core's spec rules, a placeholder
    question): (spec, reward cents, auto-approval delay, requirements in MTurk's shape, HITTypeId)."""
    probe = {"title": props["title"], "description": props["description"], "keywords": _keywords(props["keywords"]),
             "reward": props["reward"], "duration": props["duration_s"],
             "questions": [{"id": "q", "kind": "text", "prompt": "?"}],
             "qualifications": [entry for _, entry in reqs]}
    if props["auto_s"] is not None:
        probe["auto_approve"] = props["auto_s"]
    try:
        spec = parse_spec(probe)
        reward, duration_s = reward_cents(spec.reward), spec.duration_s
        auto_s = spec.auto_approve_s(get_settings().auto_approve_s)
    except SpecInvalid as exc:
        raise _spec_error(exc, {}) from None
    # As GetHIT will show them once a HIT of this type exists (the same digest, the same id).
    shaped = [requirements.shape(type_id, r.comparator, r.values, r.guard)
              for (type_id, _), r in zip(reqs, spec.qualifications)]
    type_id = ids.hit_type_id(ctx.requester_id, spec.title, props["description"], reward, duration_s, auto_s,
                              hit_keywords(" ".join(spec.keywords)), *requirements_digest(shaped))
    return spec, reward, auto_s, shaped, type_id


def create_hit_type(ctx: Ctx, p: Params) -> dict:
    """The id is the properties' digest, the one GetHIT shows for a HIT with these properties."""
    props = _type_properties(p)
    _, _, _, shaped, type_id = _checked_type(ctx, props, _requirements(ctx, p.data.get("QualificationRequirements")))
    mturk_hits.save_hit_type(requester_id=ctx.requester_id, type_id=type_id, title=props["title"],
                             description=props["description"], keywords=props["keywords"] or "",
                             reward=props["reward"], duration_s=props["duration_s"], auto_approve_s=props["auto_s"],
                             requirements=shaped, now=ctx.now)
    return {"HITTypeId": type_id}


def _hit_type(ctx: Ctx, text: object):
    try:
        return mturk_hits.hit_type(requester_id=ctx.requester_id, type_id=text)
    except NotAllowed:
        raise request_error(f"HIT type {str(text)[:64]} does not exist.",
                            "AWS.MechanicalTurk.HITTypeDoesNotExist") from None


def create_hit_with_hit_type(ctx: Ctx, p: Params) -> dict:
    p.refuse("AssignmentReviewPolicy", "HITReviewPolicy", "HITLayoutId", "HITLayoutParameters")
    t = _hit_type(ctx, p.string("HITTypeId", required=True, max_len=64))
    return _create(ctx, p, title=t.title, description=t.description, reward=t.reward, duration_s=t.duration_s,
                   auto_s=t.auto_approve_s, keywords=t.keywords, reqs=_requirements(ctx, t.requirements or None))


def update_hit_type_of_hit(ctx: Ctx, p: Params) -> dict:
    """The HIT takes on the type's title, description, keywords, time allotted, auto-approval delay
    and requirements (checked again: a type may have gone Inactive since); not its reward."""
    hit = _owned(ctx, p.string("HITId", required=True, max_len=64))
    t = _hit_type(ctx, p.string("HITTypeId", required=True, max_len=64))
    props = {"title": t.title, "description": t.description, "reward": t.reward, "duration_s": t.duration_s,
             "auto_s": t.auto_approve_s, "keywords": t.keywords}
    spec, reward, auto_s, _, type_id = _checked_type(ctx, props, _requirements(ctx, t.requirements or None))
    try:
        mturk_hits.change_type(requester_id=ctx.requester_id, hit_id=hit.id, title=spec.title,
                               description=t.description, keywords=spec.keywords, reward_cents=reward,
                               duration_s=spec.duration_s, auto_approve_s=auto_s, requirements=spec.qualifications,
                               type_id=type_id, now=ctx.now)
    except StaleAction as exc:
        raise _state_error(exc) from None
    return {}


def _state_error(exc: StaleAction) -> Exception:
    return request_error(exc.message, "AWS.MechanicalTurk.InvalidHITState")


def _owned(ctx: Ctx, text: object, *, disposed: bool = False) -> Hit:
    """One of the requester's HITs; one DeleteHIT disposed of only where `disposed` (GetHIT)."""
    number = ids.parse_hit_id(text)
    try:
        if disposed:
            return mturk.hit_of(requester_id=ctx.requester_id, hit_id=number)
        return mturk_hits.live_hit(requester_id=ctx.requester_id, hit_id=number)
    except NotAllowed:
        raise request_error(f"HIT {text} does not exist.", "AWS.MechanicalTurk.HitDoesNotExist") from None


def get_hit(ctx: Ctx, p: Params) -> dict:
    return {"HIT": _hit_out(ctx, _owned(ctx, p.string("HITId", required=True, max_len=64), disposed=True))}


def list_hits(ctx: Ctx, p: Params) -> dict:
    page = Page.of(ctx, p, "hits")
    hits, more = mturk_hits.hits_page(requester_id=ctx.requester_id, before_id=page.cursor, limit=page.limit)
    return page.answer("HITs", _shapes(ctx, hits), hits[-1].id if more else None)


def list_reviewable_hits(ctx: Ctx, p: Params) -> dict:
    type_id = p.string("HITTypeId", max_len=64)
    status = p.string("Status", max_len=16)
    if status not in (None, "Reviewable", "Reviewing"):
        raise request_error("Status must be Reviewable or Reviewing.")
    reviewing = status == "Reviewing"
    page = Page.of(ctx, p, "rev1" if reviewing else "rev0")

    def of_type(hits: list[Hit]) -> list[Hit]:
        extra = mturk.extras([h.id for h in hits])
        reqs = requirement_shapes([h.id for h in hits if h.has_requirements])
        return [h for h in hits if type_id_of(h, extra.get(h.id), reqs.get(h.id, [])) == type_id]

    hits, more = mturk_hits.reviewable_page(requester_id=ctx.requester_id, reviewing=reviewing, now=ctx.now,
                                            before_id=page.cursor, limit=page.limit,
                                            keep=of_type if type_id else None)
    return page.answer("HITs", _shapes(ctx, hits), hits[-1].id if more else None)


def update_expiration_for_hit(ctx: Ctx, p: Params) -> dict:
    hit = _owned(ctx, p.string("HITId", required=True, max_len=64))
    expire_at = p.timestamp("ExpireAt", required=True)
    try:
        mturk_hits.update_expiration(requester_id=ctx.requester_id, hit_id=hit.id, expire_at=expire_at, now=ctx.now)
    except StaleAction as exc:
        raise _state_error(exc) from None
    return {}


def create_additional_assignments_for_hit(ctx: Ctx, p: Params) -> dict:
    hit = _owned(ctx, p.string("HITId", required=True, max_len=64))
    count = p.integer("NumberOfAdditionalAssignments", required=True, low=1, high=1_000_000)
    token = p.string("UniqueRequestToken", max_len=mturk.MAX_TOKEN)
    try:
        mturk_hits.add_assignments(requester_id=ctx.requester_id, hit_id=hit.id, count=count, now=ctx.now,
                                   token=token)
    except DuplicateRequest:
        raise
    except StaleAction as exc:
        raise _state_error(exc) from None
    return {}


def update_hit_review_status(ctx: Ctx, p: Params) -> dict:
    hit = _owned(ctx, p.string("HITId", required=True, max_len=64))
    try:
        mturk_hits.set_reviewing(requester_id=ctx.requester_id, hit_id=hit.id, reviewing=not p.boolean("Revert"),
                                 now=ctx.now)
    except StaleAction as exc:
        raise _state_error(exc) from None
    return {}


def delete_hit(ctx: Ctx, p: Params) -> dict:
    hit = _owned(ctx, p.string("HITId", required=True, max_len=64), disposed=True)
    try:
        mturk_hits.delete_hit(requester_id=ctx.requester_id, hit_id=hit.id, now=ctx.now)
    except StaleAction as exc:
        raise _state_error(exc) from None
    return {}
