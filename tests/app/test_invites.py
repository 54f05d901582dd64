"""Invites and their one-time links, the people page, and switching between organizations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import func
from sqlmodel import Session, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs import services
from app.orgs.models import Invite, Membership, Organization, Role, User, UserSession
from app.orgs.routes import MSG_ORG_CREATE_OWNERS
from app.security import MSG_PASSWORD_GUESSABLE, digest, verify_password
from app.tenancy import MSG_FORBIDDEN
from tests.conftest import CSRF_META, Browser, sign_in
from tests.factories import PASSWORD, make_invite, make_member, make_org, make_token

NEW_PASSWORD = "my own new passphrase"
INVITE_LINK = re.compile(r'id="invite-link"[^>]*value="http://testserver(/invite/[^"]+)"')


def html(message: str) -> str:
    return str(escape(message))


def field_error(page: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="f-{name}-error">(.*?)</p>', page, re.S)
    return match.group(1) if match else None


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S)


def current_org_name(page: str) -> str | None:
    match = re.search(r'<span class="org-name">(.*?)</span>', page)
    return match.group(1) if match else None


def count(db: Database, model: type[Any], *where: Any) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def role_in(db: Database, user_id: int | None, org: Organization) -> str | None:
    with db.session() as s:
        row = s.exec(
            select(Membership).where(Membership.user_id == user_id, Membership.org_id == org.id)
        ).first()
        return row.role if row else None


def open_link(browser: Browser, path: str) -> Any:
    """Open an invite link in a browser, and keep the CSRF token the page gave it."""
    response = browser.get(path)
    match = CSRF_META.search(response.text)
    assert match, response.text
    browser.csrf = match.group(1)
    return response


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Meadow Vets")


@pytest.fixture
def owner(session: Session, org: Organization) -> User:
    return make_member(session, org, Role.owner, name="Olive Owner")


@pytest.fixture
def browser(client: Browser, db: Database, org: Organization, owner: User) -> Browser:
    """The owner, logged in."""
    return sign_in(client, db, owner, org)


# --- creating invites and following the link ---------------------------------------------


def test_owner_invites_a_shopper_who_sets_a_password_and_is_logged_in(
    browser: Browser, browser_factory: Any, db: Database, org: Organization
) -> None:
    response = browser.form("/people/invites", {"email": " Sam@Example.com ", "role": "shopper"})

    assert response.status_code == 200
    assert "<h1>People</h1>" in response.text  # a plain form post gets the whole page
    assert "Invite ready for sam@example.com." in response.text
    assert "Send them this link; it is shown only once." in response.text
    match = INVITE_LINK.search(response.text)
    assert match, response.text
    link = match.group(1)
    assert "Waiting to be accepted" in response.text

    guest = browser_factory()
    page = open_link(guest, link)
    assert page.status_code == 200
    assert "<h1>Join Meadow Vets</h1>" in page.text
    assert "<strong>secret shopper</strong>" in page.text
    assert "<strong>sam@example.com</strong>" in page.text

    joined = guest.form(
        link,
        {"name": "Sam Shopper", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )

    assert joined.status_code == 303
    assert joined.headers["location"] == "/"
    home = guest.get("/")
    assert home.status_code == 200
    assert "<h1>My shops</h1>" in home.text
    assert current_org_name(home.text) == "Meadow Vets"
    assert "Welcome to Touchstone. Your account is ready." in flashes(home.text)
    with db.session() as s:
        user = s.exec(select(User).where(User.email == "sam@example.com")).one()
        assert user.name == "Sam Shopper"
        assert verify_password(NEW_PASSWORD, user.password_hash)
        invite = s.exec(select(Invite)).one()
        assert invite.accepted_at is not None
    assert role_in(db, user.id, org) == Role.shopper


def test_htmx_invite_returns_only_the_invites_panel_with_the_link(
    browser: Browser, db: Database
) -> None:
    response = browser.htmx(
        "POST", "/people/invites", {"email": "vic@example.com", "role": "viewer"}
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="invites">')
    assert "<html" not in response.text
    match = INVITE_LINK.search(response.text)
    assert match
    raw = match.group(1).removeprefix("/invite/")
    with db.session() as s:
        invite = s.exec(select(Invite)).one()
    assert invite.email == "vic@example.com"
    assert invite.role == Role.viewer
    assert invite.token_hash == digest(raw)  # only the digest of the link is stored
    assert raw not in invite.token_hash


def test_a_link_works_only_once(
    browser_factory: Any, session: Session, db: Database, org: Organization
) -> None:
    invite, raw = make_invite(session, org, email="once@example.test")
    link = f"/invite/{raw}"
    first = browser_factory()
    open_link(first, link)
    form = {"name": "Once", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert first.form(link, form).status_code == 303

    second = browser_factory()
    page = open_link(second, link)
    again = second.form(link, {**form, "password": "another passphrase"})

    for response in (page, again):
        assert response.status_code == 410
        assert html(services.MSG_INVITE_USED) in response.text
    assert count(db, User, User.email == "once@example.test") == 1
    assert second.get("/").status_code == 303  # not logged in


def test_an_expired_link_is_refused_and_creates_no_account(
    client: Browser, session: Session, db: Database, org: Organization
) -> None:
    _, raw = make_invite(
        session, org, email="late@example.test", expires_at=utcnow() - timedelta(minutes=1)
    )
    link = f"/invite/{raw}"

    page = open_link(client, link)
    submitted = client.form(
        link, {"name": "Late", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )

    for response in (page, submitted):
        assert response.status_code == 410
        assert html(services.MSG_INVITE_EXPIRED) in response.text
    assert count(db, User, User.email == "late@example.test") == 0


def test_an_unknown_link_is_404(client: Browser, db: Database) -> None:
    page = open_link(client, "/invite/no-such-token")
    submitted = client.form(
        "/invite/no-such-token",
        {"name": "Nobody", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )

    for response in (page, submitted):
        assert response.status_code == 404
        assert html(services.MSG_INVITE_UNKNOWN) in response.text
    assert count(db, User) == 0


@pytest.mark.parametrize(
    ("field", "change", "message"),
    [
        (
            "password",
            {"password": "short", "confirm_password": "short"},
            "Use at least 12 characters.",
        ),
        (
            "password",
            {"password": "password1234", "confirm_password": "password1234"},
            MSG_PASSWORD_GUESSABLE,
        ),
        (
            "confirm_password",
            {"confirm_password": "a different one"},
            services.MSG_PASSWORDS_DIFFER,
        ),
        ("name", {"name": "  "}, "Enter your name."),
        ("name", {"name": "N" * 121}, "Use at most 120 characters."),
    ],
    ids=["short-password", "common-password", "confirm-differs", "no-name", "long-name"],
)
def test_new_account_problems_are_shown_next_to_the_field_and_the_link_still_works(
    client: Browser,
    session: Session,
    db: Database,
    org: Organization,
    field: str,
    change: dict[str, str],
    message: str,
) -> None:
    _, raw = make_invite(session, org, email="new@example.test")
    link = f"/invite/{raw}"
    open_link(client, link)

    response = client.form(
        link,
        {"name": "New Person", "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD} | change,
    )

    assert response.status_code == 400
    assert field_error(response.text, field) == html(message)
    assert count(db, User) == 0
    assert client.get(link).status_code == 200


def test_existing_user_proves_their_password_and_gains_a_second_membership(
    client: Browser, session: Session, db: Database, org: Organization
) -> None:
    home_org = make_org(session, name="Alder Consulting")
    consultant = make_member(session, home_org, Role.owner, name="Cora Consultant")
    _, raw = make_invite(session, org, email=consultant.email, role=Role.viewer)
    link = f"/invite/{raw}"

    page = open_link(client, link)
    # The page does not say that the account exists (test_invite_page_is_the_same_...).
    assert "Already have a Touchstone account with this address?" in page.text
    wrong = client.form(link, {"password": "not my password"})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "password") == html(services.MSG_WRONG_PASSWORD)
    assert role_in(db, consultant.id, org) is None

    joined = client.form(link, {"password": PASSWORD, "name": "Someone Else"})

    assert joined.status_code == 303
    home = client.get("/")
    assert "<h1>Reports</h1>" in home.text  # the viewer's start page, in the new organization
    assert current_org_name(home.text) == "Meadow Vets"
    assert role_in(db, consultant.id, org) == Role.viewer
    assert role_in(db, consultant.id, home_org) == Role.owner
    with db.session() as s:
        user = s.get(User, consultant.id)
        assert user is not None
        assert user.name == "Cora Consultant"
        assert user.password_hash == consultant.password_hash


def test_wrong_passwords_through_an_invite_link_are_throttled_like_logins(
    client: Browser, session: Session, db: Database, org: Organization, settings: Any
) -> None:
    """An invite for someone else's address must not be an unlimited password oracle."""
    settings.login_max_failures_per_account = 2
    victim = make_member(session, make_org(session), Role.owner)
    _, raw = make_invite(session, org, email=victim.email)
    link = f"/invite/{raw}"
    open_link(client, link)

    for n in range(2):
        assert client.form(link, {"password": f"guess number {n}"}).status_code == 400
    response = client.form(link, {"password": PASSWORD})

    assert response.status_code == 429
    assert html(services.MSG_LOGIN_THROTTLED % {"minutes": 15}) in response.text
    assert role_in(db, victim.id, org) is None
    assert client.get("/").status_code == 303


