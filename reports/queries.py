"""Trend queries for reports: aggregated in the database, approved shops only.

Definitions (the README states them next to the scoring rules):

- A shop counts once it is **approved**. Its moment in time is ``visited_at``, or
  ``approved_at`` when no visit time was recorded.
- **Periods** are ISO weeks (Monday start, key ``2026-W14``), calendar months (``2026-03``)
  and quarters (``2026-Q1``), computed **in UTC** for now (not in the organization's time
  zone): a visit late on the last evening of a month in a zone east of UTC may count in
  the next month. The key is computed in SQL by one dialect switch, `_period_key`.
- **Section score** of a shop for a touchpoint is the percent stored in the shop's score
  snapshot (``Shop.score_detail["sections"]``, taken at submission and refreshed on
  approval by the scoring code). A touchpoint's period score is the plain mean of those
  section percents (each shop weighs the same); ``shops`` counts the shops with a section
  score. Sections with nothing possible (percent ``None``) are left out of both.
- **Question score**: each counted answer (not N/A, not empty, scored kind, weight > 0)
  earns a share 0..1 of the question's points, by the rules of `audits.scoring.fraction`,
  recomputed in SQL; the period's ``mean_points_pct`` is the mean share × 100 over the
  answers of all versions of the question (its lineage). A **fail** is an answer that
  earns less than half the points (yes/no: no; scale: 1 or 2; number: rule not met;
  choice: the option's points below half of the best option's).
- A **critical fail** is a fail on a question marked critical; it zeroed its section.

The queries read the organization from the session's scope (`app.tenancy.scope_session`)
and filter by it explicitly, because textual SQL is not touched by the ORM scoping hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session

from app.tenancy import scoped_org_id

Period = Literal["week", "month", "quarter"]
PERIODS: tuple[str, ...] = ("week", "month", "quarter")


@dataclass(frozen=True)
class TrendRow:
    period_key: str
    period_start: date
    mean_score: float | None
    shops: int


@dataclass(frozen=True)
class QuestionTrendRow:
    lineage: str
    text: str  # the latest version's wording
    period_key: str
    period_start: date
    mean_points_pct: float | None
    answers: int
    fails: int


@dataclass(frozen=True)
class CriticalFailRow:
    shop_id: int
    at: datetime
    location_id: int
    location: str
    region: str
    question_id: int
    lineage: str
    text: str  # the wording of the version that was asked


@dataclass(frozen=True)
class LocationRow:
    period_key: str
    location_id: int
    location: str
    region: str
    mean_score: float | None
    shops: int


# --- dialect switch ---------------------------------------------------------------------


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise RuntimeError(f"reports support SQLite and PostgreSQL, not {name}")
    return name


def _period_key(dialect: str, period: str, ts: str) -> str:
    """SQL for the period key of the timestamp expression `ts`, in UTC."""
    if period not in PERIODS:
        raise ValueError(f"unknown period kind {period!r}: use week, month or quarter")
    if dialect == "postgresql":
        utc = f"({ts} AT TIME ZONE 'UTC')"
        fmt = {"week": 'IYYY-"W"IW', "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q'}[period]
        return f"to_char({utc}, '{fmt}')"
    # SQLite stores UTC text; 3.40 has no %G/%V, so the ISO week goes through its Thursday.
    if period == "month":
        return f"strftime('%Y-%m', {ts})"
    if period == "quarter":
        return (
            f"(strftime('%Y', {ts}) || '-Q' || ((CAST(strftime('%m', {ts}) AS INTEGER) + 2) / 3))"
        )
    thursday = (
        f"date({ts}, printf('%+d days', 3 - (CAST(strftime('%w', {ts}) AS INTEGER) + 6) % 7))"
    )
    return (
        f"printf('%s-W%02d', strftime('%Y', {thursday}), "
        f"(CAST(strftime('%j', {thursday}) AS INTEGER) - 1) / 7 + 1)"
    )


def _sections_from(dialect: str) -> str:
    """FROM-clause fragment: one row `sec` per section of the shop's score snapshot, read
    through `_section_fields`."""
    if dialect == "postgresql":
        sections = "(s.score_detail -> 'sections')::json"
        return f"CROSS JOIN LATERAL json_array_elements({sections}) AS sec(value)"
    return ", json_each(s.score_detail, '$.sections') AS sec"


def _section_fields(dialect: str) -> tuple[str, str]:
    """(touchpoint id, percent) of the snapshot section `sec`."""
    if dialect == "postgresql":
        return "(sec.value ->> 'touchpoint_id')::int", "(sec.value ->> 'percent')::float"
    return "json_extract(sec.value, '$.touchpoint_id')", "json_extract(sec.value, '$.percent')"


def _answer_share(dialect: str) -> tuple[str, str]:
    """(share 0..1 of the points that answer `a` to question `q` earns, condition that the
    answer counts). Mirrors audits.scoring.fraction / score_question."""
    if dialect == "postgresql":
        raw = "(a.value #>> '{}')"
        num = f"({raw})::float"
        is_true = f"{raw} = 'true'"
        rule = "(q.config ->> 'rule')"
        threshold = "(q.config ->> 'threshold')::float"
        option = f"((q.config -> 'options' -> ({raw})::int ->> 'points')::float)"
        best = (
            "(SELECT max((o ->> 'points')::float) "
            "FROM json_array_elements((q.config -> 'options')::json) AS o)"
        )
        present = f"a.value IS NOT NULL AND {raw} IS NOT NULL"
        not_na = "NOT a.not_applicable"
    else:
        num = "CAST(json_extract(a.value, '$') AS REAL)"
        is_true = "json_type(a.value, '$') = 'true'"
        rule = "json_extract(q.config, '$.rule')"
        threshold = "CAST(json_extract(q.config, '$.threshold') AS REAL)"
        option = (
            "CAST(json_extract(q.config, '$.options[' || "
            "CAST(json_extract(a.value, '$') AS INTEGER) || '].points') AS REAL)"
        )
        best = (
            "(SELECT max(CAST(json_extract(o.value, '$.points') AS REAL)) "
            "FROM json_each(q.config, '$.options') AS o)"
        )
        present = "a.value IS NOT NULL AND json_type(a.value, '$') <> 'null'"
        not_na = "a.not_applicable = 0"
    share = f"""CASE q.kind
        WHEN 'yes_no' THEN CASE WHEN {is_true} THEN 1.0 ELSE 0.0 END
        WHEN 'scale' THEN ({num} - 1.0) / 4.0
        WHEN 'number' THEN CASE
            WHEN {rule} = 'at_most' AND {num} <= {threshold} THEN 1.0
            WHEN {rule} <> 'at_most' AND {num} >= {threshold} THEN 1.0
            ELSE 0.0 END
        WHEN 'choice' THEN {option} / NULLIF({best}, 0)
        END"""
    counts = f"q.kind <> 'text' AND q.weight > 0 AND {not_na} AND {present}"
    return share, counts


# --- shared filters ---------------------------------------------------------------------

TS = "COALESCE(s.visited_at, s.approved_at)"


def _org(session: Session) -> int:
    org_id = scoped_org_id(session)
    if org_id is None:
        raise RuntimeError("report queries need an organization-scoped session")
    return org_id


def _filters(
    params: dict[str, Any],
    *,
    start: datetime | None,
    end: datetime | None,
    location_ids: Sequence[int] | None,
    region: str | None,
) -> str:
    """WHERE fragments for approved shops of the org, dates [start, end), locations, region."""
    clauses = ["s.org_id = :org", "s.status = 'approved'", f"{TS} IS NOT NULL"]
    if start is not None:
        clauses.append(f"{TS} >= :start")
        params["start"] = _utc(start)
    if end is not None:
        clauses.append(f"{TS} < :end")
        params["end"] = _utc(end)
    if location_ids is not None:
        ids = [int(i) for i in location_ids]
        if not ids:
            clauses.append("1 = 0")
        else:
            names = [f"loc{n}" for n in range(len(ids))]
            clauses.append(f"s.location_id IN ({', '.join(':' + n for n in names)})")
            params.update(zip(names, ids, strict=True))
    if region is not None:
        clauses.append("l.region = :region")
        params["region"] = region
    return " AND ".join(clauses)


def _utc(value: datetime) -> datetime:
    """Bind value comparable with stored UTC: aware UTC (naive is taken as UTC)."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware


