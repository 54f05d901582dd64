"""Closing the loop, put together for people: a touchpoint's recovery rates, measures and
action items, drawn into its dashboard, its PDF and the meeting pack.

The numbers come from `reports.loop.queries` (aggregated in SQL); this module lines them up
with the report's periods, compares the latest period with the one before, words them
("7 of 9 fixed within 24 h (78 %)") and renders the sections that `TouchpointReport`
carries in `extra_sections`. Nothing here names a customer or a shopper: cases are counted,
never listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.i18n import jinja as i18n_jinja
from app.i18n.catalogs import N_
from app.modelbase import utcnow
from app.orgs.models import Organization
from recovery.models import FIX_WINDOW_HOURS
from reports.charts import fmt_value
from reports.filters import ReportFilters, parse_filters
from reports.language import _, ngettext, period_word, whole
from reports.language import day as day_words
from reports.loop import queries as q
from reports.periods import TABLE_PERIODS, PeriodSlot, slot_of
from touchpoints.models import (
    ACTION_SOURCE_LABELS,
    ACTION_STATUS_LABELS,
    ActionSource,
    ActionStatus,
    Touchpoint,
)

Medium = Literal["screen", "print"]
E = TypeVar("E", bound=StrEnum)
NBSP = "\u00a0"
# Section titles: the dashboard cards and the PDF headings say the same.
TITLE_RECOVERY = N_("Service recovery")
TITLE_MEASURES = N_("Measures")
TITLE_ACTIONS = N_("Action items")


def percent(n: int, d: int) -> int | None:
    """A share in whole percent, halves rounded up (7 of 9 is 78); None without a base."""
    if d <= 0:
        return None
    return (200 * n + d) // (2 * d)


@dataclass(frozen=True)
class Ratio:
    n: int
    d: int

    @property
    def pct(self) -> int | None:
        return percent(self.n, self.d)

    def words(self, what: str) -> str:
        """'7 of 9 fixed within 24 h (78 %)'; without a base, 'none due yet'."""
        if self.d == 0:
            return _("%(what)s: none due yet", what=what)
        return _(
            "%(n)s of %(d)s %(what)s (%(pct)s\u00a0%%)", n=self.n, d=self.d, what=what, pct=self.pct
        )

    @property
    def cell(self) -> str:
        """The table form: '7 of 9 (78 %)', or '–' without a base."""
        if self.d == 0:
            return "–"
        return _("%(n)s of %(d)s (%(pct)s\u00a0%%)", n=self.n, d=self.d, pct=self.pct)

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.n + other.n, self.d + other.d)


def fixed_words() -> str:
    return _("fixed within %(hours)s\u00a0h", hours=FIX_WINDOW_HOURS)


SATISFIED_WORDS = N_("followed up and fully satisfied")
SURPRISED_WORDS = N_("surprised")


@dataclass(frozen=True)
class RatePeriod:
    slot: PeriodSlot
    cases: int
    fixed: Ratio  # of the cases whose 24 h are over (or that were fixed)
    satisfied: Ratio  # of all cases
    surprised: Ratio  # of all cases
    champions: int

    def line(self) -> str:
        """The rates of one period in a sentence, as read out at the meeting."""
        return _(
            "%(period)s: %(cases)s; %(fixed)s, %(satisfied)s, %(surprised)s, %(champions)s.",
            period=self.slot.label,
            cases=ngettext("%(num)s case", "%(num)s cases", self.cases),
            fixed=self.fixed.words(fixed_words()),
            satisfied=self.satisfied.words(_(SATISFIED_WORDS)),
            surprised=self.surprised.words(_(SURPRISED_WORDS)),
            champions=ngettext("%(num)s champion", "%(num)s champions", self.champions),
        )


def _change_points(latest: int | None, previous: int | None, since: str) -> str:
    if latest is None or previous is None:
        return ""
    diff = latest - previous
    if diff > 0:
        return ngettext(
            "▲ up %(num)s point since %(since)s (%(previous)s\u00a0%%)",
            "▲ up %(num)s points since %(since)s (%(previous)s\u00a0%%)",
            diff,
            since=since,
            previous=previous,
        )
    if diff < 0:
        return ngettext(
            "▼ down %(num)s point since %(since)s (%(previous)s\u00a0%%)",
            "▼ down %(num)s points since %(since)s (%(previous)s\u00a0%%)",
            -diff,
            since=since,
            previous=previous,
        )
    return _("▬ level with %(since)s (%(previous)s\u00a0%%)", since=since, previous=previous)


@dataclass
class RecoverySummary:
    periods: list[RatePeriod]  # the report's periods that have cases, oldest first

    @property
    def latest(self) -> RatePeriod | None:
        return self.periods[-1] if self.periods else None

    @property
    def previous(self) -> RatePeriod | None:
        return self.periods[-2] if len(self.periods) > 1 else None

    @property
    def headline(self) -> str:
        return self.latest.line() if self.latest else _("No recovery cases in this range.")

    @property
    def fixed_change(self) -> str:
        """How the share fixed within 24 h moved since the period before (with cases)."""
        latest, previous = self.latest, self.previous
        if latest is None or previous is None:
            return ""
        moved = _change_points(latest.fixed.pct, previous.fixed.pct, previous.slot.label)
        if not moved:
            return ""
        return _("Fixed within %(hours)s\u00a0h: %(moved)s.", hours=FIX_WINDOW_HOURS, moved=moved)

    @property
    def total(self) -> RatePeriod | None:
        """The whole range in one line (the table's last row)."""
        if not self.periods:
            return None
        first, last = self.periods[0].slot, self.periods[-1].slot
        label = _("Whole range") if first != last else first.label
        zero = Ratio(0, 0)
        return RatePeriod(
            PeriodSlot("total", first.start, last.end, name=label),
            sum(p.cases for p in self.periods),
            sum((p.fixed for p in self.periods), zero),
            sum((p.satisfied for p in self.periods), zero),
            sum((p.surprised for p in self.periods), zero),
            sum(p.champions for p in self.periods),
        )


def recovery_summary(
    session: Session, touchpoint: Touchpoint | None, filters: ReportFilters, *, now: datetime
) -> RecoverySummary:
    """The recovery rates per period of the filters; `touchpoint` None: every case."""
    rows = {
        row.period_key: row
        for row in q.recovery_rates(
            session,
            touchpoint.id if touchpoint is not None else None,
            period=filters.period,
            start=filters.start,
            end=filters.end,
            location_ids=filters.location_ids,
            region=filters.region,
            now=now,
        )
    }
    periods = [
        RatePeriod(
            slot,
            row.cases,
            Ratio(row.fixed_in_window, row.due),
            Ratio(row.satisfied, row.cases),
            Ratio(row.surprised, row.cases),
            row.champions,
        )
        for slot in filters.slots
        if (row := rows.get(slot.key)) is not None
    ]
    return RecoverySummary(periods)


def board_rates(
    *,
    session: Session,
    org: Organization,
    now: datetime,
    location_id: int | None = None,
    touchpoint_id: int | None = None,
) -> RecoverySummary:
    """The recovery board's rates: this month and last, for the board's location and
    touchpoint filters, by the same rules as the reports (docs/definitions.md).

    Recovery sits below reports; it asks through app.providers.RECOVERY_RATES, which
    app.wiring registers to this function."""
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    filters = parse_filters(
        session,
        org,
        period="month",
        start=last_month,
        end=today,
        locations=[location_id] if location_id is not None else None,
    )
    touchpoint = session.get(Touchpoint, touchpoint_id) if touchpoint_id is not None else None
    if touchpoint_id is not None and touchpoint is None:
        return RecoverySummary([])
    return recovery_summary(session, touchpoint, filters, now=now)


# --- measures -------------------------------------------------------------------------------


def measure_value(value: float, unit: str) -> str:
    """A measure's figure as printed: '1,240', '7.5', '92 %', '38 min'."""
    number = whole(round(value)) if abs(value) >= 1000 else fmt_value(value)
    if not unit:
        return number
    return f"{number}{NBSP}%" if unit == "%" else f"{number}{NBSP}{unit}"


@dataclass(frozen=True)
class MeasureCell:
    value: float
    values: int
    locations: int


@dataclass
class MeasureLine:
    info: q.MeasureInfo
    cells: list[MeasureCell | None]  # one per table slot
    latest: tuple[PeriodSlot, MeasureCell] | None
    previous: tuple[PeriodSlot, MeasureCell] | None
    most_locations: int  # the most locations behind any period (fewer are flagged)
    today: date  # in the organization's zone: is the latest period still running?

    def show(self, cell: MeasureCell | None) -> str:
        return "–" if cell is None else measure_value(cell.value, self.info.unit)

    def partial(self, cell: MeasureCell | None) -> bool:
        return cell is not None and cell.locations < self.most_locations

    @property
    def change(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        return round(self.latest[1].value - self.previous[1].value, 1)

    @property
    def better(self) -> bool | None:
        """Whether the latest move is an improvement; None when level or not comparable."""
        change = self.change
        if not change:
            return None
        return (change > 0) == self.info.higher_is_better

    @property
    def change_words(self) -> str:
        """'▲ up 12 since October 2026: worse' — arrow, number and verdict, never colour."""
        change = self.change
        if change is None or self.previous is None:
            return _("no earlier period to compare")
        since = self.previous[0].label
        # A period still running holds part of its figures: said, so a half-counted total
        # is not read as a drop.
        running = ""
        if self.latest is not None and self.latest[0].end >= self.today:
            running = " " + _("(%(period)s so far)", period=self.latest[0].label)
        if change == 0:
            return _("▬ level with %(since)s", since=since) + running
        if self.info.unit == "%":  # a change of a percentage is in points, not percent
            size = fmt_value(abs(change))
            amount = ngettext(
                "%(size)s point", "%(size)s points", 1 if abs(change) == 1 else 2, size=size
            )
        else:
            amount = measure_value(abs(change), self.info.unit)
        if change > 0:
            moved = _("▲ up %(amount)s since %(since)s", amount=amount, since=since)
        else:
            moved = _("▼ down %(amount)s since %(since)s", amount=amount, since=since)
        verdict = _("better") if self.better else _("worse")
        return f"{moved}{running}: {verdict}"

    @property
    def how(self) -> str:
        """How the figure is made, in a few words ('total of 4 locations, per month')."""
        weekly, total = self.info.period == "week", self.info.aggregate == "sum"
        if weekly:
            made = (
                _("weekly figures, total per period")
                if total
                else _("weekly figures, average per period")
            )
        else:
            made = (
                _("monthly figures, total per period")
                if total
                else _("monthly figures, average per period")
            )
        aim = _("higher is better") if self.info.higher_is_better else _("lower is better")
        return f"{made}; {aim}"


def measure_lines(
    session: Session,
    touchpoint: Touchpoint,
    filters: ReportFilters,
    table: list[PeriodSlot],
    today: date,
) -> tuple[list[MeasureLine], int]:
    """Each measure's figures per report period; and how many monthly measures a weekly
    report leaves out."""
    measures = q.touchpoint_measures(session, touchpoint.id or 0)
    if not measures:
        return [], 0
    rows = q.measure_trend(
        session,
        touchpoint.id or 0,
        period=filters.period,
        start=filters.start,
        end=filters.end,
        location_ids=filters.location_ids,
        region=filters.region,
    )
    by_measure: dict[int, dict[str, MeasureCell]] = {}
    info = {m.id: m for m in measures}
    for row in rows:
        m = info.get(row.measure_id)
        if m is None:
            continue
        value = row.total if m.aggregate == "sum" else row.mean
        by_measure.setdefault(row.measure_id, {})[row.period_key] = MeasureCell(
            value, row.values, row.locations
        )
    skipped = 0
    lines: list[MeasureLine] = []
    for m in measures:
        if filters.period == "week" and m.period != "week":
            skipped += 1
            continue
        cells = by_measure.get(m.id, {})
        with_data = [(slot, cells[slot.key]) for slot in filters.slots if slot.key in cells]
        lines.append(
            MeasureLine(
                info=m,
                cells=[cells.get(slot.key) for slot in table],
                latest=with_data[-1] if with_data else None,
                previous=with_data[-2] if len(with_data) > 1 else None,
                most_locations=max((c.locations for c in cells.values()), default=0),
                today=today,
            )
        )
    return lines, skipped


# --- action items ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionLine:
    row: q.ActionRow
    overdue: bool
    due: str  # '12 Dec 2026', or '' when undated
    status: str  # 'Open', 'Doing'
    origin: str  # 'Staff meeting, 14 Apr 2026'
    closed: str  # the day it was done, in the organization's zone, for done items


def _day(value: date | None) -> str:
    return "" if value is None else day_words(value, "%-d %b %Y")


def _member(kind: type[E], value: str) -> E | None:
    try:
        return kind(value)
    except ValueError:
        return None


def open_at_words(day: date) -> str:
    """An item's state on a past day: open then, but whether anyone was already doing it
    is not kept, so it is not claimed."""
    return _("Open at %(day)s", day=day_words(day, "%-d %b"))


def _action_line(
    row: q.ActionRow, today: date, tz: ZoneInfo, *, as_of: date | None = None
) -> ActionLine:
    """One item as listed. With `as_of` (an open item of a range that has ended), its state
    and whether it was overdue are those of that day, not today's."""
    status = _member(ActionStatus, row.status)
    source = _member(ActionSource, row.source) or ActionSource.other
    origin = _(ACTION_SOURCE_LABELS[source])
    if row.meeting_on is not None and source == ActionSource.meeting:
        origin += f", {_day(row.meeting_on)}"
    closed = "" if row.closed_at is None else _day(row.closed_at.astimezone(tz).date())
    if as_of is not None:
        overdue = row.due_on is not None and row.due_on < as_of
        words = open_at_words(as_of)
    else:
        overdue = row.status in ("open", "doing") and row.due_on is not None and row.due_on < today
        words = _(ACTION_STATUS_LABELS[status]) if status else row.status
    return ActionLine(
        row=row, overdue=overdue, due=_day(row.due_on), status=words, origin=origin, closed=closed
    )


def done_since(filters: ReportFilters) -> PeriodSlot:
    """The period whose start opens 'done since the last period': the one before the
    period holding the report's last day."""
    last = slot_of(filters.period, filters.end)
    return slot_of(filters.period, last.start - timedelta(days=1))


# --- the whole loop -------------------------------------------------------------------------


@dataclass
class LoopReport:
    filters: ReportFilters
    recovery: RecoverySummary
    measures: list[MeasureLine]
    measure_slots: list[PeriodSlot]
    monthly_left_out: int
    open_items: list[ActionLine]
    done_items: list[ActionLine]
    since: PeriodSlot
    today: date
    # The range's last day when it ended before today: the open items are those open at the
    # end of that day. None: the range reaches today, and the items are as they are now.
    as_of: date | None = None
    window_hours: int = FIX_WINDOW_HOURS

    @property
    def open_heading(self) -> str:
        """'Open', or 'Open at 31 Mar 2026' for a range that has ended."""
        if self.as_of is None:
            return _("Open")
        return _("Open at %(day)s", day=_day(self.as_of))

    @property
    def done_heading(self) -> str:
        """'Done since 1 Mar 2026', or with an end for a range that has ended."""
        start = _day(self.since.start)
        if self.as_of is None:
            return _("Done since %(start)s", start=start)
        return _("Done between %(start)s and %(end)s", start=start, end=_day(self.as_of))

    @property
    def has_recovery(self) -> bool:
        return bool(self.recovery.periods)

    @property
    def has_measures(self) -> bool:
        return bool(self.measures) or self.monthly_left_out > 0

    @property
    def has_actions(self) -> bool:
        return bool(self.open_items or self.done_items)

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.open_items if item.overdue)

    def sections(self, medium: Medium) -> list[tuple[str, str]]:
        """(title, html) for the report's `extra_sections`: only the parts that have
        something to say, so a touchpoint without cases, measures or items reads as before."""
        folder = "reports/pdf" if medium == "print" else "reports"
        env = _sections_environment()
        parts = (
            (self.has_recovery, TITLE_RECOVERY, "_loop_recovery.html"),
            (self.has_measures, TITLE_MEASURES, "_loop_measures.html"),
            (self.has_actions, TITLE_ACTIONS, "_loop_actions.html"),
        )
        return [
            (title, env.get_template(f"{folder}/{name}").render(loop=self))
            for shown, title, name in parts
            if shown
        ]


def loop_report(
    session: Session,
    org: Organization,
    touchpoint: Touchpoint,
    filters: ReportFilters,
    *,
    now: datetime | None = None,
) -> LoopReport:
    """Recovery rates, measures and action items of one touchpoint for these filters.
    Action items belong to the touchpoint, not to a location: the filters' locations and
    region do not narrow them."""
    now = now or utcnow()
    tz = ZoneInfo(org.timezone)
    today = now.astimezone(tz).date()
    table = filters.slots[-TABLE_PERIODS:]
    measures, left_out = measure_lines(session, touchpoint, filters, table, today)
    since = done_since(filters)
    since_at = datetime.combine(since.start, time(0), tz)
    # The range ends at the midnight (in the organization's zone) after its last day.
    until_at = datetime.combine(filters.end + timedelta(days=1), time(0), tz)
    as_of = filters.end if filters.end < today else None
    opened = q.open_actions(session, touchpoint.id or 0, at=None if as_of is None else until_at)
    done = q.done_actions(session, touchpoint.id or 0, since=since_at, until=until_at)
    return LoopReport(
        filters=filters,
        recovery=recovery_summary(session, touchpoint, filters, now=now),
        measures=measures,
        measure_slots=table,
        monthly_left_out=left_out,
        open_items=[_action_line(row, today, tz, as_of=as_of) for row in opened],
        done_items=[_action_line(row, today, tz) for row in done],
        since=since,
        today=today,
        as_of=as_of,
    )


def unfiled_cases(session: Session, filters: ReportFilters) -> int:
    """How many cases of the report's range and locations are not filed under a touchpoint."""
    return q.unfiled_cases(
        session,
        start=filters.start,
        end=filters.end,
        location_ids=filters.location_ids,
        region=filters.region,
    )


def unfiled_words(count: int) -> str:
    """The plain line for reports about cases no touchpoint holds yet; '' when there are none."""
    if count <= 0:
        return ""
    return ngettext(
        "%(num)s recovery case reported in this range is not yet filed under a touchpoint. "
        "It counts in no touchpoint's rates until someone files it.",
        "%(num)s recovery cases reported in this range are not yet filed under a touchpoint. "
        "They count in no touchpoint's rates until someone files them.",
        count,
    )


@cache
def _sections_environment() -> Environment:
    """The loop sections' templates need only Jinja's own filters and the i18n extension: an
    environment of their own, set up as the print one is (reports.pdf builds on this package,
    not the reverse). Their words follow the language of the render under way (app/i18n)."""
    env = Environment(
        loader=FileSystemLoader(str(PROJECT_ROOT / "templates")),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n_jinja.install(env)  # the sections' words in the language of the render under way
    env.filters["period_word"] = period_word
    return env
