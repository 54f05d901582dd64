"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL.

The other tests build their tables with `metadata.create_all`; this module is what makes that
shortcut safe: migrating an empty database must leave no difference from the models.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from pprint import pformat
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, inspect, text

from app.db import Database
from app.migrate import alembic_config, downgrade, migrate
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


def _without(table: Table, *names: str) -> Table:
    """`table` as an older revision had it: the current table less columns added since."""
    columns = [column._copy() for column in table.columns if column.name not in names]
    return Table(table.name, MetaData(), *columns)


def _tables(database: Database) -> set[str]:
    # inspect() on the engine looks at the default schema: the test's own on PostgreSQL.
    return set(inspect(database.engine).get_table_names())


def _downgrade(database: Database, revision: str) -> None:
    downgrade(database.engine, revision)


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


def test_stored_scores_are_recomputed_at_full_precision(empty_db: Database) -> None:
    """e2c4a6b8d0f1: percents stored rounded to one decimal are recomputed exactly from the
    points each score snapshot keeps (and rounded back on downgrade)."""
    migrate(empty_db.engine, "b7d1e4c2a9f3")
    t = metadata.tables
    rounded = {
        "earned": 14.0 + 0.0,
        "possible": 15.0 + 6.0,
        "sections": [
            {"touchpoint_id": 0, "percent": 93.3, "earned": 14.0, "possible": 15.0},
            {"touchpoint_id": 0, "percent": 0.0, "earned": 0.0, "possible": 6.0},
        ],
    }
    with empty_db.engine.begin() as conn:
        # short_code came later (f3a9c1d2b4e8), near_target later still (9d4b7e2a6c13), the
        # checklist languages (d5a3e9c1b7f2) and location_check (c8d2e4f6a1b3) last.
        org_table = _without(
            t["organization"],
            "short_code",
            "near_target",
            "languages",
            "report_language",
            "location_check",
        )
        org = conn.execute(org_table.insert().values(name="Old Co")).inserted_primary_key[0]
        loc = conn.execute(
            _without(t["location"], "short_code").insert().values(org_id=org, name="High St")
        )
        stage = conn.execute(t["stage"].insert().values(org_id=org, name="Paying"))
        tps = [
            conn.execute(
                t["touchpoint"]
                .insert()
                .values(org_id=org, name=name, stage_id=stage.inserted_primary_key[0])
            ).inserted_primary_key[0]
            for name in ("Bill", "Goodbye")
        ]
        for section, tp in zip(rounded["sections"], tps, strict=True):
            section["touchpoint_id"] = tp
        # The job board's columns came later (7b1d3f5a9c20).
        shop_table = _without(
            t["shop"],
            "fee_minor",
            "fee_currency",
            "posted_at",
            "job_tags",
            "job_region",
            "window_flag",
            "language",
        )
        shop = conn.execute(
            shop_table.insert().values(
                org_id=org,
                location_id=loc.inserted_primary_key[0],
                score=66.7,
                score_detail=rounded,
            )
        ).inserted_primary_key[0]
        unscored = conn.execute(
            shop_table.insert().values(org_id=org, location_id=loc.inserted_primary_key[0])
        ).inserted_primary_key[0]
        for position, (tp, pct) in enumerate(zip(tps, (93.3, 0.0), strict=True), start=1):
            conn.execute(
                t["shop_touchpoint"]
                .insert()
                .values(
                    org_id=org, shop_id=shop, touchpoint_id=tp, position=position, score_pct=pct
                )
            )

    def stored() -> tuple[Any, ...]:
        with empty_db.engine.connect() as conn:
            score, detail = conn.execute(
                text("SELECT score, score_detail FROM shop WHERE id = :id"), {"id": shop}
            ).one()
            pcts = conn.execute(
                text("SELECT score_pct FROM shop_touchpoint WHERE shop_id = :id ORDER BY position"),
                {"id": shop},
            ).scalars()
            other = conn.execute(
                text("SELECT score, score_detail FROM shop WHERE id = :id"), {"id": unscored}
            ).one()
            if isinstance(detail, str):
                detail = json.loads(detail)
            return score, [s["percent"] for s in detail["sections"]], list(pcts), tuple(other)

    migrate(empty_db.engine, "e2c4a6b8d0f1")
    assert stored() == (
        pytest.approx(100 * 14 / 21),
        [pytest.approx(100 * 14 / 15), 0.0],
        [pytest.approx(100 * 14 / 15), 0.0],
        (None, None),
    )
    _downgrade(empty_db, "-1")
    assert stored() == (66.7, [93.3, 0.0], [93.3, 0.0], (None, None))


def test_existing_organizations_get_english_checklists(empty_db: Database) -> None:
    """d5a3e9c1b7f2: an organization made before checklist languages writes and prints in
    English; its touchpoints and questions have no translations, its shops no language."""
    migrate(empty_db.engine, "b7c1d9e2f4a6")
    t = metadata.tables
    with empty_db.engine.begin() as conn:
        org = conn.execute(
            _without(t["organization"], "languages", "report_language", "location_check")
            .insert()
            .values(name="Old Co")
        ).inserted_primary_key[0]
        stage = conn.execute(t["stage"].insert().values(org_id=org, name="Visit"))
        conn.execute(
            _without(t["touchpoint"], "translations")
            .insert()
            .values(org_id=org, name="Door", stage_id=stage.inserted_primary_key[0])
        )
    migrate(empty_db.engine, "d5a3e9c1b7f2")
    with empty_db.engine.connect() as conn:
        languages, report = conn.execute(
            text("SELECT languages, report_language FROM organization WHERE id = :id"),
            {"id": org},
        ).one()
        translations = conn.execute(text("SELECT translations FROM touchpoint")).scalar_one()
    if isinstance(languages, str):
        languages = json.loads(languages)
    assert (languages, report, translations) == (["en"], "en", None)
    _downgrade(empty_db, "-1")
    with empty_db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM organization")).scalar_one() == "Old Co"


def test_location_check_migration_keeps_rows_and_starts_off(empty_db: Database) -> None:
    """c8d2e4f6a1b3: an existing organization gets the location check off and its locations
    no coordinates; a downgrade drops them again and keeps the rows."""
    migrate(empty_db.engine, "b7c1d9e2f4a6")
    t = metadata.tables
    with empty_db.engine.begin() as conn:
        org = conn.execute(
            _without(t["organization"], "languages", "report_language", "location_check")
            .insert()
            .values(name="Old Co")
        ).inserted_primary_key[0]
        conn.execute(
            _without(t["location"], "latitude", "longitude")
            .insert()
            .values(org_id=org, name="High St")
        )
    migrate(empty_db.engine, "c8d2e4f6a1b3")
    with empty_db.engine.connect() as conn:
        check = conn.execute(text("SELECT location_check FROM organization")).scalar_one()
        point = conn.execute(text("SELECT latitude, longitude FROM location")).one()
    assert check in (False, 0)
    assert tuple(point) == (None, None)
    assert "visit_location_check" in _tables(empty_db)
    _downgrade(empty_db, "b7c1d9e2f4a6")
    assert "visit_location_check" not in _tables(empty_db)
    with empty_db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM location")).scalar_one() == "High St"
