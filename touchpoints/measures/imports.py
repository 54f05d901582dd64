"""CSV import of measure values: every row checked first, then all written or none.

The file has the columns touchpoint, measure, location, period, value (any order, any case;
extra columns are ignored). Names are matched without regard to case. The standard library's
csv module reads it: it is the well-kept, well-known reader for this format (quoting, commas
inside quotes, line endings), and it needs nothing installed.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from app.i18n.catalogs import N_
from app.i18n.message import message
from app.orgs.models import Location
from app.spreadsheet import text_cell
from touchpoints.measures import services as measures
from touchpoints.measures.services import (
    SlotWrite,
    measure_values_write,
    period_floor,
    period_label,
    period_parse,
    period_shift,
    value_parse,
)
from touchpoints.models import Measure, MeasurePeriod, Touchpoint

COLUMNS = ("touchpoint", "measure", "location", "period", "value")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
MAX_SHOWN = 200  # problems listed on the page; the API returns them all

MSG_EMPTY = N_("The file is empty: it needs a header line and at least one row.")
MSG_NO_ROWS = N_("The file has a header but no rows of values.")
MSG_NOT_UTF8 = N_("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
MSG_TOO_LARGE = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into parts."
MSG_TOO_MANY_ROWS = f"The file has more than {MAX_ROWS:,} rows. Split it into parts."
MSG_NO_FILE = N_("Choose a CSV file to upload.")
MSG_NOT_CSV = N_("The file could not be read as CSV.")
MSG_MISSING_COLUMN = N_("The header has no “%(column)s” column.")
MSG_TOUCHPOINT_UNKNOWN = N_("No touchpoint is called “%(name)s”.")
MSG_TOUCHPOINT_AMBIGUOUS = N_(
    "Several touchpoints are called “%(name)s”; rename one to tell them apart."
)
MSG_MEASURE_UNKNOWN = N_("Touchpoint “%(touchpoint)s” has no measure called “%(name)s”.")
MSG_MEASURE_ARCHIVED = N_("The measure “%(name)s” is archived; restore it to import values.")
MSG_LOCATION_UNKNOWN = N_("No location is called “%(name)s”.")
MSG_LOCATION_AMBIGUOUS = N_(
    "Several locations are called “%(name)s”; rename one to tell them apart."
)
MSG_MISSING_VALUE = N_("The %(column)s is missing.")
MSG_DUPLICATE = N_("Line %(first)s already gives this measure, location and period.")
MSG_FUTURE = measures.MSG_FUTURE
MSG_WRONG_FIELDS = N_("This line has %(found)s fields; the header has %(expected)s.")


@dataclass(frozen=True)
class ImportProblem:
    line: int | None  # the file's line number (1 is the header); None for the whole file
    field: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _file_problem(message: str, column: str = "file", line: int | None = None) -> ImportResult:
    return ImportResult(problems=[ImportProblem(line, column, message)])


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig")


class _Names:
    """A name lookup that ignores case and knows when a name is not unique."""

    def __init__(self, items: list[tuple[str, int]]) -> None:
        self.ids: dict[str, list[int]] = defaultdict(list)
        for name, ident in items:
            self.ids[name.strip().casefold()].append(ident)

    def find(self, name: str) -> list[int]:
        found = self.ids.get(name.strip().casefold(), [])
        if not found and (original := _undefused(name.strip())) is not None:
            found = self.ids.get(original.casefold(), [])
        return found


def _undefused(cell: str) -> str | None:
    """The name behind a cell that template_csv (or any text_cell writer) defused, such as
    "'=Net Promoter"; None for any other cell. A spreadsheet may keep the apostrophe when it
    saves the file again, and the name must still be found."""
    if cell.startswith("'") and text_cell(cell[1:]) == cell:
        return cell[1:]
    return None


def measures_import(
    *, session: Session, org_id: int, data: bytes, today: date, actor_id: int | None
) -> ImportResult:
    """Check every row of `data`; when all are good, write them in one transaction."""
    if len(data) > MAX_BYTES:
        return _file_problem(MSG_TOO_LARGE)
    if not data.strip():
        return _file_problem(MSG_EMPTY)
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return _file_problem(MSG_NOT_UTF8)
    if "\x00" in text:
        return _file_problem(MSG_NOT_CSV)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error:
        return _file_problem(MSG_NOT_CSV, line=1)
    if header is None or not any(h.strip() for h in header):
        return _file_problem(MSG_EMPTY)
    names = [h.strip().casefold() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        return ImportResult(
            problems=[ImportProblem(1, c, message(MSG_MISSING_COLUMN, column=c)) for c in missing]
        )
    index = {c: names.index(c) for c in COLUMNS}

    lookup = _Lookup(session)
    result = ImportResult()
    writes: list[tuple[int, SlotWrite]] = []
    first_line: dict[tuple[int, int, date], int] = {}
    line = 1
    try:
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            result.rows += 1
            if result.rows > MAX_ROWS:
                return _file_problem(MSG_TOO_MANY_ROWS)
            if len(row) < len(names):
                result.problems.append(
                    ImportProblem(
                        start,
                        "line",
                        message(MSG_WRONG_FIELDS, found=len(row), expected=len(names)),
                    )
                )
                continue
            cells = {c: row[index[c]].strip() for c in COLUMNS}
            checked = _check_row(lookup, cells, start, today, result.problems)
            if checked is None:
                continue
            measure_id, slot = checked
            key = (measure_id, slot.location_id, slot.period_start)
            if key in first_line:
                result.problems.append(
                    ImportProblem(start, "line", message(MSG_DUPLICATE, first=first_line[key]))
                )
                continue
            first_line[key] = start
            writes.append(checked)
    except csv.Error as exc:
        result.problems.append(ImportProblem(line + 1, "line", f"{MSG_NOT_CSV} ({exc})"))
    if result.problems:
        return result
    if not result.rows:
        return _file_problem(MSG_NO_ROWS, line=None)
    counts = measure_values_write(session=session, org_id=org_id, writes=writes, actor_id=actor_id)
    result.created, result.updated, result.unchanged = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    return result


class _Lookup:
    """The organization's touchpoints, measures and locations, loaded once per import."""

    def __init__(self, session: Session) -> None:
        touchpoints = list(session.exec(select(Touchpoint)))
        self.touchpoints = _Names([(t.name, t.id) for t in touchpoints if t.id is not None])
        self.tp_names = {t.id: t.name for t in touchpoints}
        self.measures: dict[int, _Names] = defaultdict(lambda: _Names([]))
        self.measure_by_id: dict[int, Measure] = {}
        by_tp: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for m in session.exec(select(Measure).order_by(col(Measure.id))):
            assert m.id is not None
            by_tp[m.touchpoint_id].append((m.name, m.id))
            self.measure_by_id[m.id] = m
        for tp_id, items in by_tp.items():
            self.measures[tp_id] = _Names(items)
        locations = list(session.exec(select(Location)))
        self.locations = _Names([(loc.name, loc.id) for loc in locations if loc.id is not None])


