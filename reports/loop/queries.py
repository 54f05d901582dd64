"""SQL for closing the loop in the reports: recovery rates, measure values, action items.

Aggregated in the database (GROUP BY period), on SQLite and PostgreSQL, reading the tables
`recovery_case`, `measure`, `measure_value` and `action_item` directly, through
`app.tenancy.org_sql`, which binds the session's organization into each ``ORG_SCOPE(alias)``
(textual SQL is not touched by the ORM scoping hooks).

Definitions (docs/definitions.md, "Recovery rates, measures and action items", states them
for people):

- A **recovery case** counts on its ``report_day``: the calendar day, in the organization's
  time zone, when the customer reported it (`recovery.report_day` keeps it on every write).
  Location and region filters use the case's own location; a case without a location counts
  only when no location or region is chosen. Cases not yet filed under a touchpoint are in
  no touchpoint's rates.
- **Fixed within 24 h**: ``fixed_at`` at most FIX_WINDOW_HOURS real (elapsed) hours after
  ``reported_at`` — exactly 24 h still counts, as in `recovery.window`. Its denominator is the
  cases whose window is over: fixed (on time or late), or reported more than 24 h before
  ``now``. A case reported an hour ago and not yet fixed is neither a success nor a miss.
- **Followed up and satisfied** (verdict ``satisfied``), **surprised** (``surprised_at`` set)
  and **champions** count over every case reported in the period.
- A **measure value** counts on the first day of its period (``period_start``: the Monday of
  a week, the 1st of a month), so a weekly measure counts in the month and quarter of its
  Monday. Values roll up across locations and sub-periods by the measure's aggregate: ``sum``
  adds every value, ``mean`` averages every value (each location's week or month weighs the
  same). Monthly measures have no weekly figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.tenancy import org_sql, require_org
from recovery.models import FIX_WINDOW_HOURS
from reports.sql import (
    Period,
    as_day,
    bind_day,
    check_period,
    filter_clauses,
    period_key,
    report_org,
    sql_dialect,
)

WINDOW_SECONDS = FIX_WINDOW_HOURS * 3600
# SQLite keeps times as text to the microsecond and julianday() works in milliseconds held
# in a float: a millisecond of slack keeps "exactly 24 h" on the right side of the line.
_SQLITE_SLACK_DAYS = 0.001 / 86400


@dataclass(frozen=True)
class RateRow:
    period_key: str
    cases: int  # reported in the period
    due: int  # whose 24 h are over, or fixed: the denominator of "fixed within 24 h"
    fixed_in_window: int
    satisfied: int  # followed up, verdict satisfied
    surprised: int
    champions: int


@dataclass(frozen=True)
class MeasureInfo:
    id: int
    name: str
    unit: str
    higher_is_better: bool
    period: str  # week or month: how often values are entered
    aggregate: str  # sum or mean


@dataclass(frozen=True)
class MeasureRow:
    measure_id: int
    period_key: str
    total: float
    mean: float
    values: int
    locations: int


@dataclass(frozen=True)
class ActionRow:
    id: int
    title: str
    team: str
    due_on: date | None
    status: str
    source: str
    meeting_on: date | None
    closed_at: datetime | None


def _utc_param(dialect: str, moment: datetime) -> Any:
    """A moment as the database compares it: naive UTC text on SQLite (the stored form),
    an aware datetime on PostgreSQL."""
    moment = moment.astimezone(UTC)
    if dialect == "sqlite":
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back the stored text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _case_clauses(
    dialect: str,
    params: dict[str, Any],
    which: str,
    start: date | None,
    end: date | None,
    location_ids: Sequence[int] | None,
    region: str | None,
) -> list[str]:
    """WHERE clauses for the organization's recovery cases `c` that `which` picks and that
    have a report day within the report filters (values bound into `params`)."""
    clauses = ["ORG_SCOPE(c)", which, "c.report_day IS NOT NULL"]
    clauses += filter_clauses(
        dialect,
        params,
        day="c.report_day",
        located=lambda ids: f"c.location_id IN ({ids})",
        start=start,
        end=end,
        location_ids=location_ids,
        region=region,
    )
    return clauses


def recovery_rates(
    session: Session,
    touchpoint_id: int | None,
    *,
    period: Period,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
    now: datetime,
) -> list[RateRow]:
    """Per period of the report day: cases, those due, fixed within 24 h, followed up and
    satisfied, surprised, champions. Periods without cases are left out; oldest first.
    `touchpoint_id` None: every case of the organization, filed under a touchpoint or not
    (the recovery board's rates)."""
    check_period(period)
    dialect = sql_dialect(session)
    report_org(session)  # refuse an unscoped session before building anything
    params: dict[str, Any] = {
        "cutoff": _utc_param(dialect, now - timedelta(seconds=WINDOW_SECONDS)),
    }
    which = "c.id IS NOT NULL"
    if touchpoint_id is not None:
        params["tp"] = touchpoint_id
        which = "c.touchpoint_id = :tp"
    clauses = _case_clauses(dialect, params, which, start, end, location_ids, region)
    if dialect == "postgresql":
        params["window"] = timedelta(seconds=WINDOW_SECONDS)
        in_window = "c.fixed_at <= c.reported_at + :window"
        past = "c.reported_at < :cutoff"
    else:
        params["window_days"] = WINDOW_SECONDS / 86400 + _SQLITE_SLACK_DAYS
        in_window = "julianday(c.fixed_at) - julianday(c.reported_at) <= :window_days"
        past = "julianday(c.reported_at) < julianday(:cutoff)"
    sql = f"""
        SELECT x.k, COUNT(*), SUM(x.due), SUM(x.on_time), SUM(x.satisfied), SUM(x.surprised),
               SUM(x.champion)
        FROM (
            SELECT {period_key(dialect, period, "c.report_day")} AS k,
                   CASE WHEN c.fixed_at IS NOT NULL OR {past} THEN 1 ELSE 0 END AS due,
                   CASE WHEN c.fixed_at IS NOT NULL AND {in_window} THEN 1 ELSE 0 END AS on_time,
                   CASE WHEN c.followed_up_at IS NOT NULL AND c.verdict = 'satisfied'
                        THEN 1 ELSE 0 END AS satisfied,
                   CASE WHEN c.surprised_at IS NOT NULL THEN 1 ELSE 0 END AS surprised,
                   CASE WHEN c.champion THEN 1 ELSE 0 END AS champion
            FROM recovery_case AS c
            WHERE {" AND ".join(clauses)}
        ) AS x
        GROUP BY x.k
        ORDER BY x.k
    """
    rows = org_sql(session, sql, params).all()
    return [
        RateRow(str(k), int(n), int(due), int(ok), int(sat), int(sur), int(champ))
        for k, n, due, ok, sat, sur, champ in rows
    ]


def touchpoint_measures(session: Session, touchpoint_id: int) -> list[MeasureInfo]:
    """The touchpoint's measures that are in use (not archived), in the owner's order."""
    sql = """
        SELECT m.id, m.name, m.unit, m.higher_is_better, m.period, m.aggregate
        FROM measure AS m
        WHERE ORG_SCOPE(m) AND m.touchpoint_id = :tp AND m.archived_at IS NULL
        ORDER BY m.position, m.id
    """
    params = {"tp": touchpoint_id}
    return [
        MeasureInfo(int(i), str(name), str(unit or ""), bool(better), str(every), str(agg))
        for i, name, unit, better, every, agg in org_sql(session, sql, params)
    ]


def measure_trend(
    session: Session,
    touchpoint_id: int,
    *,
    period: Period,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[MeasureRow]:
    """Per measure of the touchpoint and report period: the sum and the mean of its values
    (across locations and sub-periods), how many values and locations are behind them."""
    check_period(period)
    dialect = sql_dialect(session)
    report_org(session)
    params: dict[str, Any] = {"tp": touchpoint_id}
    clauses = [
        "ORG_SCOPE(m)",
        "m.touchpoint_id = :tp",
        "m.archived_at IS NULL",
        "ORG_SCOPE(v)",
    ]
    if period == "week":
        clauses.append("m.period = 'week'")  # a month has no weekly figure
    clauses += filter_clauses(
        dialect,
        params,
        day="v.period_start",
        located=lambda ids: f"v.location_id IN ({ids})",
        start=start,
        end=end,
        location_ids=location_ids,
        region=region,
    )
    sql = f"""
        SELECT v.measure_id, {period_key(dialect, period, "v.period_start")} AS k,
               SUM(v.value), AVG(v.value), COUNT(*), COUNT(DISTINCT v.location_id)
        FROM measure_value AS v
        JOIN measure AS m ON m.id = v.measure_id
        WHERE {" AND ".join(clauses)}
        GROUP BY v.measure_id, k
        ORDER BY v.measure_id, k
    """
    return [
        MeasureRow(int(mid), str(k), float(total), float(mean), int(n), int(locs))
        for mid, k, total, mean, n, locs in org_sql(session, sql, params)
    ]


_ACTION_COLUMNS = "a.id, a.title, a.team, a.due_on, a.status, a.source, a.meeting_on, a.closed_at"


def _action_rows(rows: Any) -> list[ActionRow]:
    return [
        ActionRow(
            int(i),
            str(title),
            str(team or ""),
            None if due is None else as_day(due),
            str(status),
            str(source),
            None if meeting is None else as_day(meeting),
            _as_utc(closed),
        )
        for i, title, team, due, status, source, meeting, closed in rows
    ]


def open_actions(
    session: Session, touchpoint_id: int, *, at: datetime | None = None
) -> list[ActionRow]:
    """Items open or being done, the soonest due first (undated ones last): today's, or with
    `at` those that were open at that instant — created before it and not closed before it.
    An item closed at `at` itself was closed in the next period, so it was still open.

    Only the latest close is kept (reopening clears it), so an item done before `at` and
    reopened since counts as open then: the past is told as well as the rows remember it."""
    dialect = sql_dialect(session)
    report_org(session)
    params: dict[str, Any] = {"tp": touchpoint_id}
    if at is None:
        when = "a.status IN ('open', 'doing')"
    else:
        params["at"] = _utc_param(dialect, at)
        if dialect == "sqlite":
            created = "julianday(a.created_at) < julianday(:at)"
            closed_after = "julianday(a.closed_at) >= julianday(:at)"
        else:
            created, closed_after = "a.created_at < :at", "a.closed_at >= :at"
        when = (
            f"{created} AND ((a.closed_at IS NULL AND a.status IN ('open', 'doing')) "
            f"OR (a.closed_at IS NOT NULL AND {closed_after}))"
        )
    sql = f"""
        SELECT {_ACTION_COLUMNS} FROM action_item AS a
        WHERE ORG_SCOPE(a) AND a.touchpoint_id = :tp AND {when}
        ORDER BY CASE WHEN a.due_on IS NULL THEN 1 ELSE 0 END, a.due_on, a.id
    """
    return _action_rows(org_sql(session, sql, params))


def done_actions(
    session: Session, touchpoint_id: int, *, since: datetime, until: datetime
) -> list[ActionRow]:
    """Items marked done in [since, until), the latest first."""
    dialect = sql_dialect(session)
    if dialect == "sqlite":
        window = "julianday(a.closed_at) >= julianday(:since) AND "
        window += "julianday(a.closed_at) < julianday(:until)"
    else:
        window = "a.closed_at >= :since AND a.closed_at < :until"
    sql = f"""
        SELECT {_ACTION_COLUMNS} FROM action_item AS a
        WHERE ORG_SCOPE(a) AND a.touchpoint_id = :tp AND a.status = 'done'
          AND a.closed_at IS NOT NULL AND {window}
        ORDER BY a.closed_at DESC, a.id DESC
    """
    params = {
        "tp": touchpoint_id,
        "since": _utc_param(dialect, since),
        "until": _utc_param(dialect, until),
    }
    return _action_rows(org_sql(session, sql, params))


def unfiled_cases(
    session: Session,
    *,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> int:
    """Cases reported in the range (and chosen locations) that no touchpoint holds yet, such
    as complaints from the public form before the owner files them."""
    dialect = sql_dialect(session)
    report_org(session)
    params: dict[str, Any] = {}
    clauses = _case_clauses(
        dialect, params, "c.touchpoint_id IS NULL", start, end, location_ids, region
    )
    sql = f"SELECT COUNT(*) FROM recovery_case AS c WHERE {' AND '.join(clauses)}"
    return int(org_sql(session, sql, params).scalar_one())


def loop_stamp(session: Session, org_id: int, *, now: datetime, today: date) -> list[Any]:
    """What of recovery, measures and action items a printed report depends on, cheaply:
    aggregates over cases and values (any step, edit or new row moves one of them), the
    measures and action items whole (few rows), and what changes with the clock alone —
    cases whose 24 h ran out unfixed, open items that became overdue, and the day itself: a
    report whose range has just ended lists the items open at its end, not today's."""
    dialect = sql_dialect(session)
    require_org(session, org_id)
    params: dict[str, Any] = {
        "cutoff": _utc_param(dialect, now - timedelta(seconds=WINDOW_SECONDS)),
        "today": bind_day(dialect, today),
    }
    past = (
        "c.reported_at < :cutoff"
        if dialect == "postgresql"
        else "julianday(c.reported_at) < julianday(:cutoff)"
    )
    queries = {
        "cases": f"""
            SELECT COUNT(*), MAX(c.id), MAX(c.updated_at), MAX(c.reported_at),
                   SUM(CAST(c.id AS BIGINT) * COALESCE(c.touchpoint_id, 0)),
                   SUM(CAST(c.id AS BIGINT) * COALESCE(c.location_id, 0)),
                   COUNT(c.fixed_at), MAX(c.fixed_at), COUNT(c.surprised_at), MAX(c.surprised_at),
                   COUNT(c.followed_up_at), MAX(c.followed_up_at),
                   SUM(CASE WHEN c.verdict = 'satisfied' THEN c.id ELSE 0 END),
                   SUM(CASE WHEN c.champion THEN c.id ELSE 0 END),
                   SUM(CASE WHEN c.fixed_at IS NULL AND {past} THEN 1 ELSE 0 END)
            FROM recovery_case AS c WHERE ORG_SCOPE(c)
        """,
        "measures": "SELECT id, touchpoint_id, name, unit, higher_is_better, period, aggregate, "
        "position, archived_at FROM measure WHERE ORG_SCOPE(measure) ORDER BY id",
        "values": "SELECT COUNT(*), MAX(id), MAX(updated_at), SUM(value), "
        "SUM(value * (id % 997 + 1)), SUM(CAST(id AS BIGINT) * location_id) "
        "FROM measure_value WHERE ORG_SCOPE(measure_value)",
        "actions": "SELECT id, touchpoint_id, title, team, due_on, status, source, meeting_on, "
        "closed_at, updated_at FROM action_item WHERE ORG_SCOPE(action_item) ORDER BY id",
        "overdue": "SELECT COUNT(*) FROM action_item WHERE ORG_SCOPE(action_item) "
        "AND status IN ('open', 'doing') AND due_on < :today",
    }
    stamp: list[Any] = [
        [list(row) for row in org_sql(session, sql, params).all()] for sql in queries.values()
    ]
    stamp.append(today.isoformat())
    return stamp
