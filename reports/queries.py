"""Trend queries for reports: aggregated in the database, approved shops only.

Definitions (docs/definitions.md, "Trend definitions", states them for people):

- A shop counts once it is **approved**. Its moment in time is ``visited_at``, or
  ``approved_at`` when no visit time was recorded, and its **report day** is the calendar
  date of that moment in the **organization's time zone** (``Shop.report_day``, kept by
  `audits.report_day` on every write and recomputed for all shops when the organization's
  time zone changes). A visit at 20:00 on 31 October in New York counts in October.
- **Periods** are ISO weeks (Monday start, key ``2026-W14``), calendar months (``2026-03``)
  and quarters (``2026-Q1``) of the report day. Date filters are days too: ``start`` and
  ``end`` are both inclusive days in the organization's time zone.
- **Section score** of a shop for a touchpoint is the percent in the shop's score snapshot
  (taken by the scoring code at submission and refreshed on approval), stored beside the
  shop's touchpoint as ``ShopTouchpoint.score_pct``. A touchpoint's period score is the
  plain mean of those section percents (each shop weighs the same), all at full precision
  (only the display rounds, once: `app.figures`); ``shops`` counts the
  shops with a section score. Sections with nothing possible (percent ``None``) are left out
  of both.
- **Question score**: each counted answer (not N/A, not empty, scored kind, weight > 0)
  earns a share 0..1 of the question's points by `touchpoints.scoring`, stored on the answer as
  ``Answer.share`` when it is saved; the period's ``mean_points_pct`` is the mean share ×
  100 over the answers of all versions of the question (its lineage). A **fail** is an
  answer that earns less than half the points (yes/no: no; scale: 1 or 2; number: rule not
  met; choice: the option's points below half of the best option's).
- A **critical fail** is a fail on a question marked critical; it zeroed its section.

Speed: a shop's sections and answers carry its report day while it is approved
(``ShopTouchpoint.report_day``, ``Answer.report_day``, None otherwise), so each query reads
one covering index range per touchpoint (shop_touchpoint(touchpoint_id, report_day,
shop_id, score_pct)) or per question (answer(question_id, report_day, shop_id, share)) in
day order, sums per day as it goes, and rolls the days up into periods; no JSON is read, no
time zone converted and no shop joined per row. Location and region filters are a set of
shop ids probed per row. Figures for a million answers: docs/performance.md ("Reports").

The queries run through `app.tenancy.org_sql`, which binds the organization of the session's
scope (`app.tenancy.scope_session`) into their ``ORG_SCOPE(alias)`` placeholders, because
textual SQL is not touched by the ORM scoping hooks: sections are reached through the
organization's touchpoint and answers through its questions (``ORG_VIA``: their covering
indexes hold no ``org_id``), shops, locations and questions by their own ``org_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.tenancy import org_sql
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
from reports.stats import sample_sd


@dataclass(frozen=True)
class TrendRow:
    period_key: str
    period_start: date
    mean_score: float | None
    shops: int
    # Sample standard deviation of the shop scores (n - 1); None for a single shop. The
    # period's 95 % interval comes from it (reports.stats).
    sd: float | None = None


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
    day: date  # the shop's report day, in the organization's time zone


@dataclass(frozen=True)
class LocationRow:
    period_key: str
    location_id: int
    location: str
    region: str
    mean_score: float | None
    shops: int


# --- dialect switch ---------------------------------------------------------------------


# --- shared filters ---------------------------------------------------------------------

TS = "COALESCE(s.visited_at, s.approved_at)"


def _filters(
    dialect: str,
    params: dict[str, Any],
    rows: str,
    *,
    start: date | None,
    end: date | None,
    location_ids: Sequence[int] | None,
    region: str | None,
) -> str:
    """WHERE fragments for the rows `rows` (sections or answers) of approved shops: days
    [start, end] (both inclusive), locations, region. A row of a shop that is not approved
    has no report_day."""
    # Shops by location: a subquery the database runs once (a set to probe), not a join per
    # row. The unary + keeps SQLite from driving the scan by shop instead of by the covering
    # (question or touchpoint, day) index, which costs a table read per row.
    shops = "SELECT fs.id FROM shop AS fs WHERE ORG_SCOPE(fs) AND fs.location_id"
    clauses = [f"{rows}.report_day IS NOT NULL"]
    clauses += filter_clauses(
        dialect,
        params,
        day=f"{rows}.report_day",
        located=lambda ids: f"+{rows}.shop_id IN ({shops} IN ({ids}))",
        start=_day_of(start),
        end=_day_of(end),
        location_ids=location_ids,
        region=region,
    )
    return " AND ".join(clauses)


def _day_of(value: date | None) -> date | None:
    """A day as given; a datetime (not expected, but easy to pass) counts by its date."""
    return value.date() if isinstance(value, datetime) else value


def period_start(period: str, key: str) -> date:
    """First day of the period named by `key` (as `period_key` makes it)."""
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


def _period_of(period: str, day: date) -> tuple[str, date, date]:
    """(key, first day, last day) of the period that holds `day`."""
    if period == "week":
        year, week, _ = day.isocalendar()
        first = day - timedelta(days=day.weekday())
        return f"{year}-W{week:02d}", first, first + timedelta(days=6)
    if period == "month":
        first = day.replace(day=1)
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return f"{day:%Y-%m}", first, following - timedelta(days=1)
    quarter = (day.month - 1) // 3 + 1
    first = date(day.year, 3 * quarter - 2, 1)
    following = date(day.year + quarter // 4, (3 * quarter) % 12 + 1, 1)
    return f"{day.year}-Q{quarter}", first, following - timedelta(days=1)


def _exact(value: Any) -> float | None:
    """A mean as the database gave it, at full precision: the display rounds it, once."""
    return None if value is None else float(value)


def _mean(total: Any, count: Any) -> float | None:
    return None if not count else float(total) / float(count)


# --- queries ----------------------------------------------------------------------------


def _prepare(
    session: Session,
    touchpoint_id: int,
    rows: str,
    *,
    start: date | None,
    end: date | None,
    location_ids: Sequence[int] | None,
    region: str | None,
) -> tuple[str, dict[str, Any], str]:
    """What every touchpoint query starts from: the dialect, the bound values, the filters."""
    dialect = sql_dialect(session)
    report_org(session)  # refuse an unscoped session before building anything
    params: dict[str, Any] = {"tp": touchpoint_id}
    where = _filters(
        dialect, params, rows, start=start, end=end, location_ids=location_ids, region=region
    )
    return dialect, params, where


def _sections(where: str) -> str:
    """FROM and WHERE over the scored sections `st` of the org's touchpoint :tp."""
    return f"""
        FROM shop_touchpoint AS st
        WHERE st.touchpoint_id = :tp AND ORG_VIA(st) AND st.score_pct IS NOT NULL AND {where}
          AND EXISTS (SELECT 1 FROM touchpoint AS t WHERE t.id = :tp AND ORG_SCOPE(t))
    """


