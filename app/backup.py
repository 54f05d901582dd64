"""`touchstone backup` and `touchstone restore`: one .tar.gz with the database and the photos.

The archive holds `manifest.json` (what it is, from which schema revision, how many rows per
table), the database (SQLite: a copy made with SQLite's online backup API; PostgreSQL: a
`pg_dump --format=custom` of the app's schema) and `photos/` from the data directory.

A backup may run while the server writes: SQLite copies one read snapshot (WAL readers never
wait for writers), and on PostgreSQL pg_dump reads the snapshot in which the rows were counted,
so the manifest's counts are exactly what the archive restores. The database is copied before
the photos: a photo's file is written before its row is committed, so every photo row in the
snapshot finds its file.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from app.clock import utcnow
from app.db import SQLITE_BUSY_TIMEOUT_MS, Database, sqlite_file_create
from app.migrate import alembic_config, migrate

FORMAT = 1
APP = "touchstone"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
PHOTOS = "photos"
VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Manifest:
    kind: str  # "sqlite" or "postgresql"
    revision: str | None
    counts: dict[str, int]
    schema: str | None = None  # PostgreSQL: the schema the app's tables live in
    photos: int = 0
    created_at: str = field(default_factory=lambda: utcnow().isoformat())
    app_version: str = ""
    app: str = APP
    format: int = FORMAT


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("touchstone")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


# --- backup --------------------------------------------------------------------------------


def backup(url: str, data_dir: Path, out: Path) -> Manifest:
    """Write a backup of the database at `url` and the photos in `data_dir` to `out`.

    The archive is written under a temporary name and renamed when complete, so `out` is
    either the previous file or a whole new backup, never half of one.
    """
    kind = _kind(url)
    out = out.resolve()
    if out.is_dir():
        raise BackupError(f"{out} is a directory; give the backup file's name.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".touchstone-backup-") as tmp:
        work = Path(tmp)
        if kind == "sqlite":
            dump = work / SQLITE_FILE
            manifest = _sqlite_dump(url, dump)
        else:
            dump = work / PG_FILE
            manifest = _pg_dump(url, dump)
        photos = data_dir / PHOTOS
        photo_files = sorted(p for p in photos.rglob("*") if p.is_file()) if photos.is_dir() else []
        manifest.photos = len(photo_files)
        manifest.app_version = _app_version()
        partial = work / "backup.tar.gz"
        # Readable by its owner only (0600), whatever the umask: it holds password hashes,
        # two-step secrets and customers' contacts.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.chmod(partial, 0o600)
        with tarfile.open(partial, "w:gz") as tar:
            body = json.dumps(asdict(manifest), indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(utcnow().timestamp())
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname=dump.name)
            for path in photo_files:
                try:
                    tar.add(path, arcname=f"{PHOTOS}/{path.relative_to(photos).as_posix()}")
                except FileNotFoundError:  # removed since the listing: not in the snapshot
                    manifest.photos -= 1
        os.replace(partial, out)
    return manifest


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)


def _sqlite_dump(url: str, dump: Path) -> Manifest:
    path = _sqlite_path(url)
    if not path.is_file():
        raise BackupError(f"There is no database at {path}: nothing to back up.")
    source = _sqlite_connect(path)
    target = sqlite3.connect(dump)
    try:
        # All pages in one step: one read transaction, so one consistent snapshot; writers
        # carry on meanwhile (WAL), and none of their later commits can restart the copy.
        source.backup(target, pages=-1)
        # A self-contained file: no -wal beside it that the archive would have to carry.
        target.execute("PRAGMA journal_mode=DELETE")
        counts, revision = _sqlite_contents(target)
    finally:
        target.close()
        source.close()
    if revision is None:
        raise BackupError("The database has no Touchstone tables: nothing to back up.")
    return Manifest(kind="sqlite", revision=revision, counts=counts)


def _sqlite_contents(conn: sqlite3.Connection) -> tuple[dict[str, int], str | None]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    counts = {
        name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for name in sorted(tables)
        if name != VERSION_TABLE
    }
    revision = None
    if VERSION_TABLE in tables:
        row = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
        revision = row[0] if row else None
    return counts, revision


def _pg_contents(conn: Connection, schema: str) -> tuple[dict[str, int], str | None]:
    tables = inspect(conn).get_table_names(schema=schema)
    counts = {
        name: conn.execute(text(f'SELECT count(*) FROM "{schema}"."{name}"')).scalar_one()
        for name in sorted(tables)
        if name != VERSION_TABLE
    }
    revision = None
    if VERSION_TABLE in tables:
        revision = conn.execute(
            text(f'SELECT version_num FROM "{schema}".{VERSION_TABLE}')
        ).scalar_one_or_none()
    return counts, revision


def _pg_schema(conn: Connection) -> str:
    """The schema the app's tables are in: the first of the search_path (it may not exist)."""
    current = conn.execute(text("SELECT current_schema()")).scalar()
    if current:
        return str(current)
    path = str(conn.execute(text("SHOW search_path")).scalar() or "public")
    first = path.split(",")[0].strip().strip('"')
    return first if first and first != "$user" else "public"


