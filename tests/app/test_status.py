"""The one status rule (app/status.py): met at the target, near down to the band, below past it
— judged on the score as it is printed."""

from __future__ import annotations

import pytest

from app.status import BELOW, MET, NEAR, Status, target_status, worst


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (100.0, MET),
        (80.0, MET),  # exactly the target is met
        (79.96, MET),  # prints "80": judged as printed, so met
        (79.94, NEAR),  # prints "79.9"
        (75.0, NEAR),  # exactly target − near is still near
        (74.95, NEAR),  # prints "75" (half away from zero)
        (74.94, BELOW),  # prints "74.9"
        (0.0, BELOW),
        (None, None),  # no shops, no status
    ],
)
def test_status_at_the_target_and_at_the_near_boundary(
    score: float | None, expected: Status | None
) -> None:
    assert target_status(score, 80, 5) is expected


def test_a_near_band_of_zero_leaves_met_and_below() -> None:
    assert target_status(80.0, 80, 0) is MET
    assert target_status(79.9, 80, 0) is BELOW


def test_a_fractional_target_and_band_compare_as_printed() -> None:
    # 72.5 − 2.5 = 70 exactly; a float's 69.99999 must not push 70 into "below".
    assert target_status(70.0, 72.5, 2.5) is NEAR
    assert target_status(0.1 + 0.2 + 69.7, 72.5, 2.5) is NEAR


def test_each_status_has_its_own_shape_and_word() -> None:
    marks = {s.mark for s in (MET, NEAR, BELOW)}
    words = {s.word for s in (MET, NEAR, BELOW)}
    assert len(marks) == 3 and len(words) == 3
    assert (MET.label, NEAR.label, BELOW.label) == ("✓ met", "◐ near", "✗ below")


def test_a_shop_is_as_good_as_its_weakest_section() -> None:
    assert worst([MET, NEAR, MET]) is NEAR
    assert worst([MET, BELOW, NEAR]) is BELOW
    assert worst([None, MET]) is MET
    assert worst([None]) is None
