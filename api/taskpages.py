"""Web tasks' pages, served on an origin of their own (HITBOT_TASKS_URL): never the bot's, the
API's or the sandbox's, so a requester's script runs where there is nothing of hitbot to read.

GET  /task/<token>                      hitbot's wrapper (the Mini App): title and deadline, no task yet
POST /task/<token>/init                 Telegram's initData, checked (signature, age, the worker's account):
                                        answers the frame's URL, with a frame credential in it
GET  /task/<token>?via=link             the plain link's wrapper (Open in browser): the frame at once, its
                                        credential bound to the link, not to a Telegram account
GET  /task/<token>/page?...&credential= an HTMLQuestion's HTML, sandboxed by its CSP (an opaque origin)
POST /s/<token>/<credential>/mturk/externalSubmit   the form: `turkSubmitTo` is <origin>/s/<token>/<credential>
GET  /preview/<token>[/page]            the page before Accept (MTurk's ASSIGNMENT_ID_NOT_AVAILABLE), open to
                                        anyone: nothing can be submitted from it
POST /preview/<token>/init              initData checked, for the look of it (a preview binds nothing)

The token names the assignment; the credential says the page was opened by its worker. Core
re-checks both on every request."""
from __future__ import annotations

import asyncio
import html
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from api.questionform import parse_web
from api.server import ApiServer
from core.config import get_settings
from core.db import release
from core.errors import DeadlinePassed, HitbotError, NotFound, StaleAction, ValidationFailed
from core.webtasks import commands as webtasks
from core.webtasks.tokens import CREDENTIAL, LINK, assignment_of_token, verify_init_data

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 512 * 1024
CLOCK = web.AppKey("clock", Callable[[], datetime])
PREVIEW_ASSIGNMENT = "ASSIGNMENT_ID_NOT_AVAILABLE"  # what MTurk passes before Accept
NOWHERE = "'none'"
SUBMIT_URLS = ("https://www.mturk.com/mturk/externalSubmit", "https://workersandbox.mturk.com/mturk/externalSubmit")
EXTERNAL_HIT_JS = ("https://s3.amazonaws.com/mturk-public/externalHIT_v1.js",)
# MTurk's Crowd HTML Elements, served by hitbot's own implementation of the same tags (api/static).
CROWD_JS = ("https://assets.crowd.aws/crowd-html-elements.js",
            "https://assets.crowd.aws/crowd-html-elements-without-ce-polyfill.js")
CROWD_JS_FILE = Path(__file__).resolve().parent / "static" / "crowd-html-elements.js"
# MTurk's externalHIT_v1.js, as far as HTMLQuestion pages use it: read the query, fill assignmentId.
COMPAT_JS = """function turkGetParam(name, dflt) {
  var v = new URLSearchParams(window.location.search).get(name); return v === null ? dflt : v; }
function turkSetAssignmentID(elementId) {
  var el = document.getElementById(elementId || 'assignmentId'); if (el) el.value = turkGetParam('assignmentId', '');
  var form = document.getElementById('mturk_form');
  if (form) form.action = turkGetParam('turkSubmitTo', '') + '/mturk/externalSubmit'; }
"""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _origin() -> str:
    base = get_settings().tasks_url
    assert base, "the task pages need HITBOT_TASKS_URL"
    return base


def _page(title: str, body: str, status: int = 200) -> web.Response:
    doc = (f"<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
           f"<title>{html.escape(title)}</title><style>body{{font:16px system-ui,sans-serif;margin:1.5em}}</style>"
           f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p></body></html>")
    return web.Response(text=doc, status=status, content_type="text/html",
                        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                 "frame-ancestors *", **_common_headers()})


