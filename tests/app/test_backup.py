"""`touchstone backup` and `touchstone restore`, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

The CLI runs against the database of test_cli's `env` fixture. A "fresh database" to restore
into is a new SQLite file, or on PostgreSQL a new database on the same server whose
search_path names the backed-up schema (a dump of a schema restores into that schema).
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from app.backup import _pg_target, read_manifest
from app.config import Settings
from app.db import Database
from app.migrate import alembic_config, migrate
from app.orgs.models import Location, Organization
from app.tenancy import scope_session
from tests.app.test_cli import TEST_DATABASE_URL, database_url, env, fails, ok  # noqa: F401

PW = "backup-password-123"
PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes that must come back \xff\xd9"


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]  # the CLI's environment


def opened(url: str) -> Database:
    """The database behind a DATABASE_URL, opened the way the app opens it."""
    resolved = Settings(_env_file=None, database_url=url, dev_mode=True)  # type: ignore[call-arg]
    return Database(resolved.resolved_database_url)


def table_counts(url: str) -> dict[str, int]:
    """Rows per table (the schema version table aside), counted independently of app.backup."""
    database = opened(url)
    try:
        with database.engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {
                name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in names
                if name != "alembic_version"
            }
    finally:
        database.dispose()


def revision(url: str) -> str:
    database = opened(url)
    try:
        with database.engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        database.dispose()


@pytest.fixture
def fresh_url(tmp_path: Path, env: str) -> Iterator[str]:  # noqa: F811
    """DATABASE_URL of another, empty database for the restore."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'restored' / 'touchstone.db'}"
        return
    name = f"r_{uuid.uuid4().hex[:16]}"
    admin = create_engine(
        "postgresql+psycopg://" + TEST_DATABASE_URL.split("://", 1)[1],
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        # Same server, same search_path option (the backed-up schema), another database.
        yield make_url(env).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def demo_with_photo() -> Path:
    ok("demo", "--password", PW)
    photo = settings().data_dir / "photos" / "1" / f"{uuid.uuid4()}.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(PHOTO)
    return photo


class Writer(threading.Thread):
    """Adds locations, one write transaction each, the way the app writes, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.db = opened(url)
        self.done = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None
        with self.db.session() as session:
            org_id = session.exec(select(Organization.id)).one()
        assert org_id is not None
        self.org_id = org_id

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.db.write() as session:
                    scope_session(session, self.org_id)
                    session.add(Location(org_id=self.org_id, name=f"Writer {self.done}"))
                self.done += 1
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def wait_for(self, rows: int) -> None:
        while self.done < rows and self.is_alive():
            self.stop.wait(0.005)

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=30)
        self.db.dispose()
        assert self.error is None, self.error


@pytest.mark.slow  # seeds the demo year through the CLI and backs it up under writes
def test_backup_during_writes_restores_identical_counts(
    env: str,  # noqa: F811
    fresh_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One demo seed (the slow part) for the whole story: back up while writes go on,
    restore into a fresh database, then roll the live database back to the backup."""
    photo = demo_with_photo()
    archive = tmp_path / "backups" / "touchstone.tar.gz"
    locations_before = table_counts(env)["location"]
    writer = Writer(env)
    writer.start()
    try:
        writer.wait_for(5)
        started = table_counts(env)["location"]
        result = ok("backup", "--out", str(archive))
        at_end = writer.done
        writer.wait_for(at_end + 5)  # writes carried on after the backup, too
    finally:
        writer.finish()

    manifest = read_manifest(archive)
    assert "Saved" in result.output and "1 photos" in result.output
    assert manifest.kind == ("postgresql" if TEST_DATABASE_URL else "sqlite")
    assert manifest.revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    # The snapshot lies inside the writes: some of them in it, the later ones not.
    assert started <= manifest.counts["location"] < locations_before + writer.done
    assert manifest.counts["answer"] > 0 and manifest.counts["shop"] > 0
    assert not list(archive.parent.glob(".*")), "temporary files left beside the backup"

    # Into a fresh database and data folder: the same rows, the same photo.
    live_data = settings().data_dir
    with monkeypatch.context() as fresh:
        fresh.setenv("DATABASE_URL", fresh_url)
        fresh.setenv("DATA_DIR", str(tmp_path / "restored-data"))
        result = ok("restore", str(archive))
    assert "Restored" in result.output
    assert table_counts(fresh_url) == manifest.counts
    assert revision(fresh_url) == manifest.revision
    restored_photo = tmp_path / "restored-data" / photo.relative_to(live_data)
    assert restored_photo.read_bytes() == PHOTO

    # Into the live database, which has moved on since: refused, and nothing touched...
    ok("org", "create", "--name", "Added after the backup")
    stray = photo.with_name("added-after-the-backup.jpg")
    stray.write_bytes(b"later")
    photo.write_bytes(b"changed")
    changed = table_counts(env)
    assert changed != manifest.counts

    result = fails("restore", str(archive))

    assert "not empty" in result.stderr and "--force" in result.stderr
    assert table_counts(env) == changed
    assert stray.exists() and photo.read_bytes() == b"changed"

    # ...unless forced: then the database and the photos are the backup's again.
    ok("restore", str(archive), "--force")

    assert table_counts(env) == manifest.counts
    database = opened(env)
    try:
        with database.session() as session:
            names = session.exec(select(Organization.name)).all()
    finally:
        database.dispose()
    assert "Added after the backup" not in names
    assert not stray.exists() and photo.read_bytes() == PHOTO


def test_restore_refuses_what_is_not_a_touchstone_backup(
    env: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    ok("migrate")
    random_file = tmp_path / "random.bin"
    random_file.write_bytes(uuid.uuid4().bytes * 100)
    other_tar = tmp_path / "other.tar.gz"
    with tarfile.open(other_tar, "w:gz") as tar:
        tar.add(random_file, arcname="notes.txt")

    for path in (random_file, other_tar):
        result = fails("restore", str(path))
        assert f"{path} is not a Touchstone backup." in result.stderr
        assert "Traceback" not in result.output
    assert "does not exist" in fails("restore", str(tmp_path / "missing.tar.gz")).stderr


def test_restore_refuses_a_backup_of_the_other_database_kind(
    env: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    ok("migrate")
    other = "sqlite" if TEST_DATABASE_URL else "postgresql"
    manifest = {"app": "touchstone", "format": 1, "kind": other, "revision": "x", "counts": {}}
    archive = tmp_path / "other-kind.tar.gz"
    body = json.dumps(manifest).encode()
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))

    result = fails("restore", str(archive))

    assert f"backup of a {other} database" in result.stderr
    assert "not supported" in result.stderr


def test_backup_of_a_database_without_tables_is_refused(
    env: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    if not TEST_DATABASE_URL:
        database = opened(env)
        database.engine.connect().close()  # an empty SQLite file
        database.dispose()
    result = fails("backup", "--out", str(tmp_path / "nothing.tar.gz"))
    assert "nothing to back up" in result.stderr
    assert not (tmp_path / "nothing.tar.gz").exists()


def test_a_backup_from_an_older_schema_is_upgraded_on_restore(
    env: str,  # noqa: F811
    fresh_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    oldest = script.get_base()
    assert isinstance(oldest, str) and oldest != script.get_current_head()
    database = opened(env)
    try:
        migrate(database.engine, revision=oldest)
    finally:
        database.dispose()
    archive = tmp_path / "old.tar.gz"
    ok("backup", "--out", str(archive))
    assert read_manifest(archive).revision == oldest

    monkeypatch.setenv("DATABASE_URL", fresh_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "restored-data"))
    ok("restore", str(archive))

    assert revision(fresh_url) == script.get_current_head()


def test_the_postgresql_password_goes_by_environment_not_command_line() -> None:
    uri, environment = _pg_target("postgresql+psycopg://app:s%40cret@db:5432/ts?options=-cx%3Dy")

    assert uri == "postgresql://app@db:5432/ts?options=-cx%3Dy"
    assert environment["PGPASSWORD"] == "s@cret"
