"""A web task's answer read back: the form's [name, value] pairs as stored, with MTurk's
`taskAnswers` (what a crowd-form sends: a JSON array holding one object of every element's
answer) opened into its members. Pure functions, shared by the results export and the
requester's review card; the values are the page's and may be anything, so every reader is
bounded (depth, boxes, numbers)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

TASK_ANSWERS = "taskAnswers"
MAX_DEPTH = 4  # nesting flattened into dotted columns; deeper parts stay JSON
MAX_BOXES = 500  # boxes read from one bounding-box answer
MAX_COORD = 1e9  # a coordinate or size beyond this is not an image's


def pairs(value: object) -> list[tuple[str, str]]:
    """The stored pairs that are pairs (a stored answer is a list of [name, value])."""
    if not isinstance(value, list):
        return []
    return [(str(p[0]), str(p[1])) for p in value if isinstance(p, (list, tuple)) and len(p) == 2]


def is_form(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value)


def crowd_object(raw: str) -> dict | None:
    """taskAnswers' one object, or None when the text is not MTurk's JSON."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        return data[0]
    return data if isinstance(data, dict) else None


def fields(value: object) -> list[tuple[str, object]]:
    """(name, value) in the form's order: a plain field's text, each crowd element's answer as MTurk's
    JSON gave it (a taskAnswers that is not MTurk's JSON stays one text field)."""
    out: list[tuple[str, object]] = []
    for name, text in pairs(value):
        crowd = crowd_object(text) if name == TASK_ANSWERS else None
        if crowd is None:
            out.append((name, text))
        else:
            out.extend((str(k), v) for k, v in crowd.items())
    return out


def structured(value: object) -> dict[str, object]:
    """The fields by name for programs (the JSON results): a repeated name holds the list of its values."""
    out: dict[str, object] = {}
    repeated: set[str] = set()
    for name, v in fields(value):
        if name not in out:
            out[name] = v
        else:
            if name not in repeated:
                out[name] = [out[name]]
                repeated.add(name)
            out[name].append(v)  # type: ignore[union-attr]
    return out


def _scalar(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _flatten(name: str, v: object, out: dict[str, str], depth: int) -> None:
    if isinstance(v, dict) and v and depth < MAX_DEPTH:
        for k, inner in v.items():
            _flatten(f"{name}.{k}", inner, out, depth + 1)
        return
    text = _scalar(v)
    out[name] = out[name] + "|" + text if name in out else text


def flat(value: object) -> dict[str, str]:
    """Column name (after `answer.`) -> cell, as MTurk's batch results write a form: a repeated name's
    values joined with `|`; a crowd element's object flattened with dots (`weather.label`, `blurry.on`,
    `boxes.inputImageProperties.width`), lists kept as JSON (`boxes.boundingBoxes`)."""
    out: dict[str, str] = {}
    for name, v in fields(value):
        _flatten(name, v, out, 0)
    return out


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class BoxAnswer:
    """One crowd-bounding-box answer: its boxes, and the image size the page reported (None: not given)."""
    name: str
    boxes: tuple[Box, ...]
    total: int  # boxes the answer holds (only the first MAX_BOXES are read)
    image_width: float | None
    image_height: float | None


def _number(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) and abs(f) <= MAX_COORD else None


def _size(v: object) -> float | None:
    n = _number(v)
    return n if n is not None and n >= 1 else None


def box_answer(name: str, v: object) -> BoxAnswer | None:
    if not isinstance(v, dict) or not isinstance(v.get("boundingBoxes"), list):
        return None
    raw = v["boundingBoxes"]
    boxes = []
    for b in raw[:MAX_BOXES]:
        if not isinstance(b, dict):
            continue
        left, top, width, height = (_number(b.get(k)) for k in ("left", "top", "width", "height"))
        if None in (left, top, width, height):
            continue
        label = b.get("label")
        boxes.append(Box(left, top, width, height, label if isinstance(label, str) else ""))  # type: ignore[arg-type]
    props = v.get("inputImageProperties")
    props = props if isinstance(props, dict) else {}
    return BoxAnswer(name, tuple(boxes), len(raw), _size(props.get("width")), _size(props.get("height")))


def box_answers(value: object) -> list[BoxAnswer]:
    """Every bounding-box answer of the form that holds at least one box."""
    found = (box_answer(name, v) for name, v in fields(value))
    return [a for a in found if a is not None and a.boxes]
