"""Posters that work where they are hung: a short code to type (`/c/{code}`), and a warning
when BASE_URL is an address a customer's phone cannot reach or plain http."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.config import Settings
from app.db import Database
from app.migrate import migrate
from app.orgs import models
from app.orgs.models import (
    SHORT_CODE_ALPHABET,
    Location,
    LocationCreate,
    Organization,
    OrganizationCreate,
    Role,
)
from app.orgs.services import location_create, org_create
from app.pdf import Renderer
from recovery.posters.services import SHORT_CODE_PATTERN, base_url_problem, short_code_parse
from tests.conftest import BASE_URL as TEST_BASE_URL
from tests.conftest import app_for, empty_database, sign_in
from tests.factories import make_location, make_member, make_org
from tests.helpers import pdf_text

pytestmark = pytest.mark.db

AMBIGUOUS = set("0O1lIiLo")
WARNING = "These posters will not work where they are hung yet"


def _settings_with(settings: Settings, base_url: str) -> Settings:
    settings.base_url = base_url
    return settings


@pytest.fixture
def base_url() -> str:
    return TEST_BASE_URL


@pytest.fixture
def app(settings: Settings, db: Database, base_url: str) -> FastAPI:
    # Posters and the posters page build their addresses from BASE_URL.
    return app_for(_settings_with(settings, base_url), db)


# --- the codes -------------------------------------------------------------------------


def test_codes_have_no_ambiguous_characters_and_name_their_table() -> None:
    assert not AMBIGUOUS & set(SHORT_CODE_ALPHABET)
    for _ in range(5000):
        org_code = models.org_short_code_new()
        location_code = models.location_short_code_new()
        for code in (org_code, location_code):
            assert len(code) == 6 and SHORT_CODE_PATTERN.fullmatch(code), code
            assert not AMBIGUOUS & set(code), code
        assert org_code[0].isdigit() and location_code[0].isalpha()


def test_a_typed_code_is_read_in_any_case_and_only_from_the_alphabet() -> None:
    assert short_code_parse(" hk7q3m ") == "HK7Q3M"
    assert short_code_parse("HK7Q3M") == "HK7Q3M"
    for wrong in ("HK7Q3", "HK7Q3MM", "HK7Q0M", "HK7QLM", "HK7Q-M", ""):
        assert short_code_parse(wrong) is None, wrong


def test_codes_are_unique_even_when_the_draws_meet(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tiny code space makes draws meet all the time: every place still gets its own."""
    few = [f"A{n:05d}".replace("0", "2").replace("1", "3") for n in range(400)]
    few = sorted(set(few))
    monkeypatch.setattr(models, "location_short_code_new", lambda: secrets.choice(few))
    org = org_create(session=session, data=OrganizationCreate(name="Many Places Ltd"))
    session.commit()
    other = org_create(session=session, data=OrganizationCreate(name="Other Places Ltd"))
    session.commit()
    made = [
        location_create(
            session=session,
            org_id=(org if n % 2 else other).id,  # type: ignore[arg-type]
            data=LocationCreate(name=f"Place {n}"),
        )
        for n in range(len(few) // 3)
    ]
    codes = [place.short_code for place in made]
    assert len(set(codes)) == len(codes)  # across organizations too
    assert all(code in few for code in codes)


def test_the_database_refuses_a_second_place_with_the_same_code(session: Session) -> None:
    org = make_org(session)
    first = make_location(session, org, name="First")
    with pytest.raises(IntegrityError):
        make_location(session, org, name="Second", short_code=first.short_code)
    session.rollback()


def test_the_migration_gives_every_older_row_its_own_code(tmp_path: Path) -> None:
    with empty_database(tmp_path / "codes.db") as database:
        migrate(database.engine, "c4e8a2f71d96")
        with database.engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    text(
                        "INSERT INTO organization (name, timezone, created_at, public_key, "
                        "alert_margin, owners_two_step) "
                        "VALUES (:name, 'UTC', CURRENT_TIMESTAMP, :key, 10, false)"
                    ),
                    {"name": f"Co {n}", "key": f"OldPosterKey{n:04d}"},
                )
            org_id = conn.execute(text("SELECT MIN(id) FROM organization")).scalar_one()
            for n in range(60):
                conn.execute(
                    text(
                        "INSERT INTO location (org_id, name, address, region, created_at, "
                        "public_key) VALUES (:org, :name, '', '', CURRENT_TIMESTAMP, :key)"
                    ),
                    {"org": org_id, "name": f"Shop {n}", "key": f"OldShopKey{n:06d}"},
                )
        migrate(database.engine)
        with database.engine.connect() as conn:
            orgs = conn.execute(text("SELECT short_code FROM organization")).scalars().all()
            places = conn.execute(text("SELECT short_code FROM location")).scalars().all()
            kept = conn.execute(text("SELECT public_key FROM organization")).scalars().all()
    assert len(set(orgs)) == 3 and len(set(places)) == 60
    assert all(code[0].isdigit() and SHORT_CODE_PATTERN.fullmatch(code) for code in orgs)
    assert all(code[0].isalpha() and SHORT_CODE_PATTERN.fullmatch(code) for code in places)
    assert sorted(kept) == [f"OldPosterKey{n:04d}" for n in range(3)]  # posters keep working


