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
from app.security import digest
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, Tab, TabFactory, htmx_settled

PASSWORD = "Tove reads the small print 4 times"

pytestmark = pytest.mark.browser


def arrange_owner(server: LiveServer) -> str:
    """A new owner of a new organization, so the demo accounts other tests use keep
    password-only logins."""
    email = f"two-step-{uuid.uuid4().hex[:8]}@demo.example"
    db = Database(server.database_url)
    try:
        with db.session(write=True, writes_throughout=True) as session:
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


def test_new_recovery_codes_on_a_phone(open_tab: TabFactory, live_server: LiveServer) -> None:
    email = arrange_owner(live_server)
    # Two-step is already on (the tests above set it up through the page), with 2 codes left.
    secret = pyotp.random_base32()
    db = Database(live_server.database_url)
    try:
        with db.session(write=True, writes_throughout=True) as session:
            user = services.user_by_email(session=session, email=email)
            assert user is not None
            user.totp_secret = secret
            user.totp_recovery_hashes = [digest("aaaaabbbbb"), digest("cccccddddd")]
            session.add(user)
            session.commit()
    finally:
        db.dispose()

    phone = open_tab(PHONE)
    phone.login(email, PASSWORD)
    phone.page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="Log in").click()
    phone.goto("/account")
    section = phone.page.locator("#two-step")
    expect(section.get_by_text("2 of 10 recovery codes left")).to_be_visible()
    expect(section.get_by_text("Only 2 recovery codes are left.")).to_be_visible()

    phone.mark_document()
    phone.expect_status(400)
    renew = section.locator('form[action="/account/two-step/recovery-codes"]')
    renew.get_by_label("Current password").fill("not the password")
    renew.get_by_role("button", name="Make new recovery codes").click()
    expect(section.locator("#f-codes_password-error")).to_have_text(services.MSG_WRONG_PASSWORD)
    htmx_settled(phone.page)
    phone.check_phone_layout()
    phone.screenshot("two-step-new-recovery-codes-refused-phone")
    renew.get_by_label("Current password").fill(PASSWORD)
    renew.get_by_role("button", name="Make new recovery codes").click()
    expect(
        section.get_by_text("New recovery codes made. Your old ones no longer work.")
    ).to_be_visible()
    assert phone.same_document()  # drawn in place by htmx, not a page load
    codes = section.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    phone.page.locator("#two-step").scroll_into_view_if_needed()
    phone.check_labels()
    phone.check_phone_layout()
    phone.screenshot("two-step-new-recovery-codes-phone")

    with phone.page.expect_navigation():
        phone.page.get_by_role("link", name="I have saved them").click()
    expect(phone.page.get_by_text("10 of 10 recovery codes left")).to_be_visible()
    expect(phone.page.locator("#recovery-low")).to_have_count(0)
