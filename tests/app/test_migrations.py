"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL.

The other tests build their tables with `metadata.create_all`; this module is what makes that
shortcut safe: migrating an empty database must leave no difference from the models.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from pprint import pformat
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.db import Database
from app.migrate import alembic_config, migrate
from app.schema import metadata
from tests.conftest import empty_database

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

# slow: runs every Alembic migration up and down
pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Database]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL schema."""
    with empty_database(tmp_path / "migrations.db") as database:
        yield database


def _drift(database: Database) -> list[Any]:
    """What autogenerate would write into a new migration; empty means no drift."""
    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                # The same comparison settings as app/migrations/env.py.
                "compare_type": True,
                "render_as_batch": conn.dialect.name == "sqlite",
            },
        )
        return list(compare_metadata(context, metadata))


def _current_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def _tables(database: Database) -> set[str]:
    # inspect() on the engine looks at the default schema: the test's own on PostgreSQL.
    return set(inspect(database.engine).get_table_names())


def _downgrade(database: Database, revision: str) -> None:
    cfg = alembic_config()
    with database.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def test_migrations_match_models(empty_db: Database) -> None:
    assert _tables(empty_db) == set()
    migrate(empty_db.engine)

    assert _current_revision(empty_db) == _head()
    diff = _drift(empty_db)
    assert diff == [], "models and migrations differ; autogenerate would emit:\n" + pformat(diff)
    # alembic_version sits next to the app's tables (in the test schema on PostgreSQL).
    assert _tables(empty_db) == set(metadata.tables) | {"alembic_version"}


def test_migrate_twice_is_harmless(empty_db: Database) -> None:
    migrate(empty_db.engine)
    with empty_db.write() as session:
        session.execute(
            text(
                "INSERT INTO organization (name, timezone, created_at) "
                "VALUES ('Kept Co', 'UTC', CURRENT_TIMESTAMP)"
            )
        )

    migrate(empty_db.engine)

    assert _current_revision(empty_db) == _head()
    with empty_db.engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM organization")).scalars().all()
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert names == ["Kept Co"]
    assert versions == [_head()]


def test_downgrade_to_base_then_upgrade(empty_db: Database) -> None:
    migrate(empty_db.engine)

    _downgrade(empty_db, "base")
    assert _current_revision(empty_db) is None
    assert _tables(empty_db) - {"alembic_version"} == set()

    migrate(empty_db.engine)
    assert _current_revision(empty_db) == _head()
    diff = _drift(empty_db)
    assert diff == [], "drift after downgrade and upgrade:\n" + pformat(diff)


def test_each_downgrade_returns_to_the_revision_before(empty_db: Database) -> None:
    """Step up and down one revision at a time: each downgrade undoes its upgrade's tables."""
    revisions = [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    revisions.reverse()  # oldest first
    before: set[str] = set()
    for revision in revisions:
        migrate(empty_db.engine, revision)
        after = _tables(empty_db) - {"alembic_version"}
        _downgrade(empty_db, "-1")
        assert _tables(empty_db) - {"alembic_version"} == before, f"downgrade of {revision}"
        migrate(empty_db.engine, revision)
        assert _tables(empty_db) - {"alembic_version"} == after, f"upgrade again to {revision}"
        before = after
    assert _current_revision(empty_db) == _head()
