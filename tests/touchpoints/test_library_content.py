"""The shipped template library: shape, validity and coverage of its wording."""

from __future__ import annotations

import pytest

from touchpoints.library import (
    TemplateQuestion,
    TemplateTouchpoint,
    template_set,
    template_sets,
    template_touchpoint,
)
from touchpoints.library_content import STAGES, TEMPLATE_SETS
from touchpoints.models import QuestionKind

ALL_TOUCHPOINTS: list[TemplateTouchpoint] = [t for s in TEMPLATE_SETS for t in s.touchpoints]
ALL_QUESTIONS: list[tuple[str, TemplateQuestion]] = [
    (t.key, q) for t in ALL_TOUCHPOINTS for q in t.questions
]


def test_three_sets_with_the_expected_keys() -> None:
    assert [s.key for s in TEMPLATE_SETS] == ["five-moments", "service-processes", "seven-cs"]
    assert template_sets() == TEMPLATE_SETS
    for s in TEMPLATE_SETS:
        assert s.name.strip() and s.summary.strip()
        assert s.touchpoints
        assert template_set(s.key) is s


def test_touchpoint_keys_are_unique_and_found_by_lookup() -> None:
    keys = [t.key for t in ALL_TOUCHPOINTS]
    assert len(keys) == len(set(keys))
    for t in ALL_TOUCHPOINTS:
        assert template_touchpoint(t.key) is t


def test_five_moments_has_the_five_classic_touchpoints() -> None:
    five = template_set("five-moments")
    assert five is not None
    assert [t.key for t in five.touchpoints] == [
        "moments.first-call",
        "moments.walk-in",
        "moments.sales-talk",
        "moments.problem",
        "moments.bill",
    ]


def test_service_processes_has_the_four_basic_processes() -> None:
    processes = template_set("service-processes")
    assert processes is not None
    assert [t.key for t in processes.touchpoints] == [
        "process.inquiry",
        "process.sales",
        "process.after-sale",
        "process.billing",
    ]


def test_seven_cs_covers_every_c() -> None:
    seven = template_set("seven-cs")
    assert seven is not None
    guidance = " ".join(q.guidance for t in seven.touchpoints for q in t.questions).lower()
    for c in (
        "caring attitude",
        "customized practices",
        "competent contact staff",
        "call or visit once",
        "convenient access",
        "compressed cycle times",
        "committed follow-through",
    ):
        assert c in guidance, c


@pytest.mark.parametrize("tp", ALL_TOUCHPOINTS, ids=lambda t: t.key)
def test_touchpoint_is_complete(tp: TemplateTouchpoint) -> None:
    assert 6 <= len(tp.questions) <= 12
    assert 0 <= tp.target <= 100
    assert tp.team.strip()
    assert tp.name.strip() and tp.description.strip()
    assert tp.stage in STAGES
    texts = [q.text for q in tp.questions]
    assert len(texts) == len(set(texts))
    assert sum(q.kind == QuestionKind.text for q in tp.questions) <= 1
    assert any(q.kind != QuestionKind.text for q in tp.questions)


@pytest.mark.parametrize("item", ALL_QUESTIONS, ids=lambda i: f"{i[0]}:{i[1].text[:40]}")
def test_question_validates_like_an_owners_question(item: tuple[str, TemplateQuestion]) -> None:
    _, q = item
    fields = q.fields()  # raises on anything an owner could not save either
    assert fields.guidance, "every template question comes with guidance for the shopper"
    if q.kind == QuestionKind.scale:
        assert fields.scale_labels is not None
        assert len(set(fields.scale_labels)) == 5, "scale labels must be specific"
    if q.kind == QuestionKind.text:
        assert not q.required and not q.critical
    else:
        assert fields.weight > 0


def test_library_uses_every_question_kind() -> None:
    assert {q.kind for _, q in ALL_QUESTIONS} == set(QuestionKind)


def test_some_but_not_most_questions_are_critical() -> None:
    critical = [q for _, q in ALL_QUESTIONS if q.critical]
    assert len(critical) >= 1 and len(critical) <= len(ALL_TOUCHPOINTS)
