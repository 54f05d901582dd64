"""Measures: operational counts kept per touchpoint, their periods, value writes and reads.

These functions expect an org-scoped session (app.tenancy). A value sits in one slot —
(measure, location, first day of the period) — and writing it again replaces it, so a retried
request or a re-imported file is harmless. Values are never negative: a measure counts or
totals something that happened (complaints, problems handled, sales), and a minus sign there
is a typing slip, not a fact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clock import today_in
from app.errors import ConflictError, DomainError
from app.i18n.catalogs import N_
from app.modelbase import RowId, utcnow
from app.orgs.models import Location, Organization
from touchpoints.models import (
    Measure,
    MeasureAggregate,
    MeasurePeriod,
    MeasureValue,
    Touchpoint,
)

MSG_NAME = N_("Give the measure a name.")
MSG_NAME_TAKEN = N_("This touchpoint already has a measure with that name.")
MSG_PERIOD_LOCKED = N_(
    "This measure already has values; its period can no longer change. "
    "Archive it and add a new measure instead."
)
MSG_ARCHIVED = N_("This measure is archived; restore it to enter values.")
MSG_TOUCHPOINT_ARCHIVED = N_("This touchpoint is archived; restore it to add measures.")
MSG_NOT_NUMBER = N_("Enter a number, such as 12 or 4.5.")
MSG_NEGATIVE = N_("Enter zero or more: a measure counts what happened.")
MSG_TOO_BIG = N_("That number is too large.")
MSG_LOCATION_UNKNOWN = N_("Choose a location of this organization.")
MSG_FUTURE = N_("That period has not started yet.")
MSG_WEEK_START = N_("A weekly value starts on a Monday: give the Monday of its week.")
MSG_MONTH_START = N_("A monthly value starts on the 1st: give the first day of its month.")
MSG_PERIOD_TEXT_MONTH = N_("Write the month as 2026-10.")
MSG_PERIOD_TEXT_WEEK = N_("Write the week as 2026-W43, or as the date of its Monday (2026-10-19).")

MAX_VALUE = 1e12
# How many periods the grid shows at once: half a year of months, two months of weeks.
GRID_SPAN = {MeasurePeriod.month: 6, MeasurePeriod.week: 8}
PERIOD_LABELS = {MeasurePeriod.month: "Monthly", MeasurePeriod.week: "Weekly"}
AGGREGATE_LABELS = {
    MeasureAggregate.sum: "Add up (counts)",
    MeasureAggregate.mean: "Average (rates)",
}


class MeasureFields(BaseModel):
    """What an owner writes for a measure; pages and API validate the same way."""

    name: str = Field(max_length=120)
    unit: str = Field(default="", max_length=40)
    higher_is_better: bool = True
    period: MeasurePeriod = MeasurePeriod.month
    aggregate: MeasureAggregate = MeasureAggregate.sum

    @field_validator("name", "unit", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return v.strip() if isinstance(v, str) else v

    @field_validator("name")
    @classmethod
    def _name_given(cls, v: str) -> str:
        if not v:
            raise ValueError(MSG_NAME)
        return v


# --- periods -------------------------------------------------------------------------------


def period_floor(day: date, period: MeasurePeriod | str) -> date:
    """The first day of the period that holds `day`: its Monday, or the 1st of its month."""
    if period == MeasurePeriod.week:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_shift(start: date, period: MeasurePeriod | str, steps: int) -> date:
    """The start of the period `steps` periods after (negative: before) `start`."""
    if period == MeasurePeriod.week:
        return start + timedelta(weeks=steps)
    months = start.year * 12 + start.month - 1 + steps
    return date(months // 12, months % 12 + 1, 1)


def period_starts(period: MeasurePeriod | str, last: date, count: int) -> list[date]:
    """`count` period starts, oldest first, ending with the period that holds `last`."""
    end = period_floor(last, period)
    return [period_shift(end, period, -n) for n in range(count - 1, -1, -1)]


def period_label(start: date, period: MeasurePeriod | str) -> str:
    if period == MeasurePeriod.week:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


def period_caption(start: date, period: MeasurePeriod | str) -> str:
    """How a column is headed: 'Oct 2026', or 'W43 · 19 Oct'."""
    if period == MeasurePeriod.week:
        return f"W{start.isocalendar()[1]:02d} · {start.day} {start:%b}"
    return start.strftime("%b %Y")


def period_is_start(day: date, period: MeasurePeriod | str) -> bool:
    return period_floor(day, period) == day


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def period_parse(text: str, period: MeasurePeriod | str) -> date:
    """Read a period as people write it for this measure, or raise ValueError with advice.

    Monthly: `2026-10` (or `2026-10-01`). Weekly: `2026-W43` (ISO week) or its Monday's date.
    """
    text = text.strip()
    weekly = period == MeasurePeriod.week
    if weekly:
        match = _WEEK.match(text)
        if match:
            try:
                return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            except ValueError:
                raise ValueError(f"“{text}” is not a week of that year.") from None
        if _MONTH.match(text):
            raise ValueError(
                f"“{text}” is a month, but this measure is kept by week. {MSG_PERIOD_TEXT_WEEK}"
            )
    else:
        match = _MONTH.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"“{text}” is not a month. {MSG_PERIOD_TEXT_MONTH}")
            return date(year, month, 1)
        if _WEEK.match(text):
            raise ValueError(
                f"“{text}” is a week, but this measure is kept by month. {MSG_PERIOD_TEXT_MONTH}"
            )
    try:
        day = date.fromisoformat(text)
    except ValueError:
        advice = MSG_PERIOD_TEXT_WEEK if weekly else MSG_PERIOD_TEXT_MONTH
        raise ValueError(f"“{text}” is not a period. {advice}") from None
    if not period_is_start(day, period):
        raise ValueError(MSG_WEEK_START if weekly else MSG_MONTH_START)
    return day


def org_today(timezone: str) -> date:
    return today_in(timezone)


# --- values --------------------------------------------------------------------------------


def value_parse(text: str) -> float | None:
    """A typed value as a number; blank means 'no value'. Raises ValueError with a message."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(MSG_NOT_NUMBER) from None
    return value_check(number)


