"""Qualification types and scores: Create/Get/List/Update/DeleteQualificationType,
Associate/DisassociateQualificationWithWorker, GetQualificationScore, ListWorkersWithQualificationType,
ListHITsForQualificationType, and List/Accept/RejectQualificationRequest: the requests workers make in
chat (core.quals.requests), the same ones the requester grants or refuses there.

A type is hitbot's own (the one /quals shows in chat); the built-in ones keep MTurk's ids
(api.requirements.BUILTIN) and can be required and listed, not granted."""
from __future__ import annotations

import re

from api import ids, requirements
from api.errors import request_error
from api.ops import Ctx
from api.ops.hits import _shapes
from api.ops.paging import Page
from api.params import Params
from api.shapes import ts
from core.errors import NotAllowed, NotFound, StaleAction
from core.models import MturkQualType, QualificationGrant, QualificationType
from core.mturk import quals, workers
from core.mturk.commands import worker_ref
from core.mturk.ids import base36
from core.quals import requests as qual_requests
from core.quals.commands import MAX_DESCRIPTION, MAX_NAME, MAX_VALUE

STATUSES = ("Active", "Inactive")
REQUEST_PREFIX = "3QR"
_REQUEST_ID = re.compile(r"3QR([0-9A-Z]{12})")


def _unsupported(p: Params) -> None:
    p.refuse("Test", "AnswerKey", "TestDurationInSeconds",
             why="is not supported: hitbot's qualification tests are multiple-choice quizzes made in chat (/qual), "
                 "which grant the score as the value; make the test there")


def _auto(p: Params) -> int | None | object:
    """AutoGranted / AutoGrantedValue as the type's setting: the value requests get at once, None
    (not auto-granted) or KEEP (neither given)."""
    given = p.data.get("AutoGranted")
    value = p.integer("AutoGrantedValue", low=0, high=MAX_VALUE)
    if given is None:
        return qual_requests.KEEP if value is None else value
    return (1 if value is None else value) if p.boolean("AutoGranted") else None


def _set_auto(ctx: Ctx, number: int, auto: int | None | object) -> None:
    if auto is not qual_requests.KEEP:
        qual_requests.set_auto_grant(owner_id=ctx.requester_id, qtype_id=number, value=auto)  # type: ignore[arg-type]


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
        "AutoGranted": qtype.auto_grant_value is not None,
    }
    if qtype.auto_grant_value is not None:
        out["AutoGrantedValue"] = qtype.auto_grant_value
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
    auto = _auto(p)
    qtype = quals.create_type(requester_id=ctx.requester_id, name=name, description=description, now=ctx.now,
                              keywords=keywords, active=bool(active), retry_delay_s=retry)
    _set_auto(ctx, qtype.id, auto)
    qtype = quals.type_of(requester_id=ctx.requester_id, qtype_id=qtype.id)
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
    page = Page.of(ctx, p, "qtypes")
    rows, more = quals.types_page(requester_id=ctx.requester_id, query=query,
                                  must_be_requestable=p.boolean("MustBeRequestable"),
                                  owned_only=p.boolean("MustBeOwnedByCaller"), after_id=page.cursor, limit=page.limit)
    return page.answer("QualificationTypes", _types_out(rows), rows[-1].id if more else None)