def _pg_tool(name: str, conn: Connection) -> str:
    """The path of pg_dump or pg_restore, if its major version can talk to this server."""
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools "
            "(e.g. apt install postgresql-client) matching the server's version."
        )
    output = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"\)\s*(\d+)", output)
    server = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    if match is None or int(match.group(1)) < server:
        found = match.group(1) if match else "unknown"
        raise BackupError(
            f"{name} is version {found} but the server is PostgreSQL {server}: "
            f"install the client tools of version {server} (or newer)."
        )
    return tool


def _pg_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the client tools, and the environment carrying the password.

    The password goes through PGPASSWORD, not the command line other users can read in `ps`.
    Options such as `options=-csearch_path=...` stay in the URI.
    """
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    # URL.set() ignores None, so _replace (URL is a named tuple) drops the password.
    bare = parsed.set(drivername="postgresql")._replace(password=None)
    uri = bare.render_as_string(hide_password=False)
    return uri, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit code {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def _pg_dump(url: str, dump: Path) -> Manifest:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # Count the rows in the snapshot pg_dump then reads: the manifest's figures
                # are what the dump holds, however many rows were written meanwhile.
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                schema = _pg_schema(conn)
                counts, revision = _pg_contents(conn, schema)
                if revision is None:
                    raise BackupError(
                        f"Schema {schema!r} has no Touchstone tables: nothing to back up."
                    )
                tool = _pg_tool("pg_dump", conn)
                uri, env = _pg_target(url)
                args = [tool, "--format=custom", f"--snapshot={snapshot}", "--no-owner"]
                args += ["--no-privileges", f"--schema={schema}", f"--file={dump}", uri]
                _run(args, env, "pg_dump")
    finally:
        db.dispose()
    return Manifest(kind="postgresql", revision=revision, counts=counts, schema=schema)


# --- restore -------------------------------------------------------------------------------


def read_manifest(archive: Path) -> Manifest:
    """The manifest of a Touchstone backup, or a BackupError saying that it is not one."""
    not_ours = f"{archive} is not a Touchstone backup."
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist.")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST or not member.isfile():
                raise BackupError(not_ours)
            handle = tar.extractfile(member)
            data: Any = json.loads(handle.read(1_000_000)) if handle else None
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError(not_ours) from exc
    if not isinstance(data, dict) or data.get("app") != APP:
        raise BackupError(not_ours)
    if data.get("format") != FORMAT:
        raise BackupError(
            f"{archive} is a Touchstone backup of format {data.get('format')}; "
            f"this version reads format {FORMAT}."
        )
    try:
        return Manifest(**data)
    except TypeError as exc:
        raise BackupError(not_ours) from exc


def _check_revision(manifest: Manifest) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    known = None
    try:
        if manifest.revision:
            known = ScriptDirectory.from_config(alembic_config()).get_revision(manifest.revision)
    except CommandError:
        pass
    if known is None:
        raise BackupError(
            f"The backup is of schema revision {manifest.revision}, which this version of "
            f"Touchstone does not know (made by version {manifest.app_version}?). "
            "Upgrade Touchstone, then restore."
        )


def restore(archive: Path, url: str, data_dir: Path, *, force: bool = False) -> Manifest:
    """Replace the database at `url` and the photos in `data_dir` with the backup's.

    Refuses a database that holds any rows unless `force`. Migrates afterwards, so a backup
    from an older version comes back on the current schema. Meant for a stopped server.
    """
    manifest = read_manifest(archive)
    kind = _kind(url)
    if manifest.kind != kind:
        raise BackupError(
            f"This is a backup of a {manifest.kind} database; the target is {kind}. "
            "Restoring across database kinds is not supported: restore into a "
            f"{manifest.kind} database."
        )
    _check_revision(manifest)
    db = Database(url)
    try:
        rows = _rows(db, manifest)
        if rows and not force:
            raise BackupError(
                f"The target database is not empty ({rows} rows). Restoring would replace "
                "them; add --force to do so."
            )
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".touchstone-restore-") as tmp:
            work = Path(tmp)
            _extract(archive, work)
            if kind == "sqlite":
                _sqlite_load(work / SQLITE_FILE, _sqlite_path(url))
            else:
                _pg_load(work / PG_FILE, url, db)
            _replace_photos(work / PHOTOS, data_dir / PHOTOS, work)
        db.dispose()  # connections opened before the restore must not see the old file
        migrate(db.engine)
    finally:
        db.dispose()
    return manifest


def _rows(db: Database, manifest: Manifest) -> int:
    """How many rows the target's tables hold (the schema version table aside)."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            counts, _ = _sqlite_contents(conn.connection.dbapi_connection)  # type: ignore[arg-type]
        else:
            schema = _pg_schema(conn)
            if schema != manifest.schema:
                raise BackupError(
                    f"This backup holds schema {manifest.schema!r} but the target database "
                    f"uses schema {schema!r}. Restore into a database whose search_path is "
                    f"{manifest.schema!r}."
                )
            counts, _ = _pg_contents(conn, schema)
    return sum(counts.values())


