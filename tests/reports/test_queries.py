"""Trend queries: exact means and counts from small factory data, and the demo's story."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.modelbase import ident
from app.orgs.models import Location, Organization
from app.tenancy import scope_session
from audits.models import Shop, ShopStatus
from audits.queries import shop_score
from audits.scoring import score_snapshot
from reports.queries import (
    critical_fails,
    location_comparison,
    period_start,
    question_trend,
    touchpoint_trend,
)
from tests.factories import (
    make_answer,
    make_location,
    make_org,
    make_question,
    make_shop,
    make_touchpoint,
)
from touchpoints.models import Question, QuestionFields, Touchpoint
from touchpoints.services import question_update


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def approved_shop(
    session: Session,
    org: Organization,
    location: Location,
    touchpoint: Touchpoint,
    answers: list[tuple[Question, Any]],
    when: datetime | None,
    *,
    status: ShopStatus = ShopStatus.approved,
    approved_at: datetime | None = None,
) -> Shop:
    """A handed-in shop with its answers and the score snapshot the services would store."""
    shop = make_shop(
        session,
        org,
        location=location,
        touchpoints=[touchpoint],
        status=status,
        visited_at=when,
        approved_at=approved_at or (when + timedelta(days=1) if when else None),
    )
    for question, value in answers:
        if value == "N/A":
            make_answer(session, shop, question, None, not_applicable=True)
        else:
            make_answer(session, shop, question, value)
    score = shop_score(session, shop)
    shop.score = score.percent
    shop.score_detail = score_snapshot(score)
    session.add(shop)
    session.commit()
    return shop


class World:
    def __init__(self, session: Session) -> None:
        self.org = make_org(session)
        scope_session(session, ident(self.org))
        self.north = make_location(session, self.org, name="Harbour", region="North")
        self.south = make_location(session, self.org, name="Hilltop", region="South")
        self.tp = make_touchpoint(session, self.org, name="Greeting")
        self.q1 = make_question(session, self.tp, text="Greeted?")
        self.q2 = make_question(session, self.tp, text="Smiled?")

    def shop(self, session: Session, a: bool, b: bool, when: datetime, **kw: Any) -> Shop:
        location = kw.pop("location", self.north)
        answers = [(self.q1, a), (self.q2, b)]
        return approved_shop(session, self.org, location, self.tp, answers, when, **kw)


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def trend(session: Session, tp: Touchpoint, period: Any, **kw: Any) -> list[tuple[Any, ...]]:
    return [
        (r.period_key, r.mean_score, r.shops)
        for r in touchpoint_trend(session, ident(tp), period=period, **kw)
    ]


def test_months_quarters_and_weeks(session: Session, world: World) -> None:
    world.shop(session, True, True, at(2026, 3, 31, 23))  # 100, late on the last of March
    world.shop(session, True, False, at(2026, 4, 1, 0))  # 50, first hour of April
    world.shop(session, False, False, at(2026, 4, 15))  # 0
    world.shop(session, True, True, at(2026, 4, 2), status=ShopStatus.submitted)  # not yet
    world.shop(session, True, True, at(2026, 4, 3), status=ShopStatus.returned)
    # Another organization's approved shop of the same shape is not seen.
    other = World(session)
    other.shop(session, True, True, at(2026, 4, 5))
    scope_session(session, ident(world.org))

    assert trend(session, world.tp, "month") == [("2026-03", 100.0, 1), ("2026-04", 25.0, 2)]
    assert trend(session, world.tp, "quarter") == [("2026-Q1", 100.0, 1), ("2026-Q2", 25.0, 2)]
    # 31 March (Tuesday) and 1 April (Wednesday) share the ISO week that starts 30 March.
    rows = touchpoint_trend(session, ident(world.tp), period="week")
    assert [(r.period_key, r.period_start, r.mean_score, r.shops) for r in rows] == [
        ("2026-W14", date(2026, 3, 30), 75.0, 2),
        ("2026-W16", date(2026, 4, 13), 0.0, 1),
    ]
    months = touchpoint_trend(session, ident(world.tp), period="quarter")
    assert [r.period_start for r in months] == [date(2026, 1, 1), date(2026, 4, 1)]


def test_iso_weeks_across_year_ends(session: Session, world: World) -> None:
    world.shop(session, True, True, at(2024, 12, 30))  # Monday of 2025-W01
    world.shop(session, True, False, at(2027, 1, 1))  # Friday of 2026-W53
    world.shop(session, False, False, at(2026, 1, 4))  # Sunday: still 2026-W01
    world.shop(session, True, True, at(2025, 12, 29))  # Monday of 2026-W01
    assert trend(session, world.tp, "week") == [
        ("2025-W01", 100.0, 1),
        ("2026-W01", 50.0, 2),
        ("2026-W53", 50.0, 1),
    ]
    assert trend(session, world.tp, "month")[0] == ("2024-12", 100.0, 1)
    assert period_start("week", "2026-W53") == date(2026, 12, 28)


def test_visit_time_falls_back_to_approval(session: Session, world: World) -> None:
    world.shop(session, True, True, None, approved_at=at(2026, 5, 2))  # type: ignore[arg-type]
    world.shop(session, True, False, at(2026, 4, 30), approved_at=at(2026, 5, 1))
    assert trend(session, world.tp, "month") == [("2026-04", 50.0, 1), ("2026-05", 100.0, 1)]


def test_filters_location_region_and_dates(session: Session, world: World) -> None:
    world.shop(session, True, True, at(2026, 1, 10))
    world.shop(session, True, False, at(2026, 1, 20), location=world.south)
    world.shop(session, False, False, at(2026, 2, 1), location=world.south)
    world.shop(session, True, True, at(2026, 2, 2))
    tp = world.tp
    assert trend(session, tp, "month") == [("2026-01", 75.0, 2), ("2026-02", 50.0, 2)]
    assert trend(session, tp, "month", region="South") == [
        ("2026-01", 50.0, 1),
        ("2026-02", 0.0, 1),
    ]
    assert trend(session, tp, "month", location_ids=[ident(world.north)]) == [
        ("2026-01", 100.0, 1),
        ("2026-02", 100.0, 1),
    ]
    assert trend(session, tp, "month", location_ids=[]) == []
    # [start, end): the shop at exactly `end` is out, the one at `start` in.
    assert trend(session, tp, "month", start=at(2026, 1, 20), end=at(2026, 2, 2)) == [
        ("2026-01", 50.0, 1),
        ("2026-02", 0.0, 1),
    ]
    assert trend(session, tp, "quarter", region="Nowhere") == []


def test_other_touchpoints_and_empty_sections_are_left_out(session: Session, world: World) -> None:
    optional = make_question(session, world.tp, text="Coffee offered?", allow_na=True)
    other_tp = make_touchpoint(session, world.org, name="Farewell")
    bye = make_question(session, other_tp, text="Said goodbye?")
    # A shop covering both touchpoints counts for each with its own section.
    shop = make_shop(
        session,
        world.org,
        location=world.north,
        touchpoints=[world.tp, other_tp],
        status=ShopStatus.approved,
        visited_at=at(2026, 6, 3),
    )
    for question, value in ((world.q1, True), (world.q2, False), (bye, False)):
        make_answer(session, shop, question, value)
    make_answer(session, shop, optional, None, not_applicable=True)
    score = shop_score(session, shop)
    shop.score_detail = score_snapshot(score)
    session.add(shop)
    session.commit()
    assert trend(session, world.tp, "month") == [("2026-06", 50.0, 1)]
    assert trend(session, other_tp, "month") == [("2026-06", 0.0, 1)]


def test_question_trend_per_kind(session: Session, world: World) -> None:
    labels = ["awful", "poor", "fair", "good", "great"]
    scale = make_question(session, world.tp, text="Friendly?", kind="scale", scale_labels=labels)
    rings = make_question(
        session, world.tp, text="Rings", kind="number", rule="at_most", threshold=3
    )
    options = [
        {"label": "none", "points": 0},
        {"label": "some", "points": 4},
        {"label": "full", "points": 10},
    ]
    choice = make_question(session, world.tp, text="Offer", kind="choice", options=options)
    note = make_question(session, world.tp, text="Anything else?", kind="text")
    tp, org, loc = world.tp, world.org, world.north
    approved_shop(
        session,
        org,
        loc,
        tp,
        [(world.q1, True), (scale, 5), (rings, 3), (choice, 2), (note, "fine"), (world.q2, "N/A")],
        at(2026, 3, 5),
    )
    approved_shop(
        session,
        org,
        loc,
        tp,
        [(world.q1, False), (scale, 2), (rings, 4), (choice, 1)],
        at(2026, 3, 9),
    )
    approved_shop(
        session,
        org,
        loc,
        tp,
        [(world.q1, True), (scale, 3), (rings, 0), (choice, 0)],
        at(2026, 4, 9),
    )
    approved_shop(  # not approved: left out
        session,
        org,
        loc,
        tp,
        [(world.q1, False), (scale, 1)],
        at(2026, 4, 9),
        status=ShopStatus.submitted,
    )
    # The wording of the newest version names the row; answers of all versions count.
    fields = QuestionFields.model_validate({**scale.fields().model_dump(), "text": "Warm?"})
    newest = question_update(session=session, question=scale, fields=fields)
    approved_shop(session, org, loc, tp, [(newest, 4)], at(2026, 4, 20))

    rows = question_trend(session, ident(tp), period="month")
    got = {(r.text, r.period_key): (r.mean_points_pct, r.answers, r.fails) for r in rows}
    assert got == {
        ("Greeted?", "2026-03"): (50.0, 2, 1),
        ("Greeted?", "2026-04"): (100.0, 1, 0),
        # (5-1)/4 = 1, (2-1)/4 = .25 (a fail), (3-1)/4 = .5, (4-1)/4 = .75
        ("Warm?", "2026-03"): (62.5, 2, 1),
        ("Warm?", "2026-04"): (62.5, 2, 0),
        # at most 3: 3 passes, 4 fails, 0 passes
        ("Rings", "2026-03"): (50.0, 2, 1),
        ("Rings", "2026-04"): (100.0, 1, 0),
        # 10/10, 4/10 (a fail), 0/10
        ("Offer", "2026-03"): (70.0, 2, 1),
        ("Offer", "2026-04"): (0.0, 1, 1),
    }
    assert len({r.lineage for r in rows}) == 4  # N/A-only and free-text questions: no rows
    assert [r.text for r in rows][:2] == ["Greeted?", "Greeted?"]  # checklist order
    assert question_trend(session, ident(tp), period="month", region="South") == []


def test_critical_fails(session: Session, world: World) -> None:
    safe = make_question(session, world.tp, text="ID checked?", critical=True)
    a = approved_shop(session, world.org, world.north, world.tp, [(safe, False)], at(2026, 2, 3))
    approved_shop(session, world.org, world.south, world.tp, [(safe, True)], at(2026, 2, 4))
    b = approved_shop(session, world.org, world.south, world.tp, [(safe, False)], at(2026, 2, 5))
    approved_shop(  # not approved
        session,
        world.org,
        world.south,
        world.tp,
        [(safe, False)],
        at(2026, 2, 6),
        status=ShopStatus.submitted,
    )
    rows = critical_fails(session, ident(world.tp), start=at(2026, 2, 1), end=at(2026, 3, 1))
    assert [(r.shop_id, r.location, r.region, r.text, r.at) for r in rows] == [
        (ident(b), "Hilltop", "South", "ID checked?", at(2026, 2, 5)),
        (ident(a), "Harbour", "North", "ID checked?", at(2026, 2, 3)),
    ]
    assert critical_fails(session, ident(world.tp), start=at(2026, 2, 4), end=at(2026, 2, 5)) == []
    # The section score of a shop with a critical fail is 0, so the trend agrees.
    assert trend(session, world.tp, "month", region="North") == [("2026-02", 0.0, 1)]


def test_location_comparison_uses_the_latest_period(session: Session, world: World) -> None:
    third = make_location(session, world.org, name="Airport", region="South")
    world.shop(session, True, True, at(2026, 1, 10), location=third)  # older month only
    world.shop(session, True, False, at(2026, 2, 10))
    world.shop(session, True, True, at(2026, 2, 11))
    world.shop(session, False, False, at(2026, 2, 12), location=world.south)
    rows = location_comparison(session, ident(world.tp), period="month")
    assert [(r.period_key, r.location, r.region, r.mean_score, r.shops) for r in rows] == [
        ("2026-02", "Harbour", "North", 75.0, 2),
        ("2026-02", "Hilltop", "South", 0.0, 1),
    ]
    rows = location_comparison(session, ident(world.tp), period="month", region="South")
    assert [(r.location, r.mean_score) for r in rows] == [("Hilltop", 0.0)]
    rows = location_comparison(session, ident(world.tp), period="month", end=at(2026, 2, 1))
    assert [(r.period_key, r.location, r.mean_score, r.shops) for r in rows] == [
        ("2026-01", "Airport", 100.0, 1)
    ]


def test_bad_input(session: Session, world: World) -> None:
    with pytest.raises(ValueError, match="unknown period"):
        touchpoint_trend(session, ident(world.tp), period="year")  # type: ignore[arg-type]
    session.info.clear()
    with pytest.raises(RuntimeError, match="organization-scoped"):
        touchpoint_trend(session, ident(world.tp), period="month")


def test_demo_year(session: Session) -> None:
    from app.demo import DEMO_ORG, demo_seed

    demo_seed(session, password="demo-password-123")
    org = session.exec(select(Organization).where(Organization.name == DEMO_ORG)).one()
    scope_session(session, ident(org))
    tps = {tp.name: tp for tp in session.exec(select(Touchpoint).order_by(col(Touchpoint.id)))}
    bill = trend(session, tps["Paying the bill"], "month")
    assert len(bill) == 12
    assert all(n > 0 for _, _, n in bill)
    before = sum(m for _, m, _ in bill[:9]) / 9
    after = sum(m for _, m, _ in bill[9:]) / 3
    assert after < before - 10, (before, after)
    # The means agree with the shops' snapshots, averaged here in Python.
    shops = session.exec(select(Shop).where(Shop.status == ShopStatus.approved)).all()
    tp_id = ident(tps["Paying the bill"])
    expected: dict[str, list[float]] = {}
    for shop in shops:
        for section in (shop.score_detail or {}).get("sections", []):
            if section["touchpoint_id"] == tp_id and section["percent"] is not None:
                moment = shop.visited_at or shop.approved_at
                assert moment is not None
                expected.setdefault(f"{moment:%Y-%m}", []).append(section["percent"])
    assert bill == [(k, round(sum(v) / len(v), 1), len(v)) for k, v in sorted(expected.items())]
