"""Qualification types and scores: Create/Get/List/Update/DeleteQualificationType,
Associate/DisassociateQualificationWithWorker, GetQualificationScore, ListWorkersWithQualificationType,
ListHITsForQualificationType, and the qualification requests hitbot does not have yet.

A type is hitbot's own (the one /quals shows in chat); the built-in ones keep MTurk's ids
(api.requirements.BUILTIN) and can be required and listed, not granted."""
from __future__ import annotations

from api import ids, requirements
from api.errors import request_error
from api.ops import Ctx
from api.ops.hits import DEFAULT_PAGE, _shapes
from api.params import Params
from api.shapes import ts
from core.errors import NotAllowed, NotFound, StaleAction
from core.models import MturkQualType, QualificationGrant, QualificationType
from core.mturk import quals, workers
from core.mturk.commands import worker_ref
from core.quals.commands import MAX_DESCRIPTION, MAX_NAME, MAX_VALUE

STATUSES = ("Active", "Inactive")
NO_REQUESTS = ("hitbot has no qualification requests yet: workers earn your qualifications from you "
               "(AssociateQualificationWithWorker) or by taking a test you made in chat (/qual).")


def _unsupported(p: Params) -> None:
    p.refuse("Test", "AnswerKey", "TestDurationInSeconds",
             why="is not supported: hitbot's qualification tests are multiple-choice quizzes made in chat (/qual), "
                 "which grant the score as the value; make the test there")
    if p.boolean("AutoGranted") or p.data.get("AutoGrantedValue") is not None:
        raise request_error("AutoGranted is not supported: workers cannot request qualifications in hitbot yet, "
                            "so there is nobody to grant one to automatically.",
                            "AWS.MechanicalTurk.UnsupportedParameter")


def _status(p: Params, required: bool) -> bool | None:
    status = p.string("QualificationTypeStatus", required=required, max_len=16)
    if status is not None and status not in STATUSES:
        raise request_error("QualificationTypeStatus must be Active or Inactive.")
    return None if status is None else status == "Active"


def _type_number(ctx: Ctx, text: object) -> int:
    if isinstance(text, str) and text in requirements.BUILTIN:
        return quals.system_type_id(requirements.BUILTIN[text])
    return ids.parse_qual_type_id(text)


def _missing(text: object) -> Exception:
    return request_error(f"Qualification type {str(text)[:64]} does not exist (or is not yours).",
                         "AWS.MechanicalTurk.QualificationTypeDoesNotExist")


def _own(ctx: Ctx, p: Params) -> tuple[int, str]:
    """The number of the requester's own type named by QualificationTypeId (not a built-in one)."""
    text = p.string("QualificationTypeId", required=True, max_len=64)
    if text in requirements.BUILTIN:
        raise request_error(f"{text} is a built-in qualification: hitbot computes it from each worker's own "
                            "history, so it cannot be changed, granted or taken away.",
                            "AWS.MechanicalTurk.NotAuthorized")
    return _type_number(ctx, text), text


def type_shape(qtype: QualificationType, extra: MturkQualType | None, requestable: bool) -> dict:
    out = {
        "QualificationTypeId": requirements.type_id_of(qtype),
        "CreationTime": ts(qtype.created_at),
        "Name": requirements.BUILTIN_NAMES.get(qtype.system, qtype.name),
        "Description": qtype.description,
        "Keywords": extra.keywords if extra is not None else "",
        "QualificationTypeStatus": "Inactive" if extra is not None and not extra.active else "Active",
        "IsRequestable": requestable,
        "AutoGranted": False,
    }
    if extra is not None and extra.retry_delay_s is not None:
        out["RetryDelayInSeconds"] = extra.retry_delay_s
    return out


def _types_out(rows: list[QualificationType]) -> list[dict]:
    extra = quals.extras([t.id for t in rows])
    asked = quals.requestable([t.id for t in rows])
    return [type_shape(t, extra.get(t.id), t.id in asked) for t in rows]


