"""Engine, connection tuning for SQLite and PostgreSQL, and the request session dependency."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("TS_BUSY_MS", "30000"))
# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
WRITE_OPTION = "touchstone_write"
# With WRITE_OPTION: the BEGIN IMMEDIATE does not wait for another process's write lock but
# fails at once (OperationalError, "database is locked"), for work run on the event loop.
NOWAIT_OPTION = "touchstone_nowait"


# Connections each server process keeps open to PostgreSQL (DB_POOL_SIZE); as many again may
# be opened for a moment (overflow) for background work. The request gate in app/main.py
# admits this many requests at a time.
DEFAULT_POOL_SIZE = 5


def make_engine(
    url: str, *, schema: str | None = None, pool_size: int = DEFAULT_POOL_SIZE
) -> Engine:
    """Create the engine for `url`, tuned for the embedded or the production database.

    `schema` (PostgreSQL only) puts every connection's search_path on that schema; the
    tests use it to give each test a fresh, empty database of its own.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            sqlite_file_create(Path(parsed.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _tune_sqlite(engine)
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def sqlite_file_create(path: Path) -> None:
    """Make the SQLite file, if it is not there yet, readable by its owner only (0600): it
    holds password hashes, two-step secrets and customers' contacts. SQLite gives the
    -wal and -shm files it makes beside it the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    os.chmod(path, 0o600)  # whatever the umask


# Rows ANALYZE reads of each index at most: enough for the planner to tell a shop's rows
# from an organization's, and quick on any size of file (SQLite's advice: 100-1000).
SQLITE_ANALYSIS_LIMIT = 1000


def sqlite_statistics_refresh(engine: Engine) -> None:
    """Give SQLite's query planner the statistics of the tables (ANALYZE, sqlite_stat1).

    Without them SQLite counts every index as equally selective, and its choice between
    `answer.org_id` (all the organization's answers) and `answer.shop_id` (one shop's) for
    the answer save's queries came down to the file's shape: on one file a save read a
    shop's 54 rows, on another the organization's thousands, five times the cost of the
    whole save (docs/performance.md, autosave). Run when the server starts (`touchstone
    serve`, `touchstone migrate`); PostgreSQL keeps its own statistics (autovacuum)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins, so that a
        # write transaction can take the write lock up front (BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that later writes can fail at once with "database is
        # locked" (busy_timeout cannot help a lock upgrade); an immediate one waits its turn.
        options = conn.get_execution_options()
        if options.get(NOWAIT_OPTION):
            # Straight on the driver's connection: two pragmas cost microseconds there.
            raw = conn.connection.dbapi_connection
            raw.execute("PRAGMA busy_timeout=0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        elif options.get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


# Set by app.wiring.wire() once the session listeners (tenancy first) are registered.
_wired = False


def mark_wired() -> None:
    global _wired
    _wired = True


class Database:
    """The engine pair an app instance uses: one for reads, one for writes."""

    def __init__(
        self, url: str, *, schema: str | None = None, pool_size: int = DEFAULT_POOL_SIZE
    ) -> None:
        self.url = url
        self.engine = make_engine(url, schema=schema, pool_size=pool_size)
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        # For work on the event loop (SQLite): its BEGIN IMMEDIATE fails at once
        # (OperationalError) when another process holds the write lock, instead of blocking
        # every request of this worker while it waits; the caller then takes the thread pool.
        self.nowait_engine = self.engine.execution_options(
            **{WRITE_OPTION: True, NOWAIT_OPTION: True}
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = False, writes_throughout: bool = False) -> Session:
        """A session; `write`: its transaction takes SQLite's write lock from its first
        statement. After a commit it reads without the lock (see _reads_after_commit), unless
        `writes_throughout`: for a script that calls several services in a row, each of
        which commits, so that every one of its transactions waits its turn for the lock
        instead of failing on a lock upgrade ("database is locked") while others write."""
        if not _wired:
            # Without the tenancy listener a session would read every organization's rows.
            raise RuntimeError("app.wiring.wire() has not run: no session before start-up")
        # close_resets_only=False: a closed session refuses further use instead of quietly
        # opening a new transaction (which, on SQLite, could hold the write lock forever).
        session = Session(
            self.write_engine if write else self.engine,
            expire_on_commit=False,
            close_resets_only=False,
        )
        if write and not writes_throughout:
            event.listen(session, "after_commit", self._reads_after_commit)
        return session

    def _reads_after_commit(self, session: Session) -> None:
        # Only the write itself needs the lock up front. What a request reads after its
        # commit (to draw the response) must not take SQLite's write lock again and hold it
        # while the response is rendered and sent: other shoppers are waiting to save.
        session.bind = self.engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transactions hold the write lock from their first statement.

        Commits what is left at the end; services may commit earlier steps themselves.
        """
        with self.session(write=True) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; unsafe methods get a write transaction from the start.

    Services commit their own work before the handler returns, so a failed commit is an
    error response, never a success reported for data that was not stored. Whatever is
    left uncommitted when the request ends is rolled back by close().
    """
    db = get_db(request)
    session = db.session(write=request.method not in SAFE_METHODS)
    try:
        yield session
    finally:
        # An async dependency closes on the event loop. A sync one would need a free worker
        # thread to release the connection (and SQLite's lock), and under load every thread
        # can be waiting for that very lock.
        session.close()


async def in_transaction(session: Session, work: Callable[..., T], *args: Any) -> T:
    """Run `work(*args)`, blocking database work of a request whose transaction has begun:
    on SQLite, right here on the event loop; otherwise in the thread pool.

    On SQLite, once a request's transaction has begun (its first statement, the credential's
    query, ran in the thread pool, where waiting for the write lock harms no one), none of
    its statements waits any more: a write transaction holds the one write lock from its
    start (`BEGIN IMMEDIATE`), and in WAL mode reads never wait for writers. What is left
    is CPU, and a hop to the thread pool and back cost more of it than a save's queries
    (docs/performance.md, autosave). On PostgreSQL every statement is a round trip to the
    server, so it runs in the thread pool, as does anything before the transaction begins.
    """
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        return work(*args)
    return await run_in_threadpool(work, *args)


SessionDep = Annotated[Session, Depends(get_session)]
DatabaseDep = Annotated[Database, Depends(get_db)]
