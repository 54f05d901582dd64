"""Fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema), app and clients."""

from __future__ import annotations

import json
import os
import re
import uuid
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.modelbase import utcnow
from app.orgs.models import Organization, User, UserSession
from app.schema import metadata
from app.security import digest, new_secret, session_cookie_name
from app.wiring import wire
from tests.sql_guard import textual_sql_guard  # noqa: F401  (autouse: textual SQL is scoped)

# What create_app and the `touchstone` command do first; tests that open sessions or render
# templates without an app need it too.
wire()

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BASE_URL = "http://testserver"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def pg_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if "+psycopg" not in url else url


@contextmanager
def fresh_schema_url(base_url: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL schema named in DATABASE_URL the way an operator could write it
    (`options=-csearch_path=...`), dropped afterwards."""
    base = base_url.replace("postgresql+psycopg://", "postgresql://", 1)
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine("postgresql+psycopg://" + base.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for a test server)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# One secret per test process: the apps of tests with equal settings are shared (see `app`).
TEST_SECRET_KEY = "test-secret-" + uuid.uuid4().hex


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        dev_mode=False,
        secret_key=TEST_SECRET_KEY,
        data_dir=tmp_path,
        base_url=BASE_URL,
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        # Nothing runs background jobs behind a test's back: tests run the job bodies
        # themselves (tests.helpers.run_jobs), or start real workers (tests/app/test_jobs*.py).
        jobs="off",
    )


@contextmanager
def empty_database(sqlite_path: Path) -> Iterator[Database]:
    """A database without tables: a new SQLite file, or a new PostgreSQL schema when
    TEST_DATABASE_URL is set (dropped again afterwards)."""
    if not TEST_DATABASE_URL:
        database = Database(f"sqlite:///{sqlite_path}")
        try:
            yield database
        finally:
            database.dispose()
        return
    url = pg_url(TEST_DATABASE_URL)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(url, schema=schema)
    try:
        yield database
    finally:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """On SQLite, the tables built once per test process into a file each test copies."""
    if TEST_DATABASE_URL:
        return None
    path = tmp_path_factory.getbasetemp() / "schema-template.db"
    database = Database(f"sqlite:///{path}")
    try:
        metadata.create_all(database.engine)
    finally:
        database.dispose()
    return path


def copy_sqlite(template: Path, database: Database) -> None:
    """Overwrite `database` (a SQLite file, no session open on it) with `template`'s pages,
    through SQLite's backup API: the file keeps its own name and mode."""
    import sqlite3

    source = sqlite3.connect(template)
    target = database.engine.raw_connection()
    try:
        source.backup(target.driver_connection)  # type: ignore[arg-type]
    finally:
        target.close()
        source.close()


@pytest.fixture
def db(settings: Settings, tmp_path: Path, _schema_template: Path | None) -> Iterator[Database]:
    """An empty schema built from the models; migrations are proven equal in test_migrations.

    Building the tables costs about a tenth of a second; on SQLite each test copies them
    from a file built once per process instead."""
    with empty_database(tmp_path / "test.db") as database:
        if _schema_template is None:
            metadata.create_all(database.engine)
        else:
            copy_sqlite(_schema_template, database)
        yield database


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    # Deferred transactions: a test that reads and then lets the app write must not hold
    # SQLite's write lock while it looks.
    with db.session() as s:
        yield s


# --- the app: one per set of settings per test process ------------------------------------
# FastAPI resolves an included router's routes (signatures, pydantic adapters) once per app,
# on the first request that reaches the router; with a new app per test that was more than
# half of the suite's time. So tests whose settings are equal apart from their own folder
# and database share one app, built once: each test gets it back with the app's state as
# create_app left it, then its own settings and database. The middleware holds only what
# equal settings make equal (the secret, cookie name, body limit). A test that changes the
# app itself (adds a route) asks for its own with @pytest.mark.fresh_app.

_SHARED_APPS: dict[str, tuple[FastAPI, dict[str, object]]] = {}
_PER_TEST_SETTINGS = {"data_dir", "database_url"}


def app_for(settings: Settings, db: Database, *, fresh: bool = False) -> FastAPI:
    """An app for these settings and this database (shared as described above)."""
    if fresh:
        return create_app(settings, db=db)
    key = repr(sorted(settings.model_dump(exclude=_PER_TEST_SETTINGS).items()))
    key += f"|{db.is_sqlite}|{db.engine.pool.size() if not db.is_sqlite else 1}"
    if key not in _SHARED_APPS:
        built = create_app(settings, db=db)
        _SHARED_APPS[key] = (built, dict(built.state._state))
    shared, initial = _SHARED_APPS[key]
    shared.state._state.clear()
    shared.state._state.update(initial)
    shared.state.settings = settings
    shared.state.db = db
    return shared


@pytest.fixture
def app(request: pytest.FixtureRequest, settings: Settings, db: Database) -> FastAPI:
    return app_for(settings, db, fresh=request.node.get_closest_marker("fresh_app") is not None)


class Browser(TestClient):
    """A test client that behaves like one browser tab: it keeps cookies and the CSRF token."""

    csrf: str = ""

    def refresh_csrf(self, path: str = "/login") -> str:
        response = self.get(path, follow_redirects=True)
        match = CSRF_META.search(response.text)
        assert match, f"no CSRF meta tag on {path}"
        self.csrf = match.group(1)
        return self.csrf

    def form(self, path: str, data: dict[str, object] | None = None, **kw: object) -> object:
        """POST a form the way the page would: with the token field and our own Origin."""
        body = {"csrf_token": self.csrf, **(data or {})}
        headers = {"Origin": BASE_URL, **kw.pop("headers", {})}  # type: ignore[dict-item]
        return self.post(path, data=body, headers=headers, **kw)  # type: ignore[arg-type]

    def htmx(self, method: str, path: str, data: dict[str, object] | None = None) -> object:
        headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf, "Origin": BASE_URL}
        return self.request(method, path, data=data, headers=headers)  # type: ignore[arg-type]


