"""Logging in and out, server-side sessions, throttling, cookies, passwords, API credentials."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.routes import safe_next
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.modelbase import utcnow
from app.orgs import services
from app.orgs.models import Location, LoginAttempt, Role, User, UserSession
from app.security import MSG_BAD_TOKEN, MSG_NOT_AUTHENTICATED
from app.tenancy import MSG_NOT_FOUND
from tests.conftest import BASE_URL, Browser, login
from tests.factories import PASSWORD, make_location, make_member, make_org, make_token

NEW_PASSWORD = "a brand new passphrase"
COOKIE = "touchstone"


def html(message: str) -> str:
    """A message as Jinja writes it into a page (apostrophes and quotes escaped)."""
    return str(escape(message))


def field_error(page: str, name: str) -> str | None:
    """The error shown right under the form field `name`, if any."""
    match = re.search(rf'<p class="error" id="f-{name}-error">(.*?)</p>', page, re.S)
    return match.group(1) if match else None


def form_error(page: str) -> str | None:
    """The error shown above the form, for problems that belong to no single field."""
    match = re.search(r'<p class="error error-block" role="alert">(.*?)</p>', page, re.S)
    return match.group(1) if match else None


def count(db: Database, model: type[Any], *where: Any) -> int:
    # A fresh session each time: a long-lived one could keep reading an old snapshot.
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def submit_login(client: Browser, email: str, password: str, next: str = "/") -> Any:
    if not client.csrf:
        client.refresh_csrf("/login")
    return client.form("/login", {"email": email, "password": password, "next": next})


def is_logged_out(client: Browser) -> bool:
    response = client.get("/")
    return response.status_code == 303 and response.headers["location"] == "/login?next=/"


def session_cookie(response: Any, name: str = COOKIE) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(name + "=")]
    assert len(cookies) == 1, response.headers.get_list("set-cookie")
    return str(cookies[0])


@pytest.fixture
def own_app(settings: Settings, db: Database) -> Iterator[Any]:
    """Build an app on the test database with some settings changed, and browsers for it."""
    clients: list[Browser] = []

    def make(url: str = BASE_URL, address: str = "testclient", **changes: Any) -> Browser:
        app: FastAPI = create_app(settings.model_copy(update=changes), db=db)
        client = Browser(app, base_url=url, follow_redirects=False, client=(address, 50000))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- logging in --------------------------------------------------------------------------


def test_login_starts_a_session_and_follows_next(
    client: Browser, session: Session, db: Database
) -> None:
    org = make_org(session, name="Harbour Books")
    owner = make_member(session, org, Role.owner)
    assert is_logged_out(client)

    response = submit_login(client, owner.email.upper(), PASSWORD, next="/locations")

    assert response.status_code == 303
    assert response.headers["location"] == "/locations"
    cookie = session_cookie(response).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http base URL: a Secure cookie would never come back
    page = client.get("/")
    assert page.status_code == 200
    assert "Harbour Books" in page.text
    assert count(db, UserSession, UserSession.user_id == owner.id) == 1


def test_wrong_password_is_refused_and_logs_nobody_in(
    client: Browser, session: Session, db: Database
) -> None:
    owner = make_member(session, make_org(session), Role.owner)

    response = submit_login(client, owner.email, "not the password at all")

    assert response.status_code == 400
    assert field_error(response.text, "password") == html(services.MSG_LOGIN_FAILED)
    assert f'value="{owner.email}"' in response.text  # the address stays filled in
    assert "not the password at all" not in response.text
    assert is_logged_out(client)
    assert count(db, UserSession) == 0
    assert count(db, LoginAttempt, LoginAttempt.email == owner.email) == 1


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(
    client: Browser, session: Session
) -> None:
    owner = make_member(session, make_org(session), Role.owner)

    wrong_password = submit_login(client, owner.email, "not the password at all")
    unknown_email = submit_login(client, "nobody@example.test", PASSWORD)

    assert unknown_email.status_code == wrong_password.status_code == 400
    assert field_error(unknown_email.text, "password") == html(services.MSG_LOGIN_FAILED)
    assert field_error(wrong_password.text, "password") == html(services.MSG_LOGIN_FAILED)
    assert is_logged_out(client)


def test_an_overlong_email_address_is_just_a_failed_login(client: Browser, db: Database) -> None:
    # Longer than the column that counts failures: it must still be counted, not crash.
    email = "x" * 400 + "@example.test"

    response = submit_login(client, email, "some password")

    assert response.status_code == 400
    assert field_error(response.text, "password") == html(services.MSG_LOGIN_FAILED)
    assert count(db, LoginAttempt) == 1


def test_empty_fields_are_named_without_checking_anything(client: Browser, db: Database) -> None:
    response = submit_login(client, "  ", "")

    assert response.status_code == 400
    assert field_error(response.text, "email") == "Enter your e-mail address."
    assert field_error(response.text, "password") == "Enter your password."
    assert count(db, LoginAttempt) == 0


def test_deactivated_account_cannot_log_in_and_its_sessions_stop_working(
    browser_factory: Any, session: Session, db: Database
) -> None:
    owner = make_member(session, make_org(session), Role.owner)
    before = login(browser_factory(), owner.email, PASSWORD)
    with db.session() as s:
        user = s.get(User, owner.id)
        assert user is not None
        user.is_active = False
        s.add(user)
        s.commit()

    assert is_logged_out(before)
    response = submit_login(browser_factory(), owner.email, PASSWORD)
    assert response.status_code == 400
    assert field_error(response.text, "password") == html(services.MSG_LOGIN_FAILED)


def test_expired_server_side_session_no_longer_authenticates(
    client: Browser, session: Session, db: Database
) -> None:
    owner = make_member(session, make_org(session), Role.owner)
    login(client, owner.email, PASSWORD)
    with db.session() as s:
        row = s.exec(select(UserSession).where(UserSession.user_id == owner.id)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()

    assert is_logged_out(client)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/locations?x=1", "/locations?x=1"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_same_site_paths_may_follow_a_login(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_login_never_redirects_to_another_site(client: Browser, session: Session) -> None:
    owner = make_member(session, make_org(session), Role.owner)

    response = submit_login(client, owner.email, PASSWORD, next="//evil.example/phish")

    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- throttling --------------------------------------------------------------------------


def test_failures_per_account_lock_even_the_right_password_out(
    own_app: Any, session: Session, db: Database
) -> None:
    client = own_app(login_max_failures_per_account=2, login_max_failures_per_address=50)
    org = make_org(session)
    owner = make_member(session, org, Role.owner)
    colleague = make_member(session, org, Role.owner)
    throttled = html(services.MSG_LOGIN_THROTTLED % {"minutes": 15})  # the default window

    assert submit_login(client, owner.email, "wrong password 1").status_code == 400
    # The count is per account, whatever the capitalization of the address.
    assert submit_login(client, owner.email.upper(), "wrong password 2").status_code == 400
    response = submit_login(client, owner.email, PASSWORD)

    assert response.status_code == 429
    assert form_error(response.text) == throttled
    assert is_logged_out(client)
    assert count(db, UserSession) == 0
    # Another account from the same browser is not locked out.
    assert submit_login(client, colleague.email, PASSWORD).status_code == 303


def test_failures_per_address_lock_out_every_account_from_that_address(
    own_app: Any, session: Session, db: Database
) -> None:
    attacker = own_app(
        address="203.0.113.7", login_max_failures_per_account=50, login_max_failures_per_address=3
    )
    owner = make_member(session, make_org(session), Role.owner)

    for n in range(3):
        response = submit_login(attacker, f"guess{n}@example.test", "password guess")
        assert response.status_code == 400
    response = submit_login(attacker, owner.email, PASSWORD)

    assert response.status_code == 429
    assert form_error(response.text) == html(services.MSG_LOGIN_THROTTLED % {"minutes": 15})
    assert count(db, UserSession) == 0
    # The same account from another address logs in.
    elsewhere = own_app(
        address="198.51.100.9", login_max_failures_per_account=50, login_max_failures_per_address=3
    )
    assert submit_login(elsewhere, owner.email, PASSWORD).status_code == 303


def test_old_failures_expire_and_a_good_login_clears_the_count(
    own_app: Any, session: Session, db: Database
) -> None:
    client = own_app(login_max_failures_per_account=2, login_window_minutes=10)
    owner = make_member(session, make_org(session), Role.owner)
    with db.session() as s:
        for _ in range(5):
            s.add(
                LoginAttempt(
                    email=owner.email,
                    address="testclient",
                    created_at=utcnow() - timedelta(minutes=11),
                )
            )
        s.commit()

    assert submit_login(client, owner.email, "wrong password").status_code == 400
    assert submit_login(client, owner.email, PASSWORD).status_code == 303

    assert count(db, LoginAttempt, LoginAttempt.email == owner.email) == 0


# --- logging out -------------------------------------------------------------------------


def test_logout_revokes_the_server_side_session(
    client: Browser, browser_factory: Any, session: Session, db: Database
) -> None:
    owner = make_member(session, make_org(session, name="Quayside Dental"), Role.owner)
    login(client, owner.email, PASSWORD)
    stolen = client.cookies.get(COOKIE)
    assert stolen
    copy = browser_factory()
    copy.cookies.set(COOKIE, stolen)
    assert "Quayside Dental" in copy.get("/").text  # the copied cookie does log in, for now

    response = client.form("/logout")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "You are logged out." in client.get("/login").text
    assert is_logged_out(client)
    replay = browser_factory()
    replay.cookies.set(COOKIE, stolen)
    assert is_logged_out(replay)
    assert count(db, UserSession, UserSession.user_id == owner.id) == 0


# --- cookies -----------------------------------------------------------------------------


def test_cookie_is_secure_when_the_site_is_served_over_https(
    own_app: Any, session: Session
) -> None:
    client = own_app(url="https://testserver", base_url="https://testserver")
    owner = make_member(session, make_org(session, name="Bright Optics"), Role.owner)

    client.refresh_csrf("/login")
    response = client.form(
        "/login",
        {"email": owner.email, "password": PASSWORD},
        headers={"Origin": "https://testserver"},
    )

    assert response.status_code == 303
    cookie = session_cookie(response, "__Host-touchstone").lower()
    assert "secure" in cookie.split("; ")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert f"max-age={14 * 24 * 3600}" in cookie
    assert "Bright Optics" in client.get("/").text


@pytest.mark.parametrize(
    ("base_url", "name"),
    [("https://testserver", "__Host-touchstone"), (BASE_URL, "touchstone")],
    ids=["https", "http"],
)
def test_session_cookie_has_the_host_prefix_exactly_when_the_site_is_https(
    own_app: Any, session: Session, base_url: str, name: str
) -> None:
    """ASVS 3.4.4: over https the cookie is `__Host-touchstone`, which browsers only accept
    with Secure, Path=/ and no Domain; plain http (development) cannot use the prefix."""
    client = own_app(url=base_url, base_url=base_url)
    owner = make_member(session, make_org(session, name="Prefix Ltd"), Role.owner)
    client.refresh_csrf("/login")
    response = client.form(
        "/login", {"email": owner.email, "password": PASSWORD}, headers={"Origin": base_url}
    )
    assert response.status_code == 303
    cookie = session_cookie(response, name).lower()
    attributes = cookie.split("; ")
    assert "path=/" in attributes
    assert not any(a.startswith("domain=") for a in attributes)
    assert ("secure" in attributes) is name.startswith("__Host-")
    other = "touchstone" if name.startswith("__Host-") else "__Host-touchstone"
    assert not [c for c in response.headers.get_list("set-cookie") if c.startswith(other + "=")]
    assert client.cookies.get(name)
    assert "Prefix Ltd" in client.get("/").text  # the browser sends it back under that name


# --- changing the password ---------------------------------------------------------------


def test_password_change_problems_are_shown_next_to_their_field(
    client: Browser, session: Session, db: Database
) -> None:
    owner = make_member(session, make_org(session), Role.owner)
    login(client, owner.email, PASSWORD)
    cases = [
        ("current_password", {"current_password": "wrong current pass"}, None),
        ("new_password", {"new_password": "short"}, "Use at least 12 characters."),
        ("confirm_password", {"confirm_password": "something else"}, None),
    ]
    expected = {
        "current_password": services.MSG_WRONG_PASSWORD,
        "confirm_password": services.MSG_PASSWORDS_DIFFER,
    }

    for field, change, message in cases:
        data = {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            **change,
        }
        response = client.form("/account/password", data)
        assert response.status_code == 400, field
        assert field_error(response.text, field) == html(message or expected[field]), field

    with db.session() as s:
        user = s.get(User, owner.id)
        assert user is not None
        assert user.password_hash == owner.password_hash
    assert client.get("/").status_code == 200


def test_password_change_logs_out_other_sessions_only(
    client: Browser, browser_factory: Any, session: Session
) -> None:
    owner = make_member(session, make_org(session, name="Lantern Cafe"), Role.owner)
    login(client, owner.email, PASSWORD)
    phone = login(browser_factory(), owner.email, PASSWORD)

    response = client.form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    account = client.get("/account")
    assert account.status_code == 200
    assert "Password changed. Every other session has been logged out." in account.text
    assert is_logged_out(phone)
    old = submit_login(browser_factory(), owner.email, PASSWORD)
    assert old.status_code == 400
    assert field_error(old.text, "password") == html(services.MSG_LOGIN_FAILED)
    assert submit_login(browser_factory(), owner.email, NEW_PASSWORD).status_code == 303


# --- API credentials ---------------------------------------------------------------------


def test_api_without_credentials_answers_401_json(client: Browser) -> None:
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == {"detail": MSG_NOT_AUTHENTICATED}
    assert response.headers["www-authenticate"] == "Bearer"


def test_api_with_an_unknown_token_answers_401(client: Browser) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer ts_not-a-real-token"})

    assert response.status_code == 401
    assert response.json() == {"detail": MSG_BAD_TOKEN}


def test_api_with_a_revoked_token_answers_401(client: Browser, session: Session) -> None:
    org = make_org(session)
    token = make_token(session, org, make_member(session, org, Role.owner))
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    (listed,) = client.get("/api/v1/tokens", headers=auth).json()
    assert client.delete(f"/api/v1/tokens/{listed['id']}", headers=auth).status_code == 204

    response = client.get("/api/v1/me", headers=auth)

    assert response.status_code == 401
    assert response.json() == {"detail": MSG_BAD_TOKEN}


def test_api_token_names_its_user_organization_and_role(client: Browser, session: Session) -> None:
    org = make_org(session, name="Northwind Garage")
    viewer = make_member(session, org, Role.viewer)
    token = make_token(session, org, viewer)

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"id": viewer.id, "email": viewer.email, "name": viewer.name}
    assert body["organization"]["name"] == "Northwind Garage"
    assert body["role"] == "viewer"


def test_api_malformed_json_is_a_precise_422_and_creates_nothing(
    client: Browser, session: Session, db: Database
) -> None:
    org = make_org(session)
    token = make_token(session, org, make_member(session, org, Role.owner))

    response = client.post(
        "/api/v1/locations",
        content=b'{"name": "Main street",',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    # Where the JSON broke: character 23, the end of the truncated body.
    assert response.json() == {
        "detail": [{"loc": ["body", 23], "msg": "JSON decode error", "type": "json_invalid"}]
    }
    assert count(db, Location) == 0


def test_api_invalid_fields_are_named_in_the_422(
    client: Browser, session: Session, db: Database
) -> None:
    org = make_org(session)
    token = make_token(session, org, make_member(session, org, Role.owner))

    response = client.post(
        "/api/v1/locations", json={"name": "   "}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "name"]
    assert "enter a name for the location" in error["msg"]
    assert count(db, Location) == 0


def test_api_another_organizations_location_is_404_json_and_untouched(
    client: Browser, session: Session, db: Database
) -> None:
    ours = make_org(session)
    theirs = make_org(session)
    token = make_token(session, ours, make_member(session, ours, Role.owner))
    foreign = make_location(session, theirs, name="Their branch")
    auth = {"Authorization": f"Bearer {token}"}

    read = client.get(f"/api/v1/locations/{foreign.id}", headers=auth)
    patch = client.patch(f"/api/v1/locations/{foreign.id}", json={"name": "Ours now"}, headers=auth)
    delete = client.delete(f"/api/v1/locations/{foreign.id}", headers=auth)

    for response in (read, patch, delete):
        assert response.status_code == 404
        assert response.json() == {"detail": MSG_NOT_FOUND}
    with db.session() as s:
        row = s.get(Location, foreign.id)
        assert row is not None
        assert row.name == "Their branch"


def test_guessing_the_current_password_is_throttled_like_logins(
    own_app: Any, session: Session, db: Database
) -> None:
    """A stolen session must not become an unlimited oracle for the account's password."""
    client = own_app(login_max_failures_per_account=2)
    owner = make_member(session, make_org(session), Role.owner)
    login(client, owner.email, PASSWORD)
    change = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    for _ in range(2):
        wrong = client.form("/account/password", {"current_password": "a wrong guess", **change})
        assert field_error(wrong.text, "current_password") == html(services.MSG_WRONG_PASSWORD)

    right = client.form("/account/password", {"current_password": PASSWORD, **change})

    assert right.status_code == 400
    assert "Too many failed attempts" in (field_error(right.text, "current_password") or "")
    with db.session() as s:
        user = s.get(User, owner.id)
        assert user is not None and user.password_hash == owner.password_hash
