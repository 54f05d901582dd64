"""The API docs page (Swagger UI, vendored) offers "Authorize" for an API token, and each
operation says who may call it; the owners' settings page links to it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, TabFactory

pytestmark = pytest.mark.browser

OWNER = "owner@demo.example"


@pytest.mark.xfail(
    strict=True,
    reason="Known bug (session 10, noted on issue 19's round): since the API has 100 paths, "
    "the vendored Swagger UI 5.35.0 draws only the first tag's operations; a document cut to "
    "99 paths draws all 15 tags. Strict: this goes red once the page is mended.",
)
def test_api_docs_authorize_and_roles(open_tab: TabFactory) -> None:
    tab = open_tab(DESKTOP)
    tab.login(OWNER)
    tab.goto("/settings")
    link = tab.page.get_by_role("link", name="API documentation")
    link.scroll_into_view_if_needed()
    tab.screenshot("settings-api-docs-link-desktop", full_page=False)
    with tab.page.expect_navigation():
        tab.page.get_by_role("link", name="API documentation").click()
    assert tab.page.url.endswith("/api/docs")

    authorize = tab.page.get_by_role("button", name="Authorize")
    expect(authorize.first).to_be_visible()
    # An operation tells who may call it.
    tab.page.locator("#operations-organization-me_api_v1_me_get button").first.click()
    expect(tab.page.get_by_text("Who may call this:").first).to_be_visible()
    authorize.first.click()
    expect(tab.page.get_by_role("heading", name="apiToken (http, Bearer)")).to_be_visible()
    expect(tab.page.get_by_text("Authorization: Bearer <token>").first).to_be_visible()
    tab.screenshot("api-docs-desktop", full_page=False)  # the whole API is metres long
