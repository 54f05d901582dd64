"""Printing in a real browser, as staff do before the meeting: a touchpoint's PDF from its
dashboard, then the meeting pack with its progress page. The PDFs are read back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_USERS
from tests.browser.conftest import DESKTOP, TabFactory
from tests.helpers import pdf_pages, pdf_text

pytestmark = pytest.mark.browser

STAFF = DEMO_USERS[2][0]


def test_staff_download_a_touchpoint_pdf_and_the_meeting_pack(
    open_tab: TabFactory, tmp_path: Path
) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(STAFF)
    tab.goto("/reports")
    first = page.locator(".glance-line .glance-name").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    headline = " ".join(page.locator(".headline").first.inner_text().split())
    assert re.search(r"\d in \w+ \d{4}", headline), headline

    with page.expect_download(timeout=60_000) as caught:
        page.get_by_role("link", name="PDF (A4)").click()
    download = caught.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / "touchpoint.pdf"
    download.save_as(saved)
    text, pages = pdf_text(saved), pdf_pages(saved)
    # The printed report says what the dashboard says.
    assert name in text
    assert headline in text, (headline, text[:400])
    assert f"page {pages} of {pages}" in text

    tab.goto("/reports")
    page.get_by_role("button", name="Download meeting pack (PDF)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting pack")
    # The progress card polls until the pack is ready, then offers the download.
    ready = page.get_by_role("link", name="Download the meeting pack (PDF)")
    expect(ready).to_be_visible(timeout=90_000)
    with page.expect_download(timeout=60_000) as caught:
        ready.click()
    saved = tmp_path / "pack.pdf"
    caught.value.save_as(saved)
    text, pages = pdf_text(saved), pdf_pages(saved)
    assert "The journey at a glance" in text and "The customer's journey" in text
    assert name in text and headline in text
    assert pages >= 5
