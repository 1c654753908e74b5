"""The earnings chart: a small PNG bar chart of the last days' earnings.

matplotlib with the Agg backend and no pyplot (no global figure state), rendered off
the event loop (bot.runtime.call); a lock because matplotlib is not thread-safe."""
from __future__ import annotations

import io
import threading
from datetime import date

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from core.config import get_settings  # noqa: E402

_LOCK = threading.Lock()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def earnings_png(days: list[tuple[date, int]], *, title: str = "Earnings, last 30 days") -> bytes:
    """A PNG of `days` [(day, cents)], oldest first, with amounts on the y axis in the currency."""
    settings = get_settings()
    factor = 10 ** settings.currency_precision
    labels = [d.strftime("%d %b") for d, _ in days]
    values = [cents / factor for _, cents in days]
    with _LOCK:
        fig = Figure(figsize=(8, 3.6), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.bar(range(len(values)), values, color="#2e7d32")
        step = max(1, len(labels) // 10)
        ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize=8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.{settings.currency_precision}f}"))
        ax.set_ylabel(settings.currency)
        ax.set_ylim(bottom=0, top=max(values + [1 / factor]) * 1.15 or 1)
        ax.set_title(f"{title}: {sum(values):,.{settings.currency_precision}f} {settings.currency}", fontsize=11)
        ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()
