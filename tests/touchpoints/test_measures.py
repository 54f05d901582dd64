"""Measures: periods, definitions, the value grid page, and the JSON API for both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import unescape
from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.db import Database
from app.errors import ConflictError, DomainError
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import MSG_FORBIDDEN, scope_session, unscoped
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_location,
    make_measure,
    make_measure_value,
    make_member,
    make_org,
    make_token,
    make_touchpoint,
)
from touchpoints.measures import services as svc
from touchpoints.measures.services import period_shift
from touchpoints.models import Measure, MeasurePeriod, MeasureValue, Touchpoint

pytestmark = pytest.mark.db

API = "/api/v1"
TODAY = date(2026, 11, 18)  # a Wednesday


# --- periods (pure) ------------------------------------------------------------------------


def test_period_starts_are_mondays_and_firsts() -> None:
    assert svc.period_floor(TODAY, MeasurePeriod.week) == date(2026, 11, 16)
    assert svc.period_floor(TODAY, MeasurePeriod.month) == date(2026, 11, 1)
    assert svc.period_starts("month", TODAY, 3) == [
        date(2026, 9, 1),
        date(2026, 10, 1),
        date(2026, 11, 1),
    ]
    # Across a year end, and weeks keep to Mondays.
    assert svc.period_starts("month", date(2027, 1, 9), 2) == [date(2026, 12, 1), date(2027, 1, 1)]
    assert svc.period_starts("week", date(2027, 1, 1), 2) == [
        date(2026, 12, 21),
        date(2026, 12, 28),
    ]
    assert svc.period_label(date(2026, 10, 19), "week") == "2026-W43"
    assert svc.period_label(date(2026, 10, 1), "month") == "2026-10"


@pytest.mark.parametrize(
    ("text", "period", "expected"),
    [
        ("2026-10", "month", date(2026, 10, 1)),
        ("2026-3", "month", date(2026, 3, 1)),
        ("2026-10-01", "month", date(2026, 10, 1)),
        ("2026-W43", "week", date(2026, 10, 19)),
        ("2026w43", "week", date(2026, 10, 19)),
        ("2026-10-19", "week", date(2026, 10, 19)),
        ("2020-W53", "week", date(2020, 12, 28)),  # a year with 53 ISO weeks
    ],
)
def test_period_parse_reads_what_people_write(text: str, period: str, expected: date) -> None:
    assert svc.period_parse(text, period) == expected


@pytest.mark.parametrize(
    ("text", "period", "words"),
    [
        ("2026-W43", "month", "is a week, but this measure is kept by month"),
        ("2026-10", "week", "is a month, but this measure is kept by week"),
        ("2026-10-20", "week", svc.MSG_WEEK_START),  # a Tuesday
        ("2026-10-02", "month", svc.MSG_MONTH_START),
        ("2026-13", "month", "is not a month"),
        ("2026-W54", "week", "is not a week of that year"),
        ("October", "month", "is not a period"),
    ],
)
def test_period_parse_explains_what_does_not_fit(text: str, period: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        svc.period_parse(text, period)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12.0), (" 4.5 ", 4.5), ("1 200", 1200.0), ("0", 0.0), ("", None)],
)
def test_value_parse(text: str, expected: float | None) -> None:
    assert svc.value_parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("twelve", svc.MSG_NOT_NUMBER),
        ("4,5", svc.MSG_NOT_NUMBER),
        ("nan", svc.MSG_NOT_NUMBER),
        ("inf", svc.MSG_NOT_NUMBER),
        ("-3", svc.MSG_NEGATIVE),
        ("1e13", svc.MSG_TOO_BIG),
    ],
)
def test_value_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        svc.value_parse(text)


# --- services ------------------------------------------------------------------------------


@dataclass
class World:
    org: Organization
    touchpoint: Touchpoint
    north: Location
    south: Location


@pytest.fixture
def two_branches(session: Session) -> World:
    org = make_org(session, name="Harbour Bikes")
    touchpoint = make_touchpoint(session, org, name="First phone call")
    north = make_location(session, org, name="North Quay")
    south = make_location(session, org, name="South Pier")
    scope_session(session, org.id)  # type: ignore[arg-type]
    return World(org, touchpoint, north, south)


def _values(session: Session, measure_id: int | None = None) -> list[tuple[int, date, float]]:
    session.rollback()
    session.expire_all()
    query = select(MeasureValue)
    if measure_id is not None:
        query = query.where(MeasureValue.measure_id == measure_id)
    rows = session.exec(query.order_by(MeasureValue.period_start, MeasureValue.location_id))
    return [(r.location_id, r.period_start, r.value) for r in rows]


def test_measure_names_are_unique_per_touchpoint_whatever_the_case(
    session: Session, two_branches: World
) -> None:
    make_measure(session, two_branches.touchpoint, name="Complaints")
    with pytest.raises(ConflictError) as caught:
        make_measure(session, two_branches.touchpoint, name="  complaints ")
    assert caught.value.message == svc.MSG_NAME_TAKEN and caught.value.field == "name"
    # Another touchpoint may use the name.
    other = make_touchpoint(session, two_branches.org, name="Paying the bill")
    assert make_measure(session, other, name="Complaints").name == "Complaints"


def test_value_set_upserts_and_blank_clears(session: Session, two_branches: World) -> None:
    measure = make_measure(session, two_branches.touchpoint, name="Complaints")
    october = date(2026, 10, 1)

    def put(value: float | None) -> svc.WriteCounts:
        return svc.measure_value_set(
            session=session,
            measure=measure,
            location_id=two_branches.north.id,  # type: ignore[arg-type]
            period_start=october,
            value=value,
            actor_id=None,
        )

    assert put(3).created == 1
    assert put(3).unchanged == 1  # a retried request is harmless
    assert put(5).updated == 1
    assert _values(session) == [(two_branches.north.id, october, 5.0)]
    assert put(None).cleared == 1
    assert _values(session) == []


def test_a_slot_filled_meanwhile_is_updated_not_doubled(
    session: Session, two_branches: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first writes to one slot at once: the second one's insert clashes with the row
    the first just stored, and it starts over as an update."""
    measure = make_measure(session, two_branches.touchpoint, name="Complaints")
    october = date(2026, 10, 1)
    make_measure_value(session, measure, two_branches.north, october, 3)
    real = svc._existing
    calls: list[int] = []

    def stale_once(*args: Any) -> Any:
        calls.append(1)
        return {} if len(calls) == 1 else real(*args)  # the first look misses the new row

    monkeypatch.setattr(svc, "_existing", stale_once)
    counts = svc.measure_value_set(
        session=session,
        measure=measure,
        location_id=two_branches.north.id,  # type: ignore[arg-type]
        period_start=october,
        value=8,
        actor_id=None,
    )
    assert len(calls) == 2 and counts.updated == 1
    assert _values(session) == [(two_branches.north.id, october, 8.0)]


