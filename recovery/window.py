"""The 24-hour fix window of a recovery case: its deadline, what is left, and how to say it.

Pure functions over aware datetimes, shared by the board, the case page, the API, alerts and
reports, so that "overdue" and "fixed within 24 h" mean the same thing everywhere.

The promise is a day of *elapsed* time: the deadline is `reported_at` plus FIX_WINDOW_HOURS
real hours, computed in UTC. Across a daylight-saving change the wall clock therefore shows a
different hour at the deadline: a complaint heard at 23:30 on the Saturday before the clocks
go back is due at 22:30 on the Sunday, and one heard before the clocks go forward is due at
00:30 the next day. Nobody's promise shrinks or stretches because a clock was moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.templating import local_when
from recovery.models import FIX_WINDOW_HOURS

WINDOW = timedelta(hours=FIX_WINDOW_HOURS)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times in the fix window must carry their time zone")
    return value


def deadline(reported_at: datetime) -> datetime:
    """When the fix is due: FIX_WINDOW_HOURS real hours after the report, in UTC."""
    return _aware(reported_at).astimezone(UTC) + WINDOW


def time_left(reported_at: datetime, now: datetime) -> timedelta:
    """Time until the deadline; negative once it has passed."""
    return deadline(reported_at) - _aware(now)


def is_overdue(reported_at: datetime, fixed_at: datetime | None, now: datetime) -> bool:
    """The window has passed and nothing was fixed (a fix, even a late one, ends the clock)."""
    return fixed_at is None and _aware(now) > deadline(reported_at)


def fixed_within_window(reported_at: datetime, fixed_at: datetime | None) -> bool | None:
    """True when fixed by the deadline (exactly 24 h still counts), False when fixed later,
    None while not fixed at all."""
    if fixed_at is None:
        return None
    return _aware(fixed_at) <= deadline(reported_at)


def duration_words(span: timedelta) -> str:
    """A length of time as people say it: "45 min", "5 h 20 min", "2 d 3 h"."""
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def local_words(at: datetime, tz: str, now: datetime | None = None) -> str:
    """A moment in the organization's zone, short and unambiguous: "Sun 29 Nov, 14:05", or
    "3 Mar 2025, 14:10" outside the current year (the app-wide `localwhen` filter)."""
    return local_when(_aware(at), tz, now)


@dataclass(frozen=True)
class WindowState:
    """Where a case stands against its fix window at one moment."""

    deadline: datetime
    overdue: bool
    fixed_within_window: bool | None
    seconds_left: int  # negative when past the deadline
    words: str  # "5 h 20 min left", "overdue by 3 h 5 min", "fixed in 4 h 10 min"
    deadline_words: str  # the deadline in the organization's zone


def window_state(
    reported_at: datetime, fixed_at: datetime | None, now: datetime, tz: str
) -> WindowState:
    due = deadline(reported_at)
    left = due - _aware(now)
    within = fixed_within_window(reported_at, fixed_at)
    if fixed_at is not None:
        took = duration_words(_aware(fixed_at) - _aware(reported_at))
        words = f"fixed in {took}" if within else f"fixed in {took}, after the 24 hours"
    elif left >= timedelta(0):
        words = f"{duration_words(left)} left"
    else:
        words = f"overdue by {duration_words(left)}"
    return WindowState(
        deadline=due,
        overdue=is_overdue(reported_at, fixed_at, now),
        fixed_within_window=within,
        seconds_left=int(left.total_seconds()),
        words=words,
        deadline_words=local_words(due, tz, now),
    )
