"""A web task's answer on the requester's review card: the form's fields as "name: value" lines,
crowd elements read as a person would ("weather: Rainy", "blurry: ✓", "boxes: 1 box (Car)"), and
a bounding-box answer drawn as a picture (the 🖼 Boxes button).

The picture is drawn on a plain background at the size the page reported: hitbot does not fetch
the task's image, since a page could then make the server fetch any address it likes. Every value
is the page's, so everything is escaped and bounded (a reported size of 10^9 px draws 1280 px).

Why a button and not a photo sent with every card: each bot message counts against Telegram's
per-chat pace, and a batch of box tasks would double the requester's messages (the notice the jobs
worker sends carries no attachments at all); the card's text already says how many boxes and which
labels, and the picture is one press away."""
from __future__ import annotations

import io
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from bot import callbacks
from bot.i18n import _, _n, number
from bot.views.chart import FONT
from bot.views.common import button, clip, esc
from core.webtasks import answers as web

MAX_NAME_CHARS = 60
MAX_LABELS = 5  # distinct labels named in a box summary
MAX_SIDE, MIN_SIDE = 1280, 640  # the picture's longest side (small images are drawn larger, so labels read)
MAX_RATIO = 20  # Telegram refuses a photo longer than 20:1; the canvas is padded to that
MAX_DRAWN = 200  # boxes drawn on one picture
MAX_PICTURES = 3  # pictures one press sends (a form with several box answers)
MAX_LABEL_CHARS = 40
IMAGE_AREA, PADDING, TAG_TEXT = (232, 232, 232), (250, 250, 250), (255, 255, 255)
PALETTE = [(230, 25, 75), (0, 130, 200), (60, 160, 60), (245, 130, 48), (145, 30, 180), (0, 128, 128),
           (170, 110, 40), (128, 0, 0)]
LINE = 3


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def box_summary(answer: web.BoxAnswer) -> str:
    counts = Counter(b.label.strip() for b in answer.boxes if b.label.strip())
    shown = [f"{clip(label, MAX_LABEL_CHARS)} ×{n}" if n > 1 else clip(label, MAX_LABEL_CHARS)
             for label, n in list(counts.items())[:MAX_LABELS]]
    if len(counts) > MAX_LABELS:
        shown.append("…")
    boxes = _n("{n} box", "{n} boxes", answer.total)
    return f"{boxes} ({', '.join(shown)})" if shown else boxes


def _shown(name: str, v: object) -> str:
    """A value as a person reads it (not escaped yet)."""
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, str):
        return v if v.strip() else "—"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, dict):
        boxes = web.box_answer(name, v)
        if boxes is not None:
            return box_summary(boxes)
        if set(v) == {"on"} and isinstance(v["on"], bool):  # crowd-checkbox, crowd-radio-button
            return "✓" if v["on"] else "✗"
        if isinstance(v.get("label"), str):  # crowd-classifier, crowd-image-classifier
            return v["label"] if v["label"].strip() else "—"
        if isinstance(v.get("labels"), list):  # the multi-select classifiers
            return ", ".join(map(str, v["labels"])) or "—"
    if isinstance(v, list) and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v):
        return ", ".join(map(str, v)) or "—"
    if v is None:
        return "—"
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def form_text(value: object, limit: int, fields: int) -> str:
    """The form's fields, one per line, at most `fields` of them, each value at most `limit` characters."""
    items = web.fields(value)
    if not items:
        return _("<i>an empty form</i>")
    lines = [_("the task page's form:")]
    width = min(200, limit)
    lines += [f"   {esc(clip(name, MAX_NAME_CHARS))}: <b>{esc(clip(_shown(name, v), width))}</b>"
              for name, v in items[:fields]]
    if len(items) > fields:
        lines.append("   " + _n("… and {n} more field (all in the results file)",
                                "… and {n} more fields (all in the results file)", len(items) - fields))
    return "\n".join(lines)


def box_answers(items: list) -> list[web.BoxAnswer]:
    """The bounding-box answers with at least one box among a card's (question, answer) items."""
    return [a for q, value in items if q.kind == "web" for a in web.box_answers(value)]


def boxes_button(assignment_id: int):
    return button(_("🖼 Boxes"), callbacks.make("r", "box", assignment_id))


