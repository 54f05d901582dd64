"""Benchmark: N processes writing one SQLite file at once, with and without BEGIN IMMEDIATE.

Each process opens its own app.db.Database and inserts M rows, one transaction per row,
all processes starting together. Modes:

  immediate        Database.write(): BEGIN IMMEDIATE, then read, then insert (what the app does)
  deferred-rw      plain BEGIN, read, then insert: the upgrade from reader to writer fails with
                   "database is locked" as soon as another process has committed in between
  deferred-w       plain BEGIN, insert only: busy_timeout covers this one
  raw-immediate    the immediate mode's SQL through the sqlite3 module, no SQLAlchemy: the
                   ceiling that SQLite itself sets on this machine

Usage:  .venv/bin/python bench/sqlite_writers.py [--processes 2] [--rows 1000]
                                                 [--modes immediate,deferred-rw] [--repeat 1]
Prints figures; it is not a pass/fail test (tests/app/test_sqlite_concurrency.py is).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODES = ("immediate", "deferred-rw", "deferred-w", "raw-immediate")


def _raw_writer(path: str, worker: int, rows: int, start: Any, errors: Counter[str]) -> None:
    from app.db import SQLITE_BUSY_TIMEOUT_MS

    conn = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        start.wait(timeout=120)
        for i in range(rows):
            email = f"w{worker}-{i}@example.test"
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "SELECT count(*) FROM login_attempt WHERE email = ?", (email,)
                ).fetchone()
                conn.execute(
                    "INSERT INTO login_attempt (email, address, created_at) "
                    "VALUES (?, 'bench', CURRENT_TIMESTAMP)",
                    (email,),
                )
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                errors[f"{type(exc).__name__}: {exc}"[:120]] += 1
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
    finally:
        conn.close()


def _writer(url: str, mode: str, worker: int, rows: int, start: Any, results: Any) -> None:
    errors: Counter[str] = Counter()
    if mode == "raw-immediate":
        try:
            _raw_writer(url.removeprefix("sqlite:///"), worker, rows, start, errors)
        finally:
            results.put(dict(errors))
        return

    from sqlalchemy import func
    from sqlmodel import select

    from app.db import Database
    from app.orgs.models import LoginAttempt

    db = Database(url)
    try:
        start.wait(timeout=120)
        for i in range(rows):
            email = f"w{worker}-{i}@example.test"
            count = select(func.count()).select_from(LoginAttempt)
            try:
                if mode == "immediate":
                    with db.write() as session:
                        session.exec(count.where(LoginAttempt.email == email)).one()
                        session.add(LoginAttempt(email=email, address="bench"))
                else:
                    with db.session() as session:
                        if mode == "deferred-rw":
                            session.exec(count.where(LoginAttempt.email == email)).one()
                        session.add(LoginAttempt(email=email, address="bench"))
                        session.commit()
            except Exception as exc:
                errors[f"{type(exc).__name__}: {str(exc).splitlines()[0]}"[:120]] += 1
    finally:
        db.dispose()
        results.put(dict(errors))


@dataclass
class Run:
    mode: str
    processes: int
    rows_each: int
    errors: int
    rows: int
    elapsed: float
    first_error: str


def run(mode: str, processes: int, rows: int, workdir: Path) -> Run:
    from sqlalchemy import func
    from sqlmodel import select

    from app.db import Database
    from app.orgs.models import LoginAttempt
    from app.schema import metadata

    path = workdir / f"{mode}-{time.monotonic_ns()}.db"
    url = f"sqlite:///{path}"
    db = Database(url)
    metadata.create_all(db.engine)

    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(processes + 1)  # the children and this process, for the clock
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(url, mode, w, rows, start, results))
        for w in range(processes)
    ]
    for p in procs:
        p.start()
    start.wait(timeout=120)  # returns once every child has imported the app and is ready
    began = time.perf_counter()
    reports = [results.get(timeout=600) for _ in procs]
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()

    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report)
    with db.session() as session:
        stored = session.exec(select(func.count()).select_from(LoginAttempt)).one()
    db.dispose()
    first = errors.most_common(1)[0][0] if errors else ""
    return Run(mode, processes, rows, sum(errors.values()), stored, elapsed, first)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{multiprocessing.cpu_count()} CPUs ({cpu}){ram}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", "-n", type=int, default=2)
    parser.add_argument("--rows", "-m", type=int, default=1000, help="rows per process")
    parser.add_argument("--modes", default="immediate,deferred-rw", help=",".join(MODES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the database files")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(sorted(unknown))}; choose from {MODES}")

    from app.db import SQLITE_BUSY_TIMEOUT_MS

    print(machine())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average before the run: {load} (other work on the machine skews the figures)")
    print(
        f"{args.processes} processes x {args.rows} rows, one transaction per row, "
        f"WAL, synchronous=NORMAL, busy_timeout={SQLITE_BUSY_TIMEOUT_MS} ms"
    )
    header = (
        f"{'mode':<14} {'errors':>7} {'rows':>7} {'expected':>8} {'elapsed s':>9} {'rows/s':>8}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for mode in modes:
            for _ in range(args.repeat):
                r = run(mode, args.processes, args.rows, Path(tmp))
                expected = r.processes * r.rows_each
                rate = r.rows / r.elapsed if r.elapsed else 0.0
                print(
                    f"{r.mode:<14} {r.errors:>7} {r.rows:>7} {expected:>8} "
                    f"{r.elapsed:>9.2f} {rate:>8.0f}"
                )
                if r.first_error:
                    print(f"{'':<14} most common error: {r.first_error}")
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
