"""Several processes writing one SQLite file at once: no "database is locked", no lost rows.

These tests always use their own SQLite file, also in the PostgreSQL pass: what they prove is
how app.db drives SQLite (WAL, busy_timeout, BEGIN IMMEDIATE for write sessions).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from app.db import SQLITE_BUSY_TIMEOUT_MS, WRITE_OPTION, Database
from app.orgs.models import LoginAttempt
from app.schema import metadata
from app.wiring import wire

PROCESSES = 2
ROWS_PER_PROCESS = 1000


def _count(db: Database) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(LoginAttempt)).one()


def _writer(url: str, worker: int, rows: int, start: Barrier, results: Any) -> None:
    """Child process: insert `rows` rows, one write transaction each; report the errors."""
    errors: list[str] = []
    wire()  # a new process: its start-up registers the session listeners, as the app's does
    db = Database(url)
    try:
        start.wait(timeout=60)
        for i in range(rows):
            try:
                with db.write() as session:
                    session.add(LoginAttempt(email=f"w{worker}-{i}@example.test", address="x"))
            except Exception as exc:  # every failure counts, whatever its kind
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        db.dispose()
        results.put((worker, errors))


@pytest.fixture
def sqlite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The children read TS_BUSY_MS when they import app.db; use the app's default, not
    # whatever the developer's shell says.
    monkeypatch.delenv("TS_BUSY_MS", raising=False)
    db = Database(f"sqlite:///{tmp_path / 'writers.db'}")
    metadata.create_all(db.engine)
    yield db
    db.dispose()


@pytest.mark.slow
def test_two_processes_write_1000_rows_each_without_errors(sqlite_db: Database) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_writer,
            args=(sqlite_db.url, worker, ROWS_PER_PROCESS, start, results),
        )
        for worker in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    try:
        reports = dict(results.get(timeout=120) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
        results.close()
        results.join_thread()

    assert [p.exitcode for p in procs] == [0] * PROCESSES
    errors = [e for worker in sorted(reports) for e in reports[worker]]
    assert errors == [], f"{len(errors)} errors, first: {errors[:3]}"
    assert _count(sqlite_db) == PROCESSES * ROWS_PER_PROCESS


def test_deferred_read_then_write_fails_at_once(sqlite_db: Database) -> None:
    """The failure mode write sessions avoid, played out step by step on two connections.

    Both read in a deferred transaction; one writes and commits; the other's write can then
    never succeed (its snapshot is stale), so SQLite refuses it at once, whatever busy_timeout.
    """
    first = sqlite_db.session()
    second = sqlite_db.session()
    try:
        assert first.exec(select(func.count()).select_from(LoginAttempt)).one() == 0
        assert second.exec(select(func.count()).select_from(LoginAttempt)).one() == 0

        first.add(LoginAttempt(email="first@example.test", address="x"))
        first.commit()

        second.add(LoginAttempt(email="second@example.test", address="x"))
        began = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            second.commit()
        waited = time.monotonic() - began
        second.rollback()
    finally:
        first.close()
        second.close()

    assert waited < SQLITE_BUSY_TIMEOUT_MS / 1000 / 2, "busy_timeout should not have been used"
    assert _count(sqlite_db) == 1


def test_write_sessions_take_turns_in_the_same_interleaving(sqlite_db: Database) -> None:
    """The same read-then-write with Database.write(): the second waits, then sees the first."""
    seen_by_second: list[int] = []
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            with sqlite_db.write() as session:
                seen = session.exec(select(func.count()).select_from(LoginAttempt)).one()
                seen_by_second.append(seen)
                session.add(LoginAttempt(email="second@example.test", address="x"))
        except BaseException as exc:
            failures.append(exc)

    with sqlite_db.write() as session:
        assert session.exec(select(func.count()).select_from(LoginAttempt)).one() == 0
        thread = threading.Thread(target=second_writer)
        thread.start()
        # The second writer is now blocked in BEGIN IMMEDIATE (or has not begun yet);
        # either way it cannot read until this transaction commits.
        thread.join(timeout=0.3)
        assert thread.is_alive(), "second writer got past BEGIN IMMEDIATE while we held it"
        session.add(LoginAttempt(email="first@example.test", address="x"))
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert failures == []
    assert seen_by_second == [1]
    assert _count(sqlite_db) == 2


def test_a_script_session_takes_the_write_lock_in_every_transaction(sqlite_db: Database) -> None:
    """After a commit a request's session reads without the write lock; a script's session
    (`writes_throughout`), calling service after service that each commit, keeps taking it
    from the first statement, so it waits its turn instead of failing on a lock upgrade."""
    wire()
    with sqlite_db.session(write=True) as request:
        request.exec(select(func.count()).select_from(LoginAttempt)).one()
        request.commit()
        assert not request.connection().get_execution_options().get(WRITE_OPTION)
    with sqlite_db.session(write=True, writes_throughout=True) as script:
        script.exec(select(func.count()).select_from(LoginAttempt)).one()
        script.commit()
        assert script.connection().get_execution_options().get(WRITE_OPTION)
