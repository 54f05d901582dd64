"""Report periods in Python: the keys the trend queries group by, their labels and ranges.

The SQL in `reports.queries` computes the same keys from a shop's report day; this module
lists every period of a range (so a period without shops shows as a gap, not as nothing) and
names them the way a staff meeting says them ("October 2026", "week 44", "Q3 2026").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

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
    label: str  # "October 2026"
    short: str  # "Oct 26" — under a chart point


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
        label = f"week {week} of {year} ({start:%-d %b})"
        return PeriodSlot(f"{year}-W{week:02d}", start, end, label, f"{start:%-d %b}")
    if period == "month":
        start = day.replace(day=1)
        end = _next_month(start) - timedelta(days=1)
        return PeriodSlot(f"{day:%Y-%m}", start, end, f"{day:%B %Y}", f"{day:%b %y}")
    quarter = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * quarter - 2, 1)
    end = _next_month(_next_month(_next_month(start))) - timedelta(days=1)
    key = f"{day.year}-Q{quarter}"
    return PeriodSlot(key, start, end, f"Q{quarter} {day.year}", f"Q{quarter} {day:%y}")


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
    for _ in range(DEFAULT_SPAN[period] - 1):
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
            return f"to date, {covered} of {days} days"
        return f"to {last:%-d %b}, {covered} of {days} days"
    if first > slot.start and last == slot.end:
        return f"from {first:%-d %b}, {covered} of {days} days"
    return f"{first:%-d %b} to {last:%-d %b}, {covered} of {days} days"
