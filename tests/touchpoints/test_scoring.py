"""The scoring rules of touchpoints/scoring.py, one test per rule in its docstring."""

from __future__ import annotations

from typing import Any

import pytest

from touchpoints.scoring import (
    FAIL_BELOW,
    Given,
    QuestionSpec,
    best_value,
    fraction,
    percent,
    score_question,
    score_section,
    score_shop,
    typical_value,
    worst_value,
)

SCALE = {"scale_labels": ["awful", "poor", "fair", "good", "superb"]}
AT_MOST_3 = {"rule": "at_most", "threshold": 3, "unit": "rings"}
AT_LEAST_2 = {"rule": "at_least", "threshold": 2, "unit": "minutes"}
CHOICES = {
    "options": [
        {"label": "Ignored", "points": 0},
        {"label": "Nodded", "points": 2},
        {"label": "Greeted by name", "points": 4},
    ]
}


def spec(
    kind: str,
    *,
    id: int = 1,
    weight: float = 1.0,
    critical: bool = False,
    config: dict[str, Any] | None = None,
) -> QuestionSpec:
    default = {"scale": SCALE, "number": AT_MOST_3, "choice": CHOICES}.get(kind, {})
    return QuestionSpec(
        id=id, kind=kind, weight=weight, critical=critical, config=config or default
    )


# --- per-question fractions ----------------------------------------------------------------


def test_yes_earns_all_and_no_earns_none() -> None:
    yes_no = spec("yes_no", weight=2)
    yes = score_question(yes_no, Given(True))
    no = score_question(yes_no, Given(False))
    assert (yes.counted, yes.possible, yes.earned, yes.failed) == (True, 2, 2, False)
    assert (no.counted, no.possible, no.earned, no.failed) == (True, 2, 0, True)
    assert yes.reason == "2 of 2 points"
    assert no.reason == "0 of 2 points; failed"


@pytest.mark.parametrize(("value", "share"), [(1, 0.0), (2, 0.25), (3, 0.5), (4, 0.75), (5, 1.0)])
def test_scale_earns_value_minus_one_quarters(value: int, share: float) -> None:
    assert fraction(spec("scale"), value) == share
    scored = score_question(spec("scale", weight=4), Given(value))
    assert scored.possible == 4
    assert scored.earned == pytest.approx(4 * share)


@pytest.mark.parametrize(("value", "share"), [(0, 1.0), (3, 1.0), (3.5, 0.0), (4, 0.0)])
def test_number_at_most_passes_up_to_the_threshold(value: float, share: float) -> None:
    assert fraction(spec("number", config=AT_MOST_3), value) == share


@pytest.mark.parametrize(("value", "share"), [(1, 0.0), (1.99, 0.0), (2, 1.0), (10, 1.0)])
def test_number_at_least_passes_from_the_threshold(value: float, share: float) -> None:
    assert fraction(spec("number", config=AT_LEAST_2), value) == share


def test_number_given_as_text_from_a_form_is_read_as_a_number() -> None:
    assert fraction(spec("number", config=AT_MOST_3), "2") == 1.0
    assert fraction(spec("number", config=AT_LEAST_2), "1.5") == 0.0


@pytest.mark.parametrize(("index", "share"), [(0, 0.0), (1, 0.5), (2, 1.0)])
def test_choice_earns_points_relative_to_the_best_option(index: int, share: float) -> None:
    assert fraction(spec("choice"), index) == share
    scored = score_question(spec("choice", weight=3), Given(index))
    assert scored.earned == pytest.approx(3 * share)


def test_choice_best_option_need_not_be_last() -> None:
    config = {"options": [{"label": "A", "points": 10}, {"label": "B", "points": 5}]}
    assert fraction(spec("choice", config=config), 0) == 1.0
    assert fraction(spec("choice", config=config), 1) == 0.5


def test_free_text_is_not_scored() -> None:
    text = score_question(spec("text", weight=0), Given("Friendly and quick"))
    assert (text.counted, text.possible, text.earned, text.failed) == (False, 0, 0, False)
    assert text.reason == "not scored"
    # Even with a weight left on it by mistake, text never counts.
    assert not score_question(spec("text", weight=5), Given("x")).counted
    with pytest.raises(ValueError, match="not scored"):
        fraction(spec("text"), "x")


# --- N/A and unanswered ----------------------------------------------------------------------


