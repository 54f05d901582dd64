"""The 24-hour fix window: deadlines across time zones and daylight-saving changes, the
boundary, and the words people read on the board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recovery.window import (
    deadline,
    duration_words,
    fixed_within_window,
    is_overdue,
    local_words,
    time_left,
    window_state,
)


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))  # type: ignore[misc]


def test_deadline_is_24_real_hours_later_in_utc() -> None:
    reported = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    assert deadline(reported) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    now = datetime(2026, 11, 29, 14, 40, tzinfo=UTC)
    assert time_left(reported, now) == timedelta(hours=19, minutes=20)
    assert window_state(reported, None, now, "UTC").words == "19 h 20 min left"


@pytest.mark.parametrize(
    ("tz", "reported", "due_local", "hours_on_the_wall_clock"),
    [
        # No change that night: 23:30 is due at 23:30 the next day.
        ("Europe/London", (2026, 11, 28, 23, 30), "Sun 29 Nov, 23:30", 24),
        # The last Sunday of October: the clocks go back, so the deadline shows 22:30.
        ("Europe/London", (2026, 10, 24, 23, 30), "Sun 25 Oct, 22:30", 23),
        # The last Sunday of March: the clocks go forward, so the deadline shows 00:30.
        ("Europe/London", (2026, 3, 28, 23, 30), "Mon 30 Mar, 00:30", 25),
        # New York springs forward on 8 March 2026 and falls back on 1 November 2026.
        ("America/New_York", (2026, 3, 7, 12, 0), "Sun 8 Mar, 13:00", 25),
        ("America/New_York", (2026, 10, 31, 12, 0), "Sun 1 Nov, 11:00", 23),
        ("America/New_York", (2026, 11, 28, 23, 30), "Sun 29 Nov, 23:30", 24),
        # Sydney's summer time ends on 5 April 2026 and starts on 4 October 2026.
        ("Australia/Sydney", (2026, 4, 4, 23, 30), "Sun 5 Apr, 22:30", 23),
        ("Australia/Sydney", (2026, 10, 3, 23, 30), "Mon 5 Oct, 00:30", 25),
        ("Australia/Sydney", (2026, 11, 28, 23, 30), "Sun 29 Nov, 23:30", 24),
        # Kolkata: a half-hour offset and no daylight saving at all.
        ("Asia/Kolkata", (2026, 11, 28, 23, 30), "Sun 29 Nov, 23:30", 24),
        ("Asia/Kolkata", (2026, 3, 28, 23, 30), "Sun 29 Mar, 23:30", 24),
    ],
)
def test_deadline_on_the_local_clock(
    tz: str, reported: tuple[int, ...], due_local: str, hours_on_the_wall_clock: int
) -> None:
    at = local(tz, *reported)
    due = deadline(at)
    # Always a day of elapsed time ...
    assert due - at.astimezone(UTC) == timedelta(hours=24)
    assert due.tzinfo == UTC
    # ... which the wall clock shows as 23 or 25 hours when its clocks change that night.
    wall_before = at.replace(tzinfo=None)
    wall_after = due.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    assert wall_after - wall_before == timedelta(hours=hours_on_the_wall_clock)
    assert window_state(at, None, at, tz).deadline_words == due_local
    assert local_words(due, tz, at) == due_local  # "now" in the same year: the short form


def test_exactly_24_hours_counts_as_within() -> None:
    reported = local("Europe/London", 2026, 10, 24, 18, 0)
    due = deadline(reported)
    assert fixed_within_window(reported, due) is True
    assert fixed_within_window(reported, due + timedelta(seconds=1)) is False
    assert fixed_within_window(reported, None) is None
    assert not is_overdue(reported, None, due)
    assert is_overdue(reported, None, due + timedelta(seconds=1))
    # A fix, even a late one, stops the clock: the case is no longer overdue.
    assert not is_overdue(reported, due + timedelta(hours=2), due + timedelta(hours=3))


def test_words_for_time_left_overdue_and_fixed() -> None:
    tz = "Europe/London"
    reported = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    left = window_state(reported, None, reported + timedelta(hours=18, minutes=40), tz)
    assert left.words == "5 h 20 min left"
    assert not left.overdue
    assert left.seconds_left == (5 * 60 + 20) * 60
    late = window_state(reported, None, reported + timedelta(hours=27, minutes=5), tz)
    assert late.words == "overdue by 3 h 5 min"
    assert late.overdue
    assert late.seconds_left < 0
    fixed = window_state(
        reported, reported + timedelta(hours=4, minutes=10), reported + timedelta(days=3), tz
    )
    assert fixed.words == "fixed in 4 h 10 min"
    assert fixed.fixed_within_window is True
    assert not fixed.overdue
    slow = window_state(reported, reported + timedelta(hours=30), reported + timedelta(days=3), tz)
    assert slow.words == "fixed in 1 d 6 h, after the 24 hours"
    assert slow.fixed_within_window is False


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=5, minutes=20, seconds=59), "5 h 20 min"),
        (timedelta(days=2, hours=3, minutes=1), "2 d 3 h"),
        (timedelta(days=1), "1 d"),
        (-timedelta(hours=3, minutes=5), "3 h 5 min"),
    ],
)
def test_duration_words(span: timedelta, words: str) -> None:
    assert duration_words(span) == words


def test_times_shown_in_the_organizations_zone() -> None:
    at = datetime(2026, 11, 29, 14, 5, tzinfo=UTC)
    assert local_words(at, "UTC", at) == "Sun 29 Nov, 14:05"
    assert local_words(at, "Asia/Kolkata", at) == "Sun 29 Nov, 19:35"
    assert local_words(at, "America/New_York", at) == "Sun 29 Nov, 09:05"
    assert local_words(at, "Australia/Sydney", at) == "Mon 30 Nov, 01:05"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        deadline(datetime(2026, 11, 29, 10, 0))
