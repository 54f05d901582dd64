"""What the `touchstone` command's modules share (app/cli.py, reports/cli.py): a one-line
failure, the settings without a traceback, and the database migrated to the current schema."""

from __future__ import annotations

import typer

from app.config import Settings, get_settings
from app.db import Database


def fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def settings() -> Settings:
    """The settings, or a one-line error: a traceback would also print their values (secrets)."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            names = ".".join(str(part).upper() for part in error["loc"])
            problems.append(f"{names}: {message}" if names else message)
        raise fail("Configuration error: " + "; ".join(problems)) from None


def database() -> Database:
    """The database, migrated to the current schema (harmless when it already is)."""
    from app.migrate import migrate as run

    settings_ = settings()
    db = Database(settings_.resolved_database_url, pool_size=settings_.db_pool_size)
    run(db.engine)
    return db