def value_check(number: float) -> float:
    if not math.isfinite(number):
        raise ValueError(MSG_NOT_NUMBER)
    if number < 0:
        raise ValueError(MSG_NEGATIVE)
    if number > MAX_VALUE:
        raise ValueError(MSG_TOO_BIG)
    return number


def value_text(value: float | None) -> str:
    """A stored value as people write it: 12, 4.5 (never 12.0)."""
    if value is None:
        return ""
    return f"{value:.10g}" if not float(value).is_integer() else str(int(value))


# --- measures ------------------------------------------------------------------------------


def _name_taken(session: Session, touchpoint_id: int, name: str, *, but: int | None) -> bool:
    query = select(Measure.id).where(
        Measure.touchpoint_id == touchpoint_id, func.lower(Measure.name) == name.lower()
    )
    if but is not None:
        query = query.where(Measure.id != but)
    return session.exec(query).first() is not None


def measure_create(
    *, session: Session, org_id: int, touchpoint: Touchpoint, data: MeasureFields
) -> Measure:
    if touchpoint.archived_at is not None:
        raise DomainError(MSG_TOUCHPOINT_ARCHIVED)
    tp_id = touchpoint.id
    assert tp_id is not None
    if _name_taken(session, tp_id, data.name, but=None):
        raise ConflictError(MSG_NAME_TAKEN, field="name")
    position = session.exec(
        select(func.max(Measure.position)).where(Measure.touchpoint_id == tp_id)
    ).one()
    measure = Measure(
        org_id=org_id, touchpoint_id=tp_id, **data.model_dump(), position=(position or 0) + 1
    )
    session.add(measure)
    _commit_named(session)
    return measure


