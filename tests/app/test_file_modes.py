"""The SQLite database (with its -wal and -shm files) and `touchstone backup` archives are
made readable by their owner only (0600), whatever the umask: they hold password hashes,
two-step secrets and customers' contacts."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import Database
from app.main import create_app
from tests.app.test_cli import TEST_DATABASE_URL, database_url, env, ok  # noqa: F401

pytestmark = [
    pytest.mark.db,
    pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite files; PostgreSQL has none"),
]

PW = "file-modes-password-1"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default: new files readable by everyone."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_the_database_and_its_wal_files_are_0600(
    env: str,  # noqa: F811
    open_umask: None,
    tmp_path: Path,
) -> None:
    ok("migrate")
    path = Path(env.removeprefix("sqlite:///"))
    assert mode(path) == 0o600

    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # the CLI's environment
    db = Database(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings, db=db)) as client:
            page = client.get("/login")
            csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
            # A failed login is written down (the throttle's count): the app writes.
            client.post(
                "/login", data={"email": "x@example.com", "password": "nope", "csrf_token": csrf}
            )
            wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        db.dispose()


def test_backups_are_0600(
    env: str,  # noqa: F811
    open_umask: None,
    tmp_path: Path,
) -> None:
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--password", PW)
    archive = tmp_path / "backups" / "touchstone.tar.gz"

    ok("backup", "--out", str(archive))

    assert mode(archive) == 0o600
