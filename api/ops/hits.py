"""CreateHIT, GetHIT, ListHITs."""
from __future__ import annotations

from api import ids, questionform
from api.errors import ApiError, request_error
from api.ops import Ctx
from api.params import Params
from api.shapes import hit_shape
from core.errors import DuplicateRequest, NotAllowed, SpecInvalid
from core.hits.queries import progress
from core.models import Hit
from core.mturk import commands as mturk

DEFAULT_PAGE = 10
# hitbot's spec keys -> the CreateHIT parameters they came from (for errors)
PARAMS = {"title": "Title", "description": "Description", "keywords": "Keywords", "reward": "Reward",
          "assignments": "MaxAssignments", "duration": "AssignmentDurationInSeconds",
          "lifetime": "LifetimeInSeconds", "auto_approve": "AutoApprovalDelayInSeconds", "attachment": "Question"}
FIELDS = {"prompt": "QuestionContent", "options": "Selections", "min": "Constraints", "max": "Constraints",
          "max_length": "Length"}


def _spec_error(exc: SpecInvalid, identifiers: dict) -> ApiError:
    parts = []
    for path, why in exc.problems[:10]:
        if path and path[0] == "questions" and len(path) > 1 and isinstance(path[1], int):
            ident = identifiers.get(f"q{path[1] + 1}", {}).get("id", path[1] + 1)
            where = f"Question {ident}" + (f" {FIELDS.get(str(path[2]), path[2])}" if len(path) > 2 else "")
        else:
            where = PARAMS.get(str(path[0]), str(path[0])) if path else "HIT"
        parts.append(f"{where}: {why}")
    return request_error("; ".join(parts))


def _hit_out(ctx: Ctx, hit: Hit) -> dict:
    return hit_shape(hit, progress([hit])[hit.id], mturk.extras([hit.id]).get(hit.id), ctx.now)


def create_hit(ctx: Ctx, p: Params) -> dict:
    p.refuse("QualificationRequirements", "AssignmentReviewPolicy", "HITReviewPolicy", "HITLayoutId",
             "HITLayoutParameters")
    title = p.string("Title", required=True, max_len=128)
    description = p.string("Description", required=True, max_len=2000)
    question = p.string("Question", required=True, max_len=questionform.MAX_XML_BYTES)
    reward = p.string("Reward", required=True, max_len=20)
    assignments = p.integer("MaxAssignments", low=1, high=1_000_000)
    duration_s = p.integer("AssignmentDurationInSeconds", required=True, low=1, high=10**9)
    lifetime_s = p.integer("LifetimeInSeconds", required=True, low=1, high=10**9)
    auto_s = p.integer("AutoApprovalDelayInSeconds", low=0, high=10**9)
    keywords = p.string("Keywords", max_len=1000)
    annotation = p.string("RequesterAnnotation", max_len=mturk.MAX_ANNOTATION)
    token = p.string("UniqueRequestToken", max_len=mturk.MAX_TOKEN)
    form = questionform.parse(question)
    spec: dict = {
        "title": title, "description": description + (f"\n\n{form.overview}" if form.overview else ""),
        "keywords": [k.strip() for k in (keywords or "").split(",") if k.strip()],
        "reward": reward, "assignments": assignments if assignments is not None else 1,
        "duration": duration_s, "lifetime": lifetime_s, "questions": form.questions,
    }
    if auto_s is not None:
        spec["auto_approve"] = auto_s
    if form.attachment:
        spec["attachment"] = form.attachment
    try:
        hit = mturk.create_hit(requester_id=ctx.requester_id, spec=spec, now=ctx.now, token=token,
                               annotation=annotation, description=description, question=question,
                               identifiers=form.identifiers)
    except SpecInvalid as exc:
        raise _spec_error(exc, form.identifiers) from None
    except DuplicateRequest as exc:
        if exc.hit_id is None:
            raise
        raise request_error(f"There is already a HIT with this UniqueRequestToken: HIT ID {ids.hit_id(exc.hit_id)}. "
                            "No second HIT was made.", "AWS.MechanicalTurk.DuplicateRequest") from None
    return {"HIT": _hit_out(ctx, hit)}


def _owned(ctx: Ctx, text: object) -> Hit:
    number = ids.parse_hit_id(text)
    try:
        return mturk.hit_of(requester_id=ctx.requester_id, hit_id=number)
    except NotAllowed:
        raise request_error(f"HIT {text} does not exist.", "AWS.MechanicalTurk.HitDoesNotExist") from None


def get_hit(ctx: Ctx, p: Params) -> dict:
    return {"HIT": _hit_out(ctx, _owned(ctx, p.string("HITId", required=True, max_len=64)))}


def list_hits(ctx: Ctx, p: Params) -> dict:
    before = ids.parse_page_token(ctx.requester_id, "hits", p.string("NextToken", max_len=ids.MAX_TOKEN))
    limit = p.integer("MaxResults", low=1, high=100) or DEFAULT_PAGE
    hits, more = mturk.hits_page(requester_id=ctx.requester_id, before_id=before, limit=limit)
    counts = progress(hits)
    extra = mturk.extras([h.id for h in hits])
    out: dict = {"NumResults": len(hits), "HITs": [hit_shape(h, counts[h.id], extra.get(h.id), ctx.now) for h in hits]}
    if more:
        out["NextToken"] = ids.page_token(ctx.requester_id, "hits", hits[-1].id)
    return out
