"""The one clock: every "now" that decides an outcome is read here.

Tests move it with time-machine (`TOUCHSTONE_FAKE_NOW`, see tests/conftest.py), and the demo
takes `--now`, so what the suite and the demo see depends on the day they are told, never on
the day they run. tests/app/test_clock.py fails when code reads the wall clock elsewhere.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# How far the clock is moved from the wall clock (`moved_to`); zero outside the demo command.
_shift = timedelta(0)


def utcnow() -> datetime:
    """This moment, aware, in UTC."""
    return datetime.now(UTC) + _shift


@contextmanager
def moved_to(moment: datetime) -> Iterator[None]:
    """Run as if it were `moment` (an aware datetime); the clock keeps ticking from there.

    For `touchstone demo --now`: the demo and every service it calls stamp their times from
    the moved clock, so the story is told relative to that day. Not for request handling:
    the shift is process-wide.
    """
    if moment.tzinfo is None:
        raise ValueError("moved_to needs an aware datetime")
    global _shift
    before = _shift
    _shift = moment - datetime.now(UTC)
    try:
        yield
    finally:
        _shift = before


def epoch_seconds() -> float:
    """This moment as seconds since 1970 (for signed cookies and other integer stamps)."""
    return utcnow().timestamp()


def today_in(timezone: str | None) -> date:
    """Today's date in a time zone (an organization's day starts at its own midnight)."""
    return utcnow().astimezone(ZoneInfo(timezone or "UTC")).date()


def filesystem_now(folder: Path) -> float:
    """Now on the clock that stamps files in `folder`, to age files by their mtime.

    A file's age must be read against the clock that wrote its mtime (the kernel's), not the
    application's clock, which tests may have moved to another year.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".clock-") as probe:
        return os.fstat(probe.fileno()).st_mtime
