"""The whole recovery loop as a new user meets it, in one walk: a customer scans a location
poster's QR code on a phone and complains without logging in; the owner finds the case on the
board, files it under a touchpoint, taps it through every step and closes it; the touchpoint's
next printed report counts it in its recovery rates (read back from the PDF text)."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, LiveServer, Tab, TabFactory
from tests.helpers import pdf_text
from tests.recovery.test_posters import _decode_qr

pytestmark = pytest.mark.browser

HUMAN_SECONDS = 3.5  # the public form refuses a post quicker than a person could type it
STORY = "My new glasses came back with a scratch across the left lens and nobody rang me."
DEMO_ZONE = ZoneInfo("Europe/London")


def _rates_row(tab: Tab, live_server: LiveServer, touchpoint_id: str) -> tuple[int, ...]:
    """This month's row of the recovery-rates table in the touchpoint's monthly PDF:
    cases, fixed within 24 h (n, of), fully satisfied (n, of), surprised (n, of), champions."""
    url = f"{live_server.url}/reports/touchpoints/{touchpoint_id}/pdf?period=month&paper=a4"
    response = tab.page.request.get(url)
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    words = pdf_text(response.body())
    month = datetime.now(DEMO_ZONE).strftime("%B %Y")
    # A ratio cell reads "7 of 9 (78 %)", or "–" when nothing is due yet.
    ratio = r"(?:(\d+) of (\d+) \(\d+ ?%\)|–)"
    found = re.search(
        rf"{month} (\d+) {ratio} {ratio} {ratio} (\d+)",
        words[words.index("Fixed within 24") :],
    )
    if found is None:
        # No case this month yet: the period has no row.
        return (0, 0, 0, 0, 0, 0, 0, 0)
    return tuple(int(n or 0) for n in found.groups())


def test_a_complaint_from_a_poster_ends_in_the_next_report(
    open_tab: TabFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    owner = open_tab(DESKTOP)
    owner.login("owner@demo.example")

    # The poster of a location, as printed: its QR code is read like a phone camera would.
    owner.goto("/recovery")
    owner.page.get_by_role("link", name="Complaint form and posters").click()
    card = owner.page.locator(".poster-card").nth(1)
    location = card.get_by_role("heading").inner_text()
    href = card.get_by_role("link", name="Poster, A4 (PDF)").get_attribute("href")
    assert href
    poster = owner.page.request.get(live_server.url + href)
    assert poster.ok
    [target] = _decode_qr(poster.body(), tmp_path)

    # The touchpoint the owner will file it under, and its report before the complaint.
    owner.goto("/recovery/new")
    touchpoint = owner.page.get_by_label("Touchpoint").locator("option", has_text="problem")
    touchpoint_name = touchpoint.first.inner_text().strip()
    touchpoint_id = touchpoint.first.get_attribute("value")
    assert touchpoint_id
    before = _rates_row(owner, live_server, touchpoint_id)

    # A customer on a phone, not logged in, straight from the code.
    phone = open_tab(PHONE)
    phone.page.goto(target)
    opened = time.monotonic()  # after the server made the form (see test_complaint)
    expect(phone.page.get_by_text(location, exact=True)).to_be_visible()
    phone.check_phone_layout()
    phone.page.get_by_label("What happened?").fill(STORY)
    phone.page.get_by_label("Phone or e-mail").fill("07700 900123")
    phone.page.wait_for_timeout(max(0.0, HUMAN_SECONDS - (time.monotonic() - opened)) * 1000)
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="Send").click()
    expect(phone.page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    reference = phone.page.locator("[data-reference]").inner_text()

    # The owner finds it on the board, inside its 24 hours, and opens it.
    owner.goto("/recovery")
    card = owner.page.locator(".case-card", has_text=reference)
    expect(card).to_contain_text(STORY)
    expect(card).to_contain_text(re.compile(r"\b2[34] h( \d+ min)? left"))
    card.get_by_role("link", name=f"Case {reference}").click()
    page = owner.page
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")

    # Filed under the touchpoint, then every step, one tap each.
    page.locator("#details").get_by_label("Touchpoint").select_option(touchpoint_id)
    page.locator("#details").get_by_role("button", name="Save details").click()
    # The saved case is drawn again (the select always lists every touchpoint, so look at
    # the facts), and nothing is still on its way before the next tap.
    expect(page.locator("#details .facts")).to_contain_text(touchpoint_name)
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    page.locator("#step-acknowledge").get_by_role("button", name="Acknowledged").click()
    expect(page.locator("#step-acknowledge .step-when")).to_contain_text("Done ")
    page.locator("#step-fix").get_by_label("What was fixed or replaced").fill(
        "New lens fitted the same afternoon"
    )
    page.locator("#step-fix").get_by_role("button", name="Fixed or replaced").click()
    expect(page.locator(".case-countdown")).to_contain_text("Fixed in")
    page.locator("#step-surprise").get_by_label("What unexpected thing was done").fill(
        "A free cleaning kit and a spare case"
    )
    page.locator("#step-surprise").get_by_role("button", name="Surprise done").click()
    expect(page.locator("#step-surprise .step-when")).to_contain_text("Done ")
    page.locator("#step-follow_up").get_by_role("button", name="Fully satisfied").click()
    expect(page.locator("#step-follow_up")).to_contain_text("Fully satisfied")
    page.get_by_role("button", name="☆ Mark as champion").click()
    expect(page.locator(".champion-form")).to_contain_text("Champion:")
    triage = page.locator("#triage")
    triage.get_by_label("What happened").fill("The lens was scratched on the edging machine")
    triage.get_by_label("Cause").select_option("equipment")
    triage.get_by_label("Why it happened").fill("The machine's guard was worn")
    triage.get_by_label("What we will do differently").fill("Check the guard every Monday")
    triage.get_by_role("button", name="Save triage").click()
    expect(page.locator(".flash-success")).to_contain_text("Triage saved.")
    page.get_by_role("button", name="Close the case").click()
    expect(page.get_by_role("button", name="Reopen the case")).to_be_visible()

    # The next printed report counts it: one more case this month, fixed within 24 h,
    # followed up and fully satisfied, surprised, and a champion.
    after = _rates_row(owner, live_server, touchpoint_id)
    cases, fixed, fixed_of, happy, happy_of, surprised, surprised_of, champions = before
    assert after == (
        cases + 1,
        fixed + 1,
        fixed_of + 1,
        happy + 1,
        happy_of + 1,
        surprised + 1,
        surprised_of + 1,
        champions + 1,
    )