def _check_row(
    lookup: _Lookup,
    cells: dict[str, str],
    line: int,
    today: date,
    problems: list[ImportProblem],
) -> tuple[int, SlotWrite] | None:
    """One row as a write, or None after adding every problem it has to `problems`."""
    before = len(problems)

    def problem(column: str, message: str) -> None:
        problems.append(ImportProblem(line, column, message))

    for column in COLUMNS:
        if not cells[column]:
            problem(column, message(MSG_MISSING_VALUE, column=column))

    measure: Measure | None = None
    if cells["touchpoint"]:
        tps = lookup.touchpoints.find(cells["touchpoint"])
        if not tps:
            problem("touchpoint", message(MSG_TOUCHPOINT_UNKNOWN, name=cells["touchpoint"]))
        elif len(tps) > 1:
            problem("touchpoint", message(MSG_TOUCHPOINT_AMBIGUOUS, name=cells["touchpoint"]))
        elif cells["measure"]:
            found = lookup.measures[tps[0]].find(cells["measure"])
            if not found:
                problem(
                    "measure",
                    message(
                        MSG_MEASURE_UNKNOWN,
                        touchpoint=lookup.tp_names[tps[0]],
                        name=cells["measure"],
                    ),
                )
            else:
                measure = lookup.measure_by_id[found[0]]
                if measure.archived_at is not None:
                    problem("measure", message(MSG_MEASURE_ARCHIVED, name=measure.name))
                    measure = None

    location_id = None
    if cells["location"]:
        locs = lookup.locations.find(cells["location"])
        if not locs:
            problem("location", message(MSG_LOCATION_UNKNOWN, name=cells["location"]))
        elif len(locs) > 1:
            problem("location", message(MSG_LOCATION_AMBIGUOUS, name=cells["location"]))
        else:
            location_id = locs[0]

    start = None
    if measure is not None and cells["period"]:
        try:
            start = period_parse(cells["period"], measure.period)
        except ValueError as exc:
            problem("period", str(exc).strip())
        else:
            if start > period_floor(today, measure.period):
                problem("period", MSG_FUTURE)
                start = None

    value = None
    if cells["value"]:
        try:
            value = value_parse(cells["value"])
        except ValueError as exc:
            problem("value", str(exc))

    if len(problems) > before or measure is None or location_id is None or start is None:
        return None
    assert measure.id is not None and value is not None
    return measure.id, SlotWrite(location_id, start, value)


def template_csv(session: Session, today: date) -> str:
    """A file to start from: the header and example rows for this organization's measures
    (or made-up names when it has none yet), last period first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows = session.exec(
        select(Measure, Touchpoint)
        .join(Touchpoint, col(Touchpoint.id) == Measure.touchpoint_id)
        .where(col(Measure.archived_at).is_(None))
        .order_by(col(Touchpoint.name), col(Measure.position), col(Measure.id))
        .limit(6)
    ).all()
    location = session.exec(select(Location.name).order_by(col(Location.name))).first()
    # Names are the organization's own text: one starting with = + - @ must not run as a
    # formula when the file is opened in a spreadsheet (the importer reads it back).
    place = text_cell(location or "Main Street")
    if not rows:
        month = period_shift(period_floor(today, MeasurePeriod.month), "month", -1)
        week = period_shift(period_floor(today, MeasurePeriod.week), "week", -1)
        writer.writerows(
            [
                ["First phone call", "Complaints", place, period_label(month, "month"), "3"],
                ["First phone call", "Calls answered", place, period_label(week, "week"), "112"],
                ["Checkout", "Sales", place, week.isoformat(), "48.5"],
            ]
        )
        return out.getvalue()
    for measure, touchpoint in rows:
        start = period_shift(period_floor(today, measure.period), measure.period, -1)
        period = period_label(start, measure.period)
        names = [text_cell(touchpoint.name), text_cell(measure.name), place]
        writer.writerow([*names, period, "12"])
    return out.getvalue()
