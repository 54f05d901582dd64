"""One clock: nothing in the application reads the wall clock except app/clock.py.

Everything that decides an outcome (a window, an expiry, "this month", the demo's year) asks
`app.clock`, so the tests and `touchstone demo --now` can move it. This test reads the source
of every package and fails on a direct reading anywhere else.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app import clock

ROOT = Path(__file__).resolve().parents[2]
# (the object, the attribute) pairs that read the wall clock
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def package_sources() -> list[Path]:
    packages = [p.parent for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests"]
    return sorted(
        path
        for package in packages
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
    )


def wall_clock_reads(source: str) -> list[str]:
    """Each direct reading of the wall clock in `source`, as "line name.attr()"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if (name, node.func.attr) in WALL_CLOCK:
            found.append(f"{node.lineno} {name}.{node.func.attr}()")
    return found


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    here = Path(clock.__file__).resolve()
    sources = package_sources()
    assert here in sources and len(sources) > 50
    offenders = [
        f"{path.relative_to(ROOT)}:{read}"
        for path in sources
        if path != here
        for read in wall_clock_reads(path.read_text())
    ]
    assert offenders == []


def test_the_check_finds_a_direct_reading() -> None:
    sample = (
        "import time\nimport datetime as dt\nfrom datetime import datetime, date\n"
        "a = datetime.now()\nb = date.today()\nc = time.time()\nd = dt.datetime.now()\n"
    )
    assert wall_clock_reads(sample) == [
        "4 datetime.now()",
        "5 date.today()",
        "6 time.time()",
        "7 datetime.now()",
    ]


def test_moved_to_moves_every_reading_and_puts_the_clock_back() -> None:
    from datetime import UTC, datetime, timedelta

    moment = datetime(2028, 2, 29, 23, 59, tzinfo=UTC)
    with clock.moved_to(moment):
        assert abs(clock.utcnow() - moment) < timedelta(seconds=5)
        assert str(clock.today_in("Pacific/Kiritimati")) == "2028-03-01"
        assert str(clock.today_in("Europe/London")) == "2028-02-29"
    assert abs(clock.utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        with clock.moved_to(datetime(2028, 1, 1)):
            pass
