"""A customer scans a poster's QR code, complains on a phone without logging in, and the owner
finds the case on the recovery board."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from recovery.complaints.routes import MSG_SUMMARY_EMPTY
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, TabFactory
from tests.recovery.test_posters import _decode_qr

pytestmark = pytest.mark.browser

# The live server keeps the default least time to fill the form in (3 s).
HUMAN_SECONDS = 3.5
STORY = "The glasses I collected on Saturday were the wrong strength, and nobody called back."


def test_a_customer_complains_from_a_poster_and_the_owner_sees_the_case(
    open_tab: TabFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    owner = open_tab(DESKTOP)
    owner.login("owner@demo.example")
    owner.goto("/recovery/posters")
    expect(owner.page.get_by_role("heading", name="Complaint links and posters")).to_be_visible()
    owner.check_labels()
    owner.screenshot("complaint-posters-desktop")

    # The first location's A4 poster, fetched as the owner's browser downloads it.
    card = owner.page.locator(".poster-card").nth(1)
    location = card.get_by_role("heading").inner_text()
    href = card.get_by_role("link", name="Poster, A4 (PDF)").get_attribute("href")
    assert href
    pdf = owner.page.request.get(live_server.url + href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    [target] = _decode_qr(pdf.body(), tmp_path)
    assert target.startswith(f"{live_server.url}/complain/")
    assert card.get_by_role("textbox").input_value() == target

    # A customer's phone: no login, straight from the code.
    phone = open_tab(PHONE)
    phone.expect_status(400)
    phone.page.goto(target)
    # The form's clock starts when the server makes the page, before it arrives here; counting
    # from the arrival keeps the wait long enough however slow the server was to answer.
    opened = time.monotonic()
    expect(phone.page.get_by_role("heading", name="Something not right?")).to_be_visible()
    expect(phone.page.get_by_text(location, exact=True)).to_be_visible()
    phone.check_phone_layout()
    phone.check_labels()
    phone.screenshot("complaint-form-phone")

    # A mistake first: sent without saying what happened.
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="Send").click()
    field = phone.page.locator(".field", has=phone.page.get_by_label("What happened?"))
    expect(field.locator(".error")).to_have_text(MSG_SUMMARY_EMPTY)
    expect(phone.page.get_by_label("What happened?")).to_have_attribute("aria-invalid", "true")
    phone.check_phone_layout()
    phone.screenshot("complaint-form-error-phone")

    phone.page.get_by_label("What happened?").fill(STORY)
    expect(phone.page.locator("#f-summary-count")).to_contain_text(f"{len(STORY)} of 2,000")
    phone.page.get_by_label("Your name").fill("Rosa Customer")
    phone.page.get_by_label("Phone or e-mail").fill("rosa@example.test")
    # A person takes a few seconds to write this; the form refuses quicker posts.
    remaining = HUMAN_SECONDS - (time.monotonic() - opened)
    if remaining > 0:
        phone.page.wait_for_timeout(remaining * 1000)
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="Send").click()

    expect(phone.page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    reference = phone.page.locator("[data-reference]").inner_text()
    assert len(reference) == 8
    expect(phone.page.get_by_text("within 24 hours")).to_be_visible()
    phone.check_phone_layout()
    phone.screenshot("complaint-thanks-phone")
    # Reloading the thanks page sends nothing again.
    phone.page.reload()
    expect(phone.page.locator("[data-reference]")).to_have_text(reference)

    # The owner finds it on the recovery board, and opens it.
    owner.goto("/recovery")
    expect(owner.page.get_by_role("link", name=f"Case {reference}")).to_be_visible()
    owner.page.get_by_role("link", name=f"Case {reference}").click()
    expect(owner.page.get_by_role("heading", name=f"Case {reference}")).to_be_visible()
    expect(owner.page.locator("p", has_text=STORY).first).to_be_visible()
    owner.screenshot("complaint-case-desktop")