def test_not_applicable_is_left_out_of_earned_and_possible() -> None:
    na = score_question(spec("yes_no", weight=3), Given(not_applicable=True))
    assert (na.counted, na.possible, na.earned, na.failed) == (False, 0, 0, False)
    assert na.reason == "N/A: left out"


@pytest.mark.parametrize("given", [None, Given(), Given(value=None)])
def test_unanswered_is_left_out_of_earned_and_possible(given: Given | None) -> None:
    missing = score_question(spec("yes_no", weight=3), given)
    assert (missing.counted, missing.possible, missing.earned) == (False, 0, 0)
    assert missing.reason == "not answered"


def test_na_and_unanswered_do_not_change_the_section_percentage() -> None:
    specs = [spec("yes_no", id=1), spec("yes_no", id=2), spec("yes_no", id=3), spec("scale", id=4)]
    section = score_section(
        7, specs, {1: Given(True), 2: Given(False), 3: Given(not_applicable=True)}
    )
    assert section.possible == 2
    assert section.earned == 1
    assert section.percent == 50.0
    assert [q.counted for q in section.questions] == [True, True, False, False]


# --- weights ---------------------------------------------------------------------------------


def test_weights_scale_each_question_share() -> None:
    specs = [spec("yes_no", id=1, weight=3), spec("yes_no", id=2, weight=1)]
    heavy_kept = score_section(1, specs, {1: Given(True), 2: Given(False)})
    light_kept = score_section(1, specs, {1: Given(False), 2: Given(True)})
    assert (heavy_kept.earned, heavy_kept.possible, heavy_kept.percent) == (3, 4, 75.0)
    assert (light_kept.earned, light_kept.possible, light_kept.percent) == (1, 4, 25.0)


def test_fractional_weights_and_points() -> None:
    scored = score_question(spec("scale", weight=1.5), Given(4))
    assert scored.earned == pytest.approx(1.125)
    assert scored.reason == "1.125 of 1.5 points"


# --- failing and critical --------------------------------------------------------------------


def test_failed_means_below_half_the_points() -> None:
    assert FAIL_BELOW == 0.5
    assert score_question(spec("scale"), Given(2)).failed  # 0.25
    assert not score_question(spec("scale"), Given(3)).failed  # exactly half passes
    assert not score_question(spec("choice"), Given(1)).failed  # 2 of 4 points
    assert score_question(spec("choice"), Given(0)).failed


def test_a_failed_critical_question_zeroes_its_section() -> None:
    specs = [
        spec("yes_no", id=1, weight=1, critical=True),
        spec("yes_no", id=2, weight=4),
        spec("scale", id=3, weight=2),
    ]
    section = score_section(9, specs, {1: Given(False), 2: Given(True), 3: Given(5)})
    assert section.critical_fail
    assert section.raw_earned == 6
    assert section.earned == 0
    assert section.possible == 7
    assert section.percent == 0.0
    critical = section.questions[0]
    assert critical.critical_fail and critical.failed
    assert "critical question failed" in critical.reason


def test_a_critical_question_that_passes_changes_nothing() -> None:
    specs = [spec("scale", id=1, critical=True), spec("yes_no", id=2)]
    section = score_section(1, specs, {1: Given(3), 2: Given(False)})  # 3 = half: not failed
    assert not section.critical_fail
    assert section.earned == section.raw_earned == 0.5
    assert section.percent == 25.0


def test_a_failed_non_critical_question_does_not_zero_the_section() -> None:
    specs = [spec("yes_no", id=1), spec("yes_no", id=2)]
    section = score_section(1, specs, {1: Given(False), 2: Given(True)})
    assert section.questions[0].failed and not section.questions[0].critical_fail
    assert not section.critical_fail
    assert section.percent == 50.0


def test_a_critical_question_answered_na_or_skipped_cannot_fail() -> None:
    specs = [spec("yes_no", id=1, critical=True), spec("yes_no", id=2)]
    na = score_section(1, specs, {1: Given(not_applicable=True), 2: Given(True)})
    skipped = score_section(1, specs, {2: Given(True)})
    assert na.percent == skipped.percent == 100.0
    assert not na.critical_fail and not skipped.critical_fail