def _extract(archive: Path, work: Path) -> None:
    allowed = {MANIFEST, SQLITE_FILE, PG_FILE}
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            if member.name not in allowed and not (
                member.name == PHOTOS or member.name.startswith(PHOTOS + "/")
            ):
                raise BackupError(f"{archive} holds an unexpected file {member.name!r}.")
        # The "data" filter refuses absolute paths, links out of the folder and devices.
        tar.extractall(work, members=members, filter="data")


def _sqlite_load(dump: Path, path: Path) -> None:
    if not dump.is_file():
        raise BackupError("The backup holds no SQLite database.")
    sqlite_file_create(path)
    source = sqlite3.connect(dump)
    target = _sqlite_connect(path)
    try:
        # Replaces every page of the target (schema included) in one transaction.
        source.backup(target, pages=-1)
    finally:
        target.close()
        source.close()


def _pg_load(dump: Path, url: str, db: Database) -> None:
    if not dump.is_file():
        raise BackupError("The backup holds no PostgreSQL dump.")
    with db.engine.connect() as conn:
        tool = _pg_tool("pg_restore", conn)
    uri, env = _pg_target(url)
    # One transaction: the database is either the backup's or unchanged.
    args = [tool, "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    args += ["--single-transaction", f"--dbname={uri}", str(dump)]
    db.dispose()
    _run(args, env, "pg_restore")


def _replace_photos(restored: Path, photos: Path, work: Path) -> None:
    if not restored.is_dir():
        restored.mkdir()
    if photos.exists():
        photos.rename(work / f"old-photos-{uuid.uuid4().hex}")  # removed with `work`
    restored.rename(photos)