def test_inviting_a_member_again_is_refused_next_to_the_email_field(
    browser: Browser, session: Session, db: Database, org: Organization
) -> None:
    member = make_member(session, org, Role.shopper, email="kim@example.com")

    response = browser.form("/people/invites", {"email": "KIM@Example.com", "role": "viewer"})

    # 400, not 409: a form that failed answers 400 so that htmx swaps its messages in
    # (templates/base.html); the API answers 409 (test_api_invite_...).
    assert response.status_code == 400
    assert field_error(response.text, "email") == html(
        services.MSG_ALREADY_MEMBER % {"email": member.email}
    )
    assert 'value="KIM@Example.com"' in response.text  # what they typed stays in the field
    assert count(db, Invite) == 0


def test_an_invalid_invite_form_names_the_field(browser: Browser, db: Database) -> None:
    response = browser.form("/people/invites", {"email": "not-an-address", "role": "boss"})

    assert response.status_code == 400
    assert field_error(response.text, "email")
    assert field_error(response.text, "role")
    assert count(db, Invite) == 0


def test_revoking_an_invite_makes_its_link_invalid(
    browser: Browser, browser_factory: Any, session: Session, db: Database, org: Organization
) -> None:
    invite, raw = make_invite(session, org, email="gone@example.test")
    assert "gone@example.test" in browser.get("/people").text

    response = browser.htmx("POST", f"/people/invites/{invite.id}/revoke")

    assert response.status_code == 200
    assert "gone@example.test" not in response.text
    guest = browser_factory()
    page = open_link(guest, f"/invite/{raw}")
    assert page.status_code == 404
    assert html(services.MSG_INVITE_UNKNOWN) in page.text
    with db.session() as s:
        row = s.get(Invite, invite.id)
        assert row is not None
        assert row.revoked_at is not None


