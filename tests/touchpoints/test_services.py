"""Journey services on an org-scoped session: ordering, archiving, versioning, templates."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.errors import ConflictError, DomainError
from app.orgs.models import Organization
from app.tenancy import scope_session, unscoped
from audits.models import Answer, Shop
from tests.factories import (
    make_answer,
    make_org,
    make_question,
    make_shop,
    make_stage,
    make_touchpoint,
)
from touchpoints import queries, services
from touchpoints.library import template_set, template_touchpoint
from touchpoints.models import (
    Question,
    QuestionFields,
    QuestionStatus,
    Stage,
    StageCreate,
    Touchpoint,
    TouchpointCreate,
    TouchpointUpdate,
)
from touchpoints.preview import question_spec
from touchpoints.scoring import Given, QuestionSpec, score_section
from touchpoints.services import (
    MSG_MOVE_HIDDEN,
    MSG_STAGE_ARCHIVED,
    MSG_STAGE_NOT_EMPTY,
    MSG_STAGE_UNKNOWN,
    MSG_STALE_ORDER,
    MSG_TEMPLATE_UNKNOWN,
    MSG_TOUCHPOINT_ARCHIVED,
)


@pytest.fixture
def org(session: Session) -> Organization:
    """Organization A, with the session scoped to it the way a request would be."""
    org = make_org(session, name="Harbour Bikes")
    scope_session(session, org.id)  # type: ignore[arg-type]
    return org


def _stage(session: Session, org: Organization, name: str) -> Stage:
    return services.stage_create(session=session, org_id=org.id, data=StageCreate(name=name))  # type: ignore[arg-type]


def _touchpoint(session: Session, org: Organization, stage: Stage, name: str) -> Touchpoint:
    data = TouchpointCreate(name=name, stage_id=stage.id)  # type: ignore[arg-type]
    return services.touchpoint_create(session=session, org_id=org.id, data=data)  # type: ignore[arg-type]


def _map(session: Session) -> list[tuple[str, list[str]]]:
    """The journey as the map shows it: stage names with their touchpoint names, in order."""
    session.expire_all()
    return [(v.stage.name, [t.name for t in v.touchpoints]) for v in queries.journey(session)]


def _stage_names(session: Session) -> list[str]:
    return [name for name, _ in _map(session)]


def _fields(**values: Any) -> QuestionFields:
    return QuestionFields.model_validate({"kind": "yes_no", **values})


# --- ordering ------------------------------------------------------------------------------


def test_creating_appends_stages_and_touchpoints_in_order(
    session: Session, org: Organization
) -> None:
    inquiry = _stage(session, org, "Inquiry")
    visit = _stage(session, org, "Visit")
    assert (inquiry.position, visit.position) == (1, 2)
    calls = [_touchpoint(session, org, inquiry, n) for n in ("Call", "Email", "Chat")]
    assert [t.position for t in calls] == [1, 2, 3]
    # Each stage counts on its own.
    assert _touchpoint(session, org, visit, "Door").position == 1
    assert _map(session) == [("Inquiry", ["Call", "Email", "Chat"]), ("Visit", ["Door"])]


def test_stage_name_is_trimmed_and_required(session: Session, org: Organization) -> None:
    assert _stage(session, org, "  After the sale  ").name == "After the sale"
    with pytest.raises(ValueError, match="enter a name for the stage"):
        StageCreate(name="   ")


def test_move_up_and_down_swaps_neighbours(session: Session, org: Organization) -> None:
    stage = _stage(session, org, "Visit")
    a, b, c = (_touchpoint(session, org, stage, n) for n in ("A", "B", "C"))
    services.touchpoint_move(session=session, touchpoint=b, direction="up")
    assert _map(session) == [("Visit", ["B", "A", "C"])]
    services.touchpoint_move(session=session, touchpoint=a, direction="down")
    assert _map(session) == [("Visit", ["B", "C", "A"])]
    services.touchpoint_move(session=session, touchpoint=c, direction="down")
    assert _map(session) == [("Visit", ["B", "A", "C"])]


def test_moving_the_first_up_or_the_last_down_changes_nothing(
    session: Session, org: Organization
) -> None:
    stage = _stage(session, org, "Visit")
    a, _b, c = (_touchpoint(session, org, stage, n) for n in ("A", "B", "C"))
    services.touchpoint_move(session=session, touchpoint=a, direction="up")
    services.touchpoint_move(session=session, touchpoint=c, direction="down")
    assert _map(session) == [("Visit", ["A", "B", "C"])]
    session.expire_all()
    assert [t.position for t in services.touchpoints_in_stage(session, stage.id)] == [1, 2, 3]  # type: ignore[arg-type]


def test_move_with_a_bad_direction_is_refused(session: Session, org: Organization) -> None:
    stage = _stage(session, org, "Visit")
    a = _touchpoint(session, org, stage, "A")
    _touchpoint(session, org, stage, "B")
    with pytest.raises(DomainError) as err:
        services.touchpoint_move(session=session, touchpoint=a, direction="sideways")
    assert err.value.field == "direction"
    assert _map(session) == [("Visit", ["A", "B"])]


def test_move_steps_one_place_even_when_positions_are_equal(
    session: Session, org: Organization
) -> None:
    # Rows made outside the services (imports, two owners adding at once) can share a
    # position; a move must still go exactly one step.
    stage = make_stage(session, org)
    for name in ("A", "B", "C", "D"):
        make_touchpoint(session, org, stage, name=name, position=1)
    by_name = {t.name: t for t in services.touchpoints_in_stage(session, stage.id)}  # type: ignore[arg-type]
    services.touchpoint_move(session=session, touchpoint=by_name["D"], direction="up")
    assert _map(session) == [(stage.name, ["A", "B", "D", "C"])]
    services.touchpoint_move(session=session, touchpoint=by_name["A"], direction="down")
    assert _map(session) == [(stage.name, ["B", "A", "D", "C"])]


def test_moving_an_archived_touchpoint_is_refused_not_a_crash(
    session: Session, org: Organization
) -> None:
    stage = _stage(session, org, "Visit")
    a = _touchpoint(session, org, stage, "A")
    _touchpoint(session, org, stage, "B")
    services.touchpoint_archive(session=session, touchpoint=a)
    with pytest.raises(ConflictError) as err:
        services.touchpoint_move(session=session, touchpoint=a, direction="down")
    assert err.value.message == MSG_MOVE_HIDDEN
    assert _map(session) == [("Visit", ["B"])]


def test_stages_move_left_and_right(session: Session, org: Organization) -> None:
    first, _second, third = (_stage(session, org, n) for n in ("One", "Two", "Three"))
    services.stage_move(session=session, stage=third, direction="up")
    assert _stage_names(session) == ["One", "Three", "Two"]
    services.stage_move(session=session, stage=first, direction="up")
    assert _stage_names(session) == ["One", "Three", "Two"]
    services.stage_move(session=session, stage=first, direction="down")
    assert _stage_names(session) == ["Three", "One", "Two"]


def test_reorder_with_the_exact_list(session: Session, org: Organization) -> None:
    stage = _stage(session, org, "Visit")
    a, b, c = (_touchpoint(session, org, stage, n) for n in ("A", "B", "C"))
    result = services.touchpoints_reorder(session=session, stage=stage, ids=[c.id, a.id, b.id])  # type: ignore[list-item]
    assert [t.name for t in result] == ["C", "A", "B"]
    assert [t.position for t in result] == [1, 2, 3]
    assert _map(session) == [("Visit", ["C", "A", "B"])]

    s2, s3 = _stage(session, org, "Sale"), _stage(session, org, "Billing")
    stages = services.stages_reorder(session=session, ids=[s3.id, stage.id, s2.id])  # type: ignore[list-item]
    assert [s.name for s in stages] == ["Billing", "Visit", "Sale"]
    assert _stage_names(session) == ["Billing", "Visit", "Sale"]


def test_questions_reorder_and_move(session: Session, org: Organization) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    q1, q2, q3 = (make_question(session, tp, text=t) for t in ("Q1", "Q2", "Q3"))
    assert [q.position for q in (q1, q2, q3)] == [1, 2, 3]
    services.question_move(session=session, question=q3, direction="up")
    session.expire_all()
    assert [q.text for q in services.questions_current(session, tp.id)] == ["Q1", "Q3", "Q2"]  # type: ignore[arg-type]
    out = services.questions_reorder(session=session, touchpoint=tp, ids=[q2.id, q1.id, q3.id])  # type: ignore[list-item]
    assert [q.text for q in out] == ["Q2", "Q1", "Q3"]
    with pytest.raises(ConflictError):
        services.questions_reorder(session=session, touchpoint=tp, ids=[q2.id, q1.id])  # type: ignore[list-item]


@pytest.mark.parametrize("stale", ["missing", "extra", "duplicate", "other_org", "empty"])
def test_a_stale_order_is_refused_and_changes_nothing(session: Session, stale: str) -> None:
    other = make_org(session, name="Other Org")
    other_stage = make_stage(session, other)
    foreign = make_touchpoint(session, other, other_stage)
    org = make_org(session, name="Harbour Bikes")
    scope_session(session, org.id)  # type: ignore[arg-type]
    stage = _stage(session, org, "Visit")
    a, b, c = (_touchpoint(session, org, stage, n) for n in ("A", "B", "C"))
    ids: list[int] = {
        "missing": [c.id, a.id],
        "extra": [c.id, a.id, b.id, 99999],
        "duplicate": [c.id, a.id, a.id],
        "other_org": [c.id, a.id, foreign.id],
        "empty": [],
    }[stale]  # type: ignore[assignment]
    with pytest.raises(ConflictError) as err:
        services.touchpoints_reorder(session=session, stage=stage, ids=ids)
    assert err.value.message == MSG_STALE_ORDER
    assert err.value.status_code == 409
    assert _map(session) == [("Visit", ["A", "B", "C"])]
    with pytest.raises(ConflictError, match="does not match"):
        services.stages_reorder(session=session, ids=[stage.id, other_stage.id])  # type: ignore[list-item]
    with unscoped(session):
        session.expire_all()
        untouched = session.get(Touchpoint, foreign.id)
        assert untouched is not None and untouched.position == 1


def test_the_touchpoint_list_of_another_stage_is_stale_too(
    session: Session, org: Organization
) -> None:
    visit, sale = _stage(session, org, "Visit"), _stage(session, org, "Sale")
    a = _touchpoint(session, org, visit, "A")
    b = _touchpoint(session, org, sale, "B")
    with pytest.raises(ConflictError):
        services.touchpoints_reorder(session=session, stage=visit, ids=[a.id, b.id])  # type: ignore[list-item]
    assert _map(session) == [("Visit", ["A"]), ("Sale", ["B"])]


# --- archiving -----------------------------------------------------------------------------


def test_archiving_a_touchpoint_hides_it_but_keeps_its_questions(
    session: Session, org: Organization
) -> None:
    stage = _stage(session, org, "Visit")
    door = _touchpoint(session, org, stage, "Door")
    desk = _touchpoint(session, org, stage, "Desk")
    questions = [make_question(session, door, text=t) for t in ("Greeted?", "Clean?")]
    services.touchpoint_archive(session=session, touchpoint=door)
    assert _map(session) == [("Visit", ["Desk"])]
    assert door.archived_at is not None
    _, archived_tps = queries.archived(session)
    assert [t.name for t in archived_tps] == ["Door"]
    assert [q.text for q in services.questions_current(session, door.id)] == [  # type: ignore[arg-type]
        q.text for q in questions
    ]
    # Reports still see it when they ask for the archived ones.
    with_archived = queries.journey(session, include_archived=True)
    assert [t.name for t in with_archived[0].touchpoints] == ["Door", "Desk"]
    # Its checklist is frozen while archived.
    with pytest.raises(DomainError) as err:
        make_question(session, door, text="Smiled?")
    assert err.value.message == MSG_TOUCHPOINT_ARCHIVED
    assert desk.archived_at is None


def test_restoring_a_touchpoint_puts_it_back_at_the_end(
    session: Session, org: Organization
) -> None:
    stage = _stage(session, org, "Visit")
    door = _touchpoint(session, org, stage, "Door")
    _touchpoint(session, org, stage, "Desk")
    make_question(session, door, text="Greeted?")
    services.touchpoint_archive(session=session, touchpoint=door)
    services.touchpoint_restore(session=session, touchpoint=door)
    assert _map(session) == [("Visit", ["Desk", "Door"])]
    assert door.archived_at is None
    assert queries.question_counts(session) == {door.id: 1}


def test_a_touchpoint_of_an_archived_stage_cannot_be_restored_into_it(
    session: Session, org: Organization
) -> None:
    stage = _stage(session, org, "Visit")
    door = _touchpoint(session, org, stage, "Door")
    services.touchpoint_archive(session=session, touchpoint=door)
    services.stage_archive(session=session, stage=stage)
    with pytest.raises(DomainError) as err:
        services.touchpoint_restore(session=session, touchpoint=door)
    assert (err.value.message, err.value.field) == (MSG_STAGE_ARCHIVED, "stage_id")
    session.expire_all()
    assert session.get(Touchpoint, door.id).archived_at is not None  # type: ignore[union-attr]


def test_an_archived_stage_hides_its_column_and_restore_brings_it_back(
    session: Session, org: Organization
) -> None:
    inquiry, visit = _stage(session, org, "Inquiry"), _stage(session, org, "Visit")
    _touchpoint(session, org, inquiry, "Call")
    _touchpoint(session, org, visit, "Door")
    services.stage_archive(session=session, stage=inquiry)
    assert _map(session) == [("Visit", ["Door"])]
    archived_stages, _ = queries.archived(session)
    assert [s.name for s in archived_stages] == ["Inquiry"]
    # No new touchpoints go into an archived stage.
    with pytest.raises(DomainError) as err:
        _touchpoint(session, org, inquiry, "Letter")
    assert (err.value.message, err.value.field) == (MSG_STAGE_ARCHIVED, "stage_id")
    services.stage_restore(session=session, stage=inquiry)
    assert _map(session) == [("Visit", ["Door"]), ("Inquiry", ["Call"])]


def test_a_stage_with_touchpoints_cannot_be_deleted(session: Session, org: Organization) -> None:
    used, empty = _stage(session, org, "Visit"), _stage(session, org, "Spare")
    door = _touchpoint(session, org, used, "Door")
    services.touchpoint_archive(session=session, touchpoint=door)  # archived ones count too
    with pytest.raises(ConflictError) as err:
        services.stage_delete(session=session, stage=used)
    assert err.value.message == MSG_STAGE_NOT_EMPTY
    services.stage_delete(session=session, stage=empty)
    session.expire_all()
    assert session.get(Stage, used.id) is not None
    assert session.get(Stage, empty.id) is None


# --- organizations -------------------------------------------------------------------------


def test_a_touchpoint_cannot_go_into_another_organizations_stage(session: Session) -> None:
    other = make_org(session, name="Rival Bikes")
    foreign_stage = make_stage(session, other, name="Their stage")
    org = make_org(session, name="Harbour Bikes")
    scope_session(session, org.id)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as err:
        _touchpoint(session, org, foreign_stage, "Sneaky")
    assert (err.value.message, err.value.field) == (MSG_STAGE_UNKNOWN, "stage_id")
    session.rollback()
    assert session.exec(select(Touchpoint)).all() == []

    own = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    with pytest.raises(DomainError) as err:
        services.touchpoint_update(
            session=session, touchpoint=own, data=TouchpointUpdate(stage_id=foreign_stage.id)
        )
    assert (err.value.message, err.value.field) == (MSG_STAGE_UNKNOWN, "stage_id")
    session.rollback()
    session.expire_all()
    assert session.get(Touchpoint, own.id).stage_id != foreign_stage.id  # type: ignore[union-attr]


def test_an_unknown_stage_id_is_refused(session: Session, org: Organization) -> None:
    with pytest.raises(DomainError) as err:
        services.touchpoint_create(
            session=session,
            org_id=org.id,
            data=TouchpointCreate(name="X", stage_id=424242),  # type: ignore[arg-type]
        )
    assert (err.value.message, err.value.field) == (MSG_STAGE_UNKNOWN, "stage_id")


def test_moving_a_touchpoint_to_another_stage_appends_it(
    session: Session, org: Organization
) -> None:
    visit, sale = _stage(session, org, "Visit"), _stage(session, org, "Sale")
    door = _touchpoint(session, org, visit, "Door")
    _touchpoint(session, org, sale, "Pitch")
    services.touchpoint_update(
        session=session,
        touchpoint=door,
        data=TouchpointUpdate(stage_id=sale.id, name=" Front door ", target=90),
    )
    assert _map(session) == [("Visit", []), ("Sale", ["Pitch", "Front door"])]
    assert door.target == 90


# --- question versioning -------------------------------------------------------------------


def _answered(
    session: Session, org: Organization, tp: Touchpoint, question: Question, value: Any = True
) -> tuple[Shop, Answer]:
    shop = make_shop(session, org, touchpoints=[tp])
    return shop, make_answer(session, shop, question, value)


def _shop_score(session: Session, shop: Shop, tp: Touchpoint) -> float | None:
    """Score a shop the way reports must: with the question versions its answers point at."""
    answers = session.exec(select(Answer).where(Answer.shop_id == shop.id)).all()
    specs: list[QuestionSpec] = []
    given: dict[int, Given] = {}
    for answer in answers:
        asked = session.get(Question, answer.question_id)
        assert asked is not None
        specs.append(question_spec(asked))
        given[answer.question_id] = Given(answer.value, answer.not_applicable)
    return score_section(tp.id, specs, given).percent  # type: ignore[arg-type]


def test_editing_an_unanswered_question_updates_it_in_place(
    session: Session, org: Organization
) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    q = make_question(session, tp, text="Greeted?")
    saved = services.question_update(
        session=session,
        question=q,
        fields=_fields(text="Greeted within 10 seconds?", kind="scale", scale_labels=list("abcde")),
    )
    assert saved.id == q.id
    assert (saved.version, saved.status) == (1, QuestionStatus.active)
    session.expire_all()
    assert session.get(Question, q.id).text == "Greeted within 10 seconds?"  # type: ignore[union-attr]
    assert len(queries.versions(session, q.lineage)) == 1


MEANING_EDITS: dict[str, dict[str, Any]] = {
    "text": {"text": "Greeted warmly within 10 seconds?"},
    "kind": {
        "kind": "scale",
        "scale_labels": ["Ignored", "Late", "Plain", "Warm", "Delightful"],
    },
    "options": {
        "options": [
            {"label": "Ignored", "points": 0},
            {"label": "Nod", "points": 1},
            {"label": "Warm hello", "points": 3},
        ]
    },
    "weight": {"weight": 2},
    "critical": {"critical": True},
}


@pytest.mark.parametrize("change", list(MEANING_EDITS))
def test_a_meaning_edit_after_an_answer_makes_version_2(
    session: Session, org: Organization, change: str
) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    base: dict[str, Any] = {"text": "Greeted?", "guidance": "Within 10 s", "kind": "yes_no"}
    if change == "options":
        two = [{"label": "Ignored", "points": 0}, {"label": "Warm hello", "points": 2}]
        base = {**base, "kind": "choice", "options": two}
    first = make_question(session, tp, **base)
    make_question(session, tp, text="Tidy?")
    _answered(session, org, tp, first, 1 if change == "options" else True)
    old_id, lineage = first.id, first.lineage

    current = services.question_update(
        session=session, question=first, fields=_fields(**{**base, **MEANING_EDITS[change]})
    )
    assert current.id != old_id
    assert (current.lineage, current.version, current.status) == (lineage, 2, "active")
    assert current.position == 1  # keeps its place on the checklist
    session.expire_all()
    old = session.get(Question, old_id)
    assert old is not None
    assert (old.status, old.version, old.text) == (QuestionStatus.superseded, 1, "Greeted?")
    assert [v.version for v in queries.versions(session, lineage)] == [1, 2]
    checklist = services.questions_current(session, tp.id)  # type: ignore[arg-type]
    assert [q.id for q in checklist][0] == current.id
    assert old_id not in [q.id for q in checklist]
    # Only the current version can be edited again.
    with pytest.raises(ConflictError):
        services.question_update(session=session, question=old, fields=_fields(text="Again?"))


@pytest.mark.parametrize(
    "change", [{"guidance": "Count from the door"}, {"required": False}, {"allow_na": True}]
)
def test_a_non_meaning_edit_after_an_answer_stays_in_place(
    session: Session, org: Organization, change: dict[str, Any]
) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    q = make_question(session, tp, text="Greeted?", weight=2)
    _answered(session, org, tp, q)
    saved = services.question_update(
        session=session, question=q, fields=_fields(text="Greeted?", weight=2, **change)
    )
    assert (saved.id, saved.version, saved.status) == (q.id, 1, QuestionStatus.active)
    session.expire_all()
    again = session.get(Question, q.id)
    assert again is not None
    for key, value in change.items():
        assert getattr(again, key) == value
    assert len(queries.versions(session, q.lineage)) == 1


def test_saving_an_answered_question_unchanged_keeps_one_version(
    session: Session, org: Organization
) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Phone")
    q = make_question(
        session, tp, text="Rings?", kind="number", rule="at_most", threshold=3, unit="rings"
    )
    _answered(session, org, tp, q, 2)
    session.expire_all()  # compare with the values as they come back from the database
    q = session.get(Question, q.id)  # type: ignore[assignment]
    same = services.question_update(session=session, question=q, fields=q.fields())
    assert same.id == q.id and same.version == 1


def test_an_old_shop_keeps_and_scores_the_version_it_was_asked(
    session: Session, org: Organization
) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Phone"), "First call")
    rings = make_question(
        session, tp, text="Answered by ring 3?", kind="number", rule="at_most", threshold=3
    )
    name = make_question(session, tp, text="Gave their name?", weight=2)
    old_shop = make_shop(session, org, touchpoints=[tp])
    ring_answer = make_answer(session, old_shop, rings, 3)
    make_answer(session, old_shop, name, False)
    before = _shop_score(session, old_shop, tp)
    assert before == pytest.approx(100 / 3, abs=0.05)

    # Stricter rule, heavier weight: under the new version the old answer would fail.
    v2 = services.question_update(
        session=session,
        question=rings,
        fields=_fields(
            text="Answered by ring 2?", kind="number", rule="at_most", threshold=2, weight=3
        ),
    )
    assert v2.version == 2
    session.expire_all()
    stored = session.get(Answer, ring_answer.id)
    assert stored is not None and stored.question_id == rings.id
    asked = session.get(Question, stored.question_id)
    assert asked is not None and asked.text == "Answered by ring 3?"
    assert asked.config["threshold"] == 3
    assert _shop_score(session, old_shop, tp) == before

    # A new shop is asked (and scored on) version 2.
    new_shop = make_shop(session, org, touchpoints=[tp])
    current = {q.lineage: q for q in services.questions_current(session, tp.id)}  # type: ignore[arg-type]
    make_answer(session, new_shop, current[rings.lineage], 3)
    make_answer(session, new_shop, current[name.lineage], True)
    assert _shop_score(session, new_shop, tp) == 40.0  # 0 of 3 + 2 of 2


def test_editing_version_2_again_after_new_answers_makes_version_3(
    session: Session, org: Organization
) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    q = make_question(session, tp, text="v1")
    _answered(session, org, tp, q)
    v2 = services.question_update(session=session, question=q, fields=_fields(text="v2"))
    # Not answered yet: v2 is edited in place.
    v2b = services.question_update(session=session, question=v2, fields=_fields(text="v2b"))
    assert (v2b.id, v2b.version) == (v2.id, 2)
    _answered(session, org, tp, v2b)
    v3 = services.question_update(session=session, question=v2b, fields=_fields(text="v3"))
    assert v3.version == 3
    session.expire_all()
    assert [(v.version, v.text, v.status) for v in queries.versions(session, q.lineage)] == [
        (1, "v1", "superseded"),
        (2, "v2b", "superseded"),
        (3, "v3", "active"),
    ]


def test_removing_an_answered_question_retires_it(session: Session, org: Organization) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    q = make_question(session, tp, text="Greeted?")
    _, answer = _answered(session, org, tp, q)
    assert services.question_remove(session=session, question=q) == "retired"
    session.expire_all()
    kept = session.get(Question, q.id)
    assert kept is not None and kept.status == QuestionStatus.retired
    assert services.questions_current(session, tp.id) == []  # type: ignore[arg-type]
    assert [r.id for r in queries.questions(session, tp.id, status=QuestionStatus.retired)] == [  # type: ignore[arg-type]
        q.id
    ]
    assert session.get(Answer, answer.id) is not None
    with pytest.raises(ConflictError):
        services.question_remove(session=session, question=kept)


def test_removing_an_unanswered_question_deletes_it(session: Session, org: Organization) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    q = make_question(session, tp, text="Greeted?")
    keep = make_question(session, tp, text="Tidy?")
    assert services.question_remove(session=session, question=q) == "deleted"
    session.expire_all()
    assert session.get(Question, q.id) is None
    assert [x.id for x in services.questions_current(session, tp.id)] == [keep.id]  # type: ignore[arg-type]


def test_removing_an_unanswered_later_version_retires_the_lineage(
    session: Session, org: Organization
) -> None:
    tp = _touchpoint(session, org, _stage(session, org, "Visit"), "Door")
    q = make_question(session, tp, text="v1")
    _answered(session, org, tp, q)
    v2 = services.question_update(session=session, question=q, fields=_fields(text="v2"))
    assert services.question_remove(session=session, question=v2) == "retired"
    session.expire_all()
    statuses = [(v.version, v.status) for v in queries.versions(session, q.lineage)]
    assert statuses == [(1, "superseded"), (2, "retired")]


# --- templates -----------------------------------------------------------------------------


def test_five_moments_template_builds_the_journey(session: Session, org: Organization) -> None:
    five = template_set("five-moments")
    assert five is not None
    created, skipped = services.template_apply(
        session=session,
        org_id=org.id,  # type: ignore[arg-type]
        set_key="five-moments",
    )
    assert skipped == []
    assert len(created) == 5
    assert [t.template_key for t in created] == [t.key for t in five.touchpoints]
    assert _map(session) == [
        ("Inquiry", ["First phone call"]),
        ("Visit", [five.touchpoints[1].name]),
        ("Sale", [five.touchpoints[2].name]),
        ("After the sale", [five.touchpoints[3].name]),
        ("Billing", [five.touchpoints[4].name]),
    ]
    counts = queries.question_counts(session)
    for tp, template in zip(created, five.touchpoints, strict=True):
        assert 6 <= counts[tp.id] <= 12  # type: ignore[index]
        questions = services.questions_current(session, tp.id)  # type: ignore[arg-type]
        assert [q.text for q in questions] == [q.text for q in template.questions]
        assert [q.position for q in questions] == list(range(1, len(questions) + 1))
        assert all(q.org_id == org.id and q.version == 1 for q in questions)
        assert (tp.channel, tp.target, tp.team) == (
            template.channel,
            template.target,
            template.team,
        )


def test_applying_a_set_again_skips_what_is_present(session: Session, org: Organization) -> None:
    services.template_apply(session=session, org_id=org.id, set_key="five-moments")  # type: ignore[arg-type]
    before = _map(session)
    question_total = sum(queries.question_counts(session).values())
    created, skipped = services.template_apply(
        session=session,
        org_id=org.id,  # type: ignore[arg-type]
        set_key="five-moments",
    )
    assert created == []
    five = template_set("five-moments")
    assert five is not None
    assert skipped == [t.name for t in five.touchpoints]
    assert _map(session) == before
    assert sum(queries.question_counts(session).values()) == question_total


def test_applying_one_template_touchpoint_uses_the_existing_stage(
    session: Session, org: Organization
) -> None:
    own = _stage(session, org, "inquiry")  # same stage, other capitalisation
    _touchpoint(session, org, own, "Website form")
    template = template_touchpoint("process.inquiry")
    assert template is not None
    created, skipped = services.template_apply(
        session=session,
        org_id=org.id,  # type: ignore[arg-type]
        touchpoint_key="process.inquiry",
    )
    assert (len(created), skipped) == (1, [])
    assert _map(session) == [("inquiry", ["Website form", template.name])]
    # Another set adds only what is missing, in the stage order of the journey.
    created, _ = services.template_apply(session=session, org_id=org.id, set_key="seven-cs")  # type: ignore[arg-type]
    assert len(created) == 1
    assert _stage_names(session) == ["inquiry", "After the sale"]


def test_an_archived_template_touchpoint_can_be_added_again(
    session: Session, org: Organization
) -> None:
    [first], _ = services.template_apply(
        session=session,
        org_id=org.id,  # type: ignore[arg-type]
        touchpoint_key="moments.first-call",
    )
    services.touchpoint_archive(session=session, touchpoint=first)
    created, skipped = services.template_apply(
        session=session,
        org_id=org.id,  # type: ignore[arg-type]
        touchpoint_key="moments.first-call",
    )
    assert len(created) == 1 and skipped == []


@pytest.mark.parametrize(
    "keys", [{"set_key": "no-such-set"}, {"touchpoint_key": "moments.nope"}, {}]
)
def test_an_unknown_template_key_is_refused(
    session: Session, org: Organization, keys: dict[str, str]
) -> None:
    with pytest.raises(DomainError) as err:
        services.template_apply(session=session, org_id=org.id, **keys)  # type: ignore[arg-type]
    assert (err.value.message, err.value.field) == (MSG_TEMPLATE_UNKNOWN, "key")
    assert _map(session) == []
    assert session.exec(select(Stage).where(col(Stage.org_id) == org.id)).all() == []
