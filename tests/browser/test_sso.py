"""Single sign-on in headless Chromium, through a real OpenID Connect provider (tests/oidc:
the certified `oidc-provider` package run with Node) and real Touchstone servers.

Two servers share the provider: one as deployed by default (Touchstone still asks its own
two-step code after the provider), one with OIDC_TWO_STEP_AT_PROVIDER=1. The login page
with its "Log in with …" button is photographed at 390 and 1280 px.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.accounts import oidc, sso
from app.config import Settings
from app.db import Database
from app.orgs.models import (
    InviteCreate,
    Membership,
    Organization,
    OrganizationCreate,
    Role,
    User,
)
from app.orgs.services import invite_create, membership_set, org_create, user_create
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, Tab, TabFactory, serving
from tests.conftest import free_port
from tests.oidc_provider import Account, Provider, running_provider

pytestmark = pytest.mark.browser

NAME = "Harbour ID"  # the button says "Log in with Harbour ID"
OWNER = Account("owner.sso@example.com", True, "Olive Owner")
TWO_STEP = Account("two.step@example.com", True, "Tess Twostep")
UNVERIFIED = Account("unverified@example.com", False, "Una Verified")
STRANGER = Account("stranger@example.com", True, "Sam Stranger")
INVITEE = Account("invitee@example.com", True, "Ivy Invitee")
PASSWORD = "a long password nobody uses 8841"
TOTP_SECRET = pyotp.random_base32()


@dataclass(frozen=True)
class World:
    provider: Provider
    server: LiveServer  # two-step still asked by Touchstone (the default)
    trusting: LiveServer  # OIDC_TWO_STEP_AT_PROVIDER=1
    invite_path: str  # an invite for INVITEE on `server`


def seed(server: LiveServer) -> str:
    """The organization and its people; returns the path of an invite for INVITEE."""
    db = Database(server.database_url)
    try:
        with db.session(write=True, writes_throughout=True) as session:
            org = org_create(
                session=session, data=OrganizationCreate(name="Harbour Cafe", timezone="UTC")
            )
            for account, role in (
                (OWNER, Role.owner),
                (TWO_STEP, Role.owner),
                (UNVERIFIED, Role.viewer),
            ):
                user = user_create(
                    session=session, email=account.email, name=account.name, password=PASSWORD
                )
                membership_set(session=session, org=org, user=user, role=role)
            session.commit()
            two_step = session.exec(select(User).where(User.email == TWO_STEP.email)).one()
            two_step.totp_secret = TOTP_SECRET
            session.add(two_step)
            session.commit()
            owner = session.exec(select(User).where(User.email == OWNER.email)).one()
            settings = Settings(_env_file=None, dev_mode=True)  # type: ignore[call-arg]
            _, link = invite_create(
                session=session,
                org=org,
                data=InviteCreate(email=INVITEE.email, role=Role.viewer),
                created_by=owner.id,  # type: ignore[arg-type]
                settings=settings,
            )
    finally:
        db.dispose()
    return link.removeprefix(settings.base_url.rstrip("/"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    port, trusting_port = free_port(), free_port()
    callbacks = [f"http://127.0.0.1:{p}{oidc.CALLBACK_PATH}" for p in (port, trusting_port)]
    accounts = [OWNER, TWO_STEP, UNVERIFIED, STRANGER, INVITEE]
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with running_provider(callbacks, accounts, log) as provider:
        env = provider.settings_env(NAME)
        with (
            serving(tmp_path_factory.mktemp("sso-server"), port, env, demo=False) as server,
            serving(
                tmp_path_factory.mktemp("sso-trusting"),
                trusting_port,
                {**env, "OIDC_TWO_STEP_AT_PROVIDER": "1", "JOBS": "off"},
                demo=False,
            ) as trusting,
        ):
            invite_path = seed(server)
            seed(trusting)
            yield World(provider, server, trusting, invite_path)


@pytest.fixture(scope="module")
def live_server(world: World) -> LiveServer:
    """The tabs of this module open the single sign-on server."""
    return world.server


def through_provider(tab: Tab, account: Account, password: str) -> None:
    """On the provider's page: log in as `account`, and wait to be back at Touchstone."""
    page = tab.page
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("E-mail").fill(account.email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation(url=re.compile(r"^http://127\.0\.0\.1:\d+/(?!interaction|auth)")):
        page.get_by_role("button", name="Sign in").click()
    tab.loaded()


def sso_login(tab: Tab, world: World, account: Account, base: str | None = None) -> None:
    tab.page.goto((base or world.server.url) + "/login")
    tab.page.get_by_role("link", name=f"Log in with {NAME}").click()
    through_provider(tab, account, world.provider.password)


def logged_in_as(tab: Tab, account: Account) -> None:
    """The page is a logged-in one, and the session is `account`'s."""
    expect(tab.page.locator("body[data-user]")).to_have_count(1)
    base = re.match(r"^http://[^/]+", tab.page.url)
    assert base is not None
    me = tab.page.request.get(base.group(0) + "/api/v1/me")
    assert me.status == 200 and me.json()["user"]["email"] == account.email


def test_log_in_through_the_provider(open_tab: TabFactory, world: World) -> None:
    tab = open_tab(DESKTOP)
    tab.goto("/login")
    tab.screenshot("login-sso-desktop")
    sso_login(tab, world, OWNER)

    assert tab.page.url == world.server.url + "/"
    logged_in_as(tab, OWNER)
    # A session like any other: the account page opens, logging out ends it.
    tab.goto("/account")
    expect(tab.page.get_by_role("heading", name=re.compile("account", re.I)).first).to_be_visible()


def test_the_login_page_on_a_phone(open_tab: TabFactory, world: World) -> None:
    tab = open_tab(PHONE)
    tab.goto("/login")
    button = tab.page.get_by_role("link", name=f"Log in with {NAME}")
    expect(button).to_be_visible()
    tab.check_phone_layout()
    tab.check_labels()
    tab.screenshot("login-sso-phone")


@pytest.mark.parametrize(
    ("account", "message"),
    [
        (STRANGER, sso.MSG_UNKNOWN % {"name": NAME, "email": STRANGER.email}),
        (UNVERIFIED, sso.MSG_UNVERIFIED % {"name": NAME, "email": UNVERIFIED.email}),
    ],
    ids=["unknown", "unverified"],
)
def test_unknown_and_unverified_addresses_are_refused(
    open_tab: TabFactory, world: World, account: Account, message: str
) -> None:
    tab = open_tab(PHONE)
    sso_login(tab, world, account)

    assert tab.page.url == world.server.url + "/login"
    expect(tab.page.locator("p.flash-error")).to_have_text(message)
    expect(tab.page.locator("body[data-user]")).to_have_count(0)
    if account is UNVERIFIED:
        tab.screenshot("login-sso-refused-phone")


def test_cancelling_at_the_provider(open_tab: TabFactory, world: World) -> None:
    tab = open_tab(DESKTOP)
    tab.goto("/login")
    tab.page.get_by_role("link", name=f"Log in with {NAME}").click()
    with tab.page.expect_navigation(url=world.server.url + "/login"):
        tab.page.get_by_role("link", name="Cancel").click()
    expect(tab.page.locator("p.flash-error")).to_have_text(oidc.MSG_CANCELLED % {"name": NAME})


def test_two_step_login_as_the_setting_says(open_tab: TabFactory, world: World) -> None:
    # By default Touchstone asks its own code after the provider.
    tab = open_tab(DESKTOP)
    sso_login(tab, world, TWO_STEP)
    assert tab.page.url == world.server.url + "/login/code"
    tab.page.locator("input[name=code]").fill(pyotp.TOTP(TOTP_SECRET).now())
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Log in").click()
    logged_in_as(tab, TWO_STEP)

    # OIDC_TWO_STEP_AT_PROVIDER=1: the provider's word is enough.
    other = open_tab(DESKTOP)
    sso_login(other, world, TWO_STEP, base=world.trusting.url)
    assert other.page.url == world.trusting.url + "/"
    logged_in_as(other, TWO_STEP)


def test_an_invite_accepted_through_the_provider(open_tab: TabFactory, world: World) -> None:
    tab = open_tab(PHONE)
    tab.goto(world.invite_path)
    tab.check_phone_layout()
    tab.screenshot("invite-sso-phone")
    tab.page.get_by_role("link", name=f"Join with {NAME}").click()
    through_provider(tab, INVITEE, world.provider.password)

    assert tab.page.url == world.server.url + "/"
    expect(tab.page.get_by_text("Welcome to Touchstone. Your account is ready.")).to_be_visible()
    logged_in_as(tab, INVITEE)
    db = Database(world.server.database_url)
    try:
        with db.session() as session:
            user = session.exec(select(User).where(User.email == INVITEE.email)).one()
            membership = session.exec(select(Membership).where(Membership.user_id == user.id)).one()
            org = session.get(Organization, membership.org_id)
            assert membership.role == Role.viewer and org is not None
            assert org.name == "Harbour Cafe"
    finally:
        db.dispose()