@pytest.mark.parametrize("role", [Role.shopper, Role.viewer])
def test_shoppers_and_viewers_cannot_invite(
    client: Browser, session: Session, db: Database, org: Organization, role: Role
) -> None:
    member = make_member(session, org, role)
    sign_in(client, db, member, org)
    token = make_token(session, org, member)

    page = client.form("/people/invites", {"email": "friend@example.com", "role": "owner"})
    api = client.post(
        "/api/v1/invites",
        json={"email": "friend@example.com", "role": "owner"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert page.status_code == 403
    assert html(MSG_FORBIDDEN) in page.text
    assert api.status_code == 403
    assert api.json() == {"detail": MSG_FORBIDDEN}
    assert client.get("/people").status_code == 403
    assert count(db, Invite) == 0


def test_api_invite_returns_the_link_once_and_refuses_members(
    client: Browser, session: Session, db: Database, org: Organization, owner: User
) -> None:
    auth = {"Authorization": f"Bearer {make_token(session, org, owner)}"}
    make_member(session, org, Role.shopper, email="ben@example.com")

    created = client.post(
        "/api/v1/invites", json={"email": "ann@example.com", "role": "shopper"}, headers=auth
    )
    again = client.post(
        "/api/v1/invites", json={"email": "Ben@example.com", "role": "viewer"}, headers=auth
    )

    assert created.status_code == 201
    body = created.json()
    assert body["email"] == "ann@example.com"
    assert body["link"].startswith("http://testserver/invite/")
    listed = client.get("/api/v1/invites", headers=auth).json()
    assert [i["email"] for i in listed] == ["ann@example.com"]
    assert "link" not in listed[0]
    assert again.status_code == 409
    assert again.json() == {
        "detail": services.MSG_ALREADY_MEMBER % {"email": "ben@example.com"},
        "field": "email",
    }
    assert count(db, Invite) == 1


# --- the people page ---------------------------------------------------------------------


def test_people_page_lists_this_organizations_members_and_pending_invites(
    browser: Browser, session: Session, org: Organization
) -> None:
    make_member(session, org, Role.shopper, name="Sid Shopper", email="sid@example.test")
    make_invite(session, org, email="pending@example.test")
    make_invite(session, org, email="expired@example.test", expires_at=utcnow() - timedelta(1))
    other = make_org(session, name="Elsewhere Ltd")
    make_member(session, other, Role.owner, name="Outsider", email="out@example.test")
    make_invite(session, other, email="their-invite@example.test")

    page = browser.get("/people").text

    assert "Olive Owner" in page and "(you)" in page
    assert "Sid Shopper" in page and "sid@example.test" in page
    assert "pending@example.test" in page
    assert "expired@example.test" not in page
    assert "Outsider" not in page and "their-invite@example.test" not in page


# --- owners ------------------------------------------------------------------------------


def test_the_last_owner_cannot_be_removed_or_demoted(
    browser: Browser, db: Database, org: Organization, owner: User
) -> None:
    with db.session() as s:
        mine = s.exec(select(Membership).where(Membership.user_id == owner.id)).one()

    removed = browser.form(f"/people/{mine.id}/remove")
    assert removed.status_code == 303
    assert html(services.MSG_LAST_OWNER) in flashes(browser.get("/people").text)
    demoted = browser.form(f"/people/{mine.id}/role", {"role": "viewer"})
    assert demoted.status_code == 303
    assert html(services.MSG_LAST_OWNER) in flashes(browser.get("/people").text)

    assert role_in(db, owner.id, org) == Role.owner


def test_with_a_second_owner_an_owner_can_be_demoted(
    browser: Browser, session: Session, db: Database, org: Organization
) -> None:
    partner = make_member(session, org, Role.owner, name="Pat Partner")
    with db.session() as s:
        theirs = s.exec(select(Membership).where(Membership.user_id == partner.id)).one()

    response = browser.form(f"/people/{theirs.id}/role", {"role": "viewer"})

    assert response.status_code == 303
    assert "Pat Partner is now staff (viewer)." in flashes(browser.get("/people").text)
    assert role_in(db, partner.id, org) == Role.viewer


# --- several organizations ---------------------------------------------------------------


def test_a_consultant_switches_between_organizations(
    browser: Browser, session: Session, db: Database, owner: User
) -> None:
    client_org = make_org(session, name="Birch Hotel")
    session.add(Membership(org_id=client_org.id, user_id=owner.id, role=Role.viewer))  # type: ignore[arg-type]
    session.commit()

    home = browser.get("/").text
    assert current_org_name(home) == "Meadow Vets"
    assert "Meadow Vets (Owner)</option>" in home
    assert "Birch Hotel (Staff (viewer))</option>" in home

    response = browser.form("/orgs/switch", {"org_id": client_org.id})

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = browser.get("/").text
    assert current_org_name(home) == "Birch Hotel"
    assert "<h1>Reports</h1>" in home  # viewer there, so the viewer's start page


def test_switching_to_an_organization_you_do_not_belong_to_is_404(
    browser: Browser, session: Session, db: Database, org: Organization, owner: User
) -> None:
    stranger_org = make_org(session, name="Private Clinic")

    response = browser.form("/orgs/switch", {"org_id": stranger_org.id})

    assert response.status_code == 404
    assert "Private Clinic" not in response.text
    assert current_org_name(browser.get("/").text) == "Meadow Vets"
    with db.session() as s:
        row = s.exec(select(UserSession).where(UserSession.user_id == owner.id)).one()
        assert row.org_id == org.id


def test_creating_a_client_organization_makes_you_its_owner(
    browser: Browser, db: Database, owner: User
) -> None:
    response = browser.form("/orgs", {"name": "  Willow Spa ", "timezone": "Europe/Dublin"})

    assert response.status_code == 303
    home = browser.get("/").text
    assert "<h1>Willow Spa</h1>" in home
    assert "Willow Spa is ready. You are its owner." in flashes(home)
    with db.session() as s:
        new = s.exec(select(Organization).where(Organization.name == "Willow Spa")).one()
        assert new.timezone == "Europe/Dublin"
    assert role_in(db, owner.id, new) == Role.owner


def test_an_invalid_new_organization_is_refused_next_to_its_fields(
    browser: Browser, db: Database
) -> None:
    response = browser.form("/orgs", {"name": "  ", "timezone": "Mars/Olympus"})

    assert response.status_code == 400
    assert field_error(response.text, "name") == "Enter a name."
    assert "Unknown time zone" in (field_error(response.text, "timezone") or "")
    assert count(db, Organization) == 1


def test_accepting_an_invite_never_changes_an_existing_members_role(
    client: Browser, session: Session, db: Database, org: Organization
) -> None:
    """The sole owner, invited again as a viewer, stays the owner."""
    owner = make_member(session, org, Role.owner)
    _, raw = make_invite(session, org, email=owner.email, role=Role.viewer)
    open_link(client, f"/invite/{raw}")

    response = client.form(f"/invite/{raw}", {"password": PASSWORD})

    assert response.status_code == 409
    assert html(services.MSG_ALREADY_MEMBER % {"email": owner.email}) in response.text
    assert role_in(db, owner.id, org) == Role.owner


def test_invite_page_is_the_same_whether_or_not_the_address_has_an_account(
    browser: Browser, browser_factory: Any, session: Session, org: Organization
) -> None:
    """Anyone who owns an organization can invite any address: the page the link opens
    must not tell them which addresses already have an account (account enumeration)."""
    make_member(session, make_org(session), Role.viewer, email="known@example.com")
    pages = []
    for email in ("known@example.com", "unknown@example.com"):
        made = browser.form("/people/invites", {"email": email, "role": "viewer"})
        match = INVITE_LINK.search(made.text)  # type: ignore[attr-defined]
        assert match, made.text  # type: ignore[attr-defined]
        link = match.group(1)
        page = browser_factory().get(link)
        assert page.status_code == 200
        csrf = CSRF_META.search(page.text).group(1)  # type: ignore[union-attr]
        token = link.rsplit("/", 1)[1]
        text = page.text.replace(email, "E").replace(token, "T").replace(csrf, "C")
        # The link's expiry is printed to the minute, and the two were made moments apart.
        pages.append(re.sub(r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2}", "WHEN", text))
        browser.refresh_csrf("/people")

    assert pages[0] == pages[1]


@pytest.mark.parametrize("role", [Role.shopper, Role.viewer])
def test_only_owners_may_create_organizations(
    client: Browser, session: Session, db: Database, org: Organization, role: Role
) -> None:
    member = make_member(session, org, role)
    sign_in(client, db, member, org)
    assert "Add a client organization" not in client.get("/account").text

    response = client.form("/orgs", {"name": "Shadow Org", "timezone": "UTC"})

    assert response.status_code == 403
    assert html(MSG_ORG_CREATE_OWNERS) in response.text  # type: ignore[attr-defined]
    assert count(db, Organization) == 1