def test_value_set_refuses_what_does_not_fit(session: Session, two_branches: World) -> None:
    weekly = make_measure(session, two_branches.touchpoint, name="Calls", period="week")
    with unscoped(session):
        foreign = make_location(session, make_org(session), name="Elsewhere")
    cases = [
        (two_branches.north.id, date(2026, 10, 20), 1.0, svc.MSG_WEEK_START),  # a Tuesday
        (foreign.id, date(2026, 10, 19), 1.0, svc.MSG_LOCATION_UNKNOWN),
    ]
    for location_id, start, value, message in cases:
        with pytest.raises(DomainError, match=re.escape(message)):
            svc.measure_value_set(
                session=session,
                measure=weekly,
                location_id=location_id,  # type: ignore[arg-type]
                period_start=start,
                value=value,
                actor_id=None,
            )
    with pytest.raises(ValueError, match=re.escape(svc.MSG_NEGATIVE)):
        svc.measure_value_set(
            session=session,
            measure=weekly,
            location_id=two_branches.north.id,  # type: ignore[arg-type]
            period_start=date(2026, 10, 19),
            value=-1,
            actor_id=None,
        )
    assert _values(session) == []


def test_period_cannot_change_once_values_exist(session: Session, two_branches: World) -> None:
    measure = make_measure(session, two_branches.touchpoint, name="Complaints")
    fields = svc.MeasureFields(name="Complaints", period=MeasurePeriod.week)
    svc.measure_update(session=session, measure=measure, data=fields)  # no values yet: fine
    fields = svc.MeasureFields(name="Complaints", period=MeasurePeriod.month)
    make_measure_value(session, measure, two_branches.north, date(2026, 10, 19), 2)
    with pytest.raises(ConflictError, match=re.escape(svc.MSG_PERIOD_LOCKED)):
        svc.measure_update(session=session, measure=measure, data=fields)


