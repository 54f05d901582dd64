"""Public complaint keys come with every organization and location (the posters page only
reads them), and recovery case dates outside this year show their year."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlmodel import Session, select

from app.db import Database
from app.migrate import migrate
from app.modelbase import utcnow
from app.orgs.models import Location, LocationCreate, Organization, OrganizationCreate, Role
from app.orgs.services import location_create, org_create
from app.templating import local_when
from recovery.posters.services import KEY_PATTERN, MSG_NO_KEY
from recovery.window import local_words
from tests.conftest import empty_database, sign_in
from tests.factories import make_location, make_member, make_org, make_recovery_case

pytestmark = pytest.mark.db

KEYS_BEFORE = "e6ae1bab7468"  # the last revision whose rows could lack a key
KEYS_FILLED = "5b1e7c90a2d4"


def _is_key(value: str | None) -> bool:
    # token_urlsafe(12) is 16 characters: what posters already printed carry.
    return value is not None and len(value) == 16 and KEY_PATTERN.fullmatch(value) is not None


def test_a_new_organization_and_its_locations_come_with_their_own_keys(session: Session) -> None:
    org = org_create(session=session, data=OrganizationCreate(name="Lantern Opticians"))
    session.commit()
    first = location_create(session=session, org_id=org.id, data=LocationCreate(name="Canal"))  # type: ignore[arg-type]
    second = location_create(session=session, org_id=org.id, data=LocationCreate(name="Bridge"))  # type: ignore[arg-type]

    session.expire_all()  # read back what was stored, not what Python still holds
    keys = [org.public_key, first.public_key, second.public_key]
    assert all(_is_key(key) for key in keys), keys
    assert len(set(keys)) == 3


@pytest.mark.slow  # the demo year (seeded once per process)
def test_the_demo_organization_and_its_locations_have_keys(
    session: Session, demo_org: Organization
) -> None:
    orgs = session.exec(select(Organization)).all()
    locations = session.exec(select(Location)).all()
    assert orgs and locations
    assert all(_is_key(row.public_key) for row in [*orgs, *locations])


@contextmanager
def _writes(db: Database) -> Iterator[list[str]]:
    """The INSERT/UPDATE/DELETE statements the app sends while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2]).lstrip().upper()
        if statement.startswith(("INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_the_posters_page_and_a_poster_only_read(
    app: FastAPI, db: Database, browser_factory: Any, session: Session
) -> None:
    org = make_org(session, name="Lantern Opticians")
    owner = make_member(session, org, Role.owner)
    kept = make_location(session, org, name="Canal Walk")
    # A row written behind the app's back (raw SQL, before `touchstone migrate` filled it).
    legacy = make_location(session, org, name="Old Mill")
    session.execute(text("UPDATE location SET public_key = NULL WHERE id = :id"), {"id": legacy.id})
    session.commit()
    client = sign_in(browser_factory(), db, owner, org)

    with _writes(db) as writes:
        page = client.get("/recovery/posters")
        missing = client.get(f"/recovery/posters/location/{legacy.id}.pdf")

    on_places = [w for w in writes if "ORGANIZATION" in w or "LOCATION" in w]
    assert on_places == []
    assert page.status_code == 200
    assert f"/complain/{org.public_key}/{kept.public_key}" in page.text
    assert "Old Mill" not in page.text  # no link that does not work yet
    assert missing.status_code == 404
    assert "no complaint address yet" in missing.text
    assert MSG_NO_KEY.startswith("This place has no complaint address yet")
    session.expire_all()
    assert session.get(Location, legacy.id).public_key is None  # type: ignore[union-attr]


def test_the_migration_gives_older_rows_a_key_and_keeps_the_ones_they_have(
    tmp_path: Path,
) -> None:
    with empty_database(tmp_path / "keys.db") as database:
        migrate(database.engine, KEYS_BEFORE)
        with database.engine.begin() as conn:
            for name, key in (("No Key Co", None), ("Printed Co", "PrintedPoster123")):
                conn.execute(
                    text(
                        "INSERT INTO organization (name, timezone, created_at, public_key, "
                        "alert_margin, owners_two_step) "
                        "VALUES (:name, 'UTC', CURRENT_TIMESTAMP, :key, 10, false)"
                    ),
                    {"name": name, "key": key},
                )
            org_id = conn.execute(text("SELECT id FROM organization WHERE name = 'No Key Co'"))
            org_id = org_id.scalar_one()
            for place in ("North", "South"):
                conn.execute(
                    text(
                        "INSERT INTO location (org_id, name, address, region, created_at) "
                        "VALUES (:org, :name, '', '', CURRENT_TIMESTAMP)"
                    ),
                    {"org": org_id, "name": place},
                )

        migrate(database.engine, KEYS_FILLED)

        with database.engine.connect() as conn:
            orgs = dict(conn.execute(text("SELECT name, public_key FROM organization")).all())
            places = dict(conn.execute(text("SELECT name, public_key FROM location")).all())
        assert orgs["Printed Co"] == "PrintedPoster123"  # a printed poster keeps working
        made = [orgs["No Key Co"], places["North"], places["South"]]
        assert all(_is_key(key) for key in made), made
        assert len(set(made)) == 3


# --- dates ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "tz", "shown"),
    [
        (datetime(2026, 3, 3, 14, 10, tzinfo=UTC), "UTC", "Tue 3 Mar, 14:10"),
        (datetime(2025, 3, 3, 14, 10, tzinfo=UTC), "UTC", "3 Mar 2025, 14:10"),
        (datetime(2027, 1, 2, 9, 0, tzinfo=UTC), "UTC", "2 Jan 2027, 09:00"),
        # The year is the organization's: 23:30 UTC on New Year's Eve is already next year
        # in Sydney, and still this year in London.
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Australia/Sydney", "1 Jan 2027, 10:30"),
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "Australia/Sydney", "Thu 1 Jan, 10:30"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Europe/London", "Thu 31 Dec, 23:30"),
    ],
)
def test_a_date_shows_its_year_only_outside_the_current_one(
    at: datetime, tz: str, shown: str
) -> None:
    assert local_when(at, tz, NOW) == shown
    assert local_words(at, tz, NOW) == shown  # the recovery pages' name for the same thing


def test_board_and_case_page_show_the_year_of_an_old_case(
    app: FastAPI, db: Database, browser_factory: Any, session: Session
) -> None:
    org = make_org(session, timezone="UTC")
    owner = make_member(session, org, Role.owner)
    old = make_recovery_case(
        session,
        org,
        summary="Cold soup last spring",
        reported_at=datetime(2025, 3, 3, 14, 10, tzinfo=UTC),
    )
    now = utcnow()
    recent_at = max(now - timedelta(hours=1), datetime(now.year, 1, 1, tzinfo=UTC))
    recent = make_recovery_case(session, org, summary="Wrong order today", reported_at=recent_at)
    client = sign_in(browser_factory(), db, owner, org)

    board = client.get("/recovery").text
    assert "3 Mar 2025, 14:10" in board
    short = f"{recent_at:%a} {recent_at.day} {recent_at:%b, %H:%M}"
    assert short in board and f"{recent_at:%b %Y}" not in board

    case_page = client.get(f"/recovery/{old.id}").text
    assert "reported 3 Mar 2025, 14:10" in " ".join(case_page.split())
    assert f"reported {short}" in " ".join(client.get(f"/recovery/{recent.id}").text.split())