def _common_headers() -> dict[str, str]:
    return {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


# Why a frame or a submit without a valid credential is refused (webtasks.FrameRefused.reason).
FRAME_REFUSED = {
    "missing": "This task page must be opened from its Open task button in the chat (or its Open in browser "
               "link); opened any other way it shows and submits nothing.",
    "invalid": "This task page's link is not valid for this task, or was opened from another Telegram account. "
               "Open the task again from the chat.",
    "expired": "This task page's link has expired. Open the task again from the chat.",
    "links-off": "Tasks open only from the Open task button in the chat here, not as a plain link.",
}


def _refusal(exc: HitbotError) -> web.Response:
    if isinstance(exc, webtasks.FrameRefused):
        return _page("Task not opened", FRAME_REFUSED.get(exc.reason, FRAME_REFUSED["invalid"]), 403)
    status = 404 if isinstance(exc, NotFound) else 400 if isinstance(exc, ValidationFailed) else 409
    title = "Task not found" if status == 404 else "Task closed" if status == 409 else "Not submitted"
    if isinstance(exc, DeadlinePassed):
        status, title = 409, "Time ran out"
    return _page(title, exc.message, status)


async def _core(fn, **kwargs):
    def run():
        try:
            return fn(**kwargs)
        finally:
            release()
    return await asyncio.to_thread(run)


def _query(task: webtasks.TaskPage, token: str, credential: str) -> dict[str, str]:
    """MTurk's query parameters, exactly as MTurk adds them to a task page; turkSubmitTo carries
    the frame credential, so a page posting to turkSubmitTo/mturk/externalSubmit needs nothing new."""
    return {"assignmentId": task.assignment_ref, "hitId": task.hit_ref, "workerId": task.worker_ref,
            "turkSubmitTo": f"{_origin()}/s/{token}/{credential}"}


def _with_query(url: str, params: dict[str, str]) -> str:
    base, _, fragment = url.partition("#")
    joined = base + ("&" if "?" in base else "?") + urlencode(params)
    return joined + (f"#{fragment}" if fragment else "")


async def _opened(request: web.Request, opener, *, own_html: bool = False, **kwargs):
    """(the page core opened for the link's token, its parsed source), or the refusal to answer with.
    own_html: the requester's HTML is wanted (an external page has none here)."""
    try:
        task = await _core(opener, token=request.match_info["token"], now=request.app[CLOCK](), **kwargs)
    except HitbotError as exc:
        return _refusal(exc)
    return _sourced(task, own_html=own_html)


def _sourced(task, *, own_html: bool = False):
    source = parse_web(task.question_xml)
    if own_html and (source is None or source.kind != "html"):
        return _page("Task not found", "This HIT has no page of its own.", 404)
    if source is None:
        return _page("Task not found", "This HIT has no task page.", 404)
    return task, source


def _task_frame(task: webtasks.TaskPage, source, token: str, credential: str) -> str:
    """The task's frame URL for one credential: the requester's HTML on this origin (the
    credential also in its own query, which only hitbot reads), or their external page with
    MTurk's four parameters and nothing else."""
    params = _query(task, token, credential)
    if source.kind == "html":
        params["credential"] = credential
    return _frame(source, f"/task/{token}/page", params)[0]


async def wrapper(request: web.Request) -> web.Response:
    """The Mini App's wrapper holds no task: its script has /init check Telegram's initData first.
    `?via=link` is the plain link's (no initData there): the frame comes at once."""
    token = request.match_info["token"]
    if request.query.get("via") == "link":
        try:
            task, credential = await _core(webtasks.open_frame, token=token, opener=LINK, now=request.app[CLOCK]())
        except HitbotError as exc:
            return _refusal(exc)
        sourced = _sourced(task)
        if isinstance(sourced, web.Response):
            return sourced
        _, source = sourced
        frame_origin = _frame(source, "", {})[1]
        return _wrapper_response(task.title, task.deadline, _task_frame(task, source, token, credential),
                                 frame_origin, source.frame_height, check=False)
    opened = await _opened(request, webtasks.open_wrapper)
    if isinstance(opened, web.Response):
        return opened
    task, source = opened
    return _wrapper_response(task.title, task.deadline, None, _frame(source, "", {})[1], source.frame_height)


def _frame(source, own_path: str, params: dict[str, str]) -> tuple[str, str]:
    """What the wrapper frames and that frame's origin: the requester's HTML from this origin's
    `own_path`, or their external page, with MTurk's query parameters either way."""
    if source.kind == "html":
        return f"{_origin()}{own_path}?{urlencode(params)}", _origin()
    parts = urlsplit(source.content)
    return _with_query(source.content, params), f"{parts.scheme}://{parts.netloc}"


def _wrapper_response(title: str, deadline: datetime | None, frame: str | None, frame_origin: str,
                      frame_height: int, *, check: bool = True) -> web.Response:
    """frame None: the Mini App's wrapper, whose script asks /init for the frame with Telegram's
    initData (a page opened without it shows why, and no task). check False: the plain link's,
    which has its frame and asks nothing."""
    nonce = secrets.token_urlsafe(16)
    when = f"Submit before {deadline:%Y-%m-%d %H:%M} UTC" if deadline else "Preview: nothing can be submitted"
    height = f"{frame_height}px" if frame_height else "calc(100vh - 5em)"
    src = f' src="{html.escape(frame, quote=True)}"' if frame else ""
    hidden = "" if frame else " hidden"
    missing = json.dumps(FRAME_REFUSED["missing"])
    doc = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style nonce="{nonce}">body{{margin:0;font:15px system-ui,sans-serif}}header{{padding:.6em 1em;background:#f2f2f2}}
iframe{{border:0;width:100%;height:{height};display:block}}iframe[hidden]{{display:none}}
#refused{{display:none;padding:1em;color:#a00}}</style>
</head><body>
<header><b>{html.escape(title)}</b><br><small>{when}</small></header>
<p id="refused"></p>
<iframe id="task"{src} title="Task"{hidden}></iframe>
<script nonce="{nonce}">
(function () {{
  var tg = window.Telegram && window.Telegram.WebApp;
  if (tg) {{ tg.ready(); tg.expand(); }}
  var frame = document.getElementById('task');
  function refuse(text) {{
    frame.remove();
    var p = document.getElementById('refused'); p.textContent = text; p.style.display = 'block'; }}
  var data = (tg && tg.initData) || new URLSearchParams(location.hash.slice(1)).get('tgWebAppData');
  if (!data) {{ if (!frame.hasAttribute('src')) refuse({missing}); return; }}
  if (!{json.dumps(check)}) return;
  fetch(location.pathname + '/init', {{method: 'POST', body: data}}).then(function (r) {{
    if (!r.ok) return r.text().then(refuse);
    if (frame.hasAttribute('src')) return;  // a preview: the check is all
    return r.json().then(function (answer) {{
      if (answer.frame) {{ frame.src = answer.frame; frame.hidden = false; }} }});
  }}).catch(function () {{ refuse('The task could not be opened; check the connection and open it again.'); }});
}})();
</script></body></html>"""
    csp = (f"default-src 'none'; script-src 'nonce-{nonce}' https://telegram.org; style-src 'nonce-{nonce}'; "
           f"frame-src {frame_origin}; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
           # Telegram's clients (and the sandbox's web chat) show a Mini App in a frame of their own.
           "frame-ancestors *")
    return web.Response(text=doc, content_type="text/html",
                        headers={"Content-Security-Policy": csp, **_common_headers()})


async def preview(request: web.Request) -> web.Response:
    """The page before Accept, as MTurk previews it: assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE, no
    workerId or turkSubmitTo, and nothing can be submitted from it."""
    token = request.match_info["token"]
    opened = await _opened(request, webtasks.open_preview)
    if isinstance(opened, web.Response):
        return opened
    task, source = opened
    params = {"assignmentId": PREVIEW_ASSIGNMENT, "hitId": task.hit_ref}
    frame, frame_origin = _frame(source, f"/preview/{token}/page", params)
    return _wrapper_response(f"{task.title} (preview: Accept in the chat to do it)", None, frame, frame_origin,
                             source.frame_height)


async def preview_html(request: web.Request) -> web.Response:
    opened = await _opened(request, webtasks.open_preview, own_html=True)
    if isinstance(opened, web.Response):
        return opened
    _, source = opened
    return _html_response(source.content, submit_to=None)


async def task_html(request: web.Request) -> web.Response:
    """The requester's HTML on the tasks origin, in a CSP sandbox: an opaque origin that reads no
    cookie or storage and can't reach into the wrapper; forms post only back to this origin. Only
    with the frame credential the wrapper was given."""
    token = request.match_info["token"]
    credential = request.query.get("credential", "")
    opened = await _opened(request, webtasks.open_page, own_html=True, credential=credential)
    if isinstance(opened, web.Response):
        return opened
    _, source = opened
    return _html_response(source.content, submit_to=f"{_origin()}/s/{token}/{credential}/mturk/externalSubmit")


def _html_response(content: str, *, submit_to: str | None) -> web.Response:
    """submit_to None: a preview, whose forms go nowhere."""
    origin = _origin()
    for url in SUBMIT_URLS:
        content = content.replace(url, submit_to or "about:blank")
    for url in EXTERNAL_HIT_JS:
        content = content.replace(url, f"{origin}/static/externalHIT_v1.js")
    for url in CROWD_JS:
        content = content.replace(url, f"{origin}/static/crowd-html-elements.js")
    csp = ("sandbox allow-scripts allow-forms allow-popups; default-src 'none'; "
           f"script-src 'unsafe-inline' 'unsafe-eval' https: {origin}; style-src 'unsafe-inline' https:; "
           "img-src https: data: blob:; media-src https: data: blob:; font-src https: data:; connect-src https:; "
           # Every ancestor must match frame-ancestors, and the wrapper itself sits in Telegram's frame.
           f"form-action {origin if submit_to else NOWHERE}; frame-ancestors *; base-uri 'none'")
    return web.Response(text=content, content_type="text/html",
                        headers={"Content-Security-Policy": csp, **_common_headers()})


async def compat_js(request: web.Request) -> web.Response:
    return web.Response(text=COMPAT_JS, content_type="application/javascript", headers=_common_headers())


@cache
def _crowd_js() -> str:
    return CROWD_JS_FILE.read_text(encoding="utf-8")


async def crowd_js(request: web.Request) -> web.Response:
    return web.Response(text=_crowd_js(), content_type="application/javascript", headers=_common_headers())


async def init_data(request: web.Request) -> web.Response:
    """The Mini App's initData, checked against the bot's token before the task is shown. For a task
    in progress the Telegram user must be the assignment's worker; the answer is the frame's URL
    (JSON `frame`), whose credential is bound to that user. A preview binds nothing: "ok"."""
    settings = get_settings()
    raw = (await request.content.read(8193)).decode("utf-8", "replace")
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    now = request.app[CLOCK]()
    try:
        data = verify_init_data(raw, bot_token=token, now=now, max_age_s=settings.init_data_max_age_s)
        if request.match_info.get("kind") != "task":  # a preview is anyone's to look at
            return web.Response(text="ok", headers=_common_headers())
        user = data.get("user")
        user_id = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            user_id = None  # no one's: refused as another account's
        task, credential = await _core(webtasks.open_frame, token=request.match_info["token"], opener=user_id,
                                       now=now)
    except HitbotError as exc:
        status = 409 if isinstance(exc, StaleAction | DeadlinePassed) else 403
        return web.Response(text=exc.message, status=status, headers=_common_headers())
    sourced = _sourced(task)
    if isinstance(sourced, web.Response):
        return sourced
    frame = _task_frame(task, sourced[1], request.match_info["token"], credential)
    return web.json_response({"frame": frame}, headers=_common_headers())


async def _fields(request: web.Request) -> list[tuple[str, str]]:
    """The form's fields, read within bounds: a chunked body has no Content-Length to refuse
    early, so parts and bytes are counted as they arrive."""
    if not request.content_type.startswith("multipart/"):
        return list((await request.post()).items())  # aiohttp stops at client_max_size
    out: list[tuple[str, str]] = []
    size = 0
    reader = await request.multipart()
    async for part in reader:
        if part.filename is not None:
            raise ValidationFailed("This task's form has a file input; hitbot's task pages take no files.")
        if len(out) > webtasks.MAX_FIELDS:  # one more than the answers: the assignmentId
            raise ValidationFailed(f"The form has more than {webtasks.MAX_FIELDS} fields.")
        chunks = []
        while chunk := await part.read_chunk(64 * 1024):
            size += len(chunk)
            if size > MAX_FORM_BYTES:
                raise ValidationFailed(f"The form is larger than {MAX_FORM_BYTES // 1024} KB.")
            chunks.append(chunk)
        out.append((part.name or "", b"".join(chunks).decode(part.get_charset("utf-8"), errors="replace")))
    return out


async def external_submit(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    credential = request.match_info.get("credential")
    if request.method != "POST":  # a link or an <img> elsewhere must not submit anyone's work
        return _page("Not submitted", "A task's form is sent with POST.", 405)
    if assignment_of_token(token) is None:  # not even shaped like a token: read nothing
        return _page("Task not found", "This task page link is not valid.", 404)
    if credential is None or not CREDENTIAL.match(credential):  # read no form without a credential
        return _refusal(webtasks.FrameRefused(reason="missing" if credential is None else "invalid"))
    if (request.content_length or 0) > MAX_FORM_BYTES:
        return _page("Not submitted", f"The form is larger than {MAX_FORM_BYTES // 1024} KB.", 413)
    try:
        fields = await _fields(request)
        given = next((v for k, v in fields if k == "assignmentId"), None)
        answers = [(k, str(v)) for k, v in fields if k != "assignmentId"]
        await _core(webtasks.submit_page, token=token, credential=credential, fields=answers,
                    assignment_ref_given=given, now=request.app[CLOCK]())
    except HitbotError as exc:
        return _refusal(exc)
    except web.HTTPRequestEntityTooLarge:
        return _page("Not submitted", f"The form is larger than {MAX_FORM_BYTES // 1024} KB.", 413)
    return _page("Submitted", "Thank you! Your work is submitted; the chat confirms it. You can close this page.")


def create_app(*, clock: Callable[[], datetime] = utcnow) -> web.Application:
    app = web.Application(client_max_size=MAX_FORM_BYTES)
    app[CLOCK] = clock
    app.router.add_get("/task/{token}", wrapper)
    app.router.add_get("/task/{token}/page", task_html)
    app.router.add_get("/preview/{token}", preview)
    app.router.add_get("/preview/{token}/page", preview_html)
    app.router.add_post("/{kind:preview|task}/{token}/init", init_data)
    app.router.add_get("/static/externalHIT_v1.js", compat_js)
    app.router.add_get("/static/crowd-html-elements.js", crowd_js)
    app.router.add_route("*", "/s/{token}/{credential}/mturk/externalSubmit", external_submit)  # GET: 405
    app.router.add_route("*", "/s/{token}/mturk/externalSubmit", external_submit)  # no credential: 403
    return app


class TaskServer(ApiServer):
    """The task pages on host:port from a thread of their own; `.url` is the tasks origin."""

    name = "task pages"

    def _make_app(self) -> web.Application:
        return create_app(**self.app_kwargs)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"
