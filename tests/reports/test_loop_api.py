"""The trend API's `loop`: recovery rates, measures and action items as JSON, checked against
counts made by hand over the cases, values and items the test stores (not against the code
under test), for an owner and a viewer alike — and never a customer's name or contact.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from actions.services import action_item_set_status
from app.orgs.models import Location, Organization, Role
from recovery.models import Verdict
from recovery.services import Step, StepRecord, case_champion, case_step_record
from tests.factories import (
    make_action_item,
    make_location,
    make_measure,
    make_measure_value,
    make_member,
    make_org,
    make_recovery_case,
    make_token,
    make_touchpoint,
)
from touchpoints.models import ActionItem, ActionStatus, Touchpoint

pytestmark = pytest.mark.db

# A closed range in the past, so every case's 24 hours are long over whatever today is.
RANGE = {"period": "month", "from": "2026-01-01", "to": "2026-03-31"}
MONTHS = ["2026-01", "2026-02", "2026-03"]
CUSTOMER_NAME = "Ada Customer"
CUSTOMER_CONTACT = "ada@example.com"
SUMMARY = "The soup was cold and the replacement took an age"
H = timedelta(hours=1)
REF = re.compile(r'"\$ref": "(#/components/schemas/[^"]+)"')


@dataclass(frozen=True)
class CaseSpec:
    reported: datetime
    fixed_after: timedelta | None = None
    verdict: Verdict | None = None
    surprised: bool = False
    champion: bool = False
    ours: bool = True  # filed under the reported touchpoint, or under another one


# London is on GMT until 29 March, so these UTC times are the local ones too.
CASES = [
    CaseSpec(datetime(2026, 2, 10, 12, tzinfo=UTC), 3 * H),
    CaseSpec(
        datetime(2026, 2, 12, 9, tzinfo=UTC),
        23 * H,
        Verdict.satisfied,
        surprised=True,
        champion=True,
    ),
    CaseSpec(datetime(2026, 2, 20, 10, tzinfo=UTC), 30 * H, Verdict.partly),  # fixed late
    CaseSpec(datetime(2026, 3, 5, 8, tzinfo=UTC)),  # never fixed: a miss
    CaseSpec(datetime(2026, 3, 6, 15, tzinfo=UTC), 24 * H, Verdict.satisfied),  # exactly 24 h
    CaseSpec(datetime(2026, 3, 9, 11, tzinfo=UTC), 2 * H, Verdict.satisfied, ours=False),
]

# (measure, location, month) -> value; "north"/"south" stand for the two locations.
COMPLAINTS = {("north", 1): 4.0, ("south", 1): 6.0, ("north", 2): 3.0, ("north", 3): 2.0}
COMPLAINTS |= {("south", 3): 5.0}
SOLVED = {("north", 2): 80.0, ("south", 2): 90.0, ("north", 3): 70.0}


@dataclass
class Loop:
    org: Organization
    tp: Touchpoint
    north: Location
    south: Location
    complaints_id: int
    solved_id: int
    items: dict[str, int]
    owner: dict[str, str]
    viewer: dict[str, str]
    shopper: dict[str, str]


def _auth(session: Session, org: Organization, role: Role) -> dict[str, str]:
    user = make_member(session, org, role)
    return {"Authorization": f"Bearer {make_token(session, org, user)}"}


def _store_case(session: Session, w: Loop, other: Touchpoint, spec: CaseSpec) -> None:
    case = make_recovery_case(
        session,
        w.org,
        touchpoint_id=(w.tp if spec.ours else other).id,
        location_id=w.north.id,
        reported_at=spec.reported,
        summary=SUMMARY,
        customer_name=CUSTOMER_NAME,
        customer_contact=CUSTOMER_CONTACT,
    )
    if spec.fixed_after is not None:
        at = spec.reported + spec.fixed_after
        case_step_record(
            session=session, case=case, step=Step.fix, data=StepRecord(at=at, note="Replaced")
        )
    if spec.surprised:
        at = spec.reported + 26 * H
        case_step_record(
            session=session, case=case, step=Step.surprise, data=StepRecord(at=at, note="Cake")
        )
    if spec.verdict is not None:
        at = spec.reported + 72 * H
        data = StepRecord(at=at, verdict=spec.verdict)
        case_step_record(session=session, case=case, step=Step.follow_up, data=data)
    if spec.champion:
        case_champion(session=session, case=case, champion=True)


# The items were agreed before the range began: a report of a range that has ended lists
# what was open at its end, and an item written today was not.
AGREED = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _item(session: Session, tp: Touchpoint, status: ActionStatus, **fields: Any) -> int:
    closed_at = fields.pop("closed_at", None)
    item: ActionItem = make_action_item(session, tp, **fields)
    if status != ActionStatus.open:
        action_item_set_status(session=session, item=item, status=status)
    if closed_at is not None:  # done on a day of the test's choosing, not today
        item.closed_at = closed_at
    item.created_at = AGREED
    session.add(item)
    session.commit()
    return int(item.id or 0)


@pytest.fixture
def loop(session: Session) -> Loop:
    org = make_org(session, name="Harbour Bistro")
    tp = make_touchpoint(session, org, name="Handling a problem")
    other = make_touchpoint(session, org, name="Paying the bill")
    north = make_location(session, org, name="Harbour St")
    south = make_location(session, org, name="Hill Rd")
    complaints = make_measure(session, tp, name="Complaints", higher_is_better=False)
    solved = make_measure(session, tp, name="Solved first time", unit="%", aggregate="mean")
    places = {"north": north, "south": south}
    for measure, values in ((complaints, COMPLAINTS), (solved, SOLVED)):
        for (where, month), value in values.items():
            make_measure_value(session, measure, places[where], date(2026, month, 1), value)
    items = {
        "open": _item(
            session, tp, ActionStatus.open, title="Call back within the day", team="Floor",
            due_on=date(2026, 3, 15),
        ),
        "doing": _item(session, tp, ActionStatus.doing, title="Retrain the bar team"),
        "done": _item(
            session, tp, ActionStatus.done, title="New till roll supplier", team="Bar",
            closed_at=datetime(2026, 3, 20, 12, tzinfo=UTC),
        ),
        # Done before the period ahead of March began (1 February): not listed.
        "done_long_ago": _item(
            session, tp, ActionStatus.done, title="Fix the door",
            closed_at=datetime(2026, 1, 10, 12, tzinfo=UTC),
        ),
        "dropped": _item(
            session, tp, ActionStatus.dropped, title="A jukebox",
            closed_at=datetime(2026, 3, 25, 12, tzinfo=UTC),
        ),
        "elsewhere": _item(session, other, ActionStatus.open, title="Split bills at the table"),
    }  # fmt: skip
    w = Loop(
        org=org,
        tp=tp,
        north=north,
        south=south,
        complaints_id=int(complaints.id),
        solved_id=int(solved.id),
        items=items,
        owner=_auth(session, org, Role.owner),
        viewer=_auth(session, org, Role.viewer),
        shopper=_auth(session, org, Role.shopper),
    )
    for spec in CASES:
        _store_case(session, w, other, spec)
    return w


# --- the independent count --------------------------------------------------------------------


def pct(n: int, d: int) -> int | None:
    return None if d == 0 else math.floor(100 * n / d + 0.5)


def ratio(n: int, d: int) -> dict[str, int | None]:
    return {"count": n, "of": d, "percent": pct(n, d)}


def expected_recovery() -> dict[str, dict[str, Any]]:
    """Per month of the reported day, over this touchpoint's cases (all long past 24 h)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * 5)
    for c in CASES:
        if not c.ours:
            continue
        row = counts[f"{c.reported:%Y-%m}"]
        row[0] += 1
        row[1] += c.fixed_after is not None and c.fixed_after <= timedelta(hours=24)
        row[2] += c.verdict == Verdict.satisfied
        row[3] += c.surprised
        row[4] += c.champion
    return {
        key: {
            "cases": n,
            "fixed_within_24h": ratio(fixed, n),  # every case is due: its 24 h are over
            "satisfied": ratio(sat, n),
            "surprised": ratio(sur, n),
            "champions": champ,
        }
        for key, (n, fixed, sat, sur, champ) in sorted(counts.items())
    }


