"""Ratings both ways (issue 18): the stars a requester gives a worker on the submission card, the
worker's average on their cards, the optional dimension taps a worker gives after their stars for
a requester (one message, edited in place), and the dimensions on requester cards.

A counterpart is only ever named by the alias core gives (Worker #..., the requester's first name)."""
from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal
from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n, current
from bot.views.common import button, duration, keyboard
from core.review.ratings import CHANGE_WINDOW, DIMENSIONS, Average, DimensionStep

# The questions after the stars, and the dimension's name on a requester's card.
ASK = {
    "pay": N_("💵 How fair was the pay for the work?"),
    "fairness": N_("⚖️ How fair were their approvals and rejections?"),
    "communication": N_("💬 How well did they communicate?"),
    "speed": N_("⏱ How quickly did they review your work?"),
}
NAMES = {
    "pay": N_("pay"),
    "fairness": N_("fairness"),
    "communication": N_("communication"),
    "speed": N_("review speed"),
}


def shown_stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


def average(avg: float) -> str:
    """★4.6, the decimal as the reader writes it."""
    return "★" + format_decimal(avg, format="0.0", locale=current())


def worker_rating(avg: Average) -> str:
    """The worker's part of a card's 👷 line: ★4.6 (23), or that nobody rated them yet."""
    if avg.avg is None:
        return _("not rated yet")
    return _("{stars} ({n})", stars=average(avg.avg), n=avg.n)


def is_final(rated_at: datetime | None, now: datetime) -> bool:
    return rated_at is not None and now - rated_at > CHANGE_WINDOW


def card_line(stars: int | None, rated_at: datetime | None, now: datetime) -> str | None:
    """The submission card's line about the requester's own rating of this worker."""
    if stars is None or rated_at is None:
        return None
    if is_final(rated_at, now):
        return _("⭐ You rated this worker {stars} (final)", stars=shown_stars(stars))
    return _("⭐ You rated this worker {stars}; you can change it for {left}",
             stars=shown_stars(stars), left=duration((rated_at + CHANGE_WINDOW - now).total_seconds()))


def worker_stars_row(assignment_id: int, stars: int | None, rated_at: datetime | None, now: datetime) -> list:
    """Stars to rate the worker (the given ones marked), until the rating is final."""
    if is_final(rated_at, now):
        return []
    return [button(("✅" if n == stars else "") + "★" * n, callbacks.make("rw", "s", assignment_id, n))
            for n in range(1, 6)]


def rated_worker_toast(stars: int) -> str:
    return _("You rated this worker {stars}. You can change it for 7 days.", stars=shown_stars(stars))


# The worker's optional taps after their stars for a requester ------------------------------------

def dimension_step(step: DimensionStep) -> tuple[str, InlineKeyboardMarkup | None]:
    """The thanks message after the stars, asking the next dimension (edited in place per tap)."""
    lines = [_("Thanks! You rated this requester {stars}. It helps other workers choose.",
               stars=shown_stars(step.stars))]
    for name in DIMENSIONS:
        if name in step.given:
            lines.append(_("{dimension}: {stars}", dimension=_(NAMES[name]), stars=shown_stars(step.given[name])))
    if step.next is None:
        if step.given:
            lines.append(_("Thank you, that is all."))
        return "\n".join(lines), None
    name = DIMENSIONS[step.next]
    lines += ["", _("Optional: {question}", question=_(ASK[name]))]
    stars = [button("★" * n, callbacks.make("rt", "d", step.assignment_id, step.next, n)) for n in range(1, 6)]
    return "\n".join(lines), keyboard([stars, [button(_("Skip ▶"), callbacks.make("rt", "d", step.assignment_id,
                                                                                  step.next, 0))]])


def requester_dimensions(dims: dict[str, Average]) -> str | None:
    """A requester card's line: each dimension's average with its count, from 3 ratings on."""
    parts = [_("{dimension} {stars} ({n})", dimension=_(NAMES[name]), stars=average(a.avg), n=a.n)
             for name, a in dims.items() if a.avg is not None]
    return ("📊 " + " · ".join(parts)) if parts else None


def requester_own(stars: Average, dims: dict[str, Average]) -> list[str]:
    """The requester's home screen: how workers rate them (the dimensions from 3 ratings on)."""
    if stars.avg is None:
        return []
    lines = [_n("⭐ Workers rate you {stars} ({n} rating)", "⭐ Workers rate you {stars} ({n} ratings)", stars.n,
                stars=average(stars.avg), n=stars.n)]
    line = requester_dimensions(dims)
    return lines + ([line] if line else [])
