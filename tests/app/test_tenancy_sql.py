"""Textual SQL on an organization's tables goes through `app.tenancy.org_sql`, and only it."""

from __future__ import annotations

import ast
import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text, update
from sqlmodel import Session, col, select

from app.db import Database, in_transaction
from app.modelbase import ident
from app.orgs.models import Location
from app.tenancy import (
    OrgConnection,
    UnscopedSQL,
    org_core,
    org_param,
    org_rows,
    org_sql,
    scope_session,
)
from audits.models import Shop
from tests.factories import make_location, make_org
from tests.sql_guard import ROOT, UnscopedTextualSQL

PACKAGES = ("app", "touchpoints", "audits", "recovery", "reports")
# Names that make or send SQL text, and where they may appear. None of these modules names
# an organization's table (the guard in tests/sql_guard.py would stop it at run time); each
# is here for a reason.
TEXTUAL_NAMES = frozenset(
    {"text", "TextClause", "literal_column", "exec_driver_sql", "dbapi_connection", "cursor"}
)
ALLOWED = {
    "app/tenancy.py": "org_sql itself",
    "app/db.py": "SQLite's pragmas and BEGIN IMMEDIATE",
    "app/token_use.py": "the lock timeouts of a token's last-use write",
    "app/security.py": "an advisory lock (rate limits)",
    "recovery/complaints/throttle.py": "an advisory lock (complaint throttle)",
    "app/backup.py": "a backup counts and copies every organization's rows, on purpose",
}


def _sql_text_uses(tree: ast.AST) -> list[str]:
    """Where a module imports or calls something that builds or sends SQL text."""
    found: list[str] = []
    sql_modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "sqlalchemy",
            "sqlmodel",
        ):
            found += [
                f"line {node.lineno}: imports {a.name}"
                for a in node.names
                if a.name in TEXTUAL_NAMES
            ]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("sqlalchemy", "sqlmodel"):
                    sql_modules.add((alias.asname or alias.name).split(".")[0])
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or node.attr not in TEXTUAL_NAMES:
            continue
        on_module = isinstance(node.value, ast.Name) and node.value.id in sql_modules
        if on_module or node.attr in ("exec_driver_sql", "dbapi_connection", "cursor"):
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def package_modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def test_only_org_sql_and_a_few_named_modules_write_sql_text() -> None:
    offenders = {}
    for path in package_modules():
        name = path.relative_to(ROOT).as_posix()
        uses = _sql_text_uses(ast.parse(path.read_text(), filename=name))
        if uses and name not in ALLOWED:
            offenders[name] = uses
    assert offenders == {}, (
        "Textual SQL outside app/tenancy.py: run it through app.tenancy.org_sql with an "
        f"ORG_SCOPE(alias) for each organization's table. {offenders}"
    )


def test_org_sql_reads_only_the_scoped_organization(session: Session) -> None:
    ours, theirs = make_org(session), make_org(session)
    make_location(session, ours, name="Ours")
    make_location(session, theirs, name="Theirs")
    scope_session(session, ident(ours))
    rows = org_sql(
        session,
        "SELECT l.name FROM location AS l WHERE ORG_SCOPE(l) AND l.region = :r",
        {"r": "North"},
    ).all()
    assert [name for (name,) in rows] == ["Ours"]
    org = org_sql(session, "SELECT name FROM organization WHERE ORG_SCOPE(organization)").all()
    assert [name for (name,) in org] == [ours.name]


def test_org_sql_refuses_a_session_without_an_organization(session: Session) -> None:
    with pytest.raises(UnscopedSQL, match="scoped session"):
        org_sql(session, "SELECT l.id FROM location AS l WHERE ORG_SCOPE(l)")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT COUNT(*) FROM shop",
        "SELECT s.id FROM shop AS s JOIN location AS l ON l.id = s.location_id WHERE ORG_SCOPE(s)",
        "SELECT shop.id FROM shop, location WHERE ORG_SCOPE(shop)",
        "SELECT l.id FROM location AS l WHERE ORG_SCOPE(x)",
        "SELECT s.id FROM shop AS s WHERE ORG_SCOPE(s) UNION SELECT s.id FROM shop AS s",
    ],
)
def test_org_sql_refuses_an_organization_table_without_its_scope(
    session: Session, sql: str
) -> None:
    scope_session(session, ident(make_org(session)))
    with pytest.raises(UnscopedSQL):
        org_sql(session, sql)


def test_the_suite_stops_textual_sql_that_bypasses_org_sql(session: Session) -> None:
    # The same code as if a module of the reports package had written it.
    source = (
        "def count_shops(session):\n"
        "    return session.connection().execute(text('SELECT COUNT(*) FROM shop')).all()\n"
        "def count_scoped(session):\n"
        "    return org_sql(session, 'SELECT COUNT(*) FROM shop WHERE ORG_SCOPE(shop)').all()\n"
    )
    namespace = {"text": text, "org_sql": org_sql}
    exec(compile(source, str(ROOT / "reports" / "queries.py"), "exec"), namespace)
    scope_session(session, ident(make_org(session)))
    with pytest.raises(UnscopedTextualSQL, match="reports/queries.py runs textual SQL"):
        namespace["count_shops"](session)  # type: ignore[operator]
    session.rollback()
    assert namespace["count_scoped"](session) == [(0,)]  # type: ignore[operator]


