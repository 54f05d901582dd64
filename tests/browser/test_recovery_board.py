"""An owner on a phone takes a complaint by phone, sees it on the recovery board with its time
left, taps it through every step, triages it, makes the action item and closes it.

Set TOUCHSTONE_SCREENSHOTS=<folder> to save the board and case page at phone and desktop size.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_USERS
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOT_DIR, Tab, TabFactory

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]


def _first_screen(tab: Tab, name: str) -> None:
    """A screenshot of what the first screen shows (the board can be very long)."""
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        tab.page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), caret="initial")


def _step(tab: Tab, key: str):  # type: ignore[no-untyped-def]
    return tab.page.locator(f"#step-{key}")


def test_owner_walks_a_case_from_the_board_to_closed(open_tab: TabFactory) -> None:
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/recovery")
    expect(page.get_by_role("heading", level=1)).to_have_text("Service recovery")

    # A complaint taken on the phone, through the New case form.
    page.get_by_role("link", name="New case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New recovery case")
    tab.check_labels()
    tab.check_phone_layout()
    story = f"Called: the cake for Saturday had the wrong name on it ({uuid.uuid4().hex[:6]})"
    # Submitting without the story puts the message next to the field.
    tab.expect_status(400)
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator("#f-summary-error")).to_contain_text("Say what happened")
    _first_screen(tab, "recovery-new-error-phone")
    page.get_by_label("What happened").fill(story)
    page.get_by_label("How you heard").select_option(label="Phone call")
    page.get_by_label("Location").select_option(index=1)
    page.get_by_label("Touchpoint").select_option(index=1)
    page.get_by_label("Name").fill("Mrs Okafor")
    page.get_by_label("Phone or email").fill("0161 496 0000")
    page.get_by_role("button", name="Open the case").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Case [A-Z2-9]{8}$"))
    reference = heading.inner_text().split()[-1]
    case_url = page.url

    # On the board with its time left in words.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Recovery").click()
    card = page.locator(".case-card", has_text=reference)
    expect(card).to_contain_text(story)
    # (a loaded machine may take a minute or two to get here)
    expect(card).to_contain_text(re.compile(r"\b(2[34] h( \d+ min)?) left"))
    expect(card).to_contain_text("Next: Acknowledge")
    tab.check_phone_layout()
    _first_screen(tab, "recovery-board-phone")

    # Every step is one tap on the case page (with a note where one is needed).
    card.get_by_role("link", name="Next: Acknowledge").click()
    expect(page).to_have_url(case_url + "#step-acknowledge")
    tab.check_labels()
    tab.check_phone_layout()
    tab.mark_document()
    fix_note = "Iced a new cake with the right name; delivered by 5 pm"
    _step(tab, "acknowledge").get_by_role("button", name="Acknowledged").click()
    # Typing the next note while the tap is on its way: the redrawn case keeps it.
    _step(tab, "fix").get_by_label("What was fixed or replaced").fill(fix_note)
    expect(_step(tab, "acknowledge").locator(".step-when")).to_contain_text("Done ")
    expect(_step(tab, "fix").get_by_label("What was fixed or replaced")).to_have_value(fix_note)
    _step(tab, "fix").get_by_role("button", name="Fixed or replaced").click()
    expect(_step(tab, "fix").locator(".step-when")).to_contain_text("Done ")
    expect(page.locator(".case-countdown")).to_contain_text("Fixed in")
    _step(tab, "surprise").get_by_label("What unexpected thing was done").fill(
        "A box of macarons for the party"
    )
    _step(tab, "surprise").get_by_role("button", name="Surprise done").click()
    expect(_step(tab, "surprise").locator(".step-when")).to_contain_text("Done ")
    _step(tab, "follow_up").get_by_role("button", name="Fully satisfied").click()
    expect(_step(tab, "follow_up")).to_contain_text("Fully satisfied")
    page.get_by_role("button", name="☆ Mark as champion").click()
    expect(page.locator(".champion-form")).to_contain_text("Champion:")
    assert tab.same_document()  # htmx swaps, no page loads
    tab.check_phone_layout()
    tab.screenshot("recovery-case-phone")

    # Triage, then its lesson becomes an action item in one tap.
    page.locator("#triage").get_by_label("What happened").fill(
        "The order form's name field was read from the wrong line"
    )
    page.get_by_label("Cause").select_option("process")
    page.get_by_label("Why it happened").fill("Two orders were printed on one sheet")
    page.get_by_label("What we will do differently").fill("Print one order per sheet")
    page.get_by_role("button", name="Save triage").click()
    expect(page.locator(".flash-success")).to_contain_text("Triage saved.")
    page.get_by_role("button", name="Make it an action item").click()
    expect(page.locator("#action-item")).to_contain_text("Made: Print one order per sheet")

    page.get_by_role("button", name="Close the case").click()
    expect(page.get_by_role("button", name="Reopen the case")).to_be_visible()
    expect(page.locator(".case-page .chip").first).to_have_text("Closed")
    tab.check_phone_layout()
    tab.screenshot("recovery-case-closed-phone")

    # It has moved to "Recently closed" on the board.
    tab.goto("/recovery")
    closed = page.locator(".closed-cases .case-card", has_text=reference)
    expect(closed).to_contain_text("Closed")
    expect(closed).to_contain_text("Champion")
    expect(
        page.locator("section", has=page.locator("#open-h")).locator(
            ".case-card", has_text=reference
        )
    ).to_have_count(0)


def test_board_and_case_page_on_a_laptop(open_tab: TabFactory) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/recovery/new")
    page.get_by_label("What happened").fill("Online review: nobody answered the phone on Monday")
    page.get_by_label("How you heard").select_option(label="Online review")
    page.get_by_label("Location").select_option(index=1)
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Case "))
    # Not filed under a touchpoint yet: the details form is open and says so.
    expect(page.locator("#details")).to_contain_text("Not filed yet")
    tab.check_labels()
    _step(tab, "acknowledge").get_by_role("button", name="Acknowledged").click()
    expect(_step(tab, "acknowledge").locator(".step-when")).to_contain_text("Done ")
    tab.screenshot("recovery-case-desktop")
    tab.goto("/recovery")
    expect(page.locator(".case-card").first).to_be_visible()
    _first_screen(tab, "recovery-board-desktop")