def _commit_named(session: Session) -> None:
    """Commit; two owners naming a measure alike at the same moment get the same message."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(MSG_NAME_TAKEN, field="name") from None


def measure_has_values(session: Session, measure_id: int) -> bool:
    found = session.exec(select(MeasureValue.id).where(MeasureValue.measure_id == measure_id))
    return found.first() is not None


def measure_update(*, session: Session, measure: Measure, data: MeasureFields) -> Measure:
    assert measure.id is not None
    if _name_taken(session, measure.touchpoint_id, data.name, but=measure.id):
        raise ConflictError(MSG_NAME_TAKEN, field="name")
    if data.period != measure.period and measure_has_values(session, measure.id):
        raise ConflictError(MSG_PERIOD_LOCKED, field="period")
    for name, value in data.model_dump().items():
        setattr(measure, name, value)
    session.add(measure)
    _commit_named(session)
    return measure


def measure_archive(*, session: Session, measure: Measure) -> None:
    """Archived measures leave the grid and the import; their values stay for reports."""
    if measure.archived_at is None:
        measure.archived_at = utcnow()
        session.add(measure)
    session.commit()


def measure_restore(*, session: Session, measure: Measure) -> None:
    measure.archived_at = None
    session.add(measure)
    session.commit()


def measures_for_touchpoint(
    session: Session, touchpoint_id: int, *, include_archived: bool = False
) -> list[Measure]:
    query = select(Measure).where(Measure.touchpoint_id == touchpoint_id)
    if not include_archived:
        query = query.where(col(Measure.archived_at).is_(None))
    return list(session.exec(query.order_by(col(Measure.position), col(Measure.id))))


# --- value writes --------------------------------------------------------------------------


class ValueEntry(BaseModel):
    """One value for one slot; `value` null clears the slot."""

    location_id: RowId
    period_start: date
    value: float | None = Field(default=None, allow_inf_nan=True)

    @field_validator("value")
    @classmethod
    def _number(cls, v: float | None) -> float | None:
        return None if v is None else value_check(v)


@dataclass(frozen=True)
class SlotWrite:
    location_id: int
    period_start: date
    value: float | None


def _measure_today(session: Session, measure: Measure) -> date:
    org = session.get(Organization, measure.org_id)
    return org_today(org.timezone if org else "UTC")


def _check_slot(
    session: Session, measure: Measure, entry: SlotWrite, today: date, field: str = ""
) -> None:
    prefix = f"{field}." if field else ""
    if not period_is_start(entry.period_start, measure.period):
        message = MSG_WEEK_START if measure.period == MeasurePeriod.week else MSG_MONTH_START
        raise DomainError(message, field=prefix + "period_start")
    if entry.period_start > period_floor(today, measure.period):
        raise DomainError(MSG_FUTURE, field=prefix + "period_start")
    location = session.get(Location, entry.location_id)
    # The session is org-scoped, but `get` answers from its identity map without a query.
    if location is None or location.org_id != measure.org_id:
        raise DomainError(MSG_LOCATION_UNKNOWN, field=prefix + "location_id")


@dataclass(frozen=True)
class _Stored:
    id: int
    value: float


def _existing(
    session: Session, measure_ids: Iterable[int], period_starts: Iterable[date]
) -> dict[tuple[int, int, date], _Stored]:
    ids, starts = sorted(set(measure_ids)), sorted(set(period_starts))
    if not ids or not starts:
        return {}
    # SQLAlchemy's select: SQLModel's own takes at most four columns.
    rows = session.execute(
        sa_select(
            col(MeasureValue.id),
            col(MeasureValue.measure_id),
            col(MeasureValue.location_id),
            col(MeasureValue.period_start),
            col(MeasureValue.value),
        ).where(col(MeasureValue.measure_id).in_(ids), col(MeasureValue.period_start).in_(starts))
    )
    return {(m, loc, start): _Stored(int(i or 0), v) for i, m, loc, start, v in rows}


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    cleared: int = 0
    unchanged: int = 0


def _apply(
    session: Session,
    writes: Sequence[tuple[int, SlotWrite]],
    actor_id: int | None,
    org_id: int,
) -> WriteCounts:
    """Upsert (measure id, slot) pairs already checked; the caller commits.

    The rows are written with plain SQL statements, several at a time, not as ORM objects:
    an import of 20,000 values would otherwise spend minutes in the session's per-object
    bookkeeping. Every statement names the organization itself, as the tenancy hooks would.
    """
    counts = WriteCounts()
    existing = _existing(session, (m for m, _ in writes), (w.period_start for _, w in writes))
    now = utcnow()
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    deletes: list[int] = []
    for measure_id, w in writes:
        key = (measure_id, w.location_id, w.period_start)
        row = existing.get(key)
        if w.value is None:
            if row is None:
                counts.unchanged += 1
            else:
                deletes.append(row.id)
                counts.cleared += 1
        elif row is None:
            inserts.append(
                {
                    "org_id": org_id,
                    "measure_id": measure_id,
                    "location_id": w.location_id,
                    "period_start": w.period_start,
                    "value": w.value,
                    "updated_by": actor_id,
                    "updated_at": now,
                }
            )
            counts.created += 1
        elif row.value == w.value:
            counts.unchanged += 1
        else:
            updates.append({"row_id": row.id, "new_value": w.value})
            counts.updated += 1
    table = MeasureValue.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    if inserts:
        connection.execute(insert(table), inserts)
    if updates:
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.org_id == org_id)
            .values(value=bindparam("new_value"), updated_by=actor_id, updated_at=now)
        )
        connection.execute(statement, updates)
    if deletes:
        connection.execute(delete(table).where(table.c.id.in_(deletes), table.c.org_id == org_id))
    return counts


def _commit_writes(
    session: Session, writes: Sequence[tuple[int, SlotWrite]], actor_id: int | None, org_id: int
) -> WriteCounts:
    """Write and commit; when another request filled the same slot in between (the insert
    clashes with its row), start over once: the second pass sees that row and updates it."""
    for attempt in (1, 2):
        try:
            counts = _apply(session, writes, actor_id, org_id)
            session.commit()
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise
            continue
        return counts
    raise AssertionError("unreachable")


def measure_value_set(
    *,
    session: Session,
    measure: Measure,
    location_id: int,
    period_start: date,
    value: float | None,
    actor_id: int | None,
) -> WriteCounts:
    """Store one value (None clears it). Writing the same value again changes nothing."""
    if measure.archived_at is not None:
        raise DomainError(MSG_ARCHIVED)
    slot = SlotWrite(location_id, period_start, None if value is None else value_check(value))
    _check_slot(session, measure, slot, _measure_today(session, measure))
    assert measure.id is not None
    return _commit_writes(session, [(measure.id, slot)], actor_id, measure.org_id)


def measure_values_set(
    *, session: Session, measure: Measure, entries: Sequence[ValueEntry], actor_id: int | None
) -> WriteCounts:
    """Store several values of one measure: all of them, or (on any bad entry) none."""
    if measure.archived_at is not None:
        raise DomainError(MSG_ARCHIVED)
    assert measure.id is not None
    today = _measure_today(session, measure)
    seen: dict[tuple[int, date], int] = {}
    writes = []
    for n, entry in enumerate(entries):
        slot = SlotWrite(entry.location_id, entry.period_start, entry.value)
        _check_slot(session, measure, slot, today, field=f"values.{n}")
        key = (slot.location_id, slot.period_start)
        if key in seen:
            raise DomainError(
                f"The same location and period appear twice (entries {seen[key]} and {n}).",
                field=f"values.{n}",
            )
        seen[key] = n
        writes.append((measure.id, slot))
    return _commit_writes(session, writes, actor_id, measure.org_id)


def measure_values_write(
    *,
    session: Session,
    org_id: int,
    writes: Sequence[tuple[int, SlotWrite]],
    actor_id: int | None,
) -> WriteCounts:
    """Write slots of several measures that the caller has already checked (the import)."""
    return _commit_writes(session, writes, actor_id, org_id)


# --- reads for pages and the API -----------------------------------------------------------


def measure_values(
    session: Session,
    measure_id: int,
    *,
    since: date | None = None,
    until: date | None = None,
    location_id: int | None = None,
) -> list[MeasureValue]:
    query = select(MeasureValue).where(MeasureValue.measure_id == measure_id)
    if since is not None:
        query = query.where(MeasureValue.period_start >= since)
    if until is not None:
        query = query.where(MeasureValue.period_start <= until)
    if location_id is not None:
        query = query.where(MeasureValue.location_id == location_id)
    order = (col(MeasureValue.period_start), col(MeasureValue.location_id))
    return list(session.exec(query.order_by(*order)))


def locations_for_grid(session: Session) -> list[Location]:
    return list(session.exec(select(Location).order_by(col(Location.name), col(Location.id))))


@dataclass
class Grid:
    """One measure's values laid out for entry: a row per location, a column per period."""

    measure: Measure
    locations: list[Location]
    periods: list[date]
    values: dict[tuple[int, date], float]
    until: date  # the last period shown
    earlier: date  # `until` for the previous screen
    later: date | None  # `until` for the next screen, None when it would be in the future

    def value(self, location_id: int | None, start: date) -> str:
        return value_text(self.values.get((location_id or 0, start)))

    def label(self, start: date) -> str:
        return period_label(start, self.measure.period)

    def caption(self, start: date) -> str:
        return period_caption(start, self.measure.period)


def measure_grid(
    session: Session,
    measure: Measure,
    *,
    today: date,
    until: date | None = None,
    locations: list[Location] | None = None,
) -> Grid:
    """The grid that ends with the period holding `until` (default: this period)."""
    period = measure.period
    current = period_floor(today, period)
    last = min(period_floor(until, period), current) if until else current
    span = GRID_SPAN[MeasurePeriod(period)]
    periods = period_starts(period, last, span)
    assert measure.id is not None
    rows = measure_values(session, measure.id, since=periods[0], until=periods[-1])
    later = period_shift(last, period, span)
    return Grid(
        measure=measure,
        locations=locations if locations is not None else locations_for_grid(session),
        periods=periods,
        values={(r.location_id, r.period_start): r.value for r in rows},
        until=last,
        earlier=period_shift(last, period, -span),
        later=min(later, current) if last < current else None,
    )


def measure_value_counts(session: Session, measure_ids: Sequence[int]) -> dict[int, int]:
    if not measure_ids:
        return {}
    rows = session.exec(
        select(MeasureValue.measure_id, func.count())
        .where(col(MeasureValue.measure_id).in_(list(measure_ids)))
        .group_by(col(MeasureValue.measure_id))
    )
    return {m: int(n) for m, n in rows}
