"""A consultant carries Demo Co's journey to a new client in a real browser at 1280 px:
download the journey, create the client's organization, upload the file, read the preview,
confirm; a broken file first gets its line and reason and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, TabFactory
from tests.browser.test_template_library import OWNER, new_empty_org
from touchpoints.library import LIBRARY_DIR

pytestmark = pytest.mark.browser


def test_a_journey_goes_from_demo_co_to_a_new_client(open_tab: TabFactory, tmp_path: Path) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/journey")
    page.get_by_role("link", name="Export and import").click()
    expect(page.get_by_role("heading", name="Export and import", level=1)).to_be_visible()
    with page.expect_download() as caught:
        page.get_by_role("link", name="Download the journey").click()
    download = caught.value
    assert download.suggested_filename == "demo-co-journey.json"
    exported = tmp_path / "demo-co-journey.json"
    download.save_as(exported)
    content = json.loads(exported.read_text())
    names = [tp["name"] for s in content["stages"] for tp in s["touchpoints"]]
    questions = sum(len(tp["questions"]) for s in content["stages"] for tp in s["touchpoints"])
    stages = len({s["name"].casefold() for s in content["stages"]})
    assert len(names) >= 6 and questions >= 40

    new_empty_org(tab, "Harbour Hotel")
    tab.goto("/journey")
    page.get_by_role("link", name="Export and import").click()
    expect(page.get_by_text("Your journey has no stages yet")).to_be_visible()

    # A file broken on one line: refused with that line and the reason; nothing changes.
    text = exported.read_text()
    broken = tmp_path / "broken.json"
    broken.write_text(text.replace('"target": 85', '"target": "high"', 1))
    line = next(n for n, s in enumerate(broken.read_text().splitlines(), 1) if '"high"' in s)
    tab.expect_status(400)
    page.get_by_label("Journey file", exact=True).set_input_files(broken)
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    problems = page.locator(".import-problems")
    expect(problems.get_by_role("heading")).to_have_text(
        "Nothing was imported: 1 problem in broken.json"
    )
    expect(problems.locator("tbody th")).to_contain_text(f"Line {line}, column")
    expect(problems.locator("tbody td")).to_have_text('"target" must be a whole number.')
    tab.screenshot("journey-import-problems-desktop")

    # The real file: the preview says what will be added, and nothing is added yet.
    page.get_by_label("Journey file", exact=True).set_input_files(exported)
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    preview = page.locator(".transfer-preview")
    expect(preview.get_by_role("heading", level=2)).to_have_text(
        "Check what demo-co-journey.json will add"
    )
    expect(preview.locator(".lead")).to_contain_text(
        f"{len(names)} touchpoints with {questions} questions, in {stages} new stages"
    )
    expect(preview.locator(".transfer-touchpoint strong")).to_have_text(names)
    expect(preview.get_by_text("new stage", exact=True)).to_have_count(stages)
    tab.check_labels()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"], f"the preview scrolls sideways ({width}px)"
    tab.screenshot("journey-import-preview-desktop")

    with page.expect_navigation():
        preview.get_by_role("button", name=f"Import {len(names)} touchpoints").click()
    expect(page.locator(".flash-success")).to_have_text(
        f"Imported demo-co-journey.json: {len(names)} touchpoints with {questions} questions."
    )
    expect(page.locator(".tp-card .tp-name")).to_have_text(names)
    expect(page.locator("li.stage h2")).to_have_count(stages)
    tab.screenshot("journey-imported-desktop")


def test_the_export_and_import_page_on_a_phone(open_tab: TabFactory) -> None:
    """The page and a preview at 390 px; the file is one of the template library's own."""
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/journey/transfer")
    expect(page.get_by_role("heading", name="Import a journey file")).to_be_visible()
    tab.check_phone_layout()
    tab.check_labels()
    tab.screenshot("journey-transfer-phone")

    page.get_by_label("Journey file", exact=True).set_input_files(LIBRARY_DIR / "hotel.json")
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()
    preview = page.locator(".transfer-preview")
    expect(preview.get_by_role("heading", level=2)).to_have_text("Check what hotel.json will add")
    expect(preview.get_by_role("button", name="Import 6 touchpoints")).to_be_visible()
    tab.check_phone_layout()
    tab.screenshot("journey-import-preview-phone")


def test_one_touchpoint_is_exported_from_its_page_on_a_phone(
    open_tab: TabFactory, tmp_path: Path
) -> None:
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/journey")
    first = page.locator(".tp-card a.tp-name").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    tab.check_phone_layout()
    tab.screenshot("touchpoint-export-phone", full_page=False)
    with page.expect_download() as caught:
        page.get_by_role("link", name=f"Export {name} as a journey file").click()
    saved = tmp_path / caught.value.suggested_filename
    caught.value.save_as(saved)
    content = json.loads(saved.read_text())
    [stage] = content["stages"]
    assert [tp["name"] for tp in stage["touchpoints"]] == [name]
    assert stage["touchpoints"][0]["questions"], "the checklist comes with it"