def touchpoint_trend(
    session: Session,
    touchpoint_id: int,
    *,
    period: Period,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[TrendRow]:
    """Mean section score, number of shops and the scores' standard deviation per period,
    oldest first. The sum of squares rides along the same index walk, so the spread costs
    no second read."""
    check_period(period)
    dialect, params, where = _prepare(
        session, touchpoint_id, "st", start=start, end=end, location_ids=location_ids, region=region
    )
    sql = f"""
        SELECT {period_key(dialect, period, "d.day")} AS k, SUM(d.total), SUM(d.n),
               SUM(d.squares)
        FROM (
            SELECT st.report_day AS day, SUM(st.score_pct) AS total, COUNT(*) AS n,
                   SUM(st.score_pct * st.score_pct) AS squares
            {_sections(where)}
            GROUP BY st.report_day
        ) AS d
        GROUP BY k
        ORDER BY k
    """
    rows = org_sql(session, sql, params).all()
    return [
        TrendRow(
            k,
            period_start(period, k),
            _exact(_mean(total, n)),
            int(n),
            sample_sd(float(total), float(squares), int(n)),
        )
        for k, total, n, squares in rows
    ]


def location_comparison(
    session: Session,
    touchpoint_id: int,
    *,
    period: Period,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[LocationRow]:
    """Per location, the mean section score in the latest period that has any shop (within
    the filters), best first."""
    check_period(period)
    dialect, params, where = _prepare(
        session, touchpoint_id, "st", start=start, end=end, location_ids=location_ids, region=region
    )
    latest = org_sql(session, f"SELECT MAX(st.report_day) {_sections(where)}", params)
    day = latest.scalar()
    if day is None:
        return []
    key, first, last = _period_of(period, as_day(day))
    params["pfirst"] = bind_day(dialect, first)
    params["plast"] = bind_day(dialect, last)
    sql = f"""
        SELECT l.id, l.name, l.region, AVG(x.pct), COUNT(*)
        FROM (
            SELECT st.shop_id AS shop_id, st.score_pct AS pct
            {_sections(where)} AND st.report_day >= :pfirst AND st.report_day <= :plast
        ) AS x
        JOIN shop AS s ON s.id = x.shop_id AND ORG_SCOPE(s)
        JOIN location AS l ON l.id = s.location_id AND ORG_SCOPE(l)
        GROUP BY l.id, l.name, l.region
        ORDER BY AVG(x.pct) DESC, l.name
    """
    rows = org_sql(session, sql, params).all()
    return [LocationRow(key, int(i), name, reg, _exact(m), int(n)) for i, name, reg, m, n in rows]


def _questions(
    session: Session, params: dict[str, Any], *, critical: bool = False
) -> tuple[dict[int, str], str]:
    """The org's questions of touchpoint :tp, all versions: id -> lineage, and an IN list
    of their ids bound into `params`. Naming the ids lets both databases walk the answer
    index question by question (PostgreSQL would otherwise scan the table)."""
    sql = "SELECT q.id, q.lineage FROM question AS q WHERE ORG_SCOPE(q) AND q.touchpoint_id = :tp"
    if critical:
        sql += " AND q.critical"
    rows = org_sql(session, sql, params).all()
    lineages = {int(qid): str(lineage) for qid, lineage in rows}
    names = [f"q{n}" for n in range(len(lineages))]
    params.update(zip(names, lineages, strict=True))
    return lineages, "(" + ", ".join(":" + n for n in names) + ")"


def question_trend(
    session: Session,
    touchpoint_id: int,
    *,
    period: Period,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[QuestionTrendRow]:
    """Per question lineage and period: mean share of points, answers and fails."""
    check_period(period)
    dialect, params, where = _prepare(
        session, touchpoint_id, "a", start=start, end=end, location_ids=location_ids, region=region
    )
    lineages, ids = _questions(session, params)
    if not lineages:
        return []
    # The inner query walks the answer index question by question in day order, so it sums
    # per (question, day) as it goes; periods are rolled up from those, and versions of a
    # question into its lineage here.
    fail = "a.share < 0.5" if dialect == "sqlite" else "CASE WHEN a.share < 0.5 THEN 1 ELSE 0 END"
    sql = f"""
        SELECT d.question_id, {period_key(dialect, period, "d.day")} AS k,
               SUM(d.total), SUM(d.n), SUM(d.fails)
        FROM (
            SELECT a.question_id AS question_id, a.report_day AS day, SUM(a.share) AS total,
                   COUNT(*) AS n, SUM({fail}) AS fails
            FROM answer AS a
            WHERE a.question_id IN {ids} AND ORG_VIA(a) AND a.share IS NOT NULL AND {where}
            GROUP BY a.question_id, a.report_day
        ) AS d
        GROUP BY d.question_id, k
    """
    sums: dict[tuple[str, str], list[float]] = {}
    for qid, key, total, n, fails in org_sql(session, sql, params):
        acc = sums.setdefault((lineages[int(qid)], key), [0.0, 0, 0])
        acc[0] += float(total or 0.0)
        acc[1] += int(n)
        acc[2] += int(fails or 0)
    texts = _latest_texts(session, touchpoint_id)
    order = {lineage: n for n, lineage in enumerate(texts)}
    result = [
        QuestionTrendRow(
            lineage,
            texts.get(lineage, ""),
            key,
            period_start(period, key),
            _exact(100.0 * total / n) if n else None,
            int(n),
            int(fails),
        )
        for (lineage, key), (total, n, fails) in sums.items()
    ]
    result.sort(key=lambda r: (order.get(r.lineage, len(order)), r.lineage, r.period_key))
    return result


def _latest_texts(session: Session, touchpoint_id: int) -> dict[str, str]:
    """lineage -> wording of its newest version, in checklist order."""
    sql = """
        SELECT q.lineage, q.text FROM question AS q
        WHERE ORG_SCOPE(q) AND q.touchpoint_id = :tp
          AND q.version = (SELECT MAX(q2.version) FROM question AS q2
                           WHERE q2.lineage = q.lineage AND ORG_SCOPE(q2))
        ORDER BY q.position, q.id
    """
    rows = org_sql(session, sql, {"tp": touchpoint_id}).all()
    return {str(lineage): str(wording) for lineage, wording in rows}


def critical_fails(
    session: Session,
    touchpoint_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[CriticalFailRow]:
    """Every failed critical question of the touchpoint in approved shops, newest first."""
    _, params, where = _prepare(
        session, touchpoint_id, "a", start=start, end=end, location_ids=location_ids, region=region
    )
    lineages, ids = _questions(session, params, critical=True)
    if not lineages:
        return []
    sql = f"""
        SELECT s.id, {TS}, l.id, l.name, l.region, q.id, q.lineage, q.text, x.day
        FROM (
            SELECT a.shop_id AS shop_id, a.question_id AS question_id, a.report_day AS day
            FROM answer AS a
            WHERE a.question_id IN {ids} AND ORG_VIA(a) AND a.share < 0.5 AND {where}
        ) AS x
        JOIN question AS q ON q.id = x.question_id AND ORG_SCOPE(q)
        JOIN shop AS s ON s.id = x.shop_id AND ORG_SCOPE(s)
        JOIN location AS l ON l.id = s.location_id AND ORG_SCOPE(l)
        ORDER BY {TS} DESC, s.id DESC, q.position
    """
    rows = org_sql(session, sql, params).all()
    return [
        CriticalFailRow(
            int(sid), _as_utc(at), int(lid), name, reg, int(qid), lineage, wording, as_day(day)
        )
        for sid, at, lid, name, reg, qid, lineage, wording, day in rows
    ]


@dataclass(frozen=True)
class CommentRow:
    day: date
    location: str
    question: str  # the wording asked, or "" for a remark on the whole touchpoint
    text: str


def shopper_comments(
    session: Session,
    touchpoint_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    location_ids: Sequence[int] | None = None,
    region: str | None = None,
) -> list[CommentRow]:
    """Shoppers' remarks on the touchpoint (its section and its questions) in approved shops,
    newest first — never who wrote them: the day, the location and the question only."""
    _, params, sections = _prepare(
        session, touchpoint_id, "st", start=start, end=end, location_ids=location_ids, region=region
    )
    _, _, answers = _prepare(
        session, touchpoint_id, "a", start=start, end=end, location_ids=location_ids, region=region
    )
    lineages, ids = _questions(session, params)
    answer_part = ""
    if lineages:
        answer_part = f"""
        UNION ALL
        SELECT a.report_day, a.shop_id, q.text, a.comment
        FROM answer AS a JOIN question AS q ON q.id = a.question_id AND ORG_SCOPE(q)
        WHERE a.question_id IN {ids} AND ORG_VIA(a) AND a.comment <> '' AND {answers}"""
    sql = f"""
        SELECT x.day, l.name, x.about, x.comment
        FROM (
            SELECT st.report_day AS day, st.shop_id AS shop_id, '' AS about,
                   st.comment AS comment
            FROM shop_touchpoint AS st
            WHERE st.touchpoint_id = :tp AND ORG_VIA(st) AND st.comment <> '' AND {sections}
              AND EXISTS (SELECT 1 FROM touchpoint AS t WHERE t.id = :tp AND ORG_SCOPE(t))
            {answer_part}
        ) AS x
        JOIN shop AS s ON s.id = x.shop_id AND ORG_SCOPE(s)
        JOIN location AS l ON l.id = s.location_id AND ORG_SCOPE(l)
        ORDER BY x.day DESC, l.name, x.about
    """
    rows = org_sql(session, sql, params).all()
    return [CommentRow(as_day(day), loc, about, comment) for day, loc, about, comment in rows]


def _as_utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back the stored text for an expression
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