def test_grid_lays_out_locations_by_period_and_moves_back(
    session: Session, two_branches: World
) -> None:
    measure = make_measure(session, two_branches.touchpoint, name="Complaints")
    make_measure_value(session, measure, two_branches.south, date(2026, 11, 1), 4)
    make_measure_value(session, measure, two_branches.north, date(2026, 6, 1), 7)
    grid = svc.measure_grid(session, measure, today=TODAY)
    assert [loc.name for loc in grid.locations] == ["North Quay", "South Pier"]
    assert grid.periods[0] == date(2026, 6, 1) and grid.periods[-1] == date(2026, 11, 1)
    assert grid.value(two_branches.south.id, date(2026, 11, 1)) == "4"
    assert grid.value(two_branches.north.id, date(2026, 6, 1)) == "7"
    assert grid.later is None  # no periods in the future
    back = svc.measure_grid(session, measure, today=TODAY, until=grid.earlier)
    assert back.periods == svc.period_starts("month", date(2026, 5, 1), 6)
    assert back.later == date(2026, 11, 1)
    # An address far in the future is clipped to now.
    assert svc.measure_grid(session, measure, today=TODAY, until=date(2030, 1, 1)).until == (
        date(2026, 11, 1)
    )


# --- pages ---------------------------------------------------------------------------------


def _two_branches_signed_in(client: Browser, session: Session, db: Database, role: Role) -> World:
    org = make_org(session, name="Harbour Bikes")
    user: User = make_member(session, org, role)
    touchpoint = make_touchpoint(session, org, name="First phone call")
    north = make_location(session, org, name="North Quay")
    south = make_location(session, org, name="South Pier")
    sign_in(client, db, user, org)
    return World(org, touchpoint, north, south)


def _text(response: Any) -> str:
    return unescape(response.text)  # type: ignore[no-any-return]


def test_owner_defines_measures_inline(client: Browser, session: Session, db: Database) -> None:
    w = _two_branches_signed_in(client, session, db, Role.owner)
    url = f"/touchpoints/{w.touchpoint.id}/measures"
    page = client.get(url)
    assert page.status_code == 200 and "No measures yet." in page.text

    form = {"name": "Complaints", "unit": "", "higher_is_better": "0", "period": "month"}
    added = client.htmx("POST", url, {**form, "aggregate": "sum"})
    assert added.status_code == 200  # type: ignore[attr-defined]
    assert "Added Complaints." in added.text  # type: ignore[attr-defined]
    assert 'id="grid-' in added.text  # type: ignore[attr-defined]  # its grid appears

    again = client.htmx("POST", url, {**form, "name": "COMPLAINTS", "aggregate": "sum"})
    assert again.status_code == 400  # type: ignore[attr-defined]
    html = again.text  # type: ignore[attr-defined]
    # The message sits next to the name field, and what was typed is kept.
    assert re.search(
        r'id="m-name" name="name" value="COMPLAINTS"[^>]*aria-invalid="true"[^>]*>\s*'
        r'<p class="error" id="m-name-error">' + re.escape(svc.MSG_NAME_TAKEN),
        html,
    ), html

    blank = client.htmx("POST", url, {**form, "name": "  ", "aggregate": "sum"})
    assert blank.status_code == 400 and svc.MSG_NAME in blank.text  # type: ignore[attr-defined]

    measure = session.exec(select(Measure)).one()
    edit = client.htmx("GET", f"/measures/{measure.id}/edit")
    assert 'value="Complaints"' in edit.text  # type: ignore[attr-defined]
    saved = client.htmx(
        "POST",
        f"/measures/{measure.id}",
        {**form, "name": "Complaints received", "aggregate": "sum"},
    )
    assert "Saved Complaints received." in saved.text  # type: ignore[attr-defined]

    archived = client.htmx("POST", f"/measures/{measure.id}/archive")
    assert "Archived measures (1)" in archived.text  # type: ignore[attr-defined]
    assert 'id="grid-' not in archived.text  # type: ignore[attr-defined]
    restored = client.htmx("POST", f"/measures/{measure.id}/restore")
    assert 'id="grid-' in restored.text  # type: ignore[attr-defined]