# --- a statement built once is scoped to each session's organization -------------------------

_LOCATION_NAMES = select(Location.name).order_by(col(Location.name))


def test_a_statement_built_once_reads_each_organizations_rows_only(session: Session) -> None:
    """Tenancy keeps each statement's scoped form (app.tenancy, for speed): by statement and
    organization, never one organization's form for another's session."""
    ours, theirs = make_org(session), make_org(session)
    make_location(session, ours, name="Ours")
    make_location(session, theirs, name="Theirs")
    ours_id, theirs_id = ident(ours), ident(theirs)
    for org_id, expected in [(ours_id, "Ours"), (theirs_id, "Theirs"), (ours_id, "Ours")]:
        scope_session(session, org_id)
        assert session.exec(_LOCATION_NAMES).all() == [expected]
    # A statement made afresh each time (so its id may be reused) is scoped as well.
    for org_id, expected in [(theirs_id, "Theirs"), (ours_id, "Ours")]:
        scope_session(session, org_id)
        assert session.exec(select(Location.name)).all() == [expected]


# --- app.db.in_transaction --------------------------------------------------------------------


def test_in_transaction_stays_on_the_loop_only_inside_a_begun_sqlite_transaction(
    session: Session,
) -> None:
    def thread_of() -> int:
        return threading.get_ident()

    async def where() -> tuple[int, int, int]:
        loop_thread = threading.get_ident()
        before = await in_transaction(session, thread_of)  # nothing begun yet
        session.exec(select(Location.id)).all()  # the transaction begins
        after = await in_transaction(session, thread_of)
        return loop_thread, before, after

    loop_thread, before, after = asyncio.run(where())
    assert before != loop_thread  # may wait for a lock: the thread pool
    if session.get_bind().dialect.name == "sqlite":
        assert after == loop_thread  # can no longer wait: no hop
    else:
        assert after != loop_thread  # every statement a round trip: the thread pool


# --- Core statements: app.tenancy.org_core ----------------------------------------------------

_OURS_CORE = select(col(Location.name)).where(col(Location.org_id) == org_param())


def test_org_core_binds_the_organization_of_a_session_or_a_connection(
    session: Session, db: Database
) -> None:
    ours, theirs = make_org(session), make_org(session)
    make_location(session, ours, name="Ours")
    make_location(session, theirs, name="Theirs")
    ours_id, theirs_id = ident(ours), ident(theirs)
    scope_session(session, ours_id)
    assert org_core(session, _OURS_CORE).scalars().all() == ["Ours"]
    session.rollback()
    with db.engine.connect() as connection:
        scoped = OrgConnection(connection, theirs_id)
        assert org_core(scoped, _OURS_CORE).scalars().all() == ["Theirs"]


def test_org_core_refuses_a_session_without_an_organization(session: Session) -> None:
    with pytest.raises(UnscopedSQL, match="scoped session"):
        org_core(session, _OURS_CORE)


@pytest.mark.parametrize(
    "statement",
    [
        select(col(Location.name)),  # no filter at all
        # the location filtered, the shop it joins not
        select(col(Location.name), col(Shop.id))
        .join(Shop, col(Shop.location_id) == col(Location.id))
        .where(col(Location.org_id) == org_param()),
        select(col(Location.name)).where(col(Location.org_id) == 1),  # a fixed organization
        insert(Location).values(name="x", region="", address=""),  # a row not stamped
        update(Location).values(name="x"),
    ],
)
def test_org_core_refuses_a_statement_without_the_organizations_filter(
    session: Session, statement: Any
) -> None:
    scope_session(session, ident(make_org(session)))
    with pytest.raises(UnscopedSQL, match="no organization filter on"):
        org_core(session, statement)


def test_org_rows_binds_checks_and_converts_as_org_core_does(
    session: Session, db: Database
) -> None:
    """The lane's executor (statements compiled once, sent to the driver): the organization
    bound, an unscoped statement refused, the values coming out as SQLAlchemy gives them."""
    ours, theirs = make_org(session), make_org(session)
    make_location(session, ours, name="Ours")
    make_location(session, theirs, name="Theirs")
    ours_id = ident(ours)
    through_core = select(col(Location.name), col(Location.created_at), col(Location.id)).where(
        col(Location.org_id) == org_param()
    )
    scope_session(session, ours_id)
    expected = [tuple(row) for row in org_core(session, through_core).all()]
    session.rollback()
    with db.engine.connect() as connection:
        scoped = OrgConnection(connection, ours_id)
        for _ in range(2):  # compiled on the first call, reused on the second
            assert org_rows(scoped, through_core, {}) == expected
        assert expected[0][0] == "Ours" and expected[0][1].tzinfo is not None
        with pytest.raises(UnscopedSQL, match="no organization filter on location"):
            org_rows(scoped, select(col(Location.name)), {})
