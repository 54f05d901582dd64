"""The `touchstone` command: migrate, demo data, users, organizations, API tokens, serve.

Every test runs the CLI against its own database (a temp SQLite file; with TEST_DATABASE_URL,
a fresh PostgreSQL schema named in the URL) with an environment of its own: no `.env`, none of
the developer's settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect
from sqlmodel import select
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import Settings
from app.db import Database
from app.demo import DEMO_LOCATIONS, DEMO_ORG
from app.main import create_app
from app.migrate import alembic_config
from app.orgs.models import ApiToken, Location, Membership, Organization, Role, User
from app.orgs.services import MSG_EMAIL_TAKEN
from app.security import verify_password
from tests.conftest import free_port, fresh_schema_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PW = "cli-password-123"
TOUCHSTONE = Path(sys.executable).parent / "touchstone"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """DATABASE_URL as an operator would write it, for an empty database."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    with fresh_schema_url(TEST_DATABASE_URL, "c") as url:
        yield url


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    """A clean environment for the CLI: dev mode, the test database, no `.env` file."""
    monkeypatch.chdir(tmp_path)  # pydantic-settings reads `.env` from the working directory
    for key in list(os.environ):
        if key.lower() in Settings.model_fields or key == "TS_BUSY_MS":
            monkeypatch.delenv(key)
    monkeypatch.setenv("DEV_MODE", "1")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def fails(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def db(env: str) -> Iterator[Database]:
    """The CLI's database, opened the way the app opens it, for looking at the results."""
    database = Database(Settings(_env_file=None).resolved_database_url)  # type: ignore[call-arg]
    yield database
    database.dispose()


def count(db: Database, model: type, *where: object) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(model)
        return session.exec(query.where(*where) if where else query).one()  # type: ignore[arg-type]


# --- migrate and demo --------------------------------------------------------------------


def test_migrate_creates_every_table(db: Database) -> None:
    assert db.engine.dialect.name == ("postgresql" if TEST_DATABASE_URL else "sqlite")
    assert inspect(db.engine).get_table_names() == []

    result = ok("migrate")

    assert "Database is up to date" in result.output
    # That the tables match the models exactly is test_migrations' job; here: they are there.
    tables = set(inspect(db.engine).get_table_names())
    assert {"alembic_version", "user", "organization", "membership", "location"} <= tables
    with db.engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    ok("migrate")  # again: nothing to do, no error


@pytest.mark.slow  # seeds the demo year through the CLI
def test_demo_on_empty_database_creates_demo_co(db: Database) -> None:
    result = ok("demo", "--password", PW)

    assert "Demo Co created" in result.output
    assert f"password: {PW}" in result.output
    with db.session() as session:
        org = session.exec(select(Organization).where(Organization.name == DEMO_ORG)).one()
        members = session.exec(
            select(User.email, Membership.role)
            .join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
            .where(Membership.org_id == org.id)
        ).all()
        assert sorted(members) == [
            ("owner@demo.example", Role.owner),
            ("shopper@demo.example", Role.shopper),
            ("staff@demo.example", Role.viewer),
        ]
        for user in session.exec(select(User)).all():
            assert verify_password(PW, user.password_hash), user.email
        locations = session.exec(select(Location.name).where(Location.org_id == org.id)).all()
    assert len(locations) >= 2
    assert sorted(locations) == sorted(name for name, _, _ in DEMO_LOCATIONS)


@pytest.mark.slow  # seeds the demo year through the CLI
def test_demo_again_adds_nothing(db: Database) -> None:
    ok("demo", "--password", PW)

    result = ok("demo", "--password", "another-password-456")

    assert "already present" in result.output
    assert "another-password-456" not in result.output
    assert count(db, Organization) == 1
    assert count(db, User) == 3
    assert count(db, Membership) == 3
    assert count(db, Location) == len(DEMO_LOCATIONS)
    with db.session() as session:
        owner = session.exec(select(User).where(User.email == "owner@demo.example")).one()
    assert verify_password(PW, owner.password_hash)  # unchanged


@pytest.mark.slow  # seeds the demo year through the CLI
def test_demo_if_empty_seeds_an_empty_database(db: Database) -> None:
    ok("demo", "--if-empty", "--password", PW)
    assert count(db, Organization, Organization.name == DEMO_ORG) == 1


def test_demo_if_empty_leaves_a_database_with_users_alone(db: Database) -> None:
    ok("migrate")
    ok("user", "create", "--email", "someone@example.test", "--password", PW)

    result = ok("demo", "--if-empty", "--password", PW)

    assert "already has users; demo data not added" in result.output
    assert count(db, Organization) == 0
    assert count(db, User) == 1


def test_demo_with_a_short_password_is_a_clear_error_and_writes_nothing(db: Database) -> None:
    ok("migrate")
    result = fails("demo", "--password", "short")

    assert "--password: Use at least" in result.stderr
    assert "Traceback" not in result.output
    assert count(db, User) == 0


@pytest.mark.slow
def test_demo_now_tells_the_year_relative_to_that_day(db: Database) -> None:
    """`--now` moves the one clock: every shop, case and stamp sits in the year before it."""
    from audits.models import Shop
    from recovery.models import RecoveryCase

    moment = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    ok("demo", "--password", PW, "--now", "2028-02-29T12:00:00+00:00")

    with db.session() as session:
        org = session.exec(select(Organization).where(Organization.name == DEMO_ORG)).one()
        stamps = [org.created_at]
        stamps += [s.created_at for s in session.exec(select(Shop))]
        stamps += [s.approved_at for s in session.exec(select(Shop)) if s.approved_at]
        stamps += [c.reported_at for c in session.exec(select(RecoveryCase))]
    assert len(stamps) > 100
    # The seeding took less than an hour; nothing is stamped by the real clock (2026 or later
    # than the moment) nor more than the demo's year and a bit before it.
    assert all(moment - timedelta(days=400) < t < moment + timedelta(hours=1) for t in stamps)
    assert max(stamps) > moment - timedelta(hours=1)


def test_demo_now_that_is_not_a_date_is_a_clear_error_and_writes_nothing(db: Database) -> None:
    ok("migrate")
    result = fails("demo", "--password", PW, "--now", "next tuesday")

    assert "--now: “next tuesday” is not a date and time" in result.stderr
    assert count(db, User) == 0


# --- users and organizations -------------------------------------------------------------


def test_user_create(db: Database) -> None:
    ok("migrate")

    args = ("user", "create", "--email", " Ada@Example.TEST ", "--name", "Ada", "--password", PW)
    result = ok(*args)

    assert "Created user ada@example.test" in result.output
    with db.session() as session:
        user = session.exec(select(User)).one()
    assert (user.email, user.name) == ("ada@example.test", "Ada")
    assert verify_password(PW, user.password_hash)


def test_user_create_duplicate_is_a_clear_error(db: Database) -> None:
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--password", PW)

    result = fails("user", "create", "--email", "ADA@example.test", "--password", PW)

    assert MSG_EMAIL_TAKEN in result.stderr
    assert "Traceback" not in result.output
    assert count(db, User) == 1


def test_user_create_short_password_is_refused(db: Database) -> None:
    ok("migrate")
    result = fails("user", "create", "--email", "ada@example.test", "--password", "short")
    assert "at least" in result.stderr
    assert count(db, User) == 0


def test_org_create_with_owner(db: Database) -> None:
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--password", PW)

    args = ("org", "create", "--name", "Acme", "--timezone", "Europe/Berlin")
    result = ok(*args, "--owner", "ada@example.test")

    assert "Created organization 'Acme'" in result.output
    with db.session() as session:
        org = session.exec(select(Organization)).one()
        role = session.exec(select(Membership.role).where(Membership.org_id == org.id)).one()
    assert (org.name, org.timezone, role) == ("Acme", "Europe/Berlin", Role.owner)


def test_org_create_bad_time_zone_is_a_clear_error(db: Database) -> None:
    ok("migrate")

    result = fails("org", "create", "--name", "Acme", "--timezone", "Mars/Olympus_Mons")

    assert "unknown time zone 'Mars/Olympus_Mons'" in result.stderr
    assert "Traceback" not in result.output
    assert count(db, Organization) == 0


def test_org_create_unknown_owner_is_a_clear_error(db: Database) -> None:
    ok("migrate")

    result = fails("org", "create", "--name", "Acme", "--owner", "nobody@example.test")

    assert "No user with e-mail nobody@example.test" in result.stderr
    assert count(db, Organization) == 0


# --- API tokens --------------------------------------------------------------------------


def test_token_create_prints_a_working_bearer_token(env: str, db: Database) -> None:
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--name", "Ada", "--password", PW)
    ok("org", "create", "--name", "Acme", "--owner", "ada@example.test")

    result = ok("token", "create", "--email", "ada@example.test", "--org", "Acme")

    token = result.stdout.strip()
    assert token and "\n" not in token
    assert "Keep it secret" in result.stderr
    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # the CLI's environment
    with TestClient(create_app(settings, db=db)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        anonymous = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["user"]["email"] == "ada@example.test"
    assert body["user"]["name"] == "Ada"
    assert body["organization"]["name"] == "Acme"
    assert body["role"] == "owner"
    assert anonymous.status_code == 401


def test_token_create_by_org_id(db: Database) -> None:
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--password", PW)
    ok("org", "create", "--name", "Acme", "--owner", "ada@example.test")
    with db.session() as session:
        org_id = session.exec(select(Organization.id)).one()

    result = ok("token", "create", "--email", "ada@example.test", "--org", str(org_id))

    assert result.stdout.strip()


def test_token_create_for_a_non_member_fails(db: Database) -> None:
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--password", PW)
    ok("user", "create", "--email", "bob@example.test", "--password", PW)
    ok("org", "create", "--name", "Acme", "--owner", "ada@example.test")

    result = fails("token", "create", "--email", "bob@example.test", "--org", "Acme")

    assert "bob@example.test is not a member of Acme" in result.stderr
    assert result.stdout == ""
    assert count(db, ApiToken) == 0


def test_token_create_unknown_user_or_org_fails(db: Database) -> None:
    ok("migrate")
    ok("user", "create", "--email", "ada@example.test", "--password", PW)

    assert "No user" in fails("token", "create", "--email", "x@example.test", "--org", "1").stderr
    assert (
        "No organization"
        in fails("token", "create", "--email", "ada@example.test", "--org", "Nowhere").stderr
    )


# --- serve -------------------------------------------------------------------------------


def test_serve_refuses_to_start_without_secret_key(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started a server without a SECRET_KEY")

    monkeypatch.setattr(uvicorn, "run", must_not_run)
    monkeypatch.delenv("DEV_MODE")

    result = run("serve", "--port", "1")

    assert result.exit_code != 0
    assert "SECRET_KEY" in result.stderr
    assert "DEV_MODE=1" in result.stderr
    # The settings' values (a DATABASE_URL may hold a password) are not echoed.
    assert env not in result.output


@pytest.mark.slow  # starts `touchstone serve` in a process of its own
def test_serve_answers_http(env: str, tmp_path: Path) -> None:
    """The real thing: `touchstone serve` migrates, listens and renders the login page."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(TOUCHSTONE), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )
        try:
            response = None
            # Usually up in 1-2 s; the margin is for a loaded machine (CI runs tests in parallel),
            # where importing the app alone can take 15 s. The loop ends when it answers.
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert response is not None, "no answer within 180 s:\n" + log.read_text()
            assert response.status_code == 200
            assert "<h1>Log in</h1>" in response.text
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
