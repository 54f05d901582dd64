"""CSRF tokens and origin checks on every state-changing request made with the login cookie."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import func
from sqlmodel import Session, select

from app.db import Database
from app.main import create_app
from app.orgs.models import Location, Organization, Role, User, UserSession
from app.security import MSG_CROSS_ORIGIN, MSG_CSRF_MISSING, MSG_CSRF_WRONG
from tests.conftest import BASE_URL, Browser, login, sign_in
from tests.factories import PASSWORD, make_member, make_org, make_token

EVIL = "https://evil.example"


def html(message: str) -> str:
    return str(escape(message))


def locations(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.exec(select(Location.name).order_by(Location.name)).all())


@pytest.fixture
def owner(session: Session) -> tuple[Organization, User]:
    org = make_org(session, name="Corner Pharmacy")
    return org, make_member(session, org, Role.owner)


@pytest.fixture
def browser(client: Browser, db: Database, owner: tuple[Organization, User]) -> Browser:
    """The owner, logged in."""
    org, user = owner
    return sign_in(client, db, user, org)


def add_location(browser: Browser, name: str, **headers: str) -> Any:
    return browser.post("/locations", data={"name": name}, headers=headers)


# --- forms -------------------------------------------------------------------------------


def test_the_sign_in_helper_really_logs_in(browser: Browser) -> None:
    page = browser.get("/")
    assert page.status_code == 200
    assert "Corner Pharmacy" in page.text


def test_form_with_token_and_our_origin_is_accepted(browser: Browser, db: Database) -> None:
    response = browser.form("/locations", {"name": "High Street"})

    assert response.status_code == 200
    assert "Added High Street." in response.text
    assert locations(db) == ["High Street"]


def test_form_without_token_is_refused_and_changes_nothing(browser: Browser, db: Database) -> None:
    response = add_location(browser, "High Street", Origin=BASE_URL)

    assert response.status_code == 403
    assert html(MSG_CSRF_MISSING) in response.text
    assert locations(db) == []


def test_form_with_a_wrong_token_is_refused(browser: Browser, db: Database) -> None:
    response = browser.post(
        "/locations", data={"name": "High Street", "csrf_token": "not-the-token"}
    )

    assert response.status_code == 403
    assert html(MSG_CSRF_WRONG) in response.text
    assert locations(db) == []


def test_a_token_with_odd_characters_is_just_wrong(browser: Browser, db: Database) -> None:
    response = browser.post(
        "/locations", data={"name": "High Street", "csrf_token": "jeton-\u00e9t\u00e9-\u2603"}
    )

    assert response.status_code == 403
    assert html(MSG_CSRF_WRONG) in response.text
    assert locations(db) == []


def test_another_browsers_token_is_wrong_here(
    browser: Browser, browser_factory: Any, db: Database
) -> None:
    other = browser_factory()
    other_token = other.refresh_csrf("/login")
    assert other_token != browser.csrf

    response = browser.post("/locations", data={"name": "High Street", "csrf_token": other_token})

    assert response.status_code == 403
    assert html(MSG_CSRF_WRONG) in response.text
    assert locations(db) == []


@pytest.mark.parametrize("origin", [EVIL, "null", "http://testserver.evil.example"])
def test_foreign_origin_is_refused_even_with_the_right_token(
    browser: Browser, db: Database, origin: str
) -> None:
    response = browser.form("/locations", {"name": "High Street"}, headers={"Origin": origin})

    assert response.status_code == 403
    assert html(MSG_CROSS_ORIGIN) in response.text
    assert locations(db) == []


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_fetch_metadata_from_another_site_is_refused(
    browser: Browser, db: Database, site: str
) -> None:
    response = browser.form("/locations", {"name": "High Street"}, headers={"Sec-Fetch-Site": site})

    assert response.status_code == 403
    assert html(MSG_CROSS_ORIGIN) in response.text
    assert locations(db) == []


def test_fetch_metadata_from_our_own_pages_is_accepted(browser: Browser, db: Database) -> None:
    response = browser.form(
        "/locations", {"name": "High Street"}, headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert response.status_code == 200
    assert locations(db) == ["High Street"]


def test_configured_base_url_counts_as_our_origin(
    settings: Any, db: Database, session: Session, owner: tuple[Organization, User]
) -> None:
    """Behind a proxy the public address differs from the one the app sees."""
    app: FastAPI = create_app(
        settings.model_copy(update={"base_url": "https://audits.example.com"}), db=db
    )
    org, user = owner
    with Browser(app, base_url=BASE_URL, follow_redirects=False) as proxied:
        sign_in(proxied, db, user, org)
        response = proxied.form(
            "/locations", {"name": "High Street"}, headers={"Origin": "https://audits.example.com"}
        )

    assert response.status_code == 200
    assert locations(db) == ["High Street"]


# --- htmx --------------------------------------------------------------------------------


def test_htmx_sends_the_token_in_a_header(browser: Browser, db: Database) -> None:
    response = browser.htmx("POST", "/locations", {"name": "High Street"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="locations-panel">')
    assert "Added High Street." in response.text
    assert locations(db) == ["High Street"]


def test_htmx_with_a_wrong_header_token_is_refused(browser: Browser, db: Database) -> None:
    browser.csrf = "stale-token"

    response = browser.htmx("POST", "/locations", {"name": "High Street"})

    assert response.status_code == 403
    assert html(MSG_CSRF_WRONG) in response.text
    assert locations(db) == []


def test_pages_carry_the_token_for_forms_and_htmx(browser: Browser) -> None:
    page = browser.get("/locations").text

    assert f'<meta name="csrf-token" content="{browser.csrf}">' in page
    assert f'name="csrf_token" value="{browser.csrf}"' in page
    assert f'hx-headers=\'{{"x-csrf-token": "{browser.csrf}"}}\'' in page


# --- logging in and out ------------------------------------------------------------------


def test_login_form_needs_the_token(
    client: Browser, session: Session, db: Database, owner: tuple[Organization, User]
) -> None:
    _, user = owner
    client.refresh_csrf("/login")

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 403
    assert html(MSG_CSRF_MISSING) in response.text
    assert client.get("/").status_code == 303
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(UserSession)).one() == 0


def test_login_replaces_the_token(client: Browser, owner: tuple[Organization, User]) -> None:
    """A token planted before login (session fixation) is worthless afterwards."""
    _, user = owner
    before = client.refresh_csrf("/login")
    login(client, user.email, PASSWORD)
    assert client.csrf != before

    response = client.post("/locations", data={"name": "High Street", "csrf_token": before})

    assert response.status_code == 403
    assert html(MSG_CSRF_WRONG) in response.text


def test_logout_needs_the_token(browser: Browser) -> None:
    response = browser.post("/logout", headers={"Origin": EVIL})

    assert response.status_code == 403
    assert browser.get("/").status_code == 200


# --- API ---------------------------------------------------------------------------------


def test_api_with_a_bearer_token_needs_no_csrf_token(
    client: Browser, session: Session, db: Database, owner: tuple[Organization, User]
) -> None:
    org, user = owner
    token = make_token(session, org, user)

    response = client.post(
        "/api/v1/locations",
        json={"name": "High Street"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 201
    assert response.json()["name"] == "High Street"
    assert locations(db) == ["High Street"]


def test_api_with_the_cookie_but_no_csrf_header_is_refused(browser: Browser, db: Database) -> None:
    response = browser.post("/api/v1/locations", json={"name": "High Street"})

    assert response.status_code == 403
    assert response.json() == {"detail": MSG_CSRF_MISSING}
    assert locations(db) == []


def test_api_with_the_cookie_and_csrf_header_is_accepted(browser: Browser, db: Database) -> None:
    response = browser.post(
        "/api/v1/locations", json={"name": "High Street"}, headers={"X-CSRF-Token": browser.csrf}
    )

    assert response.status_code == 201
    assert locations(db) == ["High Street"]


def test_api_with_the_cookie_from_another_site_is_refused(browser: Browser, db: Database) -> None:
    response = browser.post(
        "/api/v1/locations",
        json={"name": "High Street"},
        headers={"X-CSRF-Token": browser.csrf, "Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 403
    assert response.json() == {"detail": MSG_CROSS_ORIGIN}
    assert locations(db) == []


def test_reading_needs_no_token(browser: Browser) -> None:
    response = browser.get("/locations", headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 200
