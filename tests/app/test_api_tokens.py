"""API tokens: made, listed and revoked on the settings page and through the API; read-only
tokens cannot write; expired tokens are refused; every token of a user dies with a password
change, turning on two-step login and leaving the organization. (The CLI's side is in
test_api_tokens_cli.py.)"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app import security
from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Organization, Role, User
from app.orgs.tokens.services import MSG_TOKEN_MADE_BY_TOKEN
from app.security import MSG_BAD_TOKEN, MSG_TOKEN_EXPIRED, MSG_TOKEN_READ_ONLY
from tests.app.test_two_step import SECRET_ON_PAGE, code_at
from tests.conftest import Browser, login, sign_in
from tests.factories import PASSWORD, make_member, make_org

pytestmark = pytest.mark.db

NEW_TOKEN = re.compile(r'id="new-token"[^>]*value="(ts_[^"]+)"')
NEW_PASSWORD = "a fresh passphrase for tokens"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Copper Kettle")


@pytest.fixture
def owner(session: Session, org: Organization) -> User:
    return make_member(session, org, Role.owner, name="Olga Owner")


@pytest.fixture
def browser(client: Browser, db: Database, org: Organization, owner: User) -> Browser:
    return sign_in(client, db, owner, org)


def make_on_page(browser: Browser, name: str, scope: str, days: str = "") -> str:
    response = browser.htmx(
        "POST",
        "/settings/tokens",
        {"token_name": name, "token_scope": scope, "token_expires_in_days": days},
    )
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert text.lstrip().startswith('<section class="card" id="api-tokens">')  # the section only
    match = NEW_TOKEN.search(text)
    assert match, text
    return match.group(1)


def make_by_api(browser: Browser, name: str = "script", scope: str = "write", **more: Any) -> Any:
    response = browser.post(
        "/api/v1/tokens",
        json={"name": name, "scope": scope, **more},
        headers={"X-CSRF-Token": browser.csrf},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_read_only_token_made_on_the_settings_page_reads_but_cannot_write(
    browser: Browser,
) -> None:
    token = make_on_page(browser, "Dashboard screen", "read", "30")

    page = browser.get("/settings").text
    assert "Dashboard screen" in page and "read-only" in page and "expires" in page
    assert token not in page  # shown once only
    assert browser.get("/api/v1/locations", headers=bearer(token)).status_code == 200
    write = browser.post("/api/v1/locations", json={"name": "Harbour"}, headers=bearer(token))
    assert write.status_code == 403
    assert write.json() == {"detail": MSG_TOKEN_READ_ONLY}
    assert browser.get("/api/v1/locations", headers=bearer(token)).json() == []


def test_revoking_on_the_settings_page_refuses_the_token(browser: Browser) -> None:
    token = make_on_page(browser, "Old importer", "write")
    assert browser.get("/api/v1/me", headers=bearer(token)).status_code == 200
    listed = browser.get("/api/v1/tokens").json()
    (row,) = listed
    assert (row["name"], row["scope"], row["expires_at"]) == ("Old importer", "write", None)

    response = browser.htmx("POST", f"/settings/tokens/{row['id']}/revoke")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Token Old importer is revoked" in response.text  # type: ignore[attr-defined]
    refused = browser.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json() == {"detail": MSG_BAD_TOKEN}
    assert browser.get("/api/v1/tokens").json() == []
    assert "Old importer" not in browser.get("/settings").text


def test_a_bad_token_form_names_its_field(browser: Browser) -> None:
    response = browser.htmx(
        "POST", "/settings/tokens", {"token_name": " ", "token_expires_in_days": "0"}
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert 'id="f-token_name-error"' in text and 'id="f-token_expires_in_days-error"' in text


def test_the_api_makes_lists_and_revokes_tokens(browser: Browser) -> None:
    made = make_by_api(browser, "nightly export", "read", expires_in_days=7)
    assert made["token"].startswith("ts_") and made["scope"] == "read"
    assert made["expires_at"] is not None
    assert browser.get("/api/v1/me", headers=bearer(made["token"])).status_code == 200
    # A token cannot make tokens: a stolen one must not outlive its own revocation.
    writer = make_by_api(browser, "writer")
    by_token = browser.post(
        "/api/v1/tokens", json={"name": "child"}, headers=bearer(writer["token"])
    )
    assert by_token.status_code == 403
    assert by_token.json() == {"detail": MSG_TOKEN_MADE_BY_TOKEN}
    names = [t["name"] for t in browser.get("/api/v1/tokens").json()]
    assert names == ["nightly export", "writer"]
    assert "token" not in browser.get("/api/v1/tokens").json()[0]  # never shown again

    gone = browser.delete(f"/api/v1/tokens/{made['id']}", headers={"X-CSRF-Token": browser.csrf})

    assert gone.status_code == 204
    refused = browser.get("/api/v1/me", headers=bearer(made["token"]))
    assert (refused.status_code, refused.json()) == (401, {"detail": MSG_BAD_TOKEN})
    # A token may revoke itself (and then it is refused).
    itself = browser.delete(f"/api/v1/tokens/{writer['id']}", headers=bearer(writer["token"]))
    assert itself.status_code == 204
    assert browser.get("/api/v1/me", headers=bearer(writer["token"])).status_code == 401


def test_members_see_and_revoke_only_their_own_tokens(
    browser: Browser, browser_factory: Any, db: Database, session: Session, org: Organization
) -> None:
    mine = make_by_api(browser, "owner's")
    viewer = sign_in(browser_factory(), db, make_member(session, org, Role.viewer), org)
    theirs = make_by_api(viewer, "viewer's")

    assert [t["name"] for t in viewer.get("/api/v1/tokens").json()] == ["viewer's"]
    foreign = viewer.delete(f"/api/v1/tokens/{mine['id']}", headers={"X-CSRF-Token": viewer.csrf})
    assert foreign.status_code == 404
    assert browser.get("/api/v1/me", headers=bearer(mine["token"])).status_code == 200
    # The owner sees and may revoke everybody's.
    assert len(browser.get("/api/v1/tokens").json()) == 2
    assert (
        browser.delete(
            f"/api/v1/tokens/{theirs['id']}", headers={"X-CSRF-Token": browser.csrf}
        ).status_code
        == 204
    )


def test_an_expired_token_answers_401(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    made = make_by_api(browser, "a week", expires_in_days=7)
    assert browser.get("/api/v1/me", headers=bearer(made["token"])).status_code == 200

    later = utcnow() + timedelta(days=7, minutes=1)
    monkeypatch.setattr(security, "utcnow", lambda: later)
    response = browser.get("/api/v1/me", headers=bearer(made["token"]))

    assert response.status_code == 401
    assert response.json() == {"detail": MSG_TOKEN_EXPIRED}


def test_a_password_change_revokes_every_token_of_the_user(
    client: Browser, session: Session, org: Organization, owner: User
) -> None:
    other_org = make_org(session, name="Second Shop")
    make_member_of(session, other_org, owner)
    login(client, owner.email, PASSWORD)
    here = make_by_api(client, "here")
    client.form("/orgs/switch", {"org_id": other_org.id})
    client.refresh_csrf("/account")
    there = make_by_api(client, "there")

    changed = client.form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert changed.status_code == 303  # type: ignore[attr-defined]
    for token in (here["token"], there["token"]):
        refused = client.get("/api/v1/me", headers=bearer(token))
        assert (refused.status_code, refused.json()) == (401, {"detail": MSG_BAD_TOKEN})


def make_member_of(session: Session, org: Organization, user: User) -> None:
    from app.orgs.models import Membership

    session.add(Membership(org_id=org.id, user_id=user.id, role=Role.owner))  # type: ignore[arg-type]
    session.commit()


def test_turning_on_two_step_login_revokes_every_token_of_the_user(
    client: Browser, owner: User
) -> None:
    login(client, owner.email, PASSWORD)
    made = make_by_api(client, "before two-step")
    client.form("/account/two-step/start")
    secret = SECRET_ON_PAGE.search(client.get("/account").text).group(1).replace(" ", "")  # type: ignore[union-attr]

    assert client.form("/account/two-step/confirm", {"code": code_at(secret)}).status_code == 200  # type: ignore[attr-defined]

    refused = client.get("/api/v1/me", headers=bearer(made["token"]))
    assert (refused.status_code, refused.json()) == (401, {"detail": MSG_BAD_TOKEN})


def test_leaving_the_organization_revokes_the_tokens_for_it_for_good(
    browser: Browser, browser_factory: Any, db: Database, session: Session, org: Organization
) -> None:
    shopper = make_member(session, org, Role.shopper, email="sid@example.com")
    phone = sign_in(browser_factory(), db, shopper, org)
    made = make_by_api(phone, "sid's script")
    members = browser.get("/api/v1/members").json()
    (membership_id,) = [m["id"] for m in members if m["user"]["email"] == "sid@example.com"]

    assert browser.form(f"/people/{membership_id}/remove").status_code in (200, 303)  # type: ignore[attr-defined]
    refused = phone.get("/api/v1/me", headers=bearer(made["token"]))
    assert (refused.status_code, refused.json()) == (401, {"detail": MSG_BAD_TOKEN})

    # Invited back, the old token stays dead.
    browser.refresh_csrf("/people")
    again = browser.form("/people/invites", {"email": "sid@example.com", "role": "shopper"})
    link = re.search(r'id="invite-link"[^>]*value="http://testserver(/invite/[^"]+)"', again.text)  # type: ignore[attr-defined]
    assert link
    guest = browser_factory()
    guest.refresh_csrf(link.group(1))
    assert guest.form(link.group(1), {"password": PASSWORD}).status_code == 303  # type: ignore[attr-defined]
    assert phone.get("/api/v1/me", headers=bearer(made["token"])).status_code == 401
