"""The one display rounding (app/figures.py): half away from zero, once."""

from __future__ import annotations

import pytest

from app.figures import points_text, rounded, score_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (140 / 3, "46.7"),  # the mean of 93.333… and 0; 93.3 and 0 would show 46.6
        (46.65, "46.7"),  # a tie goes away from zero (Python's round gives 46.6)
        (50.335, "50.3"),
        (50.35, "50.4"),
        (-0.05, "-0.1"),
        (-0.04, "0"),  # never "-0"
        (80.0, "80"),
        (99.95, "100"),
        (None, "—"),
    ],
)
def test_scores_round_once_half_away_from_zero(value: float | None, text: str) -> None:
    assert score_text(value) == text


def test_the_other_shapes_use_the_same_rule() -> None:
    assert rounded(46.65) == 46.7 and rounded(-46.65) == -46.7
    # One format for scores on every page: the audit pages print 93, not "93.0%".
    assert (score_text(93.0), score_text(1400 / 15), score_text(-0.01)) == ("93", "93.3", "0")
    assert (points_text(26 / 3), points_text(2.0), points_text(0.125)) == ("8.67", "2", "0.13")
