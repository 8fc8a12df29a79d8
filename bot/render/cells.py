"""Cells of the CSV files and workbooks the project writes, safe to open in a spreadsheet.

A text cell starting with "=", "+", "-" or "@" (or a tab or carriage return, which some
programs skip before looking) is read by Excel and LibreOffice as a formula: an organisation
named "=HYPERLINK(...)" next to a live invite link would be one. OWASP's advice is to put a "'"
in front, which a spreadsheet shows as text and hides; `is_formula_like` says when.
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_V = TypeVar("_V")


def is_formula_like(value: object) -> bool:
    """Text a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: _V) -> _V | str:
    """The value to write into a CSV cell: formula-like text gets a leading "'", the rest is
    unchanged (numbers, dates and None are data, not text)."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value