def test_critical_fail_zeroes_only_its_own_section_of_the_shop() -> None:
    failing = score_section(
        1,
        [spec("yes_no", id=1, critical=True), spec("yes_no", id=2, weight=3)],
        {1: Given(False), 2: Given(True)},
    )
    fine = score_section(2, [spec("yes_no", id=3, weight=4)], {3: Given(True)})
    shop = score_shop([failing, fine])
    assert failing.earned == 0 and failing.possible == 4
    assert fine.earned == 4 and fine.percent == 100.0
    assert (shop.earned, shop.possible, shop.percent) == (4, 8, 50.0)


# --- section and shop totals ------------------------------------------------------------------


def test_shop_score_is_earned_over_possible_across_sections_not_a_mean_of_percents() -> None:
    small = score_section(1, [spec("yes_no", id=1)], {1: Given(True)})  # 1/1 = 100 %
    big = score_section(
        2,
        [spec("yes_no", id=i) for i in range(2, 6)],
        {2: Given(False), 3: Given(False), 4: Given(False), 5: Given(True)},
    )  # 1/4 = 25 %
    shop = score_shop([small, big])
    assert (shop.earned, shop.possible) == (2, 5)
    assert shop.percent == 40.0  # not (100 + 25) / 2
    assert shop.sections == (small, big)


def test_percent_is_kept_at_full_precision() -> None:
    # Only the display rounds (app.figures), once: a stored 93.3 would make the mean of
    # 93.333… and 0 show 46.6 instead of 46.7.
    assert percent(1, 3) == 100 / 3
    assert percent(2, 3) == 200 / 3
    assert percent(14, 15) == 1400 / 15
    assert percent(0, 5) == 0.0


def test_nothing_possible_means_no_score_not_zero() -> None:
    assert percent(0, 0) is None
    only_text = score_section(1, [spec("text", id=1, weight=0)], {1: Given("fine")})
    all_na = score_section(1, [spec("yes_no", id=1)], {1: Given(not_applicable=True)})
    unanswered = score_section(1, [spec("yes_no", id=1)], {})
    empty = score_section(1, [], {})
    for section in (only_text, all_na, unanswered, empty):
        assert section.possible == 0
        assert section.percent is None
    assert score_shop([only_text, all_na]).percent is None
    assert score_shop([]).percent is None
    # A section with a score still gives the shop one when the others have none.
    scored = score_section(2, [spec("yes_no", id=2)], {2: Given(False)})
    assert score_shop([all_na, scored]).percent == 0.0


# --- example values for the owner's preview -----------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        spec("yes_no"),
        spec("scale"),
        spec("number", config=AT_MOST_3),
        spec("number", config=AT_LEAST_2),
        spec("choice"),
    ],
    ids=["yes_no", "scale", "at_most", "at_least", "choice"],
)
def test_best_value_earns_everything_and_worst_value_fails(question: QuestionSpec) -> None:
    assert fraction(question, best_value(question)) == 1.0
    worst = score_question(question, Given(worst_value(question)))
    assert worst.failed
    assert worst.earned == 0


def test_example_values_by_kind() -> None:
    assert (best_value(spec("yes_no")), worst_value(spec("yes_no"))) == (True, False)
    assert (best_value(spec("scale")), worst_value(spec("scale"))) == (5, 1)
    assert best_value(spec("choice")) == 2
    assert worst_value(spec("choice")) == 0
    assert best_value(spec("number", config=AT_MOST_3)) == 3
    assert worst_value(spec("number", config=AT_MOST_3)) == 6  # 3 + 3
    assert best_value(spec("number", config=AT_LEAST_2)) == 2
    assert worst_value(spec("number", config=AT_LEAST_2)) == 0  # never below zero
    small = {"rule": "at_least", "threshold": 0.5, "unit": "min"}
    assert worst_value(spec("number", config=small)) == 0.0
    assert best_value(spec("text")) is None and worst_value(spec("text")) is None


def test_typical_value_is_a_plausible_mixed_visit() -> None:
    assert [typical_value(spec("scale"), i) for i in range(4)] == [3, 4, 3, 4]
    assert typical_value(spec("choice"), 0) == 1  # the middle option by points
    yes_no = spec("yes_no")
    assert [typical_value(yes_no, i) for i in range(8)] == [
        True, True, True, False, True, True, True, False,
    ]  # fmt: skip
    # A critical check is never the one missed, so the example does not zero the section.
    assert typical_value(spec("yes_no", critical=True), 3) is True
    at_most = spec("number", config=AT_MOST_3)
    assert typical_value(at_most, 0) == 3
    assert typical_value(at_most, 3) == 6
