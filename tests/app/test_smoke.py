"""First look: the app factory builds, the login page renders, the demo users can log in."""

from __future__ import annotations

from sqlmodel import Session

from app.orgs.models import Role
from tests.conftest import Browser, login
from tests.factories import PASSWORD, make_member, make_org


def test_login_page_renders(client: Browser) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert "<h1>Log in</h1>" in response.text
    assert 'lang="en"' in response.text


def test_owner_logs_in_and_sees_overview(client: Browser, session: Session) -> None:
    org = make_org(session, name="Acme Bakery")
    owner = make_member(session, org, Role.owner)
    login(client, owner.email, PASSWORD)
    page = client.get("/")
    assert page.status_code == 200
    assert "Acme Bakery" in page.text
    assert 'href="/locations"' in page.text
