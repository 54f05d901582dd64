"""When a schedule is due: weekly or monthly, on a day and an hour of the organization's zone.

Every occurrence is a moment in UTC, worked out from the local day and hour, so a report set
for 08:00 London time goes at 08:00 in winter (08:00 UTC) and in summer (07:00 UTC). Two
rules cover the hours the clocks skip or repeat:

- an hour that does not exist that day (01:00 when Europe/London springs forward) is taken
  as the same time before the change, which is the first moment after the gap (02:00 BST);
- an hour that happens twice (01:00 when the clocks go back) is the first of the two.

A monthly schedule on day 29, 30 or 31 goes on the last day of the months that are shorter.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Frequency = Literal["weekly", "monthly"]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Rule:
    frequency: Frequency
    hour: int  # 0-23, local
    weekday: int = 0  # 0 = Monday (weekly)
    month_day: int = 1  # 1-31 (monthly); past the month's end: its last day
    zone: str = "UTC"


def _moment(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The UTC moment of `hour`:00 on the local `day` (fold=0: the first of a repeated
    hour; a skipped hour is read with the offset before the change, i.e. just after it)."""
    local = datetime.combine(day, time(hour), tzinfo=zone)
    return local.astimezone(UTC)


def month_day_in(year: int, month: int, wanted: int) -> date:
    """Day `wanted` of the month, or its last day when the month is shorter."""
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _days_around(rule: Rule, local_day: date) -> list[date]:
    """The occurrence days near `local_day`, oldest first: enough that the latest one at
    or before any moment of that day, and the first one after it, are among them."""
    if rule.frequency == "weekly":
        back = (local_day.weekday() - rule.weekday) % 7
        first = local_day - timedelta(days=back + 7)
        return [first + timedelta(days=7 * i) for i in range(4)]
    return [
        month_day_in(*_add_months(local_day.year, local_day.month, n), rule.month_day)
        for n in (-1, 0, 1, 2)
    ]


def latest_at_or_before(rule: Rule, moment: datetime) -> datetime:
    """The schedule's most recent occurrence at or before `moment` (aware), in UTC."""
    zone = ZoneInfo(rule.zone)
    local_day = moment.astimezone(zone).date()
    candidates = [_moment(day, rule.hour, zone) for day in _days_around(rule, local_day)]
    past = [c for c in candidates if c <= moment]
    if past:
        return max(past)
    # Only reached when `moment` falls before every candidate: step back a period.
    return latest_at_or_before(rule, min(candidates) - timedelta(seconds=1))


def first_after(rule: Rule, moment: datetime) -> datetime:
    """The schedule's first occurrence strictly after `moment` (aware), in UTC."""
    zone = ZoneInfo(rule.zone)
    local_day = moment.astimezone(zone).date()
    candidates = [_moment(day, rule.hour, zone) for day in _days_around(rule, local_day)]
    future = [c for c in candidates if c > moment]
    if future:
        return min(future)
    return first_after(rule, max(candidates))


def rule_words(rule: Rule) -> str:
    """ "Every Monday at 08:00" / "Monthly on day 31 at 07:00 (the last day in shorter months)"."""
    at = f"{rule.hour:02d}:00"
    if rule.frequency == "weekly":
        return f"Every {WEEKDAYS[rule.weekday]} at {at}"
    words = f"Monthly on day {rule.month_day} at {at}"
    if rule.month_day > 28:
        words += " (the last day in shorter months)"
    return words
