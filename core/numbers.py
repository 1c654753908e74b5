"""Shares shown to people: whole percentages, rounded half up (2/3 is 67 %, 1/8 is 13 %)."""
from __future__ import annotations


def percent(part: int, whole: int) -> int | None:
    """100 * part / whole rounded half up, in integers (no float ties); None when whole is 0."""
    if whole <= 0:
        return None
    return (200 * part + whole) // (2 * whole)
