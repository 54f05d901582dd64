"""Textual SQL pieces shared by the report queries (reports.queries, reports.loop.queries):
the dialect, period keys, day parameters and the filter clauses.

Every query built with these runs through `app.tenancy.org_sql`, which fills the
``ORG_SCOPE``/``ORG_VIA`` placeholders the filter clauses use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Literal

from sqlmodel import Session

from app.tenancy import scoped_org_id

Period = Literal["week", "month", "quarter"]
PERIODS: tuple[str, ...] = ("week", "month", "quarter")


def sql_dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise RuntimeError(f"reports support SQLite and PostgreSQL, not {name}")
    return name


def check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"unknown period kind {period!r}: use week, month or quarter")


def period_key(dialect: str, period: str, day: str) -> str:
    """SQL for the period key of the date expression `day`."""
    check_period(period)
    if dialect == "postgresql":
        fmt = {"week": 'IYYY-"W"IW', "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q'}[period]
        return f"to_char({day}, '{fmt}')"
    # SQLite keeps a date as 'YYYY-MM-DD'; 3.40 has no %G/%V, so the ISO week goes through
    # its Thursday.
    if period == "month":
        return f"strftime('%Y-%m', {day})"
    if period == "quarter":
        return (
            f"(strftime('%Y', {day}) || '-Q' || ((CAST(strftime('%m', {day}) AS INTEGER) + 2) / 3))"
        )
    thursday = (
        f"date({day}, printf('%+d days', 3 - (CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7))"
    )
    return (
        f"printf('%s-W%02d', strftime('%Y', {thursday}), "
        f"(CAST(strftime('%j', {thursday}) AS INTEGER) - 1) / 7 + 1)"
    )


def bind_day(dialect: str, day: date) -> Any:
    # SQLite compares the stored text 'YYYY-MM-DD' (and pysqlite's date adapter is
    # deprecated); PostgreSQL takes the date itself.
    return day.isoformat() if dialect == "sqlite" else day


def as_day(value: Any) -> date:
    if isinstance(value, str):  # SQLite hands back the stored text
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    assert isinstance(value, date)
    return value


def report_org(session: Session) -> int:
    org_id = scoped_org_id(session)
    if org_id is None:
        raise RuntimeError("report queries need an organization-scoped session")
    return org_id


def filter_clauses(
    dialect: str,
    params: dict[str, Any],
    *,
    day: str,
    located: Callable[[str], str],
    start: date | None,
    end: date | None,
    location_ids: Sequence[int] | None,
    region: str | None,
) -> list[str]:
    """WHERE clauses for the report filters, their values bound into `params`: the date
    expression `day` within [start, end] (both inclusive), and the locations and region.
    `located(ids)` is the clause for "the row's location is in the SQL set `ids`", which
    each kind of row reaches its own way (shops' rows through the shop, cases directly).
    An empty list of locations matches nothing."""
    clauses: list[str] = []
    if start is not None:
        clauses.append(f"{day} >= :start")
        params["start"] = bind_day(dialect, start)
    if end is not None:
        clauses.append(f"{day} <= :end")
        params["end"] = bind_day(dialect, end)
    if location_ids is not None:
        ids = [int(i) for i in location_ids]
        if not ids:
            clauses.append("1 = 0")
        else:
            names = [f"loc{n}" for n in range(len(ids))]
            clauses.append(located(", ".join(":" + n for n in names)))
            params.update(zip(names, ids, strict=True))
    if region is not None:
        clauses.append(
            located("SELECT fl.id FROM location AS fl WHERE ORG_SCOPE(fl) AND fl.region = :region")
        )
        params["region"] = region
    return clauses