def _bind_ts(session: Session, params: dict[str, Any]) -> None:
    # SQLite compares the stored text 'YYYY-MM-DD HH:MM:SS.ffffff'; bind the same shape.
    if _dialect(session) == "sqlite":
        for key in ("start", "end"):
            if key in params:
                params[key] = params[key].strftime("%Y-%m-%d %H:%M:%S.%f")


def period_start(period: str, key: str) -> date:
    """First day of the period named by `key` (as `_period_key` makes it)."""
    if period == "week":
        year, week = key.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    if period == "month":
        year, month = key.split("-")
        return date(int(year), int(month), 1)
    if period == "quarter":
        year, quarter = key.split("-Q")
        return date(int(year), 3 * int(quarter) - 2, 1)
    raise ValueError(f"unknown period kind {period!r}: use week, month or quarter")


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


# --- queries ----------------------------------------------------------------------------


def _section_sql(dialect: str, period: str, where: str) -> str:
    tp_field, pct_field = _section_fields(dialect)
    return f"""
        SELECT {_period_key(dialect, period, TS)} AS period_key,
               s.id AS shop_id, s.location_id AS location_id,
               {pct_field} AS pct
        FROM shop AS s
        JOIN shop_touchpoint AS st
          ON st.shop_id = s.id AND st.touchpoint_id = :tp AND st.org_id = :org
        JOIN location AS l ON l.id = s.location_id
        {_sections_from(dialect)}
        WHERE {where} AND {tp_field} = :tp
    """


