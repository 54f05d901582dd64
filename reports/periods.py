"""Report periods in Python: the keys the trend queries group by, their labels and ranges.

The SQL in `reports.queries` computes the same keys from a shop's report day; this module
lists every period of a range (so a period without shops shows as a gap, not as nothing) and
names them the way a staff meeting says them ("October 2026", "week 44", "Q3 2026").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_skeleton

from app.i18n.languages import locale_of
from reports.language import _, lang
from reports.language import day as day_words
from reports.sql import PERIODS

# How far back a report reaches when no start is given: a year of months, half a year of
# weeks, two years of quarters — enough periods for a trend, few enough to read.
DEFAULT_SPAN = {"week": 26, "month": 12, "quarter": 8}
# The per-question table shows this many periods (the "last 6 periods").
TABLE_PERIODS = 6


@dataclass(frozen=True)
class PeriodSlot:
    key: str
    start: date
    end: date  # inclusive last day
    kind: str = ""  # week, month or quarter; "" for a span that has its own `name`
    name: str = ""  # such a span's label ("Whole range")

    # The labels are written when they are read, in the language of the report being drawn
    # (reports.language): the same slots serve an English page and a Spanish print.
    @property
    def label(self) -> str:
        """ "October 2026", "week 44 of 2026 (26 Oct)", "Q3 2026"."""
        if self.kind == "week":
            year, week, _weekday = self.start.isocalendar()
            return _(
                "week %(week)s of %(year)s (%(day)s)",
                week=week,
                year=year,
                day=day_words(self.start, "%-d %b"),
            )
        if self.kind == "month":
            return month_name(self.start)
        if self.kind == "quarter":
            return _("Q%(quarter)s %(year)s", quarter=_quarter(self.start), year=self.start.year)
        return self.name

    @property
    def short(self) -> str:
        """ "Oct 26" — under a chart point."""
        if self.kind == "week":
            return day_words(self.start, "%-d %b")
        if self.kind == "month":
            return day_words(self.start, "%b %y")
        if self.kind == "quarter":
            return _(
                "Q%(quarter)s %(year)s",
                quarter=_quarter(self.start),
                year=self.start.strftime("%y"),
            )
        return self.name


def _quarter(day_: date) -> int:
    return (day_.month - 1) // 3 + 1


def month_name(value: date) -> str:
    """A month and its year as a heading says it: "October 2026", "octubre de 2026"."""
    if lang() == "en":
        return f"{value:%B %Y}"
    return format_skeleton("yMMMM", value, locale=locale_of(lang()))


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise ValueError(f"unknown period kind {period!r}: use week, month or quarter")
    return period


def slot_of(period: str, day: date) -> PeriodSlot:
    """The period that contains `day`."""
    check_period(period)
    if period == "week":
        year, week, weekday = day.isocalendar()
        start = day - timedelta(days=weekday - 1)
        end = start + timedelta(days=6)
        return PeriodSlot(f"{year}-W{week:02d}", start, end, "week")
    if period == "month":
        start = day.replace(day=1)
        end = _next_month(start) - timedelta(days=1)
        return PeriodSlot(f"{day:%Y-%m}", start, end, "month")
    quarter = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * quarter - 2, 1)
    end = _next_month(_next_month(_next_month(start))) - timedelta(days=1)
    key = f"{day.year}-Q{quarter}"
    return PeriodSlot(key, start, end, "quarter")


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def slots_between(period: str, start: date, end: date) -> list[PeriodSlot]:
    """Every period that overlaps [start, end], oldest first."""
    slots: list[PeriodSlot] = []
    slot = slot_of(period, start)
    while slot.start <= end:
        slots.append(slot)
        slot = slot_of(period, slot.end + timedelta(days=1))
    return slots


def default_start(period: str, end: date) -> date:
    """The first day of the period `DEFAULT_SPAN - 1` periods before the one holding `end`."""
    slot = slot_of(period, end)
    for _step in range(DEFAULT_SPAN[period] - 1):
        slot = slot_of(period, slot.start - timedelta(days=1))
    return slot.start


def coverage_words(slot: PeriodSlot, start: date, end: date, *, today: date) -> str:
    """How much of `slot` a range from `start` to `end` covers, in words; "" when all of it.

    A meeting sets the month that is still running against a whole one: the printed reports
    say so ("to date, 7 of 31 days"), and likewise for a range cut short at either end.
    """
    first, last = max(slot.start, start), min(slot.end, end)
    days = (slot.end - slot.start).days + 1
    covered = max((last - first).days + 1, 0)
    if covered >= days:
        return ""
    if last < slot.end and first == slot.start:
        if last >= today:
            return _("to date, %(covered)s of %(days)s days", covered=covered, days=days)
        return _(
            "to %(last)s, %(covered)s of %(days)s days",
            last=day_words(last, "%-d %b"),
            covered=covered,
            days=days,
        )
    if first > slot.start and last == slot.end:
        return _(
            "from %(first)s, %(covered)s of %(days)s days",
            first=day_words(first, "%-d %b"),
            covered=covered,
            days=days,
        )
    return _(
        "%(first)s to %(last)s, %(covered)s of %(days)s days",
        first=day_words(first, "%-d %b"),
        last=day_words(last, "%-d %b"),
        covered=covered,
        days=days,
    )
