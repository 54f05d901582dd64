"""The template library in a real browser: an owner on a phone picks "A restaurant", adds the
whole journey, finds it on the map, and the library then says it is already there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from app.demo import DEMO_USERS
from tests.browser.conftest import DESKTOP, PHONE, Tab, TabFactory
from touchpoints.library import template_set

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]


def new_empty_org(tab: Tab, name: str) -> None:
    tab.goto("/account")
    tab.page.get_by_label("Organization name").fill(name)
    tab.page.get_by_label("Start the journey with").select_option(label="An empty journey")
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Create organization").click()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(name)


def set_card(page: Page, name: str) -> Locator:
    return page.locator("details.template-set").filter(
        has=page.get_by_role("heading", name=name, level=3)
    )


def test_owner_adds_a_restaurant_journey_from_the_library_on_a_phone(
    open_tab: TabFactory,
) -> None:
    restaurant = template_set("restaurant")
    assert restaurant is not None
    names = [t.name for t in restaurant.touchpoints]
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(OWNER)
    new_empty_org(tab, "Quayside Kitchen")

    tab.goto("/journey/templates")
    expect(page.get_by_role("heading", name="Template library", level=1)).to_be_visible()
    tab.check_phone_layout()
    tab.check_labels()
    tab.screenshot("template-library-phone")
    card = set_card(page, "A restaurant")
    expect(card.get_by_role("button", name="Add all 6 touchpoints of A restaurant")).to_be_hidden()
    card.locator("summary").first.click()  # the set opens on its touchpoints
    expect(card.locator("strong", has_text="Booking a table")).to_be_visible()
    tab.check_phone_layout()
    tab.screenshot("template-library-restaurant-phone")
    with page.expect_navigation():
        card.get_by_role("button", name=f"Add all {len(names)} touchpoints of A restaurant").click()

    # The journey map shows the restaurant's touchpoints across the five stages.
    expect(page.locator(".flash-success")).to_contain_text(f"Added {len(names)} touchpoints")
    expect(page.locator(".tp-card .tp-name")).to_have_count(len(names))
    for name in names:
        expect(page.locator(".tp-card .tp-name", has_text=name)).to_be_visible()
    expect(page.locator("li.stage h2")).to_have_count(5)
    tab.check_phone_layout()

    # Back in the library: every restaurant touchpoint is marked, and nothing is left to add.
    tab.goto("/journey/templates?set=restaurant")
    card = set_card(page, "A restaurant")
    expect(card.get_by_text("Already on your journey")).to_have_count(len(names))
    expect(card.get_by_role("button")).to_have_count(0)
    expect(card.get_by_text(f"All {len(names)} are on your journey.")).to_be_visible()
    # A set that shares no touchpoint is still offered whole.
    hotel = set_card(page, "A hotel")
    hotel.locator("summary").first.click()
    expect(hotel.get_by_role("button", name="Add all 6 touchpoints of A hotel")).to_be_visible()
    tab.check_phone_layout()


def test_the_library_at_desktop_width(open_tab: TabFactory) -> None:
    """The demo organization's library at 1280 px: the five moments are on its journey."""
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/journey/templates?set=five-moments")
    card = set_card(page, "The five moments of truth")
    expect(card.get_by_text("Already on your journey").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"], f"the library scrolls sideways ({width}px)"
    tab.screenshot("template-library-desktop")
