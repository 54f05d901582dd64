"""Shop services: planning rules, the state log, answers, submission and review."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.errors import ConflictError, DomainError, NotFoundError
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import scope_session
from audits import services
from audits.answers import MSG_NA_NOT_ALLOWED, MSG_SCALE, MSG_YES_NO
from audits.models import Answer, Shop, ShopEvent, ShopStatus
from audits.queries import answer_words, review_queue, shop_explain, shops_list
from audits.services import AnswerInput, ShopPlan, WavePlan
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_question,
    make_touchpoint,
)
from touchpoints.models import Question, Touchpoint

pytestmark = pytest.mark.db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHOPPER_NAME = "Quentin Marchbanks"
SHOPPER_EMAIL = "q.marchbanks@undercover.example"


@dataclass
class World:
    org: Organization
    owner: User
    shopper: User
    other_shopper: User
    locations: list[Location]
    tp: Touchpoint
    tp2: Touchpoint
    yes_no: Question
    scale: Question
    number: Question
    choice: Question
    text: Question


def _survey_org(session: Session) -> World:
    org = make_org(session)
    scope_session(session, org.id)  # type: ignore[arg-type]
    owner = make_member(session, org, Role.owner)
    # A name and address that occur nowhere else, so a leak to staff is easy to spot.
    shopper = make_member(session, org, Role.shopper, name=SHOPPER_NAME, email=SHOPPER_EMAIL)
    other = make_member(session, org, Role.shopper)
    locations = [make_location(session, org, name=f"Branch {c}") for c in "ABC"]
    tp = make_touchpoint(session, org, name="Walking in")
    tp2 = make_touchpoint(session, org, name="The bill")
    return World(
        org=org,
        owner=owner,
        shopper=shopper,
        other_shopper=other,
        locations=locations,
        tp=tp,
        tp2=tp2,
        yes_no=make_question(session, tp, text="Were you greeted?", weight=2, critical=True),
        scale=make_question(
            session,
            tp,
            text="How friendly?",
            kind="scale",
            scale_labels=["Not at all", "Barely", "Somewhat", "Clearly", "Warmly"],
        ),
        number=make_question(
            session,
            tp,
            text="Rings before answer",
            kind="number",
            rule="at_most",
            threshold=3,
            unit="rings",
            allow_na=True,
        ),
        choice=make_question(
            session,
            tp2,
            text="How was the bill explained?",
            kind="choice",
            options=[{"label": "Not at all", "points": 0}, {"label": "In full", "points": 2}],
        ),
        text=make_question(session, tp2, text="Anything else?", kind="text", required=False),
    )


def _plan(w: World, **overrides: Any) -> ShopPlan:
    values: dict[str, Any] = {
        "location_id": w.locations[0].id,
        "touchpoint_ids": [w.tp.id, w.tp2.id],
        "shopper_id": w.shopper.id,
        "scenario": "Ask about a wrong charge",
        "due_from": T0,
        "due_until": T0 + timedelta(days=7),
        **overrides,
    }
    return ShopPlan(**values)


def _shop(session: Session, w: World, **overrides: Any) -> Shop:
    return services.shop_plan(
        session=session,
        org_id=w.org.id,
        data=_plan(w, **overrides),
        actor_id=w.owner.id,  # type: ignore[arg-type]
    )


def _answer(session: Session, w: World, shop: Shop, q: Question, value: Any, **kw: Any) -> Answer:
    data = AnswerInput(id=kw.pop("id", uuid.uuid4()), question_id=q.id, value=value, **kw)  # type: ignore[arg-type]
    return services.answer_record(session=session, shop=shop, actor_id=w.shopper.id, data=data)  # type: ignore[arg-type]


def _fill(session: Session, w: World, shop: Shop) -> None:
    _answer(session, w, shop, w.yes_no, True)
    _answer(session, w, shop, w.scale, 4)
    _answer(session, w, shop, w.number, 2)
    _answer(session, w, shop, w.choice, 1)


def _events(session: Session, shop: Shop) -> list[tuple[str | None, str, str]]:
    rows = session.exec(
        select(ShopEvent).where(ShopEvent.shop_id == shop.id).order_by(col(ShopEvent.id))
    )
    return [(e.from_status, e.to_status, e.note) for e in rows]


def _count(session: Session, model: Any) -> int:
    return session.exec(select(func.count()).select_from(model)).one()  # type: ignore[no-any-return]


# --- planning ------------------------------------------------------------------------------


def test_plan_creates_the_shop_with_its_touchpoints_and_logs_it(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    assert shop.status == ShopStatus.assigned
    assert shop.scenario == "Ask about a wrong charge"
    assert _events(session, shop) == [(None, "assigned", "planned")]


@pytest.mark.parametrize("what", ["location", "touchpoint", "shopper"])
def test_plan_refuses_another_organizations_objects(session: Session, what: str) -> None:
    other = make_org(session)
    foreign_location = make_location(session, other)
    foreign_tp = make_touchpoint(session, other)
    foreign_shopper = make_member(session, other, Role.shopper)
    w = _survey_org(session)
    overrides, field, message = {
        "location": ({"location_id": foreign_location.id}, "location_id", "location"),
        "touchpoint": ({"touchpoint_ids": [foreign_tp.id]}, "touchpoint_ids", "touchpoints"),
        "shopper": ({"shopper_id": foreign_shopper.id}, "shopper_id", "shopper"),
    }[what]
    with pytest.raises(DomainError) as caught:
        _shop(session, w, **overrides)
    assert caught.value.field == field
    assert message in caught.value.message
    session.rollback()
    assert _count(session, Shop) == 0


def test_plan_refuses_an_archived_touchpoint_and_an_owner_as_shopper(session: Session) -> None:
    w = _survey_org(session)
    w.tp2.archived_at = utcnow()
    session.add(w.tp2)
    session.commit()
    with pytest.raises(DomainError, match="not archived"):
        _shop(session, w)
    session.rollback()
    with pytest.raises(DomainError) as caught:
        _shop(session, w, touchpoint_ids=[w.tp.id], shopper_id=w.owner.id)
    assert caught.value.message == services.MSG_SHOPPER_UNKNOWN
    session.rollback()
    assert _count(session, Shop) == 0


def test_plan_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        ShopPlan(location_id=1, touchpoint_ids=[1], due_from=T0, due_until=T0)


def test_wave_assigns_shoppers_in_turn_and_spreads_the_windows(session: Session) -> None:
    w = _survey_org(session)
    data = WavePlan(
        name="Spring",
        location_ids=[loc.id for loc in w.locations],  # type: ignore[misc]
        touchpoint_ids=[w.tp.id],  # type: ignore[list-item]
        shopper_ids=[w.shopper.id, w.other_shopper.id],  # type: ignore[list-item]
        starts=T0,
        ends=T0 + timedelta(days=30),
    )
    wave, shops = services.wave_plan(
        session=session,
        org_id=w.org.id,  # type: ignore[arg-type]
        data=data,
        actor_id=w.owner.id,  # type: ignore[arg-type]
    )
    assert [s.shopper_id for s in shops] == [w.shopper.id, w.other_shopper.id, w.shopper.id]
    assert [s.location_id for s in shops] == [loc.id for loc in w.locations]
    assert shops[0].due_from == T0
    assert [s.due_until for s in shops[:-1]] == [s.due_from for s in shops[1:]]
    assert shops[-1].due_until == T0 + timedelta(days=30)
    assert all(s.wave_id == wave.id for s in shops)


def test_wave_with_a_bad_location_saves_nothing(session: Session) -> None:
    foreign = make_location(session, make_org(session))
    w = _survey_org(session)
    data = WavePlan(
        name="Spring",
        location_ids=[w.locations[0].id, foreign.id],  # type: ignore[list-item]
        touchpoint_ids=[w.tp.id],  # type: ignore[list-item]
        shopper_ids=[w.shopper.id],  # type: ignore[list-item]
        starts=T0,
        ends=T0 + timedelta(days=30),
    )
    with pytest.raises(DomainError) as caught:
        services.wave_plan(session=session, org_id=w.org.id, data=data, actor_id=w.owner.id)  # type: ignore[arg-type]
    assert caught.value.field == "location_id"
    session.rollback()
    assert _count(session, Shop) == 0


# --- answers -------------------------------------------------------------------------------


def test_answers_move_the_shop_in_progress_once_and_replays_upsert(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    aid = uuid.uuid4()
    _answer(session, w, shop, w.yes_no, True, id=aid)
    _answer(session, w, shop, w.yes_no, "no", id=aid)
    _answer(session, w, shop, w.scale, "4")
    assert shop.status == ShopStatus.in_progress
    assert _count(session, Answer) == 2
    assert session.get(Answer, aid).value is False  # type: ignore[union-attr]
    assert _events(session, shop)[1:] == [("assigned", "in_progress", "first answer")]


@pytest.mark.parametrize(
    ("question", "value", "kw", "field", "message"),
    [
        ("scale", 7, {}, "value", MSG_SCALE),
        ("yes_no", "perhaps", {}, "value", MSG_YES_NO),
        ("yes_no", None, {"not_applicable": True}, "not_applicable", MSG_NA_NOT_ALLOWED),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(
    session: Session, question: str, value: Any, kw: dict[str, Any], field: str, message: str
) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    with pytest.raises(DomainError) as caught:
        _answer(session, w, shop, getattr(w, question), value, **kw)
    assert (caught.value.field, caught.value.message) == (field, message)
    session.rollback()
    assert _count(session, Answer) == 0


def test_na_is_allowed_where_the_question_allows_it(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    answer = _answer(session, w, shop, w.number, None, not_applicable=True)
    assert answer.not_applicable and answer.value is None


def test_answer_for_a_question_not_in_the_shop(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w, touchpoint_ids=[w.tp.id])
    with pytest.raises(DomainError) as caught:
        _answer(session, w, shop, w.choice, 1)
    assert caught.value.message == services.MSG_QUESTION_NOT_IN_SHOP
    assert caught.value.field == "question_id"


def test_another_shopper_cannot_answer(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    data = AnswerInput(id=uuid.uuid4(), question_id=w.yes_no.id, value=True)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        services.answer_record(session=session, shop=shop, actor_id=w.other_shopper.id, data=data)  # type: ignore[arg-type]


# --- submission ----------------------------------------------------------------------------


def test_submit_with_missing_required_names_the_first(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    _answer(session, w, shop, w.yes_no, True)
    with pytest.raises(DomainError) as caught:
        services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    assert caught.value.message == "3 required questions still need an answer."
    assert caught.value.field == f"question-{w.scale.id}"
    assert shop.status == ShopStatus.in_progress


def test_submit_twice_is_one_submission_and_one_event(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    _fill(session, w, shop)
    first = services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    at = first.submitted_at
    again = services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    assert again.status == ShopStatus.submitted and again.submitted_at == at
    assert [e[1] for e in _events(session, shop)] == ["assigned", "in_progress", "submitted"]
    # yes 2/2, scale 4 → 0.75/1, rings 2 ≤ 3 → 1/1, choice 2/2 → 1 → 4.75 of 5
    assert shop.score == 95.0


def test_answering_after_submission_is_a_conflict(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    _fill(session, w, shop)
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    with pytest.raises(ConflictError) as caught:
        _answer(session, w, shop, w.yes_no, False)
    assert caught.value.message == services.MSG_SHOP_CLOSED


def test_submitting_an_approved_shop_is_a_conflict(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    _fill(session, w, shop)
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    services.shop_approve(session=session, shop=shop, actor_id=w.owner.id)  # type: ignore[arg-type]
    with pytest.raises(ConflictError, match="already approved"):
        services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]


# --- review --------------------------------------------------------------------------------


def test_return_needs_a_note_then_goes_back_to_the_shopper(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    _fill(session, w, shop)
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as caught:
        services.shop_return(session=session, shop=shop, actor_id=w.owner.id, note="  ")  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.message) == ("note", services.MSG_RETURN_NOTE)
    services.shop_return(session=session, shop=shop, actor_id=w.owner.id, note="Which till?")  # type: ignore[arg-type]
    assert shop.status == ShopStatus.returned and shop.return_note == "Which till?"
    _answer(session, w, shop, w.scale, 5)  # the shopper may answer again
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    assert [e[1] for e in _events(session, shop)][-3:] == ["submitted", "returned", "submitted"]
    assert _events(session, shop)[-2] == ("submitted", "returned", "Which till?")


def test_corrected_then_approved_shop_is_rescored(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    _fill(session, w, shop)
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    assert shop.score == 95.0
    assert [s.id for s in review_queue(session)] == [shop.id]

    fix = AnswerInput(id=uuid.uuid4(), question_id=w.yes_no.id, value="no")  # type: ignore[arg-type]
    services.answer_correct(session=session, shop=shop, actor_id=w.owner.id, data=fix)  # type: ignore[arg-type]
    assert shop.score == 95.0  # the snapshot waits for approval
    assert _events(session, shop)[-1] == (
        "submitted",
        "submitted",
        "answer to «Were you greeted?» changed from Yes to No",
    )
    services.shop_approve(session=session, shop=shop, actor_id=w.owner.id)  # type: ignore[arg-type]
    # The critical yes/no failed: "Walking in" scores 0 of 4; "The bill" 1 of 1 → 1 of 5.
    assert shop.score == 20.0
    assert shop.score_detail["sections"][0]["critical_fail"] is True  # type: ignore[index]
    assert review_queue(session) == []
    assert [s.id for s in shops_list(session, approved_only=True)] == [shop.id]

    with pytest.raises(ConflictError):
        services.answer_correct(session=session, shop=shop, actor_id=w.owner.id, data=fix)  # type: ignore[arg-type]


def test_correction_is_checked_like_an_answer(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    _fill(session, w, shop)
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    bad = AnswerInput(id=uuid.uuid4(), question_id=w.scale.id, value=7)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="1 to 5"):
        services.answer_correct(session=session, shop=shop, actor_id=w.owner.id, data=bad)  # type: ignore[arg-type]
    same = AnswerInput(id=uuid.uuid4(), question_id=w.scale.id, value=4)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="already given"):
        services.answer_correct(session=session, shop=shop, actor_id=w.owner.id, data=same)  # type: ignore[arg-type]


def test_approve_only_from_submitted(session: Session) -> None:
    w = _survey_org(session)
    shop = _shop(session, w)
    with pytest.raises(ConflictError, match="assigned cannot be approved"):
        services.shop_approve(session=session, shop=shop, actor_id=w.owner.id)  # type: ignore[arg-type]


def test_answer_words_and_the_explanation(session: Session) -> None:
    w = _survey_org(session)
    assert answer_words(w.yes_no, True) == "Yes"
    assert answer_words(w.scale, 4) == "4 — Clearly"
    assert answer_words(w.number, 3) == "3 rings (passes: at most 3)"
    assert answer_words(w.choice, 1) == "In full"
    assert answer_words(w.text, "Fine") == "Fine"
    assert answer_words(w.number, None, True) == "N/A"
    shop = _shop(session, w)
    _answer(session, w, shop, w.yes_no, False)
    _answer(session, w, shop, w.number, None, not_applicable=True)
    explained, total = shop_explain(session, shop)
    rows = [(r.question.text, r.earned, r.possible, r.effect) for r in explained[0].rows]
    assert rows == [("Were you greeted?", 0, 2, "critical fail: section scores 0")]
    assert (total.earned, total.possible) == (0, 2)