def _prepare(
    session: Session,
    touchpoint_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    location_ids: Sequence[int] | None,
    region: str | None,
) -> tuple[str, dict[str, Any], str]:
    """What every touchpoint query starts from: the dialect, the bound values, the filters."""
    dialect = _dialect(session)
    params: dict[str, Any] = {"org": _org(session), "tp": touchpoint_id}
    where = _filters(params, start=start, end=end, location_ids=location_ids, region=region)
    _bind_ts(session, params)
    return dialect, params, where


def touchpoint_trend(
    session: Session,
    touchpoint_id: int,
    *,
    period: Period,
    start: datetime | None = None,
    end: datetime | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[TrendRow]:
    """Mean section score and number of shops per period, oldest first."""
    dialect, params, where = _prepare(
        session, touchpoint_id, start=start, end=end, location_ids=location_ids, region=region
    )
    sql = f"""
        SELECT x.period_key, AVG(x.pct), COUNT(x.pct)
        FROM ({_section_sql(dialect, period, where)}) AS x
        GROUP BY x.period_key
        HAVING COUNT(x.pct) > 0
        ORDER BY x.period_key
    """
    rows = session.connection().execute(text(sql), params).all()
    return [TrendRow(k, period_start(period, k), _round(m), int(n)) for k, m, n in rows]


def location_comparison(
    session: Session,
    touchpoint_id: int,
    *,
    period: Period,
    start: datetime | None = None,
    end: datetime | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[LocationRow]:
    """Per location, the mean section score in the latest period that has any shop (within
    the filters), best first."""
    dialect, params, where = _prepare(
        session, touchpoint_id, start=start, end=end, location_ids=location_ids, region=region
    )
    inner = _section_sql(dialect, period, where)
    sql = f"""
        WITH x AS ({inner} AND {_section_fields(dialect)[1]} IS NOT NULL),
             latest AS (SELECT MAX(period_key) AS k FROM x)
        SELECT x.period_key, l.id, l.name, l.region, AVG(x.pct), COUNT(x.pct)
        FROM x JOIN latest ON x.period_key = latest.k
        JOIN location AS l ON l.id = x.location_id
        GROUP BY x.period_key, l.id, l.name, l.region
        ORDER BY AVG(x.pct) DESC, l.name
    """
    rows = session.connection().execute(text(sql), params).all()
    return [LocationRow(k, int(i), name, reg, _round(m), int(n)) for k, i, name, reg, m, n in rows]


def question_trend(
    session: Session,
    touchpoint_id: int,
    *,
    period: Period,
    start: datetime | None = None,
    end: datetime | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[QuestionTrendRow]:
    """Per question lineage and period: mean share of points, answers and fails."""
    dialect, params, where = _prepare(
        session, touchpoint_id, start=start, end=end, location_ids=location_ids, region=region
    )
    share, counts = _answer_share(dialect)
    sql = f"""
        SELECT x.lineage, x.period_key, AVG(x.share), COUNT(*),
               SUM(CASE WHEN x.share < 0.5 THEN 1 ELSE 0 END)
        FROM (
            SELECT q.lineage AS lineage, {_period_key(dialect, period, TS)} AS period_key,
                   {share} AS share
            FROM answer AS a
            JOIN question AS q ON q.id = a.question_id
            JOIN shop AS s ON s.id = a.shop_id
            JOIN location AS l ON l.id = s.location_id
            WHERE {where} AND a.org_id = :org AND q.touchpoint_id = :tp AND {counts}
        ) AS x
        GROUP BY x.lineage, x.period_key
        ORDER BY x.lineage, x.period_key
    """
    rows = session.connection().execute(text(sql), params).all()
    texts = _latest_texts(session, touchpoint_id, params["org"])
    result = [
        QuestionTrendRow(
            lineage,
            texts.get(lineage, ""),
            key,
            period_start(period, key),
            None if mean is None else round(100.0 * float(mean), 1),
            int(n),
            int(fails or 0),
        )
        for lineage, key, mean, n, fails in rows
    ]
    order = list(texts)
    result.sort(
        key=lambda r: (order.index(r.lineage) if r.lineage in order else 1 << 30, r.period_key)
    )
    return result


def _latest_texts(session: Session, touchpoint_id: int, org_id: int) -> dict[str, str]:
    """lineage -> wording of its newest version, in checklist order."""
    sql = """
        SELECT q.lineage, q.text FROM question AS q
        WHERE q.org_id = :org AND q.touchpoint_id = :tp
          AND q.version = (SELECT MAX(q2.version) FROM question AS q2
                           WHERE q2.lineage = q.lineage AND q2.org_id = :org)
        ORDER BY q.position, q.id
    """
    rows = session.connection().execute(text(sql), {"org": org_id, "tp": touchpoint_id}).all()
    return {str(lineage): str(wording) for lineage, wording in rows}


def critical_fails(
    session: Session,
    touchpoint_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[CriticalFailRow]:
    """Every failed critical question of the touchpoint in approved shops, newest first."""
    dialect, params, where = _prepare(
        session, touchpoint_id, start=start, end=end, location_ids=location_ids, region=region
    )
    share, counts = _answer_share(dialect)
    sql = f"""
        SELECT s.id, {TS}, l.id, l.name, l.region, q.id, q.lineage, q.text
        FROM answer AS a
        JOIN question AS q ON q.id = a.question_id
        JOIN shop AS s ON s.id = a.shop_id
        JOIN location AS l ON l.id = s.location_id
        WHERE {where} AND a.org_id = :org AND q.touchpoint_id = :tp AND q.critical
          AND {counts} AND ({share}) < 0.5
        ORDER BY {TS} DESC, s.id DESC, q.position
    """
    rows = session.connection().execute(text(sql), params).all()
    return [
        CriticalFailRow(int(sid), _as_utc(at), int(lid), name, reg, int(qid), lineage, wording)
        for sid, at, lid, name, reg, qid, lineage, wording in rows
    ]


def _as_utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back the stored text for an expression
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
