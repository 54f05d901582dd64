"""The PDF cache: round trips, least-recently-used pruning, atomic writes that several
processes can race on, keys that cannot escape the folder, and stable fingerprints."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.clock import filesystem_now
from reports.pdf.cache import (
    PdfCache,
    fingerprint,
    forget_template_versions,
    pdf_cache,
    template_version,
)


def key(n: int) -> str:
    return fingerprint("test", n)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_put_then_get_returns_the_same_bytes(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path / "pdfs", max_files=10)

    assert cache.get(key(1)) is None
    cache.put(key(1), b"%PDF-1.7 one")
    cache.put(key(2), b"%PDF-1.7 two")

    assert cache.get(key(1)) == b"%PDF-1.7 one"
    assert cache.get(key(2)) == b"%PDF-1.7 two"
    assert cache.path(key(1)) == tmp_path / "pdfs" / f"{key(1)}.pdf"
    assert files(tmp_path / "pdfs") == sorted([f"{key(1)}.pdf", f"{key(2)}.pdf"])


def test_put_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path, max_files=10)
    cache.put(key(1), b"old")
    cache.put(key(1), b"new")

    assert cache.get(key(1)) == b"new"
    assert files(tmp_path) == [f"{key(1)}.pdf"]


def test_a_failed_put_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path, max_files=10)
    cache.put(key(1), b"good")

    with pytest.raises(TypeError):
        cache.put(key(1), "not bytes")  # type: ignore[arg-type]

    assert cache.get(key(1)) == b"good"
    assert files(tmp_path) == [f"{key(1)}.pdf"]


def test_get_marks_the_file_as_recently_used(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path, max_files=10)
    cache.put(key(1), b"pdf")
    os.utime(cache.path(key(1)), (1_000_000, 1_000_000))

    cache.get(key(1))

    # Files age on the filesystem's clock, which TOUCHSTONE_FAKE_NOW does not move.
    assert cache.path(key(1)).stat().st_mtime > filesystem_now(tmp_path) - 60


def test_pruning_drops_the_least_recently_used(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path, max_files=5)
    for n in range(5):
        cache.put(key(n), b"pdf %d" % n)
        os.utime(cache.path(key(n)), (1_000_000 + n, 1_000_000 + n))
    assert len(files(tmp_path)) == 5  # at the limit: nothing pruned yet

    cache.get(key(0))  # the oldest is read again, so it is now the newest
    cache.put(key(5), b"pdf 5")  # six files: prune to 90% of five, i.e. four

    kept = {n for n in range(6) if cache.get(key(n)) is not None}
    assert kept == {0, 3, 4, 5}


def test_pruning_clears_stale_temporary_files(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path, max_files=5)
    stale = tmp_path / ".tmp-abandoned.pdf"
    fresh = tmp_path / ".tmp-in-progress.pdf"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (1_000_000, 1_000_000))

    cache.put(key(1), b"pdf")

    assert not stale.exists()
    assert fresh.exists()  # another process may still be writing it


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "",
        "abc",  # too short to be a fingerprint
        "A" * 64,  # upper case is not what fingerprint() makes
        "g" * 64,
        "a" * 63 + "/",
        "a" * 64 + ".pdf",
        "a" * 64 + "\n",
    ],
)
def test_keys_that_are_not_hex_fingerprints_are_refused(tmp_path: Path, bad: str) -> None:
    cache = PdfCache(tmp_path / "pdfs", max_files=5)
    with pytest.raises(ValueError):
        cache.get(bad)
    with pytest.raises(ValueError):
        cache.put(bad, b"x")
    assert not (tmp_path / "pdfs").exists()


def test_pdf_cache_lives_under_the_data_dir(tmp_path: Path) -> None:
    class FakeSettings:
        data_dir = tmp_path
        report_cache_max_files = 7

    cache = pdf_cache(FakeSettings())
    assert cache.directory == tmp_path / "report-pdfs"
    assert cache.max_files == 7


# -- several processes -----------------------------------------------------------------------

BIG = bytes(range(256)) * 4096  # 1 MiB, so writes take long enough to overlap


def _writer(folder: str, rounds: int) -> None:
    cache = PdfCache(Path(folder), max_files=1000)
    for n in range(rounds):
        cache.put(fingerprint("shared"), BIG)
        cache.put(fingerprint("own", os.getpid(), n), b"mine")


def test_processes_writing_the_same_key_never_expose_a_partial_file(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(str(tmp_path), 15)) for _ in range(2)]
    for process in writers:
        process.start()
    cache = PdfCache(tmp_path, max_files=1000)
    seen = 0
    while any(p.is_alive() for p in writers):
        data = cache.get(fingerprint("shared"))
        if data is not None:
            assert data == BIG
            seen += 1
    for process in writers:
        process.join(30)
        assert process.exitcode == 0

    assert cache.get(fingerprint("shared")) == BIG
    assert seen > 0
    names = files(tmp_path)
    assert len(names) == 1 + 2 * 15
    assert not [n for n in names if n.startswith(".tmp")]


# -- fingerprints ----------------------------------------------------------------------------


class Kind:
    pass


@dataclass
class Params:
    touchpoint_id: int
    start: date


def test_fingerprint_is_stable_and_sensitive() -> None:
    a = fingerprint("touchpoint", {"id": 3, "from": date(2026, 1, 1), "to": date(2026, 3, 31)})
    b = fingerprint("touchpoint", {"to": date(2026, 3, 31), "id": 3, "from": date(2026, 1, 1)})
    c = fingerprint("touchpoint", {"id": 3, "from": date(2026, 1, 2), "to": date(2026, 3, 31)})

    assert a == b  # key order does not matter
    assert a != c  # any parameter does
    assert len(a) == 64 and int(a, 16) >= 0
    assert fingerprint("a", "b") != fingerprint("ab")
    assert fingerprint([1, 2]) != fingerprint([2, 1])


def test_fingerprint_handles_the_usual_value_types() -> None:
    stamp = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    parts = (
        stamp,
        Decimal("81.50"),
        uuid.UUID(int=5),
        {3, 1, 2},
        Params(touchpoint_id=4, start=date(2026, 1, 1)),
        None,
        1.5,
    )
    assert fingerprint(*parts) == fingerprint(*parts)
    assert fingerprint(Decimal("81.50")) == fingerprint(Decimal("81.5"))
    assert fingerprint(Decimal("81.5")) != fingerprint(81.5)
    assert fingerprint({1, 2, 3}) == fingerprint({3, 2, 1})
    assert fingerprint(stamp) != fingerprint(stamp.replace(minute=31))


def test_fingerprint_refuses_values_without_a_stable_form() -> None:
    with pytest.raises(TypeError):
        fingerprint(Kind())


def test_template_version_follows_file_contents(tmp_path: Path) -> None:
    templates = tmp_path / "reports"
    (templates / "partials").mkdir(parents=True)
    (templates / "touchpoint.html").write_text("<h1>{{ title }}</h1>")
    (templates / "partials" / "table.html").write_text("<table></table>")
    css = tmp_path / "print.css"
    css.write_text("@page { size: A4 }")

    first = template_version([templates, css])
    assert template_version([templates, css]) == first
    assert len(first) == 64

    (templates / "partials" / "table.html").write_text("<table class=x></table>")
    assert template_version([templates, css]) == first  # computed once per process
    forget_template_versions()
    second = template_version([templates, css])
    assert second != first

    css.write_text("@page { size: letter }")
    forget_template_versions()
    assert template_version([templates, css]) not in {first, second}
    forget_template_versions()


def test_template_version_of_a_missing_path_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        template_version([tmp_path / "nope"])
