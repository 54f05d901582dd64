"""The CSV import of measure values: all rows or none, every problem listed with its line."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.db import Database
from app.orgs.models import Location, Organization, Role
from app.tenancy import scope_session
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_location,
    make_measure,
    make_member,
    make_org,
    make_token,
    make_touchpoint,
)
from touchpoints.measures import imports as imp
from touchpoints.measures.services import (
    MSG_MONTH_START,
    MSG_NEGATIVE,
    MSG_NOT_NUMBER,
    period_shift,
)
from touchpoints.models import Measure, MeasureValue

pytestmark = pytest.mark.db

TODAY = date(2026, 11, 18)
HEADER = "touchpoint,measure,location,period,value"


@dataclass
class World:
    org: Organization
    complaints: Measure  # monthly, on "First phone call"
    sales: Measure  # monthly, on "First phone call"
    calls: Measure  # weekly, on "First phone call"
    locations: list[Location]


def _measures_org(session: Session) -> World:
    org = make_org(session, name="Harbour Bikes")
    tp = make_touchpoint(session, org, name="First phone call")
    make_touchpoint(session, org, name="Paying the bill")
    locations = [make_location(session, org, name=f"Branch {n}") for n in range(1, 6)]
    scope_session(session, org.id)  # type: ignore[arg-type]
    complaints = make_measure(session, tp, name="Complaints")
    sales = make_measure(session, tp, name="Sales")
    calls = make_measure(session, tp, name="Calls answered", period="week")
    return World(org, complaints, sales, calls, locations)


@pytest.fixture
def measures_org(session: Session) -> World:
    return _measures_org(session)


def _csv(rows: list[list[Any]], header: str = HEADER) -> bytes:
    out = io.StringIO()
    out.write(header + "\r\n")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def _good_rows(n: int = 500) -> list[list[Any]]:
    """`n` distinct monthly slots (two measures, five branches, going back month by month)."""
    rows = []
    month = date(2026, 11, 1)
    while len(rows) < n:
        for measure in ("Complaints", "Sales"):
            for branch in range(1, 6):
                if len(rows) < n:
                    rows.append(
                        [
                            "First phone call",
                            measure,
                            f"Branch {branch}",
                            f"{month:%Y-%m}",
                            len(rows) % 17,
                        ]
                    )
        month = period_shift(month, "month", -1)
    return rows


def _run(session: Session, measures_org: World, data: bytes) -> imp.ImportResult:
    return imp.measures_import(
        session=session,
        org_id=measures_org.org.id,
        data=data,
        today=TODAY,
        actor_id=None,  # type: ignore[arg-type]
    )


def _count(session: Session) -> int:
    session.rollback()
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(MeasureValue)).one())


def _stored(session: Session) -> dict[tuple[int, int, date], float]:
    session.rollback()
    session.expire_all()
    rows = session.exec(select(MeasureValue))
    return {(r.measure_id, r.location_id, r.period_start): r.value for r in rows}


def test_one_bad_row_among_500_good_ones_writes_nothing(
    session: Session, measures_org: World
) -> None:
    rows = _good_rows(500)
    rows.insert(321, ["First phone call", "Complaints", "Branch 2", "2019-03", "eleven"])
    result = _run(session, measures_org, _csv(rows))
    assert not result.ok
    # The header is line 1, so the 322nd row is line 323.
    assert result.problems == [imp.ImportProblem(323, "value", MSG_NOT_NUMBER)]
    assert _count(session) == 0


def test_a_good_file_writes_exactly_its_rows_and_reimporting_updates(
    session: Session, measures_org: World
) -> None:
    rows = _good_rows(500)
    result = _run(session, measures_org, _csv(rows))
    assert result.ok, result.problems[:5]
    assert (result.rows, result.created, result.updated, result.unchanged) == (500, 500, 0, 0)
    ids = {"Complaints": measures_org.complaints.id, "Sales": measures_org.sales.id}
    branch = {loc.name: loc.id for loc in measures_org.locations}
    expected = {
        (ids[m], branch[b], date.fromisoformat(p + "-01")): float(v) for _, m, b, p, v in rows
    }
    assert _stored(session) == expected

    # The same file again changes nothing; a corrected file updates in place.
    again = _run(session, measures_org, _csv(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 500)
    rows[0][4] = 99
    rows[1][4] = 98
    fixed = _run(session, measures_org, _csv(rows))
    assert (fixed.created, fixed.updated, fixed.unchanged) == (0, 2, 498)
    assert _count(session) == 500


def test_the_largest_file_allowed_imports_in_seconds(session: Session, measures_org: World) -> None:
    """20,000 rows (the limit): written in bulk, not row by row through the ORM, which took
    minutes; the generous bound only catches a return of that."""
    extra = [make_location(session, measures_org.org, name=f"Kiosk {n}") for n in range(1, 46)]
    names = [loc.name for loc in measures_org.locations + extra]
    rows = [
        ["First phone call", measure, name, f"{month:%Y-%m}", n % 40]
        for n, (measure, name, month) in enumerate(
            (measure, name, period_shift(date(2026, 11, 1), "month", -back))
            for back in range(200)
            for measure in ("Complaints", "Sales")
            for name in names
        )
    ]
    assert len(rows) == imp.MAX_ROWS
    started = time.perf_counter()
    result = _run(session, measures_org, _csv(rows))
    assert result.ok and result.created == imp.MAX_ROWS
    assert time.perf_counter() - started < 30
    assert _count(session) == imp.MAX_ROWS


def test_names_match_whatever_the_case_and_weeks_read_both_ways(
    session: Session, measures_org: World
) -> None:
    data = (
        "\ufeff"  # a byte-order mark, as spreadsheet programs write it
        + "Period,VALUE,Location,Measure,Touchpoint,Note\n"
        + '2026-W43,12,branch 1,CALLS ANSWERED,first phone call,"ok, fine"\n'
        + "\n"  # blank lines are skipped
        + "2026-10-26, 1 250 ,BRANCH 1,calls answered,First Phone Call,\n"
        + "2026-10,4.5,Branch 2,complaints,First phone call,\n"
    ).encode()
    result = _run(session, measures_org, data)
    assert result.ok, result.problems
    assert result.rows == 3
    stored = _stored(session)
    b1, b2 = measures_org.locations[0].id, measures_org.locations[1].id
    assert stored == {
        (measures_org.calls.id, b1, date(2026, 10, 19)): 12.0,
        (measures_org.calls.id, b1, date(2026, 10, 26)): 1250.0,
        (measures_org.complaints.id, b2, date(2026, 10, 1)): 4.5,
    }


def test_every_bad_row_is_listed_with_its_line_and_reason(
    session: Session, measures_org: World
) -> None:
    rows = [
        ["First phone call", "Complaints", "Branch 1", "2026-10", "3"],  # line 2: good
        ["Front door", "Complaints", "Branch 1", "2026-10", "3"],  # 3
        ["First phone call", "Refunds", "Branch 1", "2026-10", "3"],  # 4
        ["First phone call", "Complaints", "Moon Base", "2026-10", "3"],  # 5
        ["First phone call", "Complaints", "Branch 1", "2026-W43", "3"],  # 6
        ["First phone call", "Calls answered", "Branch 1", "2026-10-20", "3"],  # 7
        ["First phone call", "Complaints", "Branch 2", "2026-10", "abc"],  # 8
        ["First phone call", "Complaints", "Branch 1", "2026-10", "4"],  # 9: same as 2
        ["First phone call", "Complaints", "Branch 3", "2026-10-02", "-1"],  # 10: two problems
        ["First phone call", "Complaints", "", "2026-10", ""],  # 11: two missing
        ["First phone call", "Complaints", "Branch 4", "2027-01", "1"],  # 12: future
        ["First phone call", "Complaints"],  # 13: short line
    ]
    result = _run(session, measures_org, _csv(rows))
    found = [(p.line, p.field, p.message) for p in result.problems]
    assert found == [
        (3, "touchpoint", imp.MSG_TOUCHPOINT_UNKNOWN % {"name": "Front door"}),
        (
            4,
            "measure",
            imp.MSG_MEASURE_UNKNOWN % {"touchpoint": "First phone call", "name": "Refunds"},
        ),
        (5, "location", imp.MSG_LOCATION_UNKNOWN % {"name": "Moon Base"}),
        (
            6,
            "period",
            "“2026-W43” is a week, but this measure is kept by month. Write the month as 2026-10.",
        ),
        (7, "period", "A weekly value starts on a Monday: give the Monday of its week."),
        (8, "value", MSG_NOT_NUMBER),
        (9, "line", imp.MSG_DUPLICATE % {"first": 2}),
        (10, "period", MSG_MONTH_START),
        (10, "value", MSG_NEGATIVE),
        (11, "location", imp.MSG_MISSING_VALUE % {"column": "location"}),
        (11, "value", imp.MSG_MISSING_VALUE % {"column": "value"}),
        (12, "period", imp.MSG_FUTURE),
        (13, "line", imp.MSG_WRONG_FIELDS % {"found": 2, "expected": 5}),
    ]
    assert _count(session) == 0


def test_archived_measures_are_refused(session: Session, measures_org: World) -> None:
    measures_org.sales.archived_at = measures_org.sales.created_at
    session.add(measures_org.sales)
    session.commit()
    rows = [["First phone call", "Sales", "Branch 1", "2026-10", "3"]]
    result = _run(session, measures_org, _csv(rows))
    assert [(p.line, p.message) for p in result.problems] == [
        (2, imp.MSG_MEASURE_ARCHIVED % {"name": "Sales"})
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", imp.ImportProblem(None, "file", imp.MSG_EMPTY)),
        (b"  \r\n\r\n", imp.ImportProblem(None, "file", imp.MSG_EMPTY)),
        (HEADER.encode() + b"\r\n", imp.ImportProblem(None, "file", imp.MSG_NO_ROWS)),
        (
            "touchpoint;measure\n".encode("utf-16"),
            imp.ImportProblem(None, "file", imp.MSG_NOT_UTF8),
        ),
        (b"touchpoint,measure,location,period,value\r\n\xe9t\xe9,x,y,2026-10,1\r\n", None),
        (b"\x00\x01\x02binary", imp.ImportProblem(None, "file", imp.MSG_NOT_CSV)),
        (
            b"touchpoint,measure,place,when,value\r\nA,B,C,D,1\r\n",
            imp.ImportProblem(1, "location", imp.MSG_MISSING_COLUMN % {"column": "location"}),
        ),
        (b"x" * (imp.MAX_BYTES + 1), imp.ImportProblem(None, "file", imp.MSG_TOO_LARGE)),
    ],
    ids=["empty", "blank", "header-only", "utf16", "latin1", "binary", "columns", "too-large"],
)
def test_files_that_cannot_be_read(
    session: Session, measures_org: World, data: bytes, expected: imp.ImportProblem | None
) -> None:
    result = _run(session, measures_org, data)
    if expected is None:  # Latin-1 bytes are not UTF-8 either
        expected = imp.ImportProblem(None, "file", imp.MSG_NOT_UTF8)
    assert result.problems[0] == expected
    assert _count(session) == 0


def test_too_many_rows(
    session: Session, measures_org: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imp, "MAX_ROWS", 20)
    result = _run(session, measures_org, _csv(_good_rows(21)))
    assert result.problems == [imp.ImportProblem(None, "file", imp.MSG_TOO_MANY_ROWS)]
    assert _run(session, measures_org, _csv(_good_rows(20))).ok


def test_template_names_the_columns_and_imports_cleanly(
    session: Session, measures_org: World
) -> None:
    text = imp.template_csv(session, TODAY)
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert "First phone call,Calls answered,Branch 1,2026-W46,12" in lines
    assert "First phone call,Complaints,Branch 1,2026-10,12" in lines
    assert _run(session, measures_org, text.encode()).ok


def test_template_defuses_names_a_spreadsheet_would_run_and_imports_them_back(
    session: Session,
) -> None:
    org = make_org(session, name="Formula Bikes")
    tp = make_touchpoint(session, org, name='=HYPERLINK("http://x.test")')
    make_location(session, org, name="@Harbour")
    scope_session(session, org.id)  # type: ignore[arg-type]
    make_measure(session, tp, name="+Refunds")
    make_measure(session, tp, name="-Net sales")

    text = imp.template_csv(session, TODAY)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows and all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert ['\'=HYPERLINK("http://x.test")', "'+Refunds", "'@Harbour"] == rows[0][:3]
    assert ['\'=HYPERLINK("http://x.test")', "'-Net sales", "'@Harbour"] == rows[1][:3]

    # The file as it comes back, apostrophes kept, finds the very same names.
    result = imp.measures_import(
        session=session,
        org_id=org.id,
        data=text.encode(),
        today=TODAY,
        actor_id=None,  # type: ignore[arg-type]
    )
    assert result.ok, result.problems
    assert result.created == 2
    assert _count(session) == 2


# --- page and API --------------------------------------------------------------------------


def _upload(client: Browser, url: str, data: bytes, **kw: Any) -> Any:
    files = {"file": ("values.csv", data, "text/csv")}
    return client.post(url, files=files, **kw)


def test_import_page_lists_problems_then_imports(
    client: Browser, session: Session, db: Database
) -> None:
    measures_org = _measures_org(session)
    owner = make_member(session, measures_org.org, Role.owner)
    sign_in(client, db, owner, measures_org.org)
    page = client.get("/measures/import")
    assert page.status_code == 200 and "Download a template" in page.text

    headers = {"X-CSRF-Token": client.csrf, "Origin": "http://testserver"}
    rows = _good_rows(30)
    bad = [*rows, ["First phone call", "Complaints", "Branch 9", "2026-10", "<b>3</b>"]]
    refused = _upload(client, "/measures/import", _csv(bad), headers=headers)
    assert refused.status_code == 400
    assert "Nothing was imported: 2 problems in values.csv" in refused.text
    assert "Line 32" in refused.text and "No location is called “Branch 9”." in refused.text
    assert "<b>3</b>" not in refused.text  # what the file says is shown as text
    assert _count(session) == 0

    imported = _upload(client, "/measures/import", _csv(rows), headers=headers)
    assert imported.status_code == 200
    assert "30 rows read — 30 new values, 0 updated" in imported.text
    assert _count(session) == 30

    huge = _upload(client, "/measures/import", b"x" * (imp.MAX_BYTES + 100_000), headers=headers)
    assert huge.status_code == 400 and imp.MSG_TOO_LARGE in huge.text

    nothing = client.post("/measures/import", data={"csrf_token": client.csrf}, headers=headers)
    assert nothing.status_code == 400 and imp.MSG_NO_FILE in nothing.text

    template = client.get("/measures/import/template.csv")
    assert template.status_code == 200 and template.text.startswith(HEADER)
    assert "attachment" in template.headers["content-disposition"]


def test_import_api_answers_422_with_every_problem(client: Browser, session: Session) -> None:
    measures_org = _measures_org(session)
    owner = make_member(session, measures_org.org, Role.owner)
    auth = {"Authorization": f"Bearer {make_token(session, measures_org.org, owner)}"}
    viewer = make_member(session, measures_org.org, Role.viewer)
    viewer_auth = {"Authorization": f"Bearer {make_token(session, measures_org.org, viewer)}"}
    rows = _good_rows(10)
    bad = [*rows[:4], ["first phone call", "Sales", "Branch 1", "May", "2"], *rows[4:]]
    refused = _upload(client, "/api/v1/measures/import", _csv(bad), headers=auth)
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "Nothing was imported: the file has problems.",
        "errors": [
            {
                "line": 6,
                "field": "period",
                "message": "“May” is not a period. Write the month as 2026-10.",
            }
        ],
    }
    assert _count(session) == 0
    done = _upload(client, "/api/v1/measures/import", _csv(rows), headers=auth)
    assert done.status_code == 200
    assert done.json() == {"rows": 10, "created": 10, "updated": 0, "unchanged": 0}
    empty = client.post("/api/v1/measures/import", headers=auth)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    as_viewer = _upload(client, "/api/v1/measures/import", _csv(rows), headers=viewer_auth)
    assert as_viewer.status_code == 403
