"""The owner keeps a location's staff names inline on Locations, in a real browser: saved
cleaned, too many refused next to the field (docs/guide/shoppers.md, "Fair feedback")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_USERS
from app.orgs.staff_names import MAX_NAMES, MSG_TOO_MANY
from tests.browser.conftest import DESKTOP, PHONE, TabFactory, htmx_settled

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]


def test_owner_lists_staff_names_on_a_location(open_tab: TabFactory) -> None:
    for viewport, size in ((DESKTOP, "1280"), (PHONE, "390")):
        owner = open_tab(viewport)
        owner.login(OWNER)
        owner.goto("/locations")
        page = owner.page
        row = page.locator("#locations-panel tbody tr").first
        row.get_by_role("button", name="Edit").click()
        field = page.get_by_label("Staff names")
        expect(field).to_be_visible()
        field.fill(", ".join(f"Name {i}" for i in range(MAX_NAMES + 1)))
        owner.expect_status(400)
        page.get_by_role("button", name="Save").click()
        htmx_settled(page)
        expect(page.locator("tr.editing .error")).to_contain_text(MSG_TOO_MANY)
        owner.screenshot(f"location-staff-names-refused-{size}")
        page.get_by_label("Staff names").fill("Anna Berg, ben, anna berg")
        page.get_by_role("button", name="Save").click()
        htmx_settled(page)
        expect(page.locator("#locations-panel")).to_contain_text("Masked for staff: Anna Berg, ben")
        owner.screenshot(f"location-staff-names-saved-{size}")
        # Leave the shared demo server as it was for the other browser tests.
        page.locator("#locations-panel tbody tr").first.get_by_role("button", name="Edit").click()
        page.get_by_label("Staff names").fill("")
        page.get_by_role("button", name="Save").click()
        htmx_settled(page)
        expect(page.locator("#locations-panel")).not_to_contain_text("Masked for staff")