def create_qualification_type(ctx: Ctx, p: Params) -> dict:
    _unsupported(p)
    name = p.string("Name", required=True, max_len=MAX_NAME)
    description = p.string("Description", required=True, max_len=MAX_DESCRIPTION)
    active = _status(p, required=True)
    keywords = p.string("Keywords", max_len=quals.MAX_KEYWORDS, min_len=0) or ""
    retry = p.integer("RetryDelayInSeconds", low=0, high=quals.MAX_RETRY_DELAY_S)
    qtype = quals.create_type(requester_id=ctx.requester_id, name=name, description=description, now=ctx.now,
                              keywords=keywords, active=bool(active), retry_delay_s=retry)
    return {"QualificationType": _types_out([qtype])[0]}


def get_qualification_type(ctx: Ctx, p: Params) -> dict:
    text = p.string("QualificationTypeId", required=True, max_len=64)
    try:
        qtype = quals.type_of(requester_id=ctx.requester_id, qtype_id=_type_number(ctx, text))
    except NotAllowed:
        raise _missing(text) from None
    return {"QualificationType": _types_out([qtype])[0]}


def list_qualification_types(ctx: Ctx, p: Params) -> dict:
    if p.data.get("MustBeRequestable") is None:
        raise request_error("MustBeRequestable is required.", "AWS.MechanicalTurk.MissingParameter")
    query = p.string("Query", max_len=200)
    after = ids.parse_page_token(ctx.requester_id, "qtypes", p.string("NextToken", max_len=ids.MAX_TOKEN))
    limit = p.integer("MaxResults", low=1, high=100) or DEFAULT_PAGE
    rows, more = quals.types_page(requester_id=ctx.requester_id, query=query,
                                  must_be_requestable=p.boolean("MustBeRequestable"),
                                  owned_only=p.boolean("MustBeOwnedByCaller"), after_id=after, limit=limit)
    out: dict = {"NumResults": len(rows), "QualificationTypes": _types_out(rows)}
    if more:
        out["NextToken"] = ids.page_token(ctx.requester_id, "qtypes", rows[-1].id)
    return out


def update_qualification_type(ctx: Ctx, p: Params) -> dict:
    _unsupported(p)
    number, text = _own(ctx, p)
    description = p.string("Description", max_len=MAX_DESCRIPTION)
    active = _status(p, required=False)
    retry = p.integer("RetryDelayInSeconds", low=0, high=quals.MAX_RETRY_DELAY_S)
    try:
        qtype = quals.update_type(requester_id=ctx.requester_id, qtype_id=number, description=description,
                                  active=active, retry_delay_s=retry)
    except NotAllowed:
        raise _missing(text) from None
    return {"QualificationType": _types_out([qtype])[0]}


def delete_qualification_type(ctx: Ctx, p: Params) -> dict:
    number, text = _own(ctx, p)
    try:
        quals.delete_type(requester_id=ctx.requester_id, qtype_id=number)
    except StaleAction as exc:  # a NotAllowed too: first
        raise request_error(exc.message, "AWS.MechanicalTurk.InvalidQualificationTypeState") from None
    except NotAllowed:
        raise _missing(text) from None
    return {}


def _worker(ctx: Ctx, p: Params) -> int:
    ref = p.string("WorkerId", required=True, max_len=64)
    found = workers.workers_of(requester_id=ctx.requester_id, refs=[ref]).get(ref)
    if found is None:
        raise request_error(f"Worker {ref} has not worked for you, so hitbot knows nobody by that WorkerId.",
                            "AWS.MechanicalTurk.WorkerDoesNotExist")
    return found


def _not_held(exc: NotFound) -> Exception:
    return request_error(exc.message, "AWS.MechanicalTurk.QualificationDoesNotExist")


def associate_qualification_with_worker(ctx: Ctx, p: Params) -> dict:
    number, text = _own(ctx, p)
    worker_id = _worker(ctx, p)
    value = p.integer("IntegerValue", low=0, high=MAX_VALUE)
    notify = p.data.get("SendNotification") is None or p.boolean("SendNotification")  # MTurk: true by default
    try:
        quals.grant(requester_id=ctx.requester_id, qtype_id=number, worker_id=worker_id,
                    value=1 if value is None else value, notify=notify, now=ctx.now)
    except NotAllowed:
        raise _missing(text) from None
    return {}


