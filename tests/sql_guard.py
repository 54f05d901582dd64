"""The suite's watch on textual SQL: a query on an organization's table must come from
`app.tenancy.org_sql`.

Every statement the project's code sends to the database during the tests passes through
SQLAlchemy's `before_cursor_execute`. One that is textual (`text(...)`, `exec_driver_sql`) and
names an organization's table fails the test unless `org_sql` built it: that is the
statement as the database receives it, however it was put together (an aliased `text`, a
string concatenation, a helper in another module), so renaming or wrapping does not hide it.
Code the tests run is covered; tests/app/test_tenancy_sql.py adds a static walk so a textual
query on a path no test reaches cannot creep in unseen either.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import TextClause

from app.tenancy import ALL_ORGS, ORG_SQL, unscoped_references

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "touchpoints", "audits", "recovery", "reports")
# Deliberately unscoped, and why: a backup copies (and counts) every organization's rows; a
# migration changes the schema for all of them.
EXEMPT = ("app/backup.py", "app/migrations/")


class UnscopedTextualSQL(AssertionError):
    pass


def _caller() -> str | None:
    """The project module (relative path) nearest to the statement, or None when a test
    itself sent it (tests may read and write any organization's rows directly)."""
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path == Path(__file__):
            frame = frame.f_back  # type: ignore[assignment]
            continue
        try:
            relative = path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            relative = ""
        if relative and not relative.startswith(".venv/"):
            if relative.startswith(PACKAGES):
                return relative
            if relative.startswith("tests/"):
                return None
        frame = frame.f_back  # type: ignore[assignment]
    return None


def check_statement(statement: str, context: Any) -> None:
    """Raise UnscopedTextualSQL if project code runs textual SQL on an organization's table
    that did not come through `org_sql`."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None and not isinstance(compiled.statement, TextClause):
        return  # built by the ORM or Core: the session's scope hooks apply
    sql = compiled.statement.text if compiled is not None else statement
    options = getattr(context, "execution_options", {}) or {}
    if options.get(ORG_SQL) is not None or options.get(ALL_ORGS):
        return
    # A statement with no placeholders is judged as written: anything it reads of an
    # organization's tables is unscoped.
    if not unscoped_references(sql):
        return
    caller = _caller()
    if caller is None or caller.startswith(EXEMPT):
        return
    raise UnscopedTextualSQL(
        f"{caller} runs textual SQL on an organization's table without app.tenancy.org_sql: "
        f"{' '.join(sql.split())[:300]}"
    )


@pytest.fixture(autouse=True, scope="session")
def textual_sql_guard() -> Iterator[None]:
    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):  # type: ignore[no-untyped-def]
        check_statement(statement, context)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", before)
