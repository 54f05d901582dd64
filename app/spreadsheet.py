"""Cells that a spreadsheet shows and never runs: the CSV exports and the measures' import
template both write with it (a leading =, +, -, @ would otherwise start a formula)."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str | None) -> str:
    """Text a spreadsheet must show, never run: a leading apostrophe defuses a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value
