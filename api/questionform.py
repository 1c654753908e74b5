"""MTurk's QuestionForm XML, read into hitbot's questions (defusedxml: no DTDs, no entities, no
network; bounded size, depth and element count).

SelectionAnswer radiobutton/dropdown/list/combobox -> choice, checkbox/multichooser -> multi;
FreeTextAnswer -> number when IsNumeric constrains it, else text (Length kept); the form's
Overview (Title, Text, List, FormattedContent) becomes the HIT's instructions, and its first
Binary image the HIT's picture. An HTMLQuestion or ExternalQuestion is a web task: one question
the task page answers (api.taskpages). What hitbot can't honour is refused, never dropped."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from api.errors import request_error

MAX_XML_BYTES = 65_535  # MTurk's own limit for a Question
MAX_DEPTH = 20
MAX_ELEMENTS = 5_000
MAX_IDENTIFIER = 256
MAX_URL = 2048
MAX_FRAME_HEIGHT = 10_000
WEB_PROMPT = "Do this task on its page: tap Open task."
SINGLE = ("radiobutton", "dropdown", "list", "combobox")
MULTIPLE = ("checkbox", "multichooser")
_TAG = re.compile(r"<[^>]{0,2000}>")
CODE = "AWS.MechanicalTurk.XMLParseError"


@dataclass
class Form:
    questions: list[dict]  # hitbot question specs (core.hits.spec.QuestionSpec fields)
    overview: str
    attachment: str | None
    identifiers: dict = field(default_factory=dict)  # key -> {"id": ..., "selections": {text: id}}
    web: WebSource | None = None  # an HTMLQuestion or ExternalQuestion: done on a task page


@dataclass(frozen=True)
class WebSource:
    """A web task's page: the requester's HTML (hosted by hitbot on the tasks origin) or their URL."""

    kind: str  # "html" | "external"
    content: str  # the HTMLContent, or the ExternalURL
    frame_height: int  # pixels; 0 = the whole screen


def _url_allowed(url: str) -> bool:
    """https only (the page sees a worker's work); plain http to this machine, for testing."""
    parts = urlsplit(url)
    if parts.username or parts.password or any(c.isspace() for c in url):
        return False
    return parts.scheme == "https" and bool(parts.hostname) or (
        parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"))


def web_source(root: Element) -> WebSource:
    """An HTMLQuestion's HTMLContent or an ExternalQuestion's ExternalURL, with its FrameHeight."""
    name = _local(root.tag)
    raw_height = _text(_child(root, "FrameHeight")) or "0"
    if not raw_height.isascii() or not raw_height.isdigit() or int(raw_height) > MAX_FRAME_HEIGHT:
        raise _bad(f"FrameHeight must be a whole number of pixels from 0 to {MAX_FRAME_HEIGHT}.")
    if name == "HTMLQuestion":
        content = (_child(root, "HTMLContent").text or "") if _child(root, "HTMLContent") is not None else ""
        if not content.strip():
            raise _bad("HTMLQuestion needs an HTMLContent with the page's HTML (in a CDATA section).")
        return WebSource("html", content, int(raw_height))
    url = _text(_child(root, "ExternalURL"))
    if not url or len(url) > MAX_URL or not _url_allowed(url):
        raise _bad(f"ExternalURL must be an https:// URL of at most {MAX_URL} characters (http:// only to "
                   "localhost or 127.0.0.1, for testing).")
    return WebSource("external", url, int(raw_height))


def parse_web(xml: str) -> WebSource | None:
    """The web source of a stored Question, None for a QuestionForm."""
    root = parse_xml(xml)
    return web_source(root) if _local(root.tag) in ("HTMLQuestion", "ExternalQuestion") else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: Element, name: str) -> Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _sub(el: Element | None, name: str) -> Element:
    """The named child, or an empty element: lets a missing part read as empty."""
    found = _child(el, name) if el is not None else None
    return found if found is not None else Element(name)


def _text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _bad(message: str) -> Exception:
    return request_error(f"Question: {message}", CODE)


def parse_xml(xml: str) -> Element:
    data = xml.encode()
    if len(data) > MAX_XML_BYTES:
        raise _bad(f"the XML can have at most {MAX_XML_BYTES} bytes (it has {len(data)}).")
    depth = count = 0
    root = None
    try:
        for event, el in iterparse(BytesIO(data), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                count += 1
                root = el if root is None else root
                if depth > MAX_DEPTH or count > MAX_ELEMENTS:
                    raise _bad(f"the XML is nested deeper than {MAX_DEPTH} or has more than {MAX_ELEMENTS} "
                               "elements.")
            else:
                depth -= 1
    except DefusedXmlException:
        raise _bad("DTDs and entities are not allowed in the XML.") from None
    except ParseError as exc:
        raise _bad(f"the XML is not well formed ({exc}).") from None
    assert root is not None
    return root


def _content(el: Element | None) -> tuple[list[str], str | None]:
    """Text lines and the first image URL of an Overview or QuestionContent."""
    lines: list[str] = []
    image = None
    if el is None:
        return lines, image
    for part in el:
        name = _local(part.tag)
        if name in ("Title", "Text"):
            if _text(part):
                lines.append(_text(part))
        elif name == "List":
            lines += [f"• {_text(item)}" for item in _children(part, "ListItem") if _text(item)]
        elif name == "FormattedContent":
            plain = html.unescape(_TAG.sub(" ", part.text or ""))
            plain = "\n".join(" ".join(line.split()) for line in plain.splitlines())
            plain = re.sub(r"\n{3,}", "\n\n", plain).strip()
            if plain:
                lines.append(plain)
        elif name == "Binary":
            url = _text(_child(part, "DataURL"))
            alt = _text(_child(part, "AltText"))
            kind = _text(_child(_sub(part, "MimeType"), "Type"))
            if alt:
                lines.append(alt)
            if image is None and kind == "image" and url.startswith(("https://", "http://")):
                image = url
        elif name in ("EmbeddedBinary", "Application", "JavaApplet", "Flash"):
            raise _bad(f"{name} content is not supported.")
    return lines, image


def _selection_question(spec: dict, answer: Element, required_given: bool) -> dict:
    style = _text(_child(answer, "StyleSuggestion")).lower()
    if _child(_sub(answer, "Selections"), "OtherSelection") is not None:
        raise _bad(f"question {spec['_id']}: OtherSelection is not supported yet.")
    selections = []
    for sel in _children(_sub(answer, "Selections"), "Selection"):
        ident = _text(_child(sel, "SelectionIdentifier"))
        text = _text(_child(sel, "Text"))
        if not text:
            text = " ".join(_content(sel)[0])
        if not ident or len(ident) > MAX_IDENTIFIER:
            raise _bad(f"question {spec['_id']}: every Selection needs a SelectionIdentifier of 1 to "
                       f"{MAX_IDENTIFIER} characters.")
        if not text:
            raise _bad(f"question {spec['_id']}: selection {ident} needs a Text to show.")
        selections.append((ident, text))
    if len({i for i, _ in selections}) != len(selections):
        raise _bad(f"question {spec['_id']}: SelectionIdentifiers must be different from each other.")
    low = _count(answer, "MinSelectionCount", spec)
    high = _count(answer, "MaxSelectionCount", spec)
    if style and style not in SINGLE + MULTIPLE:
        raise _bad(f"question {spec['_id']}: StyleSuggestion must be one of {', '.join(SINGLE + MULTIPLE)}.")
    multi = style in MULTIPLE or (not style and high is not None and high > 1)
    if multi and high is not None and high < len(selections):
        raise _bad(f"question {spec['_id']}: a MaxSelectionCount below the number of selections is not supported "
                   "yet.")
    if (low or 0) > 1:
        raise _bad(f"question {spec['_id']}: a MinSelectionCount above 1 is not supported yet.")
    if low == 0 and not required_given:
        spec["required"] = False
    elif low == 1:
        spec["required"] = True
    spec.update(kind="multi" if multi else "choice", options=[t for _, t in selections])
    spec["_selections"] = {t.strip(): i for i, t in selections}
    return spec


def _count(el: Element, name: str, spec: dict) -> int | None:
    raw = _text(_child(el, name))
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        raise _bad(f"question {spec['_id']}: {name} must be a whole number.")
    return int(raw)


def _number(raw: str | None, what: str, spec: dict) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _bad(f"question {spec['_id']}: {what} must be a number.") from None
    if value != value or abs(value) > 1e12:
        raise _bad(f"question {spec['_id']}: {what} must be a number within ±1e12.")
    return int(value) if value.is_integer() else value


def _free_text_question(spec: dict, answer: Element) -> dict:
    constraints = _child(answer, "Constraints")
    spec["kind"] = "text"
    if constraints is None:
        return spec
    if _child(constraints, "AnswerFormatRegex") is not None:
        raise _bad(f"question {spec['_id']}: AnswerFormatRegex is not supported yet.")
    numeric = _child(constraints, "IsNumeric")
    length = _child(constraints, "Length")
    if numeric is not None:
        spec["kind"] = "number"
        for attr, key in (("minValue", "min"), ("maxValue", "max")):
            value = _number(numeric.get(attr), attr, spec)
            if value is not None:
                spec[key] = value
    if length is not None and spec["kind"] == "text":
        low = _number(length.get("minLength"), "minLength", spec)
        high = _number(length.get("maxLength"), "maxLength", spec)
        if low:
            spec["min"] = int(low)
        if high:
            spec["max_length"] = int(high)
    return spec


def parse(xml: str) -> Form:
    root = parse_xml(xml)
    name = _local(root.tag)
    if name in ("HTMLQuestion", "ExternalQuestion"):
        source = web_source(root)
        web = {"id": "q1", "kind": "web", "prompt": WEB_PROMPT, "required": True}
        return Form([web], "", None, {"q1": {"id": "web", "selections": {}}}, source)
    if name != "QuestionForm":
        raise _bad(f"the root element must be QuestionForm, not {name}.")
    overview: list[str] = []
    attachment = None
    questions: list[dict] = []
    identifiers: dict = {}
    for part in root:
        kind = _local(part.tag)
        if kind == "Overview":
            lines, image = _content(part)
            overview += lines
            attachment = attachment or image
            continue
        if kind != "Question":
            raise _bad(f"unexpected element {kind} in the QuestionForm.")
        ident = _text(_child(part, "QuestionIdentifier"))
        if not ident or len(ident) > MAX_IDENTIFIER:
            raise _bad(f"every Question needs a QuestionIdentifier of 1 to {MAX_IDENTIFIER} characters.")
        if any(v["id"] == ident for v in identifiers.values()):
            raise _bad(f"QuestionIdentifier {ident} is used twice.")
        required_raw = _text(_child(part, "IsRequired")).lower()
        if required_raw not in ("", "true", "false"):
            raise _bad(f"question {ident}: IsRequired must be true or false.")
        lines, _ = _content(_child(part, "QuestionContent"))
        prompt = "\n".join(lines) or _text(_child(part, "DisplayName")) or ident
        spec: dict = {"_id": ident, "id": f"q{len(questions) + 1}", "prompt": prompt,
                      "required": required_raw == "true"}
        answer_spec = _child(part, "AnswerSpecification")
        answer = next(iter(answer_spec), None) if answer_spec is not None else None
        answer_kind = _local(answer.tag) if answer is not None else None
        if answer_kind == "SelectionAnswer":
            _selection_question(spec, answer, required_raw != "")
        elif answer_kind == "FreeTextAnswer":
            _free_text_question(spec, answer)
        elif answer_kind == "FileUploadAnswer":
            raise _bad(f"question {ident}: FileUploadAnswer is not supported yet.")
        else:
            raise _bad(f"question {ident}: AnswerSpecification needs a SelectionAnswer or a FreeTextAnswer.")
        identifiers[spec["id"]] = {"id": ident, "selections": spec.pop("_selections", {})}
        spec.pop("_id")
        questions.append(spec)
    if not questions:
        raise _bad("the QuestionForm has no Question.")
    return Form(questions, "\n".join(overview), attachment, identifiers)