@pytest.mark.slow  # the demo year (seeded once per process)
def test_the_demo_places_have_codes(session: Session, demo_org: Organization) -> None:
    rows = [*session.exec(select(Organization)).all(), *session.exec(select(Location)).all()]
    codes = [row.short_code for row in rows]
    assert len(rows) > 1 and all(code and SHORT_CODE_PATTERN.fullmatch(code) for code in codes)
    assert len(set(codes)) == len(codes)


# --- the short address -----------------------------------------------------------------


def test_a_short_code_in_any_case_opens_the_form(
    app: FastAPI, browser_factory: object, session: Session
) -> None:
    org = make_org(session, name="Lantern Opticians")
    place = make_location(session, org, name="Canal Walk")
    visitor = browser_factory()  # type: ignore[operator]
    for code in (place.short_code, place.short_code.lower()):  # type: ignore[union-attr]
        moved = visitor.get(f"/c/{code}", follow_redirects=False)
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/complain/{org.public_key}/{place.public_key}"
        page = visitor.get(f"/c/{code}", follow_redirects=True)
        assert page.status_code == 200
        assert "Lantern Opticians" in page.text and "Canal Walk" in page.text
    whole = visitor.get(f"/c/{org.short_code.lower()}", follow_redirects=True)  # type: ignore[union-attr]
    assert whole.status_code == 200 and "Lantern Opticians" in whole.text
    assert "Canal Walk" not in whole.text


def test_an_unknown_code_is_a_plain_404_and_counts_against_the_throttle(
    app: FastAPI, browser_factory: object, session: Session, settings: Settings
) -> None:
    org = make_org(session)
    place = make_location(session, org)
    visitor = browser_factory()  # type: ignore[operator]
    unknown = "Z" if place.short_code != "ZZZZZZ" else "Y"  # type: ignore[comparison-overlap]
    for path in (f"/c/{unknown * 6}", "/c/0O1lI0", "/c/x"):
        missing = visitor.get(path)
        assert missing.status_code == 404
        assert "We could not find this complaint form" in missing.text
        assert "Traceback" not in missing.text
    for _ in range(settings.complaint_max_per_window - 3):
        assert visitor.get(f"/c/{unknown * 6}").status_code == 404
    # Guessing has used up the window: even a good code waits now.
    throttled = visitor.get(f"/c/{place.short_code}", follow_redirects=False)
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers


# --- the warning -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("https://[::1]:8443", True),
        ("https://127.0.0.2", True),
        ("http://example.com", True),
        ("https://feedback.example.com", False),
        ("https://feedback.example.com/touchstone/", False),
    ],
)
def test_base_url_problem(settings: Settings, base_url: str, warned: bool) -> None:
    problem = base_url_problem(_settings_with(settings, base_url))
    assert (problem is not None) == warned
    if problem:
        assert "BASE_URL" in problem and base_url in problem


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://example.com", True),
        ("https://feedback.example.com", False),
    ],
)
def test_the_posters_page_warns_when_posters_would_not_work(
    app: FastAPI,
    db: Database,
    browser_factory: object,
    session: Session,
    base_url: str,
    warned: bool,
) -> None:
    org = make_org(session, name="Lantern Opticians")
    owner = make_member(session, org, Role.owner)
    place = make_location(session, org, name="Canal Walk")
    client = sign_in(browser_factory(), db, owner, org)  # type: ignore[operator]
    page = client.get("/recovery/posters")
    assert page.status_code == 200
    assert (WARNING in page.text) == warned
    assert ("Set BASE_URL" in page.text) == warned
    typed = base_url.split("://", 1)[1]
    assert f"{typed}/c/{place.short_code}" in page.text


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    shared = Renderer(workers=1, time_limit=60)
    yield shared
    shared.close()


@pytest.mark.slow  # renders posters to PDF
@pytest.mark.parametrize(
    ("base_url", "warned"),
    [("http://127.0.0.1:8000", True), ("https://feedback.example.com", False)],
)
def test_the_printed_poster_carries_the_short_address_and_the_warning(
    app: FastAPI,
    db: Database,
    browser_factory: object,
    session: Session,
    renderer: Renderer,
    base_url: str,
    warned: bool,
) -> None:
    application = app
    application.state.renderer = renderer
    application.state.renderer_shared = True
    org = make_org(session, name="Lantern Opticians")
    owner = make_member(session, org, Role.owner)
    place = make_location(session, org, name="Canal Walk")
    client = sign_in(browser_factory(), db, owner, org)  # type: ignore[operator]
    typed = base_url.split("://", 1)[1]
    for pdf, code in (
        (f"/recovery/posters/location/{place.id}.pdf", place.short_code),
        ("/recovery/posters/org.pdf", org.short_code),
    ):
        response = client.get(pdf)
        assert response.status_code == 200
        flat = pdf_text(response.content)
        assert f"{typed}/c/{code}" in flat.replace(" ", "")
        assert org.public_key not in flat.replace(" ", "")  # the long key is only in the QR
        assert ("Not ready to hang" in flat) == warned
        if warned:
            assert "Set BASE_URL to the public https address" in flat