def test_grid_cells_save_on_change_and_show_errors_next_to_the_cell(
    client: Browser, session: Session, db: Database
) -> None:
    w = _two_branches_signed_in(client, session, db, Role.owner)
    measure = make_measure(session, w.touchpoint, name="Complaints")
    page = client.get(f"/touchpoints/{w.touchpoint.id}/measures")
    assert page.status_code == 200
    assert page.text.count('class="cell-input"') == 2 * 6  # two locations, six months
    # Each cell names its location and period for screen readers.
    assert re.search(r'aria-label="Complaints, North Quay, \w{3} \d{4}"', page.text)

    this_month = svc.period_floor(svc.org_today(w.org.timezone), "month")
    url = f"/measures/{measure.id}/values"
    slot = {"location_id": str(w.north.id), "period_start": this_month.isoformat()}
    saved = client.htmx("POST", url, {**slot, "value": " 12 "})
    assert saved.status_code == 200  # type: ignore[attr-defined]
    assert 'value="12"' in saved.text and "Saved" in saved.text  # type: ignore[attr-defined]
    assert _values(session) == [(w.north.id, this_month, 12.0)]

    bad = client.htmx("POST", url, {**slot, "value": "12a"})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    cell = bad.text  # type: ignore[attr-defined]
    assert 'value="12a"' in cell and 'aria-invalid="true"' in cell
    assert re.search(r'<p class="error cell-error" id="v-[^"]+-error"', cell)
    assert svc.MSG_NOT_NUMBER in unescape(cell) and "Saved" not in cell
    assert _values(session) == [(w.north.id, this_month, 12.0)]  # unchanged

    next_month = period_shift(this_month, "month", 1).isoformat()
    future = client.htmx("POST", url, {**slot, "period_start": next_month, "value": "1"})
    assert future.status_code == 400 and svc.MSG_FUTURE in future.text  # type: ignore[attr-defined]

    tuesday = client.htmx("POST", url, {**slot, "period_start": "2026-11-03", "value": "1"})
    assert tuesday.status_code == 400 and svc.MSG_MONTH_START in tuesday.text  # type: ignore[attr-defined]

    # The touchpoint page's card says how far this month's entry is.
    card = client.htmx("GET", f"/touchpoints/{w.touchpoint.id}/measures?part=summary")
    assert "This month: 1 of 2 locations entered" in card.text  # type: ignore[attr-defined]
    assert 'id="tp-measures"' in card.text  # type: ignore[attr-defined]

    cleared = client.htmx("POST", url, {**slot, "value": ""})
    assert cleared.status_code == 200 and _values(session) == []  # type: ignore[attr-defined]

    # The grid moves back a screen at a time.
    earlier = client.htmx("GET", f"/measures/{measure.id}/grid?until=2026-01-15")
    assert "Aug 2025" in earlier.text and "Jan 2026" in earlier.text  # type: ignore[attr-defined]
    nonsense = client.get(f"/measures/{measure.id}/grid?until=not-a-date")
    assert nonsense.status_code == 200


