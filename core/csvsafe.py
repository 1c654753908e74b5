"""CSV cells a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first) get a
leading apostrophe, so a name or an answer someone typed is shown, never executed (CSV injection)."""
from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_row(row: tuple | list) -> list:
    """A row with every text cell made safe; numbers stay numbers."""
    return [safe_cell(v) if isinstance(v, str) else v for v in row]
