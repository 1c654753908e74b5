"""The earnings chart: a small PNG bar chart of the last days' earnings.

matplotlib with the Agg backend and no pyplot (no global figure state), rendered off
the event loop (bot.runtime.call); a lock because matplotlib is not thread-safe."""
from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import date

import matplotlib

matplotlib.use("Agg")
from babel.dates import format_date  # noqa: E402
from babel.numbers import format_decimal  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from bot import i18n  # noqa: E402
from bot.i18n import _  # noqa: E402
from bot.views.common import money  # noqa: E402
from core.config import get_settings  # noqa: E402

_LOCK = threading.Lock()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# matplotlib neither shapes nor reorders Arabic, and its font has no Devanagari: those readers get the
# chart's few words in English (the amounts and dates still follow their locale's conventions in Latin digits).
DRAWABLE = {"en", "es", "pt_BR", "ru", "id", "uk", "tr", "de", "fr"}


def texts(days: list[tuple[date, int]]) -> tuple[str, list[str], Callable[[float], str]]:
    """The chart's words in the reader's language: its title, the day labels, the amounts' format."""
    locale = i18n.current() if i18n.current() in DRAWABLE else i18n.DEFAULT
    digits = get_settings().currency_precision
    pattern = f"#,##0.{'0' * digits}" if digits else "#,##0"
    with i18n.use(locale):
        title = _("Earnings, last 30 days: {total}", total=money(sum(c for _, c in days)))
    return (title, [format_date(d, "d MMM", locale=locale) for d, _ in days],
            lambda v: format_decimal(v, format=pattern, locale=locale))


def earnings_png(days: list[tuple[date, int]]) -> bytes:
    """A PNG of `days` [(day, cents)], oldest first, with amounts on the y axis in the currency."""
    settings = get_settings()
    factor = 10 ** settings.currency_precision
    title, labels, amount = texts(days)
    values = [cents / factor for _, cents in days]
    with _LOCK:
        fig = Figure(figsize=(8, 3.6), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.bar(range(len(values)), values, color="#2e7d32")
        step = max(1, len(labels) // 10)
        ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize=8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: amount(v)))
        ax.set_ylabel(settings.currency)
        ax.set_ylim(bottom=0, top=max(values + [1 / factor]) * 1.15 or 1)
        ax.set_title(title, fontsize=11)
        ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()