def test_staff_read_the_grid_but_cannot_write(
    client: Browser, session: Session, db: Database
) -> None:
    w = _two_branches_signed_in(client, session, db, Role.viewer)
    measure = make_measure(session, w.touchpoint, name="Complaints")
    make_measure_value(session, measure, w.north, date(2026, 11, 1), 3.5)
    page = client.get(f"/touchpoints/{w.touchpoint.id}/measures")
    assert page.status_code == 200
    assert 'class="cell-input"' not in page.text and "Add a measure" not in page.text
    assert "Import from CSV" not in page.text
    refused = client.htmx(
        "POST",
        f"/measures/{measure.id}/values",
        {"location_id": str(w.north.id), "period_start": "2026-11-01", "value": "1"},
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert client.get("/measures/import").status_code == 403


def test_measure_names_are_escaped(client: Browser, session: Session, db: Database) -> None:
    w = _two_branches_signed_in(client, session, db, Role.owner)
    make_measure(session, w.touchpoint, name="<script>alert(1)</script>")
    page = client.get(f"/touchpoints/{w.touchpoint.id}/measures")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# --- API -----------------------------------------------------------------------------------


@dataclass
class Api:
    client: Browser
    two_branches: World
    headers: dict[str, str]

    def call(self, method: str, path: str, json: Any = None) -> Any:
        return self.client.request(method, API + path, json=json, headers=self.headers)


def _api(client: Browser, session: Session, role: Role = Role.owner) -> Api:
    org = make_org(session, name="Harbour Bikes")
    user = make_member(session, org, role)
    touchpoint = make_touchpoint(session, org, name="First phone call")
    north = make_location(session, org, name="North Quay")
    south = make_location(session, org, name="South Pier")
    token = make_token(session, org, user)
    return Api(client, World(org, touchpoint, north, south), {"Authorization": f"Bearer {token}"})


def test_api_measure_crud(client: Browser, session: Session) -> None:
    api = _api(client, session)
    tp = api.two_branches.touchpoint.id
    created = api.call("POST", f"/touchpoints/{tp}/measures", {"name": "Calls", "period": "week"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {
        "id": body["id"],
        "touchpoint_id": tp,
        "name": "Calls",
        "unit": "",
        "higher_is_better": True,
        "period": "week",
        "aggregate": "sum",
        "position": 1,
        "archived": False,
    }
    clash = api.call("POST", f"/touchpoints/{tp}/measures", {"name": "calls"})
    assert clash.status_code == 409
    assert clash.json() == {"detail": svc.MSG_NAME_TAKEN, "field": "name"}
    bad = api.call("POST", f"/touchpoints/{tp}/measures", {"name": "X", "period": "year"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "period"]

    mid = body["id"]
    patched = api.call("PATCH", f"/measures/{mid}", {"unit": "calls", "higher_is_better": False})
    assert patched.status_code == 200
    assert patched.json()["unit"] == "calls" and patched.json()["name"] == "Calls"
    blank = api.call("PATCH", f"/measures/{mid}", {"name": "   "})
    assert blank.status_code == 400 and blank.json()["field"] == "name"
    assert api.call("POST", f"/measures/{mid}/archive").json()["archived"] is True
    assert api.call("GET", f"/touchpoints/{tp}/measures").json() == []
    listed = api.call("GET", f"/touchpoints/{tp}/measures?include_archived=true").json()
    assert [m["name"] for m in listed] == ["Calls"]
    archived_write = api.call(
        "PUT",
        f"/measures/{mid}/values",
        {"location_id": api.two_branches.north.id, "period_start": "2026-10-19", "value": 1},
    )
    assert archived_write.status_code == 400
    assert archived_write.json()["detail"] == svc.MSG_ARCHIVED
    assert api.call("POST", f"/measures/{mid}/restore").json()["archived"] is False


def test_api_values_single_and_bulk(client: Browser, session: Session) -> None:
    api = _api(client, session)
    measure = make_measure(session, api.two_branches.touchpoint, name="Complaints")
    north, south = api.two_branches.north.id, api.two_branches.south.id
    url = f"/measures/{measure.id}/values"
    one = {"location_id": north, "period_start": "2026-10-01", "value": 3}
    assert api.call("PUT", url, one).json() == {
        "created": 1,
        "updated": 0,
        "cleared": 0,
        "unchanged": 0,
    }
    assert api.call("PUT", url, one).json()["unchanged"] == 1  # a retry changes nothing

    entries = [
        {"location_id": north, "period_start": "2026-10-01", "value": 4},
        {"location_id": south, "period_start": "2026-10-01", "value": 9},
        {"location_id": south, "period_start": "2026-10-02", "value": 1},  # not a 1st
    ]
    refused = api.call("PUT", url + "/bulk", {"values": entries})
    assert refused.status_code == 400
    assert refused.json() == {"detail": svc.MSG_MONTH_START, "field": "values.2.period_start"}
    assert _values(session, measure.id) == [(north, date(2026, 10, 1), 3.0)]  # all or nothing

    negative = api.call("PUT", url + "/bulk", {"values": [{**entries[0], "value": -2}]})
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "values", 0, "value"]

    written = api.call("PUT", url + "/bulk", {"values": entries[:2]})
    assert written.json() == {"created": 1, "updated": 1, "cleared": 0, "unchanged": 0}
    listed = api.call("GET", url + "?since=2026-10-01&until=2026-10-01").json()
    assert [(v["location_id"], v["period_start"], v["value"]) for v in listed] == [
        (north, "2026-10-01", 4.0),
        (south, "2026-10-01", 9.0),
    ]
    assert api.call("GET", url + f"?location_id={south}").json()[0]["value"] == 9.0
    cleared = api.call("PUT", url, {**one, "value": None})
    assert cleared.json()["cleared"] == 1


@pytest.mark.parametrize("role", [Role.viewer, Role.shopper])
def test_api_writes_are_for_owners(client: Browser, session: Session, role: Role) -> None:
    api = _api(client, session, role)
    measure = make_measure(session, api.two_branches.touchpoint, name="Complaints")
    tp = api.two_branches.touchpoint.id
    write = api.call("POST", f"/touchpoints/{tp}/measures", {"name": "Sales"})
    assert write.status_code == 403 and write.json()["detail"] == MSG_FORBIDDEN
    value = {"location_id": api.two_branches.north.id, "period_start": "2026-10-01", "value": 1}
    assert api.call("PUT", f"/measures/{measure.id}/values", value).status_code == 403
    read = api.call("GET", f"/measures/{measure.id}/values")
    assert read.status_code == (200 if role == Role.viewer else 403)
    session.rollback()
    assert session.exec(select(func.count()).select_from(MeasureValue)).one() == 0
