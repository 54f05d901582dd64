"""When a scheduled report is due: local hours across Europe/London's clock changes, and
monthly days past a month's end. Pure arithmetic on fixed moments: no clock is read."""

from __future__ import annotations

from datetime import UTC, datetime

from reports.schedules.occurrences import Rule, first_after, latest_at_or_before, rule_words

LONDON = "Europe/London"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_weekly_hour_stays_local_across_the_spring_and_autumn_changes() -> None:
    monday_8 = Rule("weekly", hour=8, weekday=0, zone=LONDON)
    # 23 Mar 2026 is GMT (08:00 UTC); 30 Mar is BST (07:00 UTC).
    assert first_after(monday_8, utc(2026, 3, 23, 8)) == utc(2026, 3, 30, 7)
    assert latest_at_or_before(monday_8, utc(2026, 3, 30, 6, 59)) == utc(2026, 3, 23, 8)
    assert latest_at_or_before(monday_8, utc(2026, 3, 30, 7)) == utc(2026, 3, 30, 7)
    # Back to GMT on 25 Oct: 19 Oct is 07:00 UTC, 26 Oct is 08:00 UTC.
    assert first_after(monday_8, utc(2026, 10, 19, 7)) == utc(2026, 10, 26, 8)
    assert latest_at_or_before(monday_8, utc(2026, 10, 26, 7, 30)) == utc(2026, 10, 19, 7)


def test_an_hour_the_clocks_skip_goes_just_after_and_a_repeated_hour_goes_once() -> None:
    # 29 Mar 2026, 01:00 London does not exist (01:00 GMT is 02:00 BST): sent at 01:00 UTC.
    skipped = Rule("weekly", hour=1, weekday=6, zone=LONDON)
    assert first_after(skipped, utc(2026, 3, 28)) == utc(2026, 3, 29, 1)
    # 25 Oct 2026, 01:00 London happens twice: the first (BST, 00:00 UTC), and only once.
    repeated = Rule("weekly", hour=1, weekday=6, zone=LONDON)
    first = first_after(repeated, utc(2026, 10, 24))
    assert first == utc(2026, 10, 25, 0)
    assert first_after(repeated, first) == utc(2026, 11, 1, 1)


def test_day_31_is_the_last_day_of_shorter_months_leap_years_included() -> None:
    day_31 = Rule("monthly", hour=7, month_day=31, zone=LONDON)
    moments = [utc(2026, 1, 1)]
    for _ in range(5):
        moments.append(first_after(day_31, moments[-1]))
    assert moments[1:] == [
        utc(2026, 1, 31, 7),
        utc(2026, 2, 28, 7),
        utc(2026, 3, 31, 6),  # BST from 29 Mar
        utc(2026, 4, 30, 6),
        utc(2026, 5, 31, 6),
    ]
    day_30 = Rule("monthly", hour=7, month_day=30, zone=LONDON)
    assert first_after(day_30, utc(2028, 2, 1)) == utc(2028, 2, 29, 7)  # a leap year
    assert latest_at_or_before(day_30, utc(2026, 3, 1)) == utc(2026, 2, 28, 7)
    assert rule_words(day_31) == "Monthly on day 31 at 07:00 (the last day in shorter months)"
    assert rule_words(Rule("weekly", hour=8)) == "Every Monday at 08:00"


def test_other_zones_and_year_ends() -> None:
    sydney = Rule("monthly", hour=9, month_day=1, zone="Australia/Sydney")
    # 1 Jan 2027 09:00 in Sydney (AEDT, +11) is 31 Dec 2026 22:00 UTC.
    assert first_after(sydney, utc(2026, 12, 15)) == utc(2026, 12, 31, 22)
    sunday = Rule("weekly", hour=23, weekday=6, zone="America/New_York")
    assert latest_at_or_before(sunday, utc(2027, 1, 1)) == utc(2026, 12, 28, 4)
