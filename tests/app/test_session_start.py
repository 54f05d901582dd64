"""Every way to start a login session goes through app.accounts.login.session_begin, which asks
an account with two-step login for its code first (issue 12: the invite bypass)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.db import Database
from app.orgs.models import Organization, Role, User
from tests.app.test_two_step import KNOWN_RECOVERY, code_at, turn_on
from tests.conftest import CSRF_META, Browser, sign_in
from tests.factories import PASSWORD, make_member, make_org

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "touchpoints", "audits", "recovery", "reports")
INVITE_LINK = re.compile(r'id="invite-link"[^>]*value="http://testserver(/invite/[^"]+)"')


def open_page(browser: Browser, path: str) -> Any:
    response = browser.get(path)
    match = CSRF_META.search(response.text)
    assert match, response.text
    browser.csrf = match.group(1)
    return response


def is_logged_out(browser: Browser) -> bool:
    return (
        browser.get("/").status_code == 303
        and browser.get("/api/v1/me").status_code == 401
        and browser.get("/account").status_code == 303
    )


@pytest.fixture
def victim(session: Session) -> User:
    org = make_org(session, name="Victim Dental")
    return make_member(session, org, Role.owner, email="vera@example.com")


def invite_link_for(attacker: Browser, email: str) -> str:
    """The attacker makes an organization of their own and invites `email` into it."""
    made = attacker.form("/orgs", {"name": "Trap Ltd", "timezone": "UTC"})
    assert made.status_code == 303, made.text
    attacker.refresh_csrf("/people")
    page = attacker.form("/people/invites", {"email": email, "role": "owner"})
    match = INVITE_LINK.search(page.text)
    assert match, page.text
    return match.group(1)


def test_an_invite_does_not_bypass_two_step_login(
    browser_factory: Any, session: Session, db: Database, victim: User
) -> None:
    """The attack of issue 12, replayed: the attacker knows the victim's password only."""
    secret = turn_on(db, victim)
    home = make_org(session, name="Attacker Home")
    attacker_user = make_member(session, home, Role.owner, email="mallory@example.com")
    attacker = sign_in(browser_factory(), db, attacker_user, home)
    link = invite_link_for(attacker, victim.email)

    guest = browser_factory()
    open_page(guest, link)
    response = guest.form(link, {"password": PASSWORD})

    assert response.status_code == 303
    assert response.headers["location"] == "/login/code"  # the code is asked, no session
    assert is_logged_out(guest)
    page = guest.get("/login/code")
    assert page.status_code == 200
    assert "authenticator app" in page.text
    wrong = guest.form("/login/code", {"code": "000000"})
    assert wrong.status_code == 400
    assert is_logged_out(guest)

    # The real owner of the account, with the code, gets in (to the invite's organization).
    right = guest.form("/login/code", {"code": code_at(secret)})
    assert right.status_code == 303
    me = guest.get("/api/v1/me").json()
    assert me["user"]["email"] == victim.email
    assert me["organization"]["name"] == "Trap Ltd"


def test_a_recovery_code_finishes_an_invite_login_too(
    client: Browser, session: Session, db: Database, victim: User, org_invite: Any
) -> None:
    turn_on(db, victim)
    link = org_invite(victim.email)
    open_page(client, link)
    assert client.form(link, {"password": PASSWORD}).headers["location"] == "/login/code"
    assert client.form("/login/code", {"code": KNOWN_RECOVERY[0]}).status_code == 303
    assert client.get("/api/v1/me").json()["user"]["email"] == victim.email


@pytest.fixture
def org_invite(browser_factory: Any, session: Session, db: Database) -> Any:
    org: Organization = make_org(session, name="Inviting Org")
    owner = make_member(session, org, Role.owner)
    browser = sign_in(browser_factory(), db, owner, org)

    def make(email: str) -> str:
        browser.refresh_csrf("/people")
        page = browser.form("/people/invites", {"email": email, "role": "viewer"})
        match = INVITE_LINK.search(page.text)
        assert match, page.text
        return match.group(1)

    return make


def _sources() -> list[tuple[str, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found.append((str(path.relative_to(ROOT)), path.read_text()))
    return found


def test_sessions_are_made_in_one_place_only() -> None:
    """A new way to log in must go through session_begin (which asks for the second step):
    the session row is made only in security.session_start, whose only caller is
    session_begin, and only the code page may tell session_begin that the code was given."""
    made = [name for name, text in _sources() if re.search(r"(?<!class )UserSession\(", text)]
    starts = [name for name, text in _sources() if re.search(r"\bsession_start\(", text)]
    passed = [name for name, text in _sources() if "second_step_done=True" in text]

    assert made == ["app/security.py"]
    assert sorted(starts) == ["app/accounts/login.py", "app/security.py"]
    assert passed == ["app/accounts/routes.py"]
    routes = (ROOT / "app/accounts/routes.py").read_text()
    assert routes.count("second_step_done=True") == 1
    # ... and it says so right after the code was checked.
    at = routes.index("second_step_done=True")
    assert "two_step_login_verify(" in routes[routes.rindex("def ", 0, at) : at]
    # Single sign-on is the one other caller that may have the code left out, and only the
    # deployment's setting (OIDC_TWO_STEP_AT_PROVIDER, read in session_begin) lets it.
    vouched = [name for name, text in _sources() if "via_provider=True" in text]
    assert vouched == ["app/accounts/sso.py"]
    login = (ROOT / "app/accounts/login.py").read_text()
    assert "via_provider and settings.oidc_two_step_at_provider" in login
