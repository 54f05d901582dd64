"""The owners' report schedules in a real browser: from the reports page's link, a schedule
with a mistyped address is refused with the message next to the field, then added; on a
phone the page fits and its targets are big enough.

Set TOUCHSTONE_SCREENSHOTS=<folder> to save the screenshots (docs/screenshots/report-schedules-*).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_USERS
from tests.browser.conftest import DESKTOP, PHONE, TabFactory
from tests.browser.test_alerts import look

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]


def test_an_owner_schedules_a_monthly_pack_and_sees_it_on_a_phone(open_tab: TabFactory) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/reports")
    page.get_by_role("link", name="Report schedules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report schedules")

    page.get_by_label("How often").select_option("monthly")
    page.get_by_label("Day of the month").fill("31")
    page.get_by_label("Hour").select_option("7")
    page.get_by_label("Send to").fill("team@demo.example, manager@demo")
    tab.expect_status(400)  # the form comes back with its error as a 400
    page.get_by_role("button", name="Add the schedule").click()
    error = page.locator("#f-recipients-error")
    expect(error).to_have_text(
        "'manager@demo' is not an e-mail address (name@example.com); "
        "separate addresses with commas."
    )
    expect(page.get_by_label("Send to")).to_have_attribute("aria-invalid", "true")
    look(tab, "report-schedules-error-desktop")

    page.get_by_label("Send to").fill("team@demo.example, manager@demo.example")
    page.get_by_role("button", name="Add the schedule").click()
    row = page.locator(".schedule-list li", has_text="Meeting pack").first
    expect(row).to_contain_text("Monthly on day 31 at 07:00 (the last day in shorter months)")
    expect(row).to_contain_text("Last sent: not yet")
    look(tab, "report-schedules-desktop")

    phone = open_tab(PHONE)
    phone.login(OWNER)
    phone.goto("/reports/schedules")
    expect(phone.page.locator(".schedule-list li").first).to_be_visible()
    look(phone, "report-schedules-phone", phone=True)