def login(client: Browser, email: str, password: str) -> Browser:
    client.refresh_csrf("/login")
    response = client.form("/login", {"email": email, "password": password, "next": "/"})
    assert response.status_code == 303, getattr(response, "text", "")[:500]  # type: ignore[attr-defined]
    client.refresh_csrf("/account")
    return client


def sign_in(client: Browser, db: Database, user: User, org: Organization) -> Browser:
    """Give `client` a logged-in session without the password form.

    Argon2 makes each real login cost a noticeable fraction of a second; test_auth covers the
    form itself. This writes the same server-side row and signed cookie that a login makes.
    """
    raw, csrf = new_secret(), new_secret()
    with db.session() as s:
        s.add(
            UserSession(
                token_hash=digest(raw),
                user_id=user.id,  # type: ignore[arg-type]
                org_id=org.id,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        s.commit()
    settings = client.app.state.settings  # type: ignore[attr-defined]
    signer = TimestampSigner(settings.secret_key)
    payload = b64encode(json.dumps({"sid": raw, "csrf": csrf}).encode())
    # The same name a login gives it (`__Host-touchstone` when BASE_URL is https).
    client.cookies.set(session_cookie_name(settings), signer.sign(payload).decode())
    client.csrf = csrf
    return client


@pytest.fixture
def browser_factory(app: FastAPI) -> Iterator[object]:
    clients: list[Browser] = []

    def make() -> Browser:
        c = Browser(app, base_url=BASE_URL, follow_redirects=False)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def client(browser_factory: object) -> Browser:
    return browser_factory()  # type: ignore[operator,no-any-return]


# --- the clock: TOUCHSTONE_FAKE_NOW moves the whole process to another moment -------------
# `make test-dates` runs the date-sensitive tests at a daylight-saving change, a leap day and
# late on 31 December. time-machine moves every reading of the wall clock in this process
# (the app's clock, libraries' timestamps, signed cookies), and keeps it ticking from there.

FAKE_NOW = os.environ.get("TOUCHSTONE_FAKE_NOW")


def pytest_configure(config: pytest.Config) -> None:
    if FAKE_NOW:
        import time_machine

        moment = datetime.fromisoformat(FAKE_NOW)
        if moment.tzinfo is None:
            raise pytest.UsageError("TOUCHSTONE_FAKE_NOW needs an offset, e.g. +00:00")
        time_machine.travel(moment, tick=True).start()


def pytest_report_header(config: pytest.Config) -> str | None:
    return f"clock moved to {FAKE_NOW} (TOUCHSTONE_FAKE_NOW)" if FAKE_NOW else None


# --- the demo year, seeded once per test process ------------------------------------------
# Seeding the demo (a year of shops, cases and measures, three argon2 hashes) is the most
# expensive arrangement in the suite and several tests need it. On SQLite it is done once per
# pytest process into a template file, and each test's own database is overwritten with a
# copy through SQLite's backup API: every test still gets a database of its own. The demo is
# built relative to "now", so there is a template per hour of the clock (seeded under the
# first test's clock, fake or not): within the hour, the demo's day and month (London) are
# the ones it was seeded on. On PostgreSQL each test seeds its own schema, as before.

DEMO_TEST_PASSWORD = "demo-password-123"


@pytest.fixture(scope="session")
def _demo_templates() -> dict[str, Path]:
    return {}


def _demo_template(templates: dict[str, Path], folder: Path) -> Path:
    from app.demo import demo_seed

    hour = utcnow().strftime("%Y-%m-%dT%H")
    if hour not in templates:
        path = folder / f"demo-{hour}.db"
        database = Database(f"sqlite:///{path}")
        try:
            metadata.create_all(database.engine)
            with database.session() as s:
                demo_seed(s, password=DEMO_TEST_PASSWORD)
                s.commit()
        finally:
            database.dispose()
        templates[hour] = path
    return templates[hour]


@pytest.fixture
def demo_org(
    db: Database,
    session: Session,
    _demo_templates: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Organization:
    """The demo organization (`touchstone demo`'s year) in this test's own database; the
    session is scoped to it, as `demo_seed` leaves it."""
    from sqlmodel import select

    from app.demo import DEMO_ORG, demo_seed
    from app.tenancy import scope_session

    if TEST_DATABASE_URL:
        demo_seed(session, password=DEMO_TEST_PASSWORD)
        session.commit()
    else:
        template = _demo_template(_demo_templates, tmp_path_factory.getbasetemp())
        session.rollback()  # holds no connection while the file is replaced
        copy_sqlite(template, db)
    org = session.exec(select(Organization).where(Organization.name == DEMO_ORG)).one()
    scope_session(session, org.id)  # type: ignore[arg-type]
    return org


# --- an organization with one of everything ------------------------------------------------

from tests.factories import OrgWorld, make_world, world_pack_pdf  # noqa: E402
from tests.helpers import SmtpServer  # noqa: E402


@pytest.fixture
def org_world(app: FastAPI, session: Session) -> OrgWorld:
    """An organization with a member of every role and an object of every kind
    (tests/factories.make_world), its finished pack's PDF in the app's cache, and a
    neighbouring organization of the same shape, so that "not yours" is a real case too."""
    world = make_world(session, "Org A")
    make_world(session, "Neighbour")
    world_pack_pdf(session, world, app.state.settings)
    return world


# --- a local SMTP server that records what it is sent -------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    import threading

    from tests.helpers import smtp_server

    server, box = smtp_server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()
    thread.join(timeout=30)