def update_qualification_type(ctx: Ctx, p: Params) -> dict:
    _unsupported(p)
    number, text = _own(ctx, p)
    description = p.string("Description", max_len=MAX_DESCRIPTION)
    active = _status(p, required=False)
    retry = p.integer("RetryDelayInSeconds", low=0, high=quals.MAX_RETRY_DELAY_S)
    auto = _auto(p)
    try:
        quals.update_type(requester_id=ctx.requester_id, qtype_id=number, description=description,
                          active=active, retry_delay_s=retry)
        _set_auto(ctx, number, auto)
        qtype = quals.type_of(requester_id=ctx.requester_id, qtype_id=number)
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
    found = (workers.workers_of(requester_id=ctx.requester_id, refs=[ref]).get(ref)
             or qual_requests.workers_asking(requester_id=ctx.requester_id, refs=[ref]).get(ref))
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
    page = Page.of(ctx, p, f"qw{number}")
    try:
        rows, more = quals.holders_page(requester_id=ctx.requester_id, qtype_id=number, after_id=page.cursor,
                                        limit=page.limit)
    except NotAllowed:
        raise _missing(text) from None
    if status == "Revoked":  # hitbot forgets a grant when it is taken away
        rows, more = [], False
    return page.answer("Qualifications", [_qualification(ctx, r, text) for r in rows], rows[-1].id if more else None)


def list_hits_for_qualification_type(ctx: Ctx, p: Params) -> dict:
    text = p.string("QualificationTypeId", required=True, max_len=64)
    number = _type_number(ctx, text)
    page = Page.of(ctx, p, f"qh{number}")
    try:
        hits, more = quals.hits_page(requester_id=ctx.requester_id, qtype_id=number, before_id=page.cursor,
                                     limit=page.limit)
    except NotAllowed:
        raise _missing(text) from None
    return page.answer("HITs", _shapes(ctx, hits), hits[-1].id if more else None)


def request_id(n: int) -> str:
    return REQUEST_PREFIX + base36(n)


def _request_number(p: Params) -> int:
    text = p.string("QualificationRequestId", required=True, max_len=64)
    match = _REQUEST_ID.fullmatch(text)
    if match is None:
        raise _no_request(text)
    return int(match.group(1), 36)


def _no_request(text: str, why: str = "does not exist (or is not for one of your qualification types)") -> Exception:
    return request_error(f"Qualification request {text[:64]} {why}.",
                         "AWS.MechanicalTurk.QualificationRequestDoesNotExist")


def list_qualification_requests(ctx: Ctx, p: Params) -> dict:
    """The requests waiting for the requester, oldest first (decided ones are gone, as on MTurk)."""
    text = p.string("QualificationTypeId", max_len=64)
    number = None
    if text is not None:
        number = _type_number(ctx, text)
        try:
            quals.type_of(requester_id=ctx.requester_id, qtype_id=number)
        except NotAllowed:
            raise _missing(text) from None
    page = Page.of(ctx, p, "qreq")
    try:
        rows, more = qual_requests.waiting_page(requester_id=ctx.requester_id, qtype_id=number, after_id=page.cursor,
                                                limit=page.limit)
    except NotAllowed:  # a built-in type: nobody requests those
        rows, more = [], False
    return page.answer("QualificationRequests", [
        {"QualificationRequestId": request_id(r.id), "QualificationTypeId": ids.qual_type_id(r.qtype_id),
         "WorkerId": worker_ref(ctx.requester_id, r.worker_id), "Test": "", "Answer": "",
         "SubmitTime": ts(r.submitted_at)} for r in rows], rows[-1].id if more else None)


def _decide(ctx: Ctx, p: Params, grant: bool) -> dict:
    value = p.integer("IntegerValue", low=0, high=MAX_VALUE) if grant else None
    reason = "" if grant else (p.string("Reason", max_len=qual_requests.MAX_REASON, min_len=0) or "")
    number = _request_number(p)
    text = request_id(number)
    try:
        qual_requests.decide(requester_id=ctx.requester_id, request_id=number, grant=grant, value=value,
                             reason=reason, now=ctx.now, via="api")
    except StaleAction:  # before NotAllowed: a StaleAction is one
        raise _no_request(text, "was already granted or refused") from None
    except NotAllowed:
        raise _no_request(text) from None
    return {}


def accept_qualification_request(ctx: Ctx, p: Params) -> dict:
    return _decide(ctx, p, grant=True)


def reject_qualification_request(ctx: Ctx, p: Params) -> dict:
    return _decide(ctx, p, grant=False)
