"""The password strength meter on the account page (ASVS 2.1.8), in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import ViewportSize, expect

from app.demo import DEMO_USERS
from tests.browser.conftest import DESKTOP, PHONE, TabFactory

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_meter_follows_the_new_password_from_weak_to_strong(
    open_tab: TabFactory, viewport: ViewportSize
) -> None:
    """Typing into "New password" asks the server; the label in words goes from weak to
    strong, the refusal reason shows while it would be refused, and "Show" still works."""
    tab = open_tab(viewport)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/account")
    field = page.locator("#f-new_password")
    live = page.locator("#new-password-strength")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_be_empty()

    field.press_sequentially("password1234", delay=20)
    label = live.locator("[data-strength]")
    expect(label).to_have_text("Weak")
    expect(live).to_contain_text("This password is too common or too easy to guess.")
    expect(live).to_contain_text("This is a very common password.")
    name = "weak-phone" if viewport == PHONE else "weak-desktop"
    tab.screenshot(f"password-meter-{name}")

    field.fill("")
    field.press_sequentially("copper-fjord-velvet-77", delay=10)
    expect(label).to_have_text("Very strong")
    expect(live).to_contain_text("good to use")
    expect(live).not_to_contain_text("too common")

    show = page.get_by_role("button", name="Show new password", exact=True)
    show.click()
    expect(field).to_have_attribute("type", "text")
    expect(field).to_have_value("copper-fjord-velvet-77")
    tab.screenshot(f"password-meter-{name.replace('weak', 'strong')}")
    if viewport == PHONE:
        tab.check_phone_layout()
    tab.check_labels()