def disassociate_qualification_from_worker(ctx: Ctx, p: Params) -> dict:
    number, text = _own(ctx, p)
    worker_id = _worker(ctx, p)
    reason = p.string("Reason", max_len=quals.MAX_REASON)
    try:
        quals.revoke(requester_id=ctx.requester_id, qtype_id=number, worker_id=worker_id, reason=reason,
                     now=ctx.now)
    except NotAllowed:
        raise _missing(text) from None
    except NotFound as exc:
        raise _not_held(exc) from None
    return {}


def _qualification(ctx: Ctx, row: QualificationGrant, type_text: str) -> dict:
    return {"QualificationTypeId": type_text, "WorkerId": worker_ref(ctx.requester_id, row.worker_id),
            "GrantTime": ts(row.granted_at), "IntegerValue": row.value, "Status": "Granted"}


def get_qualification_score(ctx: Ctx, p: Params) -> dict:
    number, text = _own(ctx, p)
    worker_id = _worker(ctx, p)
    try:
        row = quals.score(requester_id=ctx.requester_id, qtype_id=number, worker_id=worker_id)
    except NotAllowed:
        raise _missing(text) from None
    except NotFound as exc:
        raise _not_held(exc) from None
    return {"Qualification": _qualification(ctx, row, text)}


def list_workers_with_qualification_type(ctx: Ctx, p: Params) -> dict:
    number, text = _own(ctx, p)
    status = p.string("Status", max_len=16)
    if status not in (None, "Granted", "Revoked"):
        raise request_error("Status must be Granted or Revoked.")
    kind = f"qw{number}"
    after = ids.parse_page_token(ctx.requester_id, kind, p.string("NextToken", max_len=ids.MAX_TOKEN))
    limit = p.integer("MaxResults", low=1, high=100) or DEFAULT_PAGE
    try:
        rows, more = quals.holders_page(requester_id=ctx.requester_id, qtype_id=number, after_id=after, limit=limit)
    except NotAllowed:
        raise _missing(text) from None
    if status == "Revoked":  # hitbot forgets a grant when it is taken away
        rows, more = [], False
    out: dict = {"NumResults": len(rows), "Qualifications": [_qualification(ctx, r, text) for r in rows]}
    if more:
        out["NextToken"] = ids.page_token(ctx.requester_id, kind, rows[-1].id)
    return out


def list_hits_for_qualification_type(ctx: Ctx, p: Params) -> dict:
    text = p.string("QualificationTypeId", required=True, max_len=64)
    number = _type_number(ctx, text)
    kind = f"qh{number}"
    before = ids.parse_page_token(ctx.requester_id, kind, p.string("NextToken", max_len=ids.MAX_TOKEN))
    limit = p.integer("MaxResults", low=1, high=100) or DEFAULT_PAGE
    try:
        hits, more = quals.hits_page(requester_id=ctx.requester_id, qtype_id=number, before_id=before, limit=limit)
    except NotAllowed:
        raise _missing(text) from None
    out: dict = {"NumResults": len(hits), "HITs": _shapes(ctx, hits)}
    if more:
        out["NextToken"] = ids.page_token(ctx.requester_id, kind, hits[-1].id)
    return out


def list_qualification_requests(ctx: Ctx, p: Params) -> dict:
    text = p.string("QualificationTypeId", max_len=64)
    if text is not None:
        try:
            quals.type_of(requester_id=ctx.requester_id, qtype_id=_type_number(ctx, text))
        except NotAllowed:
            raise _missing(text) from None
    ids.parse_page_token(ctx.requester_id, "qreq", p.string("NextToken", max_len=ids.MAX_TOKEN))
    p.integer("MaxResults", low=1, high=100)
    return {"NumResults": 0, "QualificationRequests": []}


def _no_request(p: Params) -> Exception:
    text = p.string("QualificationRequestId", required=True, max_len=64)
    return request_error(f"Qualification request {text} does not exist: {NO_REQUESTS}",
                         "AWS.MechanicalTurk.QualificationRequestDoesNotExist")


def accept_qualification_request(ctx: Ctx, p: Params) -> dict:
    p.integer("IntegerValue", low=0, high=MAX_VALUE)
    raise _no_request(p)


def reject_qualification_request(ctx: Ctx, p: Params) -> dict:
    p.string("Reason", max_len=quals.MAX_REASON)
    raise _no_request(p)
