"""An owner turns on two-step login in Chromium, logs out, and logs back in with a code."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from app.orgs import services
from app.orgs.models import Membership, OrganizationCreate
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, Tab, TabFactory

PASSWORD = "Tove reads the small print 4 times"

pytestmark = pytest.mark.browser


def arrange_owner(server: LiveServer) -> str:
    """A new owner of a new organization, so the demo accounts other tests use keep
    password-only logins."""
    email = f"two-step-{uuid.uuid4().hex[:8]}@demo.example"
    db = Database(server.database_url)
    try:
        with db.session(write=True) as session:
            user = services.user_create(
                session=session, email=email, name="Tove Twostep", password=PASSWORD
            )
            services.org_create(
                session=session, data=OrganizationCreate(name="Two-Step Opticians"), owner=user
            )
            session.commit()
            assert session.exec(select(Membership).where(Membership.user_id == user.id)).one()
    finally:
        db.dispose()
    return email


def log_out(tab: Tab) -> None:
    tab.page.locator("summary", has_text="Two-Step Opticians").click()
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Log out").click()


def test_an_owner_turns_on_two_step_login_and_logs_in_with_a_code(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    email = arrange_owner(live_server)
    tab = open_tab(DESKTOP)
    tab.login(email, PASSWORD)
    tab.goto("/account")
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Set up two-step login").click()

    qr = tab.page.get_by_role("img", name="QR code to add Touchstone to your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: URI drew (CSP allows it)
    # A person without a camera types the key; the test reads it as they would.
    secret = tab.page.locator("#totp-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    tab.check_labels()
    tab.screenshot("two-step-setup-desktop")

    totp = pyotp.TOTP(secret)
    tab.page.get_by_label("Enter the 6-digit code the app shows").fill(totp.now())
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Turn on two-step login").click()
    expect(tab.page.get_by_text("Two-step login is on.")).to_be_visible()
    codes = tab.page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    tab.screenshot("two-step-recovery-codes-desktop")
    with tab.page.expect_navigation():
        tab.page.get_by_role("link", name="I have saved them").click()

    log_out(tab)
    tab.login(email, PASSWORD)
    assert tab.page.url.endswith("/login/code")
    expect(tab.page.get_by_role("heading", name="Enter your code")).to_be_visible()
    tab.check_labels()
    tab.screenshot("two-step-code-desktop")

    # The code used to turn it on cannot be used again: take the next step's.
    tab.expect_status(400)
    tab.page.get_by_label("Code").fill("000000")
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_text("That code is not right")).to_be_visible()
    tab.page.get_by_label("Code").fill(totp.at(time.time() + 30))
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Log in").click()
    assert not tab.page.url.endswith("/login/code")
    tab.goto("/account")
    expect(tab.page.get_by_text("10 of 10 recovery codes left")).to_be_visible()


def test_the_set_up_and_code_pages_fit_a_phone(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    email = arrange_owner(live_server)
    phone = open_tab(PHONE)
    phone.login(email, PASSWORD)
    phone.goto("/account")
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="Set up two-step login").click()
    phone.page.locator("#two-step").scroll_into_view_if_needed()
    phone.check_phone_layout()
    phone.screenshot("two-step-setup-phone")
    secret = phone.page.locator("#totp-secret").inner_text().replace(" ", "")
    phone.page.get_by_label("Enter the 6-digit code the app shows").fill(pyotp.TOTP(secret).now())
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="Turn on two-step login").click()
    phone.check_phone_layout()
    phone.screenshot("two-step-recovery-codes-phone")

    phone.page.context.clear_cookies()
    phone.login(email, PASSWORD)
    phone.check_phone_layout()
    phone.screenshot("two-step-code-phone")
