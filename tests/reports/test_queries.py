"""Trend queries: exact means and counts from small factory data, and the demo's story."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.modelbase import ident
from app.orgs.models import Location, Organization, Role
from app.tenancy import scope_session
from audits import services
from audits.models import Shop, ShopStatus
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
    make_member,
    make_org,
    make_question,
    make_shop,
    make_touchpoint,
    store_score,
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
    store_score(session, shop)
    return shop


class World:
    def __init__(self, session: Session, timezone: str = "UTC") -> None:
        self.org = make_org(session, timezone=timezone)
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
def greeting_org(session: Session) -> World:
    return World(session)


def exact(value: float) -> Any:
    """A figure as the queries give it: at full precision (summed in another order than
    here, so equal up to the last bits of a float), never rounded."""
    return pytest.approx(value, rel=0, abs=1e-9)


def trend(session: Session, tp: Touchpoint, period: Any, **kw: Any) -> list[tuple[Any, ...]]:
    return [
        (r.period_key, r.mean_score, r.shops)
        for r in touchpoint_trend(session, ident(tp), period=period, **kw)
    ]


def test_months_quarters_and_weeks(session: Session, greeting_org: World) -> None:
    greeting_org.shop(session, True, True, at(2026, 3, 31, 23))  # 100, late on the last of March
    greeting_org.shop(session, True, False, at(2026, 4, 1, 0))  # 50, first hour of April
    greeting_org.shop(session, False, False, at(2026, 4, 15))  # 0
    greeting_org.shop(session, True, True, at(2026, 4, 2), status=ShopStatus.submitted)  # not yet
    greeting_org.shop(session, True, True, at(2026, 4, 3), status=ShopStatus.returned)
    # Another organization's approved shop of the same shape is not seen.
    other = World(session)
    other.shop(session, True, True, at(2026, 4, 5))
    scope_session(session, ident(greeting_org.org))

    assert trend(session, greeting_org.tp, "month") == [("2026-03", 100.0, 1), ("2026-04", 25.0, 2)]
    assert trend(session, greeting_org.tp, "quarter") == [
        ("2026-Q1", 100.0, 1),
        ("2026-Q2", 25.0, 2),
    ]
    # 31 March (Tuesday) and 1 April (Wednesday) share the ISO week that starts 30 March.
    rows = touchpoint_trend(session, ident(greeting_org.tp), period="week")
    assert [(r.period_key, r.period_start, r.mean_score, r.shops) for r in rows] == [
        ("2026-W14", date(2026, 3, 30), 75.0, 2),
        ("2026-W16", date(2026, 4, 13), 0.0, 1),
    ]
    months = touchpoint_trend(session, ident(greeting_org.tp), period="quarter")
    assert [r.period_start for r in months] == [date(2026, 1, 1), date(2026, 4, 1)]


def test_iso_weeks_across_year_ends(session: Session, greeting_org: World) -> None:
    greeting_org.shop(session, True, True, at(2024, 12, 30))  # Monday of 2025-W01
    greeting_org.shop(session, True, False, at(2027, 1, 1))  # Friday of 2026-W53
    greeting_org.shop(session, False, False, at(2026, 1, 4))  # Sunday: still 2026-W01
    greeting_org.shop(session, True, True, at(2025, 12, 29))  # Monday of 2026-W01
    assert trend(session, greeting_org.tp, "week") == [
        ("2025-W01", 100.0, 1),
        ("2026-W01", 50.0, 2),
        ("2026-W53", 50.0, 1),
    ]
    assert trend(session, greeting_org.tp, "month")[0] == ("2024-12", 100.0, 1)
    assert period_start("week", "2026-W53") == date(2026, 12, 28)


def test_visit_time_falls_back_to_approval(session: Session, greeting_org: World) -> None:
    greeting_org.shop(session, True, True, None, approved_at=at(2026, 5, 2))  # type: ignore[arg-type]
    greeting_org.shop(session, True, False, at(2026, 4, 30), approved_at=at(2026, 5, 1))
    assert trend(session, greeting_org.tp, "month") == [("2026-04", 50.0, 1), ("2026-05", 100.0, 1)]


def test_filters_location_region_and_dates(session: Session, greeting_org: World) -> None:
    greeting_org.shop(session, True, True, at(2026, 1, 10))
    greeting_org.shop(session, True, False, at(2026, 1, 20), location=greeting_org.south)
    greeting_org.shop(session, False, False, at(2026, 2, 1), location=greeting_org.south)
    greeting_org.shop(session, True, True, at(2026, 2, 2))
    tp = greeting_org.tp
    assert trend(session, tp, "month") == [("2026-01", 75.0, 2), ("2026-02", 50.0, 2)]
    assert trend(session, tp, "month", region="South") == [
        ("2026-01", 50.0, 1),
        ("2026-02", 0.0, 1),
    ]
    assert trend(session, tp, "month", location_ids=[ident(greeting_org.north)]) == [
        ("2026-01", 100.0, 1),
        ("2026-02", 100.0, 1),
    ]
    assert trend(session, tp, "month", location_ids=[]) == []
    # [start, end], both days inclusive: the shops on 20 January and 1 February are in.
    assert trend(session, tp, "month", start=date(2026, 1, 20), end=date(2026, 2, 1)) == [
        ("2026-01", 50.0, 1),
        ("2026-02", 0.0, 1),
    ]
    assert trend(session, tp, "month", start=date(2026, 1, 21), end=date(2026, 1, 31)) == []
    assert trend(session, tp, "quarter", region="Nowhere") == []


def test_other_touchpoints_and_empty_sections_are_left_out(
    session: Session, greeting_org: World
) -> None:
    optional = make_question(session, greeting_org.tp, text="Coffee offered?", allow_na=True)
    other_tp = make_touchpoint(session, greeting_org.org, name="Farewell")
    bye = make_question(session, other_tp, text="Said goodbye?")
    # A shop covering both touchpoints counts for each with its own section.
    shop = make_shop(
        session,
        greeting_org.org,
        location=greeting_org.north,
        touchpoints=[greeting_org.tp, other_tp],
        status=ShopStatus.approved,
        visited_at=at(2026, 6, 3),
    )
    for question, value in ((greeting_org.q1, True), (greeting_org.q2, False), (bye, False)):
        make_answer(session, shop, question, value)
    make_answer(session, shop, optional, None, not_applicable=True)
    store_score(session, shop)
    assert trend(session, greeting_org.tp, "month") == [("2026-06", 50.0, 1)]
    assert trend(session, other_tp, "month") == [("2026-06", 0.0, 1)]


def test_question_trend_per_kind(session: Session, greeting_org: World) -> None:
    labels = ["awful", "poor", "fair", "good", "great"]
    scale = make_question(
        session, greeting_org.tp, text="Friendly?", kind="scale", scale_labels=labels
    )
    rings = make_question(
        session, greeting_org.tp, text="Rings", kind="number", rule="at_most", threshold=3
    )
    options = [
        {"label": "none", "points": 0},
        {"label": "some", "points": 4},
        {"label": "full", "points": 10},
    ]
    choice = make_question(session, greeting_org.tp, text="Offer", kind="choice", options=options)
    note = make_question(session, greeting_org.tp, text="Anything else?", kind="text")
    tp, org, loc = greeting_org.tp, greeting_org.org, greeting_org.north
    approved_shop(
        session,
        org,
        loc,
        tp,
        [
            (greeting_org.q1, True),
            (scale, 5),
            (rings, 3),
            (choice, 2),
            (note, "fine"),
            (greeting_org.q2, "N/A"),
        ],
        at(2026, 3, 5),
    )
    approved_shop(
        session,
        org,
        loc,
        tp,
        [(greeting_org.q1, False), (scale, 2), (rings, 4), (choice, 1)],
        at(2026, 3, 9),
    )
    approved_shop(
        session,
        org,
        loc,
        tp,
        [(greeting_org.q1, True), (scale, 3), (rings, 0), (choice, 0)],
        at(2026, 4, 9),
    )
    approved_shop(  # not approved: left out
        session,
        org,
        loc,
        tp,
        [(greeting_org.q1, False), (scale, 1)],
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


def test_critical_fails(session: Session, greeting_org: World) -> None:
    safe = make_question(session, greeting_org.tp, text="ID checked?", critical=True)
    a = approved_shop(
        session,
        greeting_org.org,
        greeting_org.north,
        greeting_org.tp,
        [(safe, False)],
        at(2026, 2, 3),
    )
    approved_shop(
        session,
        greeting_org.org,
        greeting_org.south,
        greeting_org.tp,
        [(safe, True)],
        at(2026, 2, 4),
    )
    b = approved_shop(
        session,
        greeting_org.org,
        greeting_org.south,
        greeting_org.tp,
        [(safe, False)],
        at(2026, 2, 5),
    )
    approved_shop(  # not approved
        session,
        greeting_org.org,
        greeting_org.south,
        greeting_org.tp,
        [(safe, False)],
        at(2026, 2, 6),
        status=ShopStatus.submitted,
    )
    rows = critical_fails(
        session, ident(greeting_org.tp), start=date(2026, 2, 1), end=date(2026, 2, 28)
    )
    assert [(r.shop_id, r.location, r.region, r.text, r.at, r.day) for r in rows] == [
        (ident(b), "Hilltop", "South", "ID checked?", at(2026, 2, 5), date(2026, 2, 5)),
        (ident(a), "Harbour", "North", "ID checked?", at(2026, 2, 3), date(2026, 2, 3)),
    ]
    day = date(2026, 2, 4)  # only the shop that passed
    assert critical_fails(session, ident(greeting_org.tp), start=day, end=day) == []
    # The section score of a shop with a critical fail is 0, so the trend agrees.
    assert trend(session, greeting_org.tp, "month", region="North") == [("2026-02", 0.0, 1)]


def test_location_comparison_uses_the_latest_period(session: Session, greeting_org: World) -> None:
    third = make_location(session, greeting_org.org, name="Airport", region="South")
    greeting_org.shop(session, True, True, at(2026, 1, 10), location=third)  # older month only
    greeting_org.shop(session, True, False, at(2026, 2, 10))
    greeting_org.shop(session, True, True, at(2026, 2, 11))
    greeting_org.shop(session, False, False, at(2026, 2, 12), location=greeting_org.south)
    rows = location_comparison(session, ident(greeting_org.tp), period="month")
    assert [(r.period_key, r.location, r.region, r.mean_score, r.shops) for r in rows] == [
        ("2026-02", "Harbour", "North", 75.0, 2),
        ("2026-02", "Hilltop", "South", 0.0, 1),
    ]
    rows = location_comparison(session, ident(greeting_org.tp), period="month", region="South")
    assert [(r.location, r.mean_score) for r in rows] == [("Hilltop", 0.0)]
    rows = location_comparison(
        session, ident(greeting_org.tp), period="month", end=date(2026, 1, 31)
    )
    assert [(r.period_key, r.location, r.mean_score, r.shops) for r in rows] == [
        ("2026-01", "Airport", 100.0, 1)
    ]


def test_bad_input(session: Session, greeting_org: World) -> None:
    with pytest.raises(ValueError, match="unknown period"):
        touchpoint_trend(session, ident(greeting_org.tp), period="year")  # type: ignore[arg-type]
    session.info.clear()
    with pytest.raises(RuntimeError, match="organization-scoped"):
        touchpoint_trend(session, ident(greeting_org.tp), period="month")


@pytest.mark.slow  # the demo year (seeded once per process)
def test_demo_year(session: Session, demo_org: Organization) -> None:
    org = demo_org
    zone = ZoneInfo(org.timezone)
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
                local = moment.astimezone(zone)
                expected.setdefault(f"{local:%Y-%m}", []).append(section["percent"])
    assert bill == [(k, exact(sum(v) / len(v)), len(v)) for k, v in sorted(expected.items())]


# --- the organization's time zone ------------------------------------------------------------


def test_new_york_evening_counts_in_october(session: Session) -> None:
    greeting_org = World(session, timezone="America/New_York")
    evening = greeting_org.shop(
        session, True, True, at(2026, 11, 1, 0)
    )  # 20:00 on 31 Oct in New York
    greeting_org.shop(session, False, False, at(2026, 11, 1, 13))  # 09:00 on 1 Nov there
    # No visit time: the approval at 02:30 UTC on 1 Oct is 22:30 on 30 Sep in New York.
    greeting_org.shop(
        session, True, False, None, approved_at=datetime(2026, 10, 1, 2, 30, tzinfo=UTC)
    )
    assert evening.report_day == date(2026, 10, 31)
    assert trend(session, greeting_org.tp, "month") == [
        ("2026-09", 50.0, 1),
        ("2026-10", 100.0, 1),
        ("2026-11", 0.0, 1),
    ]
    # 31 Oct 2026 is a Saturday: ISO week 44; 1 Nov (Sunday) too, in New York.
    assert trend(session, greeting_org.tp, "week") == [("2026-W40", 50.0, 1), ("2026-W44", 50.0, 2)]
    assert trend(session, greeting_org.tp, "quarter") == [
        ("2026-Q3", 50.0, 1),
        ("2026-Q4", 50.0, 2),
    ]
    # Days are New York days: October ends with the evening visit in it.
    october = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}
    assert trend(session, greeting_org.tp, "month", **october) == [("2026-10", 100.0, 1)]
    rows = question_trend(session, ident(greeting_org.tp), period="month", start=date(2026, 11, 1))
    assert {(r.text, r.period_key, r.answers, r.fails) for r in rows} == {
        ("Greeted?", "2026-11", 1, 1),
        ("Smiled?", "2026-11", 1, 1),
    }
    rows_loc = location_comparison(session, ident(greeting_org.tp), period="month", **october)
    assert [(r.period_key, r.mean_score, r.shops) for r in rows_loc] == [("2026-10", 100.0, 1)]


def test_time_zone_change_recomputes_report_days(session: Session, greeting_org: World) -> None:
    late = greeting_org.shop(session, True, True, at(2026, 3, 31, 23))  # UTC: still March
    greeting_org.shop(session, False, False, at(2026, 3, 10))
    assert trend(session, greeting_org.tp, "month") == [("2026-03", 50.0, 2)]
    greeting_org.org.timezone = "Europe/Berlin"  # 01:00 on 1 April there
    session.add(greeting_org.org)
    session.commit()
    assert late.report_day == date(2026, 4, 1)
    stored = session.connection().execute(
        text("SELECT report_day FROM shop WHERE id = :id"), {"id": ident(late)}
    )
    assert str(stored.scalar()) == "2026-04-01"
    assert trend(session, greeting_org.tp, "month") == [("2026-03", 0.0, 1), ("2026-04", 100.0, 1)]
    rows = question_trend(session, ident(greeting_org.tp), period="month")  # answers moved too
    assert [(r.text, r.period_key, r.mean_points_pct) for r in rows] == [
        ("Greeted?", "2026-03", 0.0),
        ("Greeted?", "2026-04", 100.0),
        ("Smiled?", "2026-03", 0.0),
        ("Smiled?", "2026-04", 100.0),
    ]
    # A visit time corrected later moves the shop's day too.
    late.visited_at = at(2026, 3, 20)
    session.add(late)
    session.commit()
    assert trend(session, greeting_org.tp, "month") == [("2026-03", 50.0, 2)]


def test_corrected_then_approved_shop_updates_stored_scores(
    session: Session, greeting_org: World
) -> None:
    owner = make_member(session, greeting_org.org, Role.owner)
    shopper = make_member(session, greeting_org.org, Role.shopper)
    shop = make_shop(
        session,
        greeting_org.org,
        location=greeting_org.north,
        touchpoints=[greeting_org.tp],
        status=ShopStatus.in_progress,
        shopper_id=ident(shopper),
        visited_at=at(2026, 5, 4),
    )
    make_answer(session, shop, greeting_org.q1, True)
    wrong = make_answer(session, shop, greeting_org.q2, False)
    services.shop_submit(session=session, shop=shop, actor_id=ident(shopper))
    assert _stored(session, shop) == (50.0, [0.0, 1.0])
    fix = services.AnswerInput(id=wrong.id, question_id=ident(greeting_org.q2), value=True)
    services.answer_correct(session=session, shop=shop, actor_id=ident(owner), data=fix)
    assert _stored(session, shop) == (50.0, [1.0, 1.0])  # the section waits for approval
    assert trend(session, greeting_org.tp, "month") == []  # and reports wait too
    services.shop_approve(session=session, shop=shop, actor_id=ident(owner))
    assert _stored(session, shop) == (100.0, [1.0, 1.0])
    assert trend(session, greeting_org.tp, "month") == [("2026-05", 100.0, 1)]
    rows = question_trend(session, ident(greeting_org.tp), period="month")
    assert [(r.text, r.mean_points_pct, r.fails) for r in rows] == [
        ("Greeted?", 100.0, 0),
        ("Smiled?", 100.0, 0),
    ]


def _stored(session: Session, shop: Shop) -> tuple[float | None, list[float | None]]:
    """What the database holds (not the loaded objects): section percent, answer shares."""
    conn = session.connection()
    pct = conn.execute(
        text("SELECT score_pct FROM shop_touchpoint WHERE shop_id = :s"), {"s": ident(shop)}
    ).scalar()
    shares = conn.execute(
        text("SELECT share FROM answer WHERE shop_id = :s"), {"s": ident(shop)}
    ).scalars()
    return pct, sorted(shares, key=lambda x: (x is not None, x or 0.0))


def test_answer_shares_stored_per_kind(session: Session, greeting_org: World) -> None:
    optional = make_question(session, greeting_org.tp, text="Coffee?", allow_na=True)
    note = make_question(session, greeting_org.tp, text="Anything else?", kind="text")
    shop = greeting_org.shop(session, True, False, at(2026, 1, 5))
    na = make_answer(session, shop, optional, None, not_applicable=True)
    free = make_answer(session, shop, note, "fine")
    assert (na.share, free.share) == (None, None)
    assert _stored(session, shop)[1] == [None, None, 0.0, 1.0]


# --- expected values worked out independently from the factory data ---------------------------

NAMES = ("Harbour", "Hilltop", "Airport")


def test_figures_match_a_plain_python_count(session: Session) -> None:
    """Seeded shops around month ends in Sydney; every figure recounted here by hand rules."""
    greeting_org = World(session, timezone="Australia/Sydney")
    airport = make_location(session, greeting_org.org, name="Airport", region="South")
    places = {"Harbour": greeting_org.north, "Hilltop": greeting_org.south, "Airport": airport}
    safe = make_question(session, greeting_org.tp, text="ID checked?", critical=True)
    scale = make_question(
        session, greeting_org.tp, text="Friendly?", kind="scale", scale_labels=list("abcde")
    )
    zone = ZoneInfo("Australia/Sydney")
    rng = random.Random(7)
    facts = []  # (local day, location name, {question text: share}, critical failed)
    for _ in range(40):
        when = datetime(2026, rng.randint(1, 6), 1, tzinfo=UTC) - timedelta(
            hours=rng.randint(0, 30)
        )
        name = rng.choice(NAMES)
        a, b, c, d = rng.random() < 0.7, rng.random() < 0.5, rng.random() < 0.85, rng.randint(1, 5)
        answers = [(greeting_org.q1, a), (greeting_org.q2, b), (safe, c), (scale, d)]
        status = ShopStatus.approved if rng.random() < 0.9 else ShopStatus.submitted
        approved_shop(
            session, greeting_org.org, places[name], greeting_org.tp, answers, when, status=status
        )
        if status == ShopStatus.approved:
            shares = {"Greeted?": float(a), "Smiled?": float(b), "ID checked?": float(c)}
            shares["Friendly?"] = (d - 1) / 4
            facts.append((when.astimezone(zone).date(), name, shares, not c))

    def section(shares: dict[str, float], failed: bool) -> float:
        return 0.0 if failed else 100 * sum(shares.values()) / 4

    by_month: dict[str, list[float]] = {}
    for day, _, shares, failed in facts:
        by_month.setdefault(f"{day:%Y-%m}", []).append(section(shares, failed))
    assert trend(session, greeting_org.tp, "month") == [
        (k, exact(sum(v) / len(v)), len(v)) for k, v in sorted(by_month.items())
    ]

    per_question: dict[tuple[str, str], list[float]] = {}
    for day, _, shares, _ in facts:
        for text_, share in shares.items():
            per_question.setdefault((text_, f"{day.year}-Q{(day.month - 1) // 3 + 1}"), []).append(
                share
            )
    rows = question_trend(session, ident(greeting_org.tp), period="quarter")
    assert {(r.text, r.period_key): (r.mean_points_pct, r.answers, r.fails) for r in rows} == {
        key: (exact(100 * sum(v) / len(v)), len(v), sum(1 for x in v if x < 0.5))
        for key, v in per_question.items()
    }

    first, last = date(2026, 3, 1), date(2026, 4, 30)
    expected_fails = sorted(
        ((day, name) for day, name, _, failed in facts if failed and first <= day <= last),
        reverse=True,
    )
    got = critical_fails(session, ident(greeting_org.tp), start=first, end=last)
    assert sorted(((r.day, r.location) for r in got), reverse=True) == expected_fails
    assert [r.at for r in got] == sorted((r.at for r in got), reverse=True)

    south = [f for f in facts if f[1] in ("Hilltop", "Airport")]
    latest = max(day for day, *_ in south)
    south = [f for f in south if (f[0].year, f[0].month) == (latest.year, latest.month)]
    rows_loc = location_comparison(session, ident(greeting_org.tp), period="month", region="South")
    expected_loc: dict[str, list[float]] = {}
    for _, name, shares, failed in south:
        expected_loc.setdefault(name, []).append(section(shares, failed))
    assert {r.location: (r.mean_score, r.shops) for r in rows_loc} == {
        name: (exact(sum(v) / len(v)), len(v)) for name, v in expected_loc.items()
    }
    assert {r.period_key for r in rows_loc} == {f"{latest:%Y-%m}"}
