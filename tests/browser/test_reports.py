"""The reports in a real browser, as staff use them before the monthly meeting (journey 3).

Staff open the reports, switch the filter bar to quarters (htmx swaps the results and the
address follows, so the view can be shared), open a touchpoint's dashboard, read its chart and
question table, and mistype a range. On a phone the same pages fit the screen.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Response, expect

from app.demo import DEMO_USERS
from reports.filters import MSG_RANGE
from tests.browser.conftest import DESKTOP, PHONE, TabFactory, htmx_settled

pytestmark = pytest.mark.browser

STAFF = DEMO_USERS[2][0]


def filter_answer(response: Response) -> bool:
    """The filter bar's own htmx request for the results (not the page, not the chart)."""
    headers = response.request.headers
    return headers.get("hx-request") == "true" and "report-filters" in headers.get("hx-trigger", "")


def test_staff_filter_by_quarter_and_open_a_dashboard(open_tab: TabFactory) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(STAFF)
    tab.goto("/reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    expect(page.locator(".report-scope")).to_contain_text("per month")
    tab.mark_document()

    page.get_by_label("Period", exact=True).select_option("quarter")
    # The address follows (the empty fields come along: "from=&to=" means the usual range).
    expect(page).to_have_url(re.compile(r"/reports\?period=quarter(&|$)"))
    expect(page.locator(".report-scope")).to_contain_text("per quarter")
    htmx_settled(page)
    assert tab.same_document(), "the filter reloaded the page instead of swapping the results"
    # The pack form and the links carry the filter on.
    expect(page.locator('.pack-form input[name="period"]')).to_have_value("quarter")
    card = page.locator(".glance-line").first
    name = card.locator(".glance-name").inner_text()
    # The score, and its 95 % interval as a ± or, once cut at an end of the scale, its ends.
    score = r"\d+(\.\d)?"
    expect(card.locator(".score-value")).to_have_text(
        re.compile(rf"^{score}( ± {score}| {score} to {score})?$")
    )

    card.locator(".glance-name").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page).to_have_url(re.compile(r"/reports/touchpoints/\d+\?period=quarter$"))
    expect(page.get_by_label("Period", exact=True)).to_have_value("quarter")
    chart = page.locator(".chart-wide svg.line-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("circle.point").first).to_be_visible()
    table = page.locator("table.qtable")
    expect(table).to_be_visible()
    expect(table.locator("thead th").first).to_have_text("Question")
    assert table.locator("tbody tr").count() >= 3
    expect(page.get_by_role("link", name="PDF (A4)")).to_have_attribute(
        "href", re.compile(r"/pdf\?period=quarter&paper=a4$")
    )

    # A range that ends before it starts: the message appears under "To", in place.
    tab.expect_status(400)
    tab.mark_document()
    # The filter asks 300 ms after a change, so right after `fill` nothing is in flight yet and
    # htmx_settled alone would not wait: wait for the filter's answer itself. (A second
    # change while the first is still asking replaces it, by design, and htmx logs that
    # abort as a console error; on a busy machine the test was that slow "person".)
    with page.expect_response(filter_answer):
        page.get_by_label("From", exact=True).fill("2026-06-01")
    htmx_settled(page)
    page.get_by_label("To", exact=True).fill("2026-05-01")
    message = page.locator("#filter-to-error")
    expect(message).to_have_text(MSG_RANGE % {"start": "2026-06-01"})
    expect(page.locator("#report-results")).to_contain_text("Fix the filter marked above")
    htmx_settled(page)
    # Cleared again, the results come back and the message goes.
    page.get_by_label("To", exact=True).fill("")
    expect(message).to_be_hidden()
    expect(chart).to_be_visible()
    assert tab.same_document()


def test_dashboard_fits_a_phone(open_tab: TabFactory) -> None:
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(STAFF)
    tab.goto("/reports")
    tab.check_labels()
    tab.check_phone_layout()
    page.locator(".glance-name").first.click()
    expect(page.locator("table.qtable")).to_be_visible()
    # The phone gets the chart drawn for its width; the wide one stays hidden.
    expect(page.locator(".chart-narrow svg.line-chart")).to_be_visible()
    expect(page.locator(".chart-wide svg.line-chart")).to_be_hidden()
    tab.check_labels()
    tab.check_phone_layout()  # no sideways scroll: the table scrolls inside its own box
