"""The shipped template library: shape, validity and coverage of its wording."""

from __future__ import annotations

import pytest

from touchpoints.library import (
    GROUP_BUSINESS,
    GROUP_CHECKLISTS,
    TemplateQuestion,
    TemplateSet,
    TemplateTouchpoint,
    template_set,
    template_sets,
    template_touchpoint,
)
from touchpoints.library_business import BUSINESS_SETS
from touchpoints.library_content import INQUIRY, STAGES, TEMPLATE_SETS
from touchpoints.models import QuestionKind

ALL_TOUCHPOINTS: list[TemplateTouchpoint] = [t for s in template_sets() for t in s.touchpoints]
GENERAL_TOUCHPOINTS: list[TemplateTouchpoint] = [t for s in TEMPLATE_SETS for t in s.touchpoints]
ALL_QUESTIONS: list[tuple[str, TemplateQuestion]] = [
    (t.key, q) for t in ALL_TOUCHPOINTS for q in t.questions
]


def test_three_general_sets_then_seven_business_journeys() -> None:
    assert [s.key for s in TEMPLATE_SETS] == ["five-moments", "service-processes", "seven-cs"]
    assert [s.key for s in BUSINESS_SETS] == [
        "restaurant",
        "hotel",
        "retail",
        "dealership",
        "bank",
        "clinic",
        "call-centre",
    ]
    assert template_sets() == TEMPLATE_SETS + BUSINESS_SETS
    assert {s.group for s in TEMPLATE_SETS} == {GROUP_CHECKLISTS}
    assert {s.group for s in BUSINESS_SETS} == {GROUP_BUSINESS}
    for s in template_sets():
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


def test_a_name_and_stage_names_one_template_only() -> None:
    # A hand-made touchpoint is matched to the library by name and stage
    # (queries.templates_present), so no two templates may share both.
    pairs = [(t.stage.casefold(), t.name.casefold()) for t in ALL_TOUCHPOINTS]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("tp", ALL_TOUCHPOINTS, ids=lambda t: t.key)
def test_touchpoint_is_complete(tp: TemplateTouchpoint) -> None:
    # A business journey's touchpoints are shorter: one shop may walk all of them.
    low, high = (6, 12) if tp in GENERAL_TOUCHPOINTS else (3, 6)
    assert low <= len(tp.questions) <= high
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


# --- the journeys for a kind of business ---------------------------------------------------


@pytest.mark.parametrize("journey", BUSINESS_SETS, ids=lambda s: s.key)
def test_a_business_journey_runs_from_first_contact_to_afterwards(journey: TemplateSet) -> None:
    assert 5 <= len(journey.touchpoints) <= 8
    assert journey.name.startswith("A ")  # "Add all" of "A restaurant" reads as it should
    for t in journey.touchpoints:
        assert t.key.startswith(f"{journey.key}."), t.key
    stages = [t.stage for t in journey.touchpoints]
    assert stages[0] == INQUIRY, "the journey starts with the first contact"
    assert set(stages) == set(STAGES), "every stage, from first contact to after the bill"


@pytest.mark.parametrize("journey", BUSINESS_SETS, ids=lambda s: s.key)
def test_a_business_journey_mixes_the_kinds_of_question(journey: TemplateSet) -> None:
    questions = [q for t in journey.touchpoints for q in t.questions]
    kinds = {q.kind for q in questions}
    assert {QuestionKind.yes_no, QuestionKind.scale, QuestionKind.number} <= kinds
    assert QuestionKind.choice in kinds
    assert any(q.allow_na for q in questions), "some situations may not arise on every visit"
    for q in questions:
        if q.kind == QuestionKind.number:
            assert q.unit.strip() and q.rule is not None and q.threshold is not None, q.text
        if q.kind == QuestionKind.choice:
            assert q.options is not None and len(q.options) >= 3, q.text
            points = [pts for _, pts in q.options]
            assert max(points) > 0 and min(points) == 0, q.text


@pytest.mark.parametrize("journey", BUSINESS_SETS, ids=lambda s: s.key)
def test_critical_questions_are_rare_and_say_why(journey: TemplateSet) -> None:
    critical = [q for t in journey.touchpoints for q in t.questions if q.critical]
    assert len(critical) <= 1, "critical only where a failure spoils the whole visit"
    for q in critical:
        assert q.kind == QuestionKind.yes_no
        assert "critical" in q.guidance, "the shopper is told why this one weighs so much"


def test_the_critical_checks_the_issue_names_are_there() -> None:
    def critical(key: str) -> list[str]:
        s = template_set(key)
        assert s is not None
        return [q.text for t in s.touchpoints for q in t.questions if q.critical]

    assert any("who you were" in text for text in critical("clinic"))  # identity
    assert any("overheard" in text for text in critical("bank"))  # privacy
