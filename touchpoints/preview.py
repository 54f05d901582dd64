"""What a touchpoint's checklist would score for a perfect, a typical and a failing visit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from touchpoints.models import Question
from touchpoints.scoring import (
    Given,
    QuestionSpec,
    SectionScore,
    best_value,
    score_section,
    typical_value,
    worst_value,
)


def question_spec(question: Question) -> QuestionSpec:
    return QuestionSpec(
        id=question.id or 0,
        kind=str(question.kind),
        weight=question.weight,
        critical=question.critical,
        config=question.config,
        lineage=question.lineage,
        show_if=question.show_if,
    )


@dataclass(frozen=True)
class Example:
    label: str
    explanation: str
    score: SectionScore


def _example(
    touchpoint_id: int, specs: Sequence[QuestionSpec], pick: Callable[[QuestionSpec, int], Any]
) -> SectionScore:
    answers = {s.id: Given(value=pick(s, i)) for i, s in enumerate(specs) if s.kind != "text"}
    return score_section(touchpoint_id, specs, answers)


def examples(touchpoint_id: int, questions: Sequence[Question]) -> list[Example]:
    specs = [question_spec(q) for q in questions]
    return [
        Example(
            "Perfect visit",
            "Every question answered at its best.",
            _example(touchpoint_id, specs, lambda s, _i: best_value(s)),
        ),
        Example(
            "Typical visit",
            "Scales at 3 or 4, middle choices, every fourth non-critical check missed.",
            _example(touchpoint_id, specs, typical_value),
        ),
        Example(
            "Failing visit",
            "Every question answered at its worst.",
            _example(touchpoint_id, specs, lambda s, _i: worst_value(s)),
        ),
    ]