def expected_values(values: dict[tuple[str, int], float], how: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in MONTHS:
        month = int(key[-2:])
        here = [(where, v) for (where, m), v in values.items() if m == month]
        if not here:
            out.append({"period": key, "value": None, "locations": 0})
            continue
        total = sum(v for _, v in here)
        value = total if how == "sum" else total / len(here)
        out.append({"period": key, "value": value, "locations": len({w for w, _ in here})})
    return out


# --- the tests --------------------------------------------------------------------------------


def get_trend(client: TestClient, w: Loop, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/reports/touchpoints/{w.tp.id}/trend", params=RANGE, headers=headers)


def test_loop_numbers_match_a_count_by_hand(client: TestClient, loop: Loop) -> None:
    response = get_trend(client, loop, loop.owner)
    assert response.status_code == 200, response.text
    body = response.json()["loop"]
    recovery = body["recovery"]
    got = {p["key"]: {k: p[k] for k in expected_recovery()["2026-02"]} for p in recovery["periods"]}
    assert got == expected_recovery()
    # Spelled out, so the count by hand is checked too: January had no cases.
    assert got["2026-02"]["fixed_within_24h"] == {"count": 2, "of": 3, "percent": 67}
    assert got["2026-03"]["fixed_within_24h"] == {"count": 1, "of": 2, "percent": 50}
    assert got["2026-03"]["satisfied"] == {"count": 1, "of": 2, "percent": 50}
    assert [p["label"] for p in recovery["periods"]] == ["February 2026", "March 2026"]
    assert recovery["total"]["cases"] == 5
    assert recovery["total"]["fixed_within_24h"] == {"count": 3, "of": 5, "percent": 60}
    assert recovery["total"]["champions"] == 1
    assert recovery["headline"].startswith("March 2026: 2 cases; 1 of 2 fixed within 24")
    assert body["window_hours"] == 24

    measures = {m["id"]: m for m in body["measures"]}
    assert list(measures) == [loop.complaints_id, loop.solved_id]
    complaints, solved = measures[loop.complaints_id], measures[loop.solved_id]
    assert complaints["values"] == expected_values(COMPLAINTS, "sum")
    assert [v["value"] for v in complaints["values"]] == [10.0, 3.0, 7.0]
    assert complaints["change"] == 4.0 and complaints["better"] is False  # lower is better
    assert (complaints["aggregate"], complaints["higher_is_better"]) == ("sum", False)
    assert solved["values"] == expected_values(SOLVED, "mean")
    assert [v["value"] for v in solved["values"]] == [None, 85.0, 70.0]
    assert solved["change"] == -15.0 and solved["better"] is False
    assert (solved["unit"], solved["aggregate"]) == ("%", "mean")
    assert body["monthly_measures_left_out"] == 0

    items = loop.items
    open_items = body["open_items"]
    # Soonest due first, undated last; done, dropped and another touchpoint's items not here.
    assert [a["id"] for a in open_items] == [items["open"], items["doing"]]
    first = open_items[0]
    assert first["title"] == "Call back within the day" and first["team"] == "Floor"
    assert (first["due_on"], first["status"], first["overdue"]) == ("2026-03-15", "open", True)
    assert open_items[1]["status"] == "doing" and open_items[1]["overdue"] is False
    # The range ended on 31 March: the items as they stood then, worded without claiming
    # who was already at work on them (`status` stays the item's status today).
    assert body["open_items_as_of"] == "2026-03-31"
    assert [a["state"] for a in open_items] == ["Open at 31 Mar", "Open at 31 Mar"]
    assert body["overdue"] == 1
    # Done since 1 February (the period before March, the report's last month), to its end.
    assert body["done_since"] == "2026-02-01"
    assert body["done_until"] == "2026-03-31"
    assert [a["id"] for a in body["done_items"]] == [items["done"]]
    assert body["done_items"][0]["closed_at"].startswith("2026-03-20T12:00:00")


def test_viewer_reads_the_same_loop_without_customers(client: TestClient, loop: Loop) -> None:
    owner = get_trend(client, loop, loop.owner)
    viewer = get_trend(client, loop, loop.viewer)
    assert viewer.status_code == 200, viewer.text
    assert viewer.json()["loop"] == owner.json()["loop"]
    for response in (owner, viewer):
        text = response.text
        assert "customer_" not in text
        assert CUSTOMER_NAME not in text and CUSTOMER_CONTACT not in text
        assert SUMMARY not in text
    assert get_trend(client, loop, loop.shopper).status_code == 403


def test_a_touchpoint_without_loop_data_answers_empty_lists(
    client: TestClient, session: Session, loop: Loop
) -> None:
    bare = make_touchpoint(session, loop.org, name="Saying goodbye")
    response = client.get(
        f"/api/v1/reports/touchpoints/{bare.id}/trend", params=RANGE, headers=loop.viewer
    )
    assert response.status_code == 200, response.text
    body = response.json()["loop"]
    assert body["recovery"] == {
        "headline": "No recovery cases in this range.",
        "fixed_change": "",
        "periods": [],
        "total": None,
    }
    assert body["measures"] == [] and body["open_items"] == [] and body["done_items"] == []


def test_openapi_describes_the_loop(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["TrendOut"]["properties"]["loop"] == {"$ref": "#/components/schemas/LoopOut"}
    assert "loop" in schemas["TrendOut"]["required"]
    fixed = schemas["RecoveryPeriodOut"]["properties"]["fixed_within_24h"]
    assert fixed == {"$ref": "#/components/schemas/RatioOut"}
    # Nothing the trend answers can hold a customer's field (the case API's shapes may).
    seen, todo = set(), ["TrendOut"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        assert not [p for p in schemas[name].get("properties", {}) if "customer" in p], name
        text = json.dumps(schemas[name])
        todo += [ref.split("/")[-1] for ref in REF.findall(text)]
    assert {"LoopOut", "RecoveryOut", "MeasureOut", "ActionItemOut"} <= seen
