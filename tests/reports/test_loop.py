"""Recovery rates, measure roll-ups and action items in the reports, checked against plain
Python over the same cases and values (not against the SQL under test).

The organization lives in New York, so the cases near midnight and across the March
daylight-saving change land in the right period only if the report day is the local one.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from actions.services import ActionItemFields, action_item_create, action_item_set_status
from app.modelbase import ident
from app.orgs.models import Location, Organization
from app.tenancy import scope_session
from recovery.models import CaseSource, RecoveryCase, Verdict
from reports.filters import parse_filters
from reports.loop.queries import recovery_rates
from reports.loop.summary import loop_report, percent, unfiled_cases, unfiled_words
from reports.pdf.services import data_stamp
from reports.summary import touchpoint_report
from tests.factories import make_location, make_org, make_touchpoint
from touchpoints.models import (
    ActionItem,
    ActionSource,
    ActionStatus,
    Measure,
    MeasureAggregate,
    MeasurePeriod,
    MeasureValue,
    Touchpoint,
)

pytestmark = pytest.mark.db

NY = ZoneInfo("America/New_York")
# "Now" for the report: the last case below is two hours old and still inside its window.
NOW = datetime(2026, 4, 20, 16, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
_refs = itertools.count(1)


def local(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=NY).astimezone(UTC)


@dataclass
class World:
    org: Organization
    tp: Touchpoint
    other: Touchpoint
    north: Location
    south: Location


@pytest.fixture
def bistro(session: Session) -> World:
    org = make_org(session, name="Harbour Bistro", timezone="America/New_York")
    scope_session(session, ident(org))
    tp = make_touchpoint(session, org, name="Handling a problem")
    return World(
        org=org,
        tp=tp,
        other=make_touchpoint(session, org, name="Paying the bill"),
        north=make_location(session, org, name="Harbour St", region="North"),
        south=make_location(session, org, name="Hill Rd", region="South"),
    )


def add_case(
    session: Session,
    w: World,
    reported: datetime,
    *,
    fixed: timedelta | None = None,
    location: Location | None = None,
    touchpoint: Touchpoint | None = None,
    verdict: Verdict | None = None,
    surprised: bool = False,
    champion: bool = False,
    filed: bool = True,  # False: not yet filed under a touchpoint (e.g. from the public form)
) -> RecoveryCase:
    case = RecoveryCase(
        org_id=ident(w.org),
        reference=f"T{next(_refs):07d}",
        touchpoint_id=ident(touchpoint or w.tp) if filed else None,
        location_id=None if location is None else ident(location),
        source=CaseSource.phone,
        reported_at=reported,
        summary="The soup was cold and the replacement took an age.",
        customer_name="Ada Customer",
        customer_contact="ada@example.com",
        fixed_at=None if fixed is None else reported + fixed,
        surprised_at=reported + timedelta(hours=30) if surprised else None,
        followed_up_at=reported + timedelta(days=3) if verdict else None,
        verdict=verdict,
        champion=champion,
    )
    session.add(case)
    session.commit()
    return case


# --- the independent computation ------------------------------------------------------------


def period_key(period: str, day: date) -> str:
    if period == "month":
        return f"{day:%Y-%m}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def expected_rates(
    cases: list[RecoveryCase], period: str, now: datetime
) -> dict[str, tuple[int, ...]]:
    """(cases, due, fixed within 24 h, satisfied, surprised, champions) per period, by hand:
    the period of the local reported day; due when fixed or 24 h have passed."""
    out: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for c in cases:
        key = period_key(period, c.reported_at.astimezone(NY).date())
        row = out[key]
        row[0] += 1
        if c.fixed_at is not None or now - c.reported_at > DAY:
            row[1] += 1
        if c.fixed_at is not None and c.fixed_at - c.reported_at <= DAY:
            row[2] += 1
        row[3] += c.verdict == Verdict.satisfied
        row[4] += c.surprised_at is not None
        row[5] += c.champion
    return {k: tuple(v) for k, v in out.items()}


def edge_cases(session: Session, w: World) -> list[RecoveryCase]:
    """The cases the rules turn on, each commented with where it must land."""
    return [
        # 23:30 on 31 January in New York is 04:30 UTC on 1 February: January's.
        add_case(session, w, local(2026, 1, 31, 23, 30), fixed=DAY, location=w.north),
        # Fixed at exactly 24 h counts; this one at 24 h + 1 min does not. February's.
        add_case(
            session, w, local(2026, 2, 1, 0, 10), fixed=DAY + timedelta(minutes=1), location=w.north
        ),
        # Never fixed and long past its window: a miss.
        add_case(session, w, local(2026, 2, 10, 9), location=w.south, verdict=Verdict.partly),
        # The clocks went forward on 8 March: 12:00 on the 7th to 12:30 on the 8th is 23.5
        # elapsed hours (24.5 on the wall clock): within the window.
        add_case(
            session,
            w,
            local(2026, 3, 7, 12),
            fixed=local(2026, 3, 8, 12, 30) - local(2026, 3, 7, 12),
            location=w.south,
            verdict=Verdict.satisfied,
            surprised=True,
            champion=True,
        ),
        # 23:50 on 31 March local is 03:50 UTC on 1 April: March's (and Q1's).
        add_case(
            session, w, local(2026, 3, 31, 23, 50), fixed=timedelta(hours=3), location=w.north
        ),
        # Two hours old, not fixed: inside its window, neither counted as fixed nor missed.
        add_case(session, w, NOW - timedelta(hours=2), location=w.south),
        # Another touchpoint's case and an unfiled case are in no rates here.
        add_case(session, w, local(2026, 2, 3, 10), fixed=DAY, touchpoint=w.other),
    ]


def random_cases(session: Session, w: World, count: int = 60) -> list[RecoveryCase]:
    rng = random.Random(42)
    start = local(2026, 1, 1, 0)
    cases = []
    for _ in range(count):
        reported = start + timedelta(minutes=rng.randrange(0, 105 * 24 * 60))
        fixed_choices: list[timedelta | None] = [
            None,
            DAY,
            DAY + timedelta(minutes=1),
            timedelta(minutes=rng.randrange(10, 23 * 60)),
            timedelta(hours=rng.randrange(25, 90)),
        ]
        cases.append(
            add_case(
                session,
                w,
                reported,
                fixed=rng.choice(fixed_choices),
                location=rng.choice([w.north, w.south, None]),
                verdict=rng.choice(
                    [None, Verdict.satisfied, Verdict.partly, Verdict.not_satisfied]
                ),
                surprised=rng.random() < 0.4,
                champion=rng.random() < 0.15,
            )
        )
    return cases


def rows_as_dict(rows: list) -> dict[str, tuple[int, ...]]:  # type: ignore[type-arg]
    return {
        r.period_key: (r.cases, r.due, r.fixed_in_window, r.satisfied, r.surprised, r.champions)
        for r in rows
    }


# --- recovery rates ---------------------------------------------------------------------------


def test_edge_cases_land_where_the_rules_say(session: Session, bistro: World) -> None:
    cases = edge_cases(session, bistro)
    mine = [c for c in cases if c.touchpoint_id == bistro.tp.id]
    rows = recovery_rates(
        session,
        ident(bistro.tp),
        period="month",
        start=date(2026, 1, 1),
        end=date(2026, 4, 30),
        now=NOW,
    )
    got = rows_as_dict(rows)
    assert got == expected_rates(mine, "month", NOW)
    # Spelled out, so the hand computation itself is checked too.
    assert got == {
        "2026-01": (1, 1, 1, 0, 0, 0),  # exactly 24 h: fixed within the window
        "2026-02": (2, 2, 0, 0, 0, 0),  # 24 h + 1 min, and never fixed
        "2026-03": (2, 2, 2, 1, 1, 1),  # across the clock change; 23:50 on the 31st
        "2026-04": (1, 0, 0, 0, 0, 0),  # still inside its window: not due
    }


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_rates_match_a_count_by_hand(session: Session, bistro: World, period: str) -> None:
    cases = edge_cases(session, bistro) + random_cases(session, bistro)
    mine = [c for c in cases if c.touchpoint_id == bistro.tp.id]
    rows = recovery_rates(
        session,
        ident(bistro.tp),
        period=period,  # type: ignore[arg-type]
        start=date(2025, 12, 1),
        end=date(2026, 6, 30),
        now=NOW,
    )
    assert rows_as_dict(rows) == expected_rates(mine, period, NOW)


def test_location_region_and_date_filters(session: Session, bistro: World) -> None:
    cases = [c for c in random_cases(session, bistro) if c.touchpoint_id == bistro.tp.id]
    north = [c for c in cases if c.location_id == bistro.north.id]
    south = [c for c in cases if c.location_id == bistro.south.id]
    march = [c for c in cases if c.reported_at.astimezone(NY).date() >= date(2026, 3, 1)]
    args = {"period": "month", "now": NOW}
    assert rows_as_dict(
        recovery_rates(session, ident(bistro.tp), location_ids=[ident(bistro.north)], **args)  # type: ignore[arg-type]
    ) == expected_rates(north, "month", NOW)
    assert rows_as_dict(
        recovery_rates(session, ident(bistro.tp), region="South", **args)  # type: ignore[arg-type]
    ) == expected_rates(south, "month", NOW)
    assert rows_as_dict(
        recovery_rates(session, ident(bistro.tp), start=date(2026, 3, 1), **args)  # type: ignore[arg-type]
    ) == expected_rates(march, "month", NOW)


def test_rates_in_words_and_the_report_sections(session: Session, bistro: World) -> None:
    cases = edge_cases(session, bistro) + random_cases(session, bistro)
    mine = [c for c in cases if c.touchpoint_id == bistro.tp.id]
    filters = parse_filters(
        session, bistro.org, period="month", start="2026-01-01", end="2026-04-30"
    )
    loop = loop_report(session, bistro.org, bistro.tp, filters, now=NOW)
    exp = expected_rates(mine, "month", NOW)
    march = next(p for p in loop.recovery.periods if p.slot.key == "2026-03")
    n, due, ok, sat, sur, champ = exp["2026-03"]
    assert march.fixed.words("fixed within 24\u00a0h") == (
        f"{ok} of {due} fixed within 24\u00a0h ({percent(ok, due)}\u00a0%)"
    )
    latest = loop.recovery.latest
    assert latest is not None and latest.slot.key == "2026-04"
    n, due, ok, sat, sur, champ = exp["2026-04"]
    assert loop.recovery.headline == (
        f"April 2026: {n} case{'s' if n != 1 else ''}; "
        f"{ok} of {due} fixed within 24\u00a0h ({percent(ok, due)}\u00a0%), "
        f"{sat} of {n} followed up and fully satisfied ({percent(sat, n)}\u00a0%), "
        f"{sur} of {n} surprised ({percent(sur, n)}\u00a0%), "
        f"{champ} champion{'' if champ == 1 else 's'}."
    )
    total = loop.recovery.total
    assert total is not None
    assert total.cases == len(mine)
    assert total.fixed.n == sum(v[2] for v in exp.values())
    assert total.fixed.d == sum(v[1] for v in exp.values())
    # On the dashboard: the recovery card, no customer's name or contact anywhere.
    report = touchpoint_report(session, bistro.org, bistro.tp, filters)
    titles = [title for title, _ in report.extra_sections]
    assert titles == ["Service recovery"]
    html = report.extra_sections[0][1]
    assert "Ada Customer" not in html and "ada@example.com" not in html
    assert "Whole range" in html


def test_percent_rounds_halves_up() -> None:
    assert [percent(7, 9), percent(1, 8), percent(3, 8), percent(0, 3), percent(2, 0)] == [
        78,
        13,
        38,
        0,
        None,
    ]


def test_no_sections_for_a_touchpoint_without_loop_data(session: Session, bistro: World) -> None:
    filters = parse_filters(session, bistro.org, period="month", end="2026-04-30")
    report = touchpoint_report(session, bistro.org, bistro.tp, filters, medium="print")
    assert report.extra_sections == []


# --- measures ---------------------------------------------------------------------------------


def add_measure(session: Session, w: World, name: str, **kw: object) -> Measure:
    measure = Measure(org_id=ident(w.org), touchpoint_id=ident(w.tp), name=name, **kw)
    session.add(measure)
    session.commit()
    return measure


def add_values(
    session: Session, w: World, measure: Measure, values: dict[tuple[int, date], float]
) -> list[MeasureValue]:
    rows = [
        MeasureValue(
            org_id=ident(w.org),
            measure_id=ident(measure),
            location_id=location_id,
            period_start=start,
            value=value,
        )
        for (location_id, start), value in values.items()
    ]
    session.add_all(rows)
    session.commit()
    return rows


MONTHS = [date(2026, m, 1) for m in range(1, 7)]


def test_measures_roll_up_by_their_aggregate(session: Session, bistro: World) -> None:
    rng = random.Random(7)
    complaints = add_measure(
        session, bistro, "Complaints", unit="", higher_is_better=False, position=1
    )
    first_time = add_measure(
        session,
        bistro,
        "Solved at first contact",
        unit="%",
        aggregate=MeasureAggregate.mean,
        position=2,
    )
    refunds = add_measure(
        session, bistro, "Refunds", period=MeasurePeriod.week, unit="", position=3
    )
    monthly: dict[str, dict[tuple[int, date], float]] = {"c": {}, "f": {}}
    for month in MONTHS:
        for loc in (bistro.north, bistro.south):
            if loc is bistro.south and month.month == 2:
                continue  # one location did not report in February
            monthly["c"][(ident(loc), month)] = float(rng.randint(0, 12))
            monthly["f"][(ident(loc), month)] = round(rng.uniform(55, 95), 1)
    add_values(session, bistro, complaints, monthly["c"])
    add_values(session, bistro, first_time, monthly["f"])
    # Weekly: Mondays from 5 Jan; the week of Monday 30 March counts in March and Q1.
    mondays = [date(2026, 1, 5) + timedelta(weeks=k) for k in range(20)]
    weekly = {(ident(bistro.north), monday): float(rng.randint(0, 4)) for monday in mondays}
    add_values(session, bistro, refunds, weekly)

    def by_hand(values: dict[tuple[int, date], float], period: str, how: str) -> dict:  # type: ignore[type-arg]
        groups: dict[str, list[float]] = defaultdict(list)
        for (_, start), value in values.items():
            groups[period_key(period, start)].append(value)
        if how == "sum":
            return {k: round(sum(v), 1) for k, v in groups.items()}
        return {k: round(sum(v) / len(v), 1) for k, v in groups.items()}

    for period in ("month", "quarter"):
        filters = parse_filters(
            session, bistro.org, period=period, start="2026-01-01", end="2026-06-30"
        )
        loop = loop_report(session, bistro.org, bistro.tp, filters, now=NOW)
        lines = {m.info.name: m for m in loop.measures}
        slots = [s.key for s in loop.measure_slots]
        for name, values, how in (
            ("Complaints", monthly["c"], "sum"),
            ("Solved at first contact", monthly["f"], "mean"),
            ("Refunds", weekly, "sum"),
        ):
            expected = by_hand(values, period, how)
            got = {
                key: round(cell.value, 1)
                for key, cell in zip(slots, lines[name].cells, strict=True)
                if cell is not None
            }
            assert got == expected, (name, period)
    # Quarterly: Q2 against Q1, with the direction judged by higher_is_better.
    filters = parse_filters(
        session, bistro.org, period="quarter", start="2026-01-01", end="2026-06-30"
    )
    line = next(
        m
        for m in loop_report(session, bistro.org, bistro.tp, filters, now=NOW).measures
        if m.info.name == "Complaints"
    )
    q1 = sum(v for (_, d), v in monthly["c"].items() if d.month <= 3)
    q2 = sum(v for (_, d), v in monthly["c"].items() if d.month > 3)
    assert line.change == round(q2 - q1, 1)
    if q2 != q1:
        arrow, way = ("▲", "up") if q2 > q1 else ("▼", "down")
        verdict = "worse" if q2 > q1 else "better"  # fewer complaints is better
        # On 20 April the second quarter is still running, and the words say so.
        assert line.change_words == (
            f"{arrow} {way} {abs(q2 - q1):g} since Q1 2026 (Q2 2026 so far): {verdict}"
        )
    # A percentage moves in points, not in percent.
    solved = next(
        m
        for m in loop_report(session, bistro.org, bistro.tp, filters, now=NOW).measures
        if m.info.name == "Solved at first contact"
    )
    assert solved.change is not None and solved.change != 0
    assert f"{abs(solved.change):g} point" in solved.change_words
    # February came from one location of two: flagged, not silently halved.
    filters = parse_filters(
        session, bistro.org, period="month", start="2026-01-01", end="2026-06-30"
    )
    line = next(
        m
        for m in loop_report(session, bistro.org, bistro.tp, filters, now=NOW).measures
        if m.info.name == "Complaints"
    )
    feb = line.cells[1]
    assert feb is not None and feb.locations == 1 and line.partial(feb)


def test_measure_filters_and_weekly_reports(session: Session, bistro: World) -> None:
    complaints = add_measure(session, bistro, "Complaints", higher_is_better=False)
    add_values(
        session,
        bistro,
        complaints,
        {
            (ident(bistro.north), date(2026, 3, 1)): 4.0,
            (ident(bistro.south), date(2026, 3, 1)): 6.0,
        },
    )
    filters = parse_filters(
        session, bistro.org, period="month", start="2026-03-01", end="2026-03-31", region="South"
    )
    loop = loop_report(session, bistro.org, bistro.tp, filters, now=NOW)
    assert [c.value for c in loop.measures[0].cells if c] == [6.0]
    weekly = parse_filters(session, bistro.org, period="week", start="2026-03-01", end="2026-03-31")
    loop = loop_report(session, bistro.org, bistro.tp, weekly, now=NOW)
    assert loop.measures == [] and loop.monthly_left_out == 1


# --- action items -----------------------------------------------------------------------------


def add_item(session: Session, w: World, title: str, **kw: object) -> ActionItem:
    data = ActionItemFields.model_validate({"title": title, "team": "Front desk", **kw})
    item = action_item_create(
        session=session, org_id=ident(w.org), touchpoint_id=ident(w.tp), data=data, actor_id=None
    )
    session.commit()
    return item


def close(session: Session, item: ActionItem, at: datetime, status: ActionStatus) -> None:
    action_item_set_status(session=session, item=item, status=status)
    item.closed_at = at
    session.add(item)
    session.commit()


def test_open_items_and_done_since_the_last_period(session: Session, bistro: World) -> None:
    add_item(session, bistro, "Call back within the hour", due_on=date(2026, 4, 10))  # overdue
    add_item(session, bistro, "Replace the card reader", due_on=date(2026, 5, 2))
    doing = add_item(session, bistro, "Write the refund script")
    action_item_set_status(session=session, item=doing, status=ActionStatus.doing)
    session.commit()
    add_item(
        session,
        bistro,
        "Greet at the door",
        source=ActionSource.meeting,
        meeting_on=date(2026, 3, 12),
        due_on=date(2026, 4, 30),
    )
    # "Since 1 March" starts at midnight in New York: 00:30 local on 1 March is in, 23:30
    # local on 28 February (already 1 March in UTC) is out; a dropped item is not "done".
    close(
        session,
        add_item(session, bistro, "Print itemized receipts"),
        local(2026, 3, 1, 0, 30),
        ActionStatus.done,
    )
    close(
        session,
        add_item(session, bistro, "Old fix from February"),
        local(2026, 2, 28, 23, 30),
        ActionStatus.done,
    )
    close(
        session,
        add_item(session, bistro, "An idea we dropped"),
        local(2026, 4, 2, 10),
        ActionStatus.dropped,
    )

    filters = parse_filters(
        session, bistro.org, period="month", start="2026-01-01", end="2026-04-30"
    )
    loop = loop_report(session, bistro.org, bistro.tp, filters, now=NOW)
    assert [a.row.title for a in loop.open_items] == [
        "Call back within the hour",
        "Greet at the door",
        "Replace the card reader",
        "Write the refund script",
    ]
    assert [a.overdue for a in loop.open_items] == [True, False, False, False]
    assert loop.open_items[1].origin == "Staff meeting, 12 Mar 2026"
    assert [a.status for a in loop.open_items] == ["Open", "Open", "Open", "Doing"]
    assert loop.since.start == date(2026, 3, 1)
    assert [(a.row.title, a.closed) for a in loop.done_items] == [
        ("Print itemized receipts", "1 Mar 2026")
    ]
    html = dict(loop.sections("screen"))["Action items"]
    assert "Overdue: was due 10 Apr 2026" in html
    assert "Done since 1 Mar 2026" in html
    printed = dict(loop.sections("print"))["Action items"]
    assert "OVERDUE" in printed and "Front desk" in printed


# --- the data stamp -------------------------------------------------------------------------


def test_data_stamp_moves_with_cases_values_and_items(
    session: Session, bistro: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id = ident(bistro.org)
    monkeypatch.setattr("reports.pdf.services.utcnow", lambda: NOW)
    stamps = [data_stamp(session, org_id)]

    def moved() -> None:
        session.commit()
        stamps.append(data_stamp(session, org_id))
        assert stamps[-1] != stamps[-2]

    case = add_case(session, bistro, NOW - timedelta(hours=3), location=bistro.north)
    moved()
    case.fixed_at = NOW - timedelta(hours=1)
    session.add(case)
    moved()
    case.verdict = Verdict.satisfied
    case.followed_up_at = NOW
    session.add(case)
    moved()
    case.touchpoint_id = ident(bistro.other)  # filed under another touchpoint
    session.add(case)
    moved()
    measure = add_measure(session, bistro, "Complaints")
    moved()
    (value,) = add_values(session, bistro, measure, {(ident(bistro.north), date(2026, 4, 1)): 3.0})
    moved()
    value.value = 4.0
    session.add(value)
    moved()
    # Through the measures service (bulk SQL): a new value, a changed one, a cleared one.
    from touchpoints.measures.services import measure_value_set

    for figure in (5.0, 6.0, None):
        measure_value_set(
            session=session,
            measure=measure,
            location_id=ident(bistro.south),
            period_start=date(2026, 4, 1),
            value=figure,
            actor_id=None,
        )
        moved()
    item = add_item(session, bistro, "Call back within the hour", due_on=date(2026, 4, 21))
    moved()
    action_item_set_status(session=session, item=item, status=ActionStatus.doing)
    moved()
    # The clock alone: an unfixed case passing its 24 h, an open item passing its due day.
    add_case(session, bistro, NOW - timedelta(hours=23), location=bistro.south)
    moved()
    monkeypatch.setattr("reports.pdf.services.utcnow", lambda: NOW + timedelta(hours=2))
    moved()
    monkeypatch.setattr("reports.pdf.services.utcnow", lambda: NOW + timedelta(days=2))
    moved()
    # Nothing changed: the same stamp.
    assert data_stamp(session, org_id) == stamps[-1]


def test_user_text_is_escaped_in_both_media(session: Session, bistro: World) -> None:
    add_item(session, bistro, "<script>alert('x')</script> & <b>bold</b>", team="<i>Team</i>")
    measure = add_measure(session, bistro, "<img src=x onerror=alert(1)>", unit="<u>")
    add_values(session, bistro, measure, {(ident(bistro.north), date(2026, 4, 1)): 2.0})
    filters = parse_filters(
        session, bistro.org, period="month", start="2026-04-01", end="2026-04-30"
    )
    loop = loop_report(session, bistro.org, bistro.tp, filters, now=NOW)
    for medium in ("screen", "print"):
        html = "".join(part for _, part in loop.sections(medium))  # type: ignore[arg-type]
        assert "<script>" not in html and "<img" not in html and "<i>Team" not in html
        assert "&lt;script&gt;" in html and "&lt;img src=x" in html and "&lt;u&gt;" in html


# --- a range that has ended: the items as they stood at its end -------------------------------

# The report below runs January to March; March's last day ends at midnight in New York
# (04:00 UTC on 1 April, after the clocks went forward).
END = local(2026, 4, 1, 0)
SECOND = timedelta(seconds=1)


def dated_item(
    session: Session,
    w: World,
    title: str,
    created: datetime,
    *,
    status: ActionStatus = ActionStatus.open,
    closed: datetime | None = None,
    **kw: object,
) -> ActionItem:
    """An item written on `created` and, when `closed` is given, done or dropped then."""
    item = add_item(session, w, title, **kw)
    if status != ActionStatus.open:
        action_item_set_status(session=session, item=item, status=status)
    item.created_at = created
    if closed is not None:
        item.closed_at = closed
    session.add(item)
    session.commit()
    return item


def open_at(items: list[ActionItem], moment: datetime) -> set[str]:
    """By hand: written before the moment and not closed before it. An item that is open or
    doing today has no close; one done or dropped closed when its closed_at says."""
    return {
        i.title
        for i in items
        if i.created_at < moment
        and (
            (i.closed_at is None and i.status in (ActionStatus.open, ActionStatus.doing))
            or (i.closed_at is not None and i.closed_at >= moment)
        )
    }


def done_between(items: list[ActionItem], since: datetime, until: datetime) -> set[str]:
    return {
        i.title
        for i in items
        if i.status == ActionStatus.done
        and i.closed_at is not None
        and since <= i.closed_at < until
    }


def boundary_items(session: Session, w: World) -> list[ActionItem]:
    feb = local(2026, 2, 2, 9)
    return [
        dated_item(session, w, "Still open today", feb, due_on=date(2026, 3, 30)),
        dated_item(session, w, "Being done today", feb, status=ActionStatus.doing),
        dated_item(
            session,
            w,
            "Done at the very end",
            feb,
            status=ActionStatus.done,
            closed=END,  # the first instant of 1 April: closed in April, open at March's end
            due_on=date(2026, 3, 31),
        ),
        dated_item(
            session, w, "Done a second before", feb, status=ActionStatus.done, closed=END - SECOND
        ),
        dated_item(session, w, "Done a day after", feb, status=ActionStatus.done, closed=END + DAY),
        dated_item(
            session, w, "Dropped after the end", feb, status=ActionStatus.dropped, closed=END + DAY
        ),
        dated_item(
            session,
            w,
            "Dropped in March",
            feb,
            status=ActionStatus.dropped,
            closed=local(2026, 3, 20, 10),
        ),
        dated_item(session, w, "Written in the last second", END - SECOND),
        dated_item(session, w, "Written at the end", END),
        dated_item(session, w, "Written in April", END + DAY, status=ActionStatus.doing),
        # Done before the period ahead of March (February) began: neither open nor done.
        dated_item(
            session,
            w,
            "Done in January",
            local(2026, 1, 5, 9),
            status=ActionStatus.done,
            closed=local(2026, 1, 31, 23, 59),
        ),
    ]


def test_a_past_range_lists_the_items_open_at_its_end(session: Session, bistro: World) -> None:
    items = boundary_items(session, bistro)
    filters = parse_filters(
        session, bistro.org, period="month", start="2026-01-01", end="2026-03-31"
    )
    loop = loop_report(session, bistro.org, bistro.tp, filters, now=NOW)

    assert loop.as_of == date(2026, 3, 31)
    got = [a.row.title for a in loop.open_items]
    assert set(got) == open_at(items, END)
    # Spelled out, so the count by hand is checked too; soonest due first, undated last.
    assert got == [
        "Still open today",
        "Done at the very end",
        "Being done today",
        "Done a day after",
        "Dropped after the end",
        "Written in the last second",
    ]
    # Open or doing on 31 March is not kept: every one is worded the same.
    assert {a.status for a in loop.open_items} == {"Open at 31 Mar"}
    # Overdue as of 31 March: due on the 30th is, due on the 31st is not yet.
    assert [a.row.title for a in loop.open_items if a.overdue] == ["Still open today"]
    assert loop.overdue_count == 1

    since = local(2026, 2, 1, 0)
    assert loop.since.start == date(2026, 2, 1)
    assert {a.row.title for a in loop.done_items} == done_between(items, since, END)
    assert [(a.row.title, a.closed) for a in loop.done_items] == [
        ("Done a second before", "31 Mar 2026")
    ]

    for medium in ("screen", "print"):
        html = dict(loop.sections(medium))["Action items"]  # type: ignore[arg-type]
        assert "Open at 31 Mar 2026 · 1 overdue" in html
        assert "Done between 1 Feb 2026 and 31 Mar 2026" in html
        assert ">Open at 31 Mar<" in html
        assert "Doing" not in html and "Written in April" not in html


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_items_open_at_a_past_end_match_a_count_by_hand(
    session: Session, bistro: World, seed: int
) -> None:
    rng = random.Random(seed)
    start = local(2026, 2, 1, 0)
    items: list[ActionItem] = []
    for n in range(40):
        created = start + timedelta(hours=rng.randrange(0, 90 * 24))
        status = rng.choice(list(ActionStatus))
        closed = None
        if status in (ActionStatus.done, ActionStatus.dropped):
            # Closed around the end of March, sometimes exactly on it.
            closed = rng.choice(
                [END, END - SECOND, END + SECOND, created + timedelta(hours=rng.randrange(1, 900))]
            )
            closed = max(closed, created)
        items.append(
            dated_item(session, bistro, f"Item {n}", created, status=status, closed=closed)
        )
    filters = parse_filters(
        session, bistro.org, period="month", start="2026-02-01", end="2026-03-31"
    )
    loop = loop_report(session, bistro.org, bistro.tp, filters, now=NOW)
    assert {a.row.title for a in loop.open_items} == open_at(items, END)
    assert {a.row.title for a in loop.done_items} == done_between(items, start, END)


def test_a_range_reaching_today_keeps_todays_status(session: Session, bistro: World) -> None:
    items = boundary_items(session, bistro)
    # NOW is 20 April in New York: a range ending that day shows the items as they are.
    today = parse_filters(session, bistro.org, period="month", start="2026-03-01", end="2026-04-20")
    loop = loop_report(session, bistro.org, bistro.tp, today, now=NOW)
    assert loop.as_of is None
    assert {a.row.title for a in loop.open_items} == {
        i.title for i in items if i.status in (ActionStatus.open, ActionStatus.doing)
    }
    assert {a.status for a in loop.open_items} == {"Open", "Doing"}
    html = dict(loop.sections("screen"))["Action items"]
    assert "Open at" not in html and "Done since 1 Mar 2026" in html
    # A range that ended yesterday is already in the past.
    yesterday = parse_filters(
        session, bistro.org, period="month", start="2026-03-01", end="2026-04-19"
    )
    past = loop_report(session, bistro.org, bistro.tp, yesterday, now=NOW)
    assert past.as_of == date(2026, 4, 19)
    assert {a.row.title for a in past.open_items} == open_at(items, local(2026, 4, 20, 0))


# --- cases not yet filed under a touchpoint -----------------------------------------------------


def test_unfiled_cases_are_counted_and_said(session: Session, bistro: World) -> None:
    cases = [
        add_case(session, bistro, local(2026, 2, 3, 10), filed=False, location=bistro.north),
        add_case(session, bistro, local(2026, 3, 31, 23, 50), filed=False, location=bistro.south),
        add_case(session, bistro, local(2026, 3, 12, 9), filed=False),  # no location
        add_case(session, bistro, local(2026, 4, 1, 0, 10), filed=False),  # April: out of range
        add_case(session, bistro, local(2026, 1, 31, 23, 30), filed=False),  # January: out
        add_case(session, bistro, local(2026, 2, 20, 10), location=bistro.north),  # filed
    ]

    def by_hand(location_id: int | None = None) -> int:
        return sum(
            1
            for c in cases
            if c.touchpoint_id is None
            and date(2026, 2, 1) <= c.reported_at.astimezone(NY).date() <= date(2026, 3, 31)
            and (location_id is None or c.location_id == location_id)
        )

    filters = parse_filters(
        session, bistro.org, period="month", start="2026-02-01", end="2026-03-31"
    )
    assert unfiled_cases(session, filters) == by_hand() == 3
    north = parse_filters(
        session,
        bistro.org,
        period="month",
        start="2026-02-01",
        end="2026-03-31",
        locations=[str(ident(bistro.north))],
    )
    assert unfiled_cases(session, north) == by_hand(ident(bistro.north)) == 1
    south = parse_filters(
        session, bistro.org, period="month", start="2026-02-01", end="2026-03-31", region="South"
    )
    assert unfiled_cases(session, south) == by_hand(ident(bistro.south)) == 1
    assert unfiled_words(3) == (
        "3 recovery cases reported in this range are not yet filed under a touchpoint. "
        "They count in no touchpoint's rates until someone files them."
    )
    assert unfiled_words(1) == (
        "1 recovery case reported in this range is not yet filed under a touchpoint. "
        "It counts in no touchpoint's rates until someone files it."
    )
    assert unfiled_words(0) == ""
    # Filing one takes it off the count, and moves the data stamp under printed reports.
    stamp = data_stamp(session, ident(bistro.org))
    cases[0].touchpoint_id = ident(bistro.tp)
    session.add(cases[0])
    session.commit()
    assert unfiled_cases(session, filters) == 2
    assert data_stamp(session, ident(bistro.org)) != stamp


def test_another_organizations_unfiled_cases_are_not_counted(
    session: Session, bistro: World
) -> None:
    add_case(session, bistro, local(2026, 3, 3, 10), filed=False)
    other = make_org(session, name="Other Place", timezone="America/New_York")
    scope_session(session, ident(other))
    session.add(
        RecoveryCase(
            org_id=ident(other),
            reference=f"T{next(_refs):07d}",
            source=CaseSource.phone,
            reported_at=local(2026, 3, 4, 10),
            summary="Not ours.",
            customer_name="B",
            customer_contact="b@example.com",
        )
    )
    session.commit()
    scope_session(session, ident(bistro.org))
    filters = parse_filters(
        session, bistro.org, period="month", start="2026-03-01", end="2026-03-31"
    )
    assert unfiled_cases(session, filters) == 1


def test_pack_front_has_the_page_for_unfiled_cases_alone(session: Session, bistro: World) -> None:
    from reports.pdf.documents import pack_html
    from reports.pdf.pack import pack_document

    filters = parse_filters(
        session, bistro.org, period="month", start="2026-02-01", end="2026-03-31"
    )
    doc = pack_document(session, bistro.org, filters, now=NOW, today=NOW.date())

    def front(unfiled: int) -> str:
        doc.unfiled = unfiled
        doc.loop_lines = []
        return pack_html(doc)

    html = front(2)
    assert "Closing the loop" in html
    assert "2 recovery cases reported in this range are not yet filed" in html
    assert "Closing the loop" not in front(0) and "not yet filed" not in front(0)
