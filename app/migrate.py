"""Applying Alembic migrations programmatically (CLI, `make run`, tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from app.config import PROJECT_ROOT


def alembic_config() -> Config:
    return Config(str(PROJECT_ROOT / "alembic.ini"))


class BrokenReferences(RuntimeError):
    """A migration would leave rows pointing at rows that are not there."""


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """One transaction for a migration run.

    On SQLite, foreign keys are off while it runs: Alembic's batch mode rebuilds a table by
    copying it, dropping the old one and renaming the copy, and dropping `organization` with
    foreign keys on deletes every row that points at it (ON DELETE CASCADE) — all of an
    organization's locations, shops and answers. SQLite only honours the switch outside a
    transaction, so it is set on the driver's connection before the BEGIN; before the commit,
    `PRAGMA foreign_key_check` makes sure the rebuilt tables still point at real rows.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if raw is not None:
                    broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise BrokenReferences(f"rows point at missing rows: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` in one transaction."""
    cfg = alembic_config()
    with migration_connection(engine) as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the database behind `engine` to `revision` in one transaction."""
    cfg = alembic_config()
    with migration_connection(engine) as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)
