"""An API token's last use: noted when it authenticates, at most once a minute, never at the
cost of the request; shown on the settings page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import ApiToken, Organization, Role, User
from app.orgs.settings.routes import last_used_words
from tests.conftest import Browser, sign_in
from tests.factories import make_member, make_org, make_token

pytestmark = pytest.mark.db


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Lantern Books", timezone="UTC")


@pytest.fixture
def owner(session: Session, org: Organization) -> User:
    return make_member(session, org, Role.owner, name="Olive Owner")


@pytest.fixture
def token(session: Session, org: Organization, owner: User) -> str:
    return make_token(session, org, owner)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _last_used(db: Database) -> datetime | None:
    with db.session() as s:
        return s.exec(select(ApiToken.last_used_at)).one()


@contextmanager
def _token_writes(db: Database) -> Iterator[list[str]]:
    """The statements that change the api_token table while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = " ".join(str(args[2]).split()).upper()
        if statement.startswith(("UPDATE API_TOKEN", "INSERT INTO API_TOKEN")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_use_is_noted_and_uses_within_the_minute_write_nothing(
    client: Browser, db: Database, session: Session, token: str
) -> None:
    assert _last_used(db) is None
    before = utcnow()
    assert client.get("/api/v1/me", headers=_auth(token)).status_code == 200
    first = _last_used(db)
    assert first is not None and before <= first <= utcnow()

    with _token_writes(db) as writes:
        for _ in range(3):
            assert client.get("/api/v1/me", headers=_auth(token)).status_code == 200
    assert writes == []
    assert _last_used(db) == first

    # A minute and more later, the next use is noted again.
    earlier = first - timedelta(minutes=2)
    session.execute(text("UPDATE api_token SET last_used_at = :t"), {"t": earlier})
    session.commit()
    assert client.get("/api/v1/me", headers=_auth(token)).status_code == 200
    again = _last_used(db)
    assert again is not None and again >= first


def test_a_request_that_writes_notes_the_use_too(client: Browser, db: Database, token: str) -> None:
    # On SQLite such a request holds the one write lock from its first statement: the note
    # must be made before, not wait behind it.
    response = client.post("/api/v1/locations", json={"name": "Harbour"}, headers=_auth(token))
    assert response.status_code == 201
    assert _last_used(db) is not None


def test_a_token_that_does_not_authenticate_is_not_noted(
    client: Browser, db: Database, org: Organization, owner: User, token: str
) -> None:
    # The owner revokes it on the settings page, so the token itself was never used.
    sign_in(client, db, owner, org)
    (listed,) = client.get("/api/v1/tokens").json()
    assert client.htmx("POST", f"/settings/tokens/{listed['id']}/revoke").status_code == 200  # type: ignore[attr-defined]
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=_auth(token)).status_code == 401
    assert _last_used(db) is None


def test_a_busy_database_skips_the_note_and_the_request_still_answers(
    client: Browser, db: Database, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    with db.engine.connect() as other:
        # Another transaction holds the lock the note needs (SQLite: the write lock;
        # PostgreSQL: the token's row) for as long as the request runs.
        other.execute(text("UPDATE api_token SET name = name"))
        with caplog.at_level(logging.WARNING, logger="app.token_use"):
            response = client.get("/api/v1/me", headers=_auth(token))
        other.rollback()

    assert response.status_code == 200
    assert response.json()["organization"]["name"] == "Lantern Books"
    assert "last-used time not noted" in caplog.text
    assert _last_used(db) is None


def test_the_settings_page_lists_tokens_with_their_last_use(
    browser_factory: Any, db: Database, session: Session, org: Organization, owner: User
) -> None:
    make_token(session, org, owner)
    make_token(session, org, owner)
    used, unused = session.exec(select(ApiToken).order_by(ApiToken.id)).all()  # type: ignore[arg-type]
    used.name, unused.name = "Stock sync", "Old export"
    used.last_used_at = utcnow() - timedelta(days=3, hours=1)
    session.add_all([used, unused])
    session.commit()
    other = make_org(session, name="Someone Else")
    make_token(session, other, make_member(session, other, Role.owner))

    page = sign_in(browser_factory(), db, owner, org).get("/settings")

    assert page.status_code == 200
    words = " ".join(page.text.split())
    assert "Stock sync" in words and "Old export" in words
    assert "acts as Olive Owner" in words
    assert "<span data-token-used>last used 3 days ago</span>" in words
    assert "<span data-token-used>never used</span>" in words
    assert words.count("data-token-used") == 2  # not the other organization's token


NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(seconds=20), "last used just now"),
        (timedelta(minutes=1), "last used 1 minute ago"),
        (timedelta(minutes=59), "last used 59 minutes ago"),
        (timedelta(hours=5, minutes=50), "last used 5 hours ago"),
        (timedelta(days=1), "last used 1 day ago"),
        (timedelta(days=59), "last used 59 days ago"),
        (timedelta(days=300), "last used on Mon 2 Feb, 15:00"),
        (timedelta(days=700), "last used on 29 Dec 2024, 15:00"),
    ],
)
def test_last_use_in_words(ago: timedelta, shown: str) -> None:
    assert last_used_words(NOW - ago, NOW, "UTC") == shown
    assert last_used_words(None, NOW, "UTC") == "never used"


def test_a_saving_request_does_not_wait_for_a_token_another_request_is_noting(
    client: Browser, db: Database, token: str
) -> None:
    """A request that writes notes the use in its own transaction; on PostgreSQL another
    worker's request may hold the token's row at that moment, and the note is then skipped
    (SKIP LOCKED) rather than waited for. SQLite has one writer at a time anyway."""
    if db.is_sqlite:
        pytest.skip("on SQLite the other writer holds the one write lock: every writer waits")
    with db.engine.connect() as other, ThreadPoolExecutor(max_workers=1) as pool:
        other.execute(text("UPDATE api_token SET name = name"))  # holds the token's row
        try:
            sent = pool.submit(
                client.post, "/api/v1/locations", json={"name": "Harbour"}, headers=_auth(token)
            )
            response = sent.result(timeout=60)  # an upper bound for a busy machine
        finally:
            other.rollback()
    assert response.status_code == 201
    assert _last_used(db) is None  # skipped this time; a later use notes it
    assert client.get("/api/v1/me", headers=_auth(token)).status_code == 200
    assert _last_used(db) is not None
