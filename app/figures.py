"""Figures as people read them: the one rounding rule of every page, PDF, chart and API text.

Scores and shares are kept at full precision (docs/definitions.md, "Rounding") and rounded
only here, once, when they are shown: half away from zero, taking a value as the decimal it
prints as (Python's shortest repr), so 46.65 shows 46.7, -0.05 shows -0.1 and 50.335 shows
50.3 (one decimal). Pages, PDFs, charts and the API's `*_text` fields all go through these.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SCORE_PLACES = 1  # scores and changes of scores: one decimal
POINT_PLACES = 2  # points of a question or section: two decimals


def rounded(value: float, places: int = SCORE_PLACES) -> float:
    """`value` rounded half away from zero to `places` decimals (46.65 -> 46.7)."""
    # Decimal's ROUND_HALF_UP rounds ties away from zero (-0.05 -> -0.1).
    exact = Decimal(repr(float(value)))
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _bare(text: str) -> str:
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def score_text(value: float | None) -> str:
    """A score or a change as reports print it: one decimal, whole numbers bare ("46.7",
    "80"); "—" for no score."""
    if value is None:
        return "—"
    return _bare(f"{rounded(value, SCORE_PLACES):.{SCORE_PLACES}f}")


def points_text(value: float) -> str:
    """Points as people read them: 8.67, 2, 0.75 (never 8.666666)."""
    return _bare(f"{rounded(value, POINT_PLACES):.{POINT_PLACES}f}")