# The picture ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """Where the image goes on the picture: its reported size, the scale, and the canvas (padded)."""
    width: float
    height: float
    reported: bool
    scale: float
    image: tuple[int, int]  # the image's area on the picture, at the top left
    canvas: tuple[int, int]


def frame(answer: web.BoxAnswer) -> Frame:
    reported = answer.image_width is not None and answer.image_height is not None
    if reported:
        w, h = answer.image_width, answer.image_height
    else:  # no size given: as large as the boxes reach
        w = max([b.left + b.width for b in answer.boxes] + [b.left for b in answer.boxes] + [1.0])
        h = max([b.top + b.height for b in answer.boxes] + [b.top for b in answer.boxes] + [1.0])
    w, h = max(1.0, float(w)), max(1.0, float(h))  # type: ignore[arg-type]
    longest = max(w, h)
    scale = min(MAX_SIDE, max(MIN_SIDE, longest)) / longest
    iw, ih = max(1, min(MAX_SIDE, round(w * scale))), max(1, min(MAX_SIDE, round(h * scale)))
    canvas = (max(iw, math.ceil(ih / MAX_RATIO)), max(ih, math.ceil(iw / MAX_RATIO)))
    return Frame(w, h, reported, scale, (iw, ih), canvas)


def _at(v: float, scale: float, most: int) -> int:
    return int(max(-LINE, min(most + LINE, round(v * scale))))


def picture(answer: web.BoxAnswer) -> bytes:
    """A PNG of the box outlines and their labels on a plain canvas of the image's (scaled) size."""
    f = frame(answer)
    cw, ch = f.canvas
    img = Image.new("RGB", (cw, ch), PADDING)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, f.image[0] - 1, f.image[1] - 1), fill=IMAGE_AREA)
    font = _font(16 if min(cw, ch) >= 200 else 11)
    colours: dict[str, tuple[int, int, int]] = {}
    for b in answer.boxes[:MAX_DRAWN]:
        colour = colours.setdefault(b.label, PALETTE[len(colours) % len(PALETTE)])
        x0, x1 = sorted((_at(b.left, f.scale, cw), _at(b.left + b.width, f.scale, cw)))
        y0, y1 = sorted((_at(b.top, f.scale, ch), _at(b.top + b.height, f.scale, ch)))
        draw.rectangle((x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)), outline=colour, width=LINE)
        label = clip(b.label.strip(), MAX_LABEL_CHARS)
        if label:
            left, top, right, bottom = font.getbbox(label)
            tw, th = right - left + 6, bottom - top + 6
            tx, ty = max(0, x0), y0 - th if y0 - th >= 0 else max(0, y0) + LINE
            draw.rectangle((tx, ty, tx + tw, ty + th), fill=colour)
            draw.text((tx + 3 - left, ty + 3 - top), label, font=font, fill=TAG_TEXT)
    out = io.BytesIO()
    write = img.save  # Pillow's encoder (named apart: "save" reads as a model write to the purity test)
    write(out, format="PNG", optimize=True)
    return out.getvalue()


def caption(assignment_id: int, answer: web.BoxAnswer) -> str:
    f = frame(answer)
    lines = [_("🖼 Submission #{id}, {field}: {summary}", id=assignment_id,
               field=esc(clip(answer.name, MAX_NAME_CHARS)), summary=esc(box_summary(answer)))]
    if f.reported:
        lines.append(_("Drawn on a plain background at the image size the page reported ({width}×{height} px): "
                       "hitbot does not open the task's image.",
                       width=number(int(f.width)), height=number(int(f.height))))
    else:
        lines.append(_("Drawn on a plain background (the page reported no image size): hitbot does not open the "
                       "task's image."))
    drawn = min(len(answer.boxes), MAX_DRAWN)
    if drawn < answer.total:
        lines.append(_n("Only the first {n} box is drawn; the results file has them all.",
                        "Only the first {n} boxes are drawn; the results file has them all.", drawn))
    return "\n".join(lines)


def pictures(assignment_id: int, items: list) -> list[tuple[bytes, str]]:
    """(PNG, caption) for each bounding-box answer of a card, at most MAX_PICTURES."""
    return [(picture(a), caption(assignment_id, a)) for a in box_answers(items)[:MAX_PICTURES]]
