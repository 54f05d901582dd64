"""Mapping a journey in a real browser, as a new owner would (issue 3's acceptance walk).

A consultant opens a new client organization with an empty journey, adds the five moments of
truth from the template library, adds and reorders a touchpoint, writes a question of every
kind, and edits a question that a shop has already answered: the old version is kept.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from app.db import Database
from app.demo import DEMO_USERS
from app.orgs.models import Location, Organization
from audits.models import Answer, Shop
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, Tab, TabFactory, htmx_settled
from touchpoints.models import Question

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]
ORG_NAME = "Harbour Opticians"
FIVE_STAGES = ["Inquiry", "Visit", "Sale", "After the sale", "Billing"]


def stage_column(page: Page, name: str) -> Locator:
    return page.locator("li.stage").filter(has=page.get_by_role("heading", name=name, level=2))


def card_names(column: Locator) -> list[str]:
    return column.locator(".tp-card .tp-name").all_inner_texts()


def switch_kind(page: Page, kind_label: str) -> None:
    """Choose the new question's kind and wait for the form drawn for it.

    The wait is for the swapped-in form, not for the response: under load the old form can
    still be on screen when the response has arrived, and typing into it is lost.
    """
    form = page.locator("#new-question")
    form.evaluate("el => el.dataset.old = '1'")
    form.get_by_label("Kind").select_option(label=kind_label)
    expect(page.locator("#new-question[data-old]")).to_have_count(0)
    htmx_settled(page)


def add_question(page: Page, kind_label: str, text: str, fill: dict[str, str]) -> None:
    htmx_settled(page)
    form = page.locator("#new-question")
    # The question first, then the kind, as a person writes it: the switch must keep the text.
    form.get_by_label("Question", exact=True).fill(text)
    if kind_label != "Yes / no":
        switch_kind(page, kind_label)
    form = page.locator("#new-question")
    expect(form.get_by_label("Question", exact=True)).to_have_value(text)
    for label, value in fill.items():
        if label == "Passes when the number is":
            form.get_by_label(label).select_option(label=value)
        else:
            form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name="Add question").click()
    expect(page.locator("#checklist .flash-success")).to_have_text("Question added.")
    expect(page.locator("#checklist .q-text").filter(has_text=text)).to_have_count(1)
    htmx_settled(page)


def answer_in_a_shop(server: LiveServer, question_text: str) -> None:
    """Arrange what the shops issue will make through pages: one shop that answered it."""
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        question = session.exec(select(Question).where(Question.text == question_text)).one()
        org = session.exec(select(Organization).where(Organization.id == question.org_id)).one()
        location = Location(org_id=org.id, name="Quay Street")  # type: ignore[arg-type]
        session.add(location)
        session.flush()
        shop = Shop(org_id=org.id, location_id=location.id, status="approved")  # type: ignore[arg-type]
        session.add(shop)
        session.flush()
        session.add(Answer(org_id=org.id, shop_id=shop.id, question_id=question.id, value=True))  # type: ignore[arg-type]
        session.commit()
    db.dispose()


def test_owner_maps_a_journey_from_templates(open_tab: TabFactory, live_server: LiveServer) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(OWNER)

    # A new client organization, starting with an empty journey.
    tab.goto("/account")
    page.get_by_label("Organization name").fill(ORG_NAME)
    page.get_by_label("Start the journey with").select_option(label="An empty journey")
    with page.expect_navigation():
        page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORG_NAME)

    tab.goto("/journey")
    expect(page.get_by_text("Your journey is empty.")).to_be_visible()
    tab.screenshot("journey-empty-desktop")
    with page.expect_navigation():
        page.get_by_role("button", name="Start with the five moments of truth").click()
    expect(page.locator(".flash-success")).to_contain_text("Added 5 touchpoints")
    expect(page.locator("li.stage h2")).to_have_text(
        [f"{i} {name}" for i, name in enumerate(FIVE_STAGES, start=1)]
    )

    # A second touchpoint in "After the sale", then moved above the first one.
    after_sale = stage_column(page, "After the sale")
    after_sale.locator("summary", has_text="Add touchpoint").click()
    after_sale.get_by_label("Name").fill("Collecting a repair")
    after_sale.get_by_label("Owning team").fill("Workshop")
    tab.mark_document()
    after_sale.get_by_role("button", name="Add to After the sale").click()
    expect(stage_column(page, "After the sale").locator(".tp-name").last).to_have_text(
        "Collecting a repair"
    )
    assert tab.same_document(), "adding a touchpoint reloaded the whole page"
    assert card_names(stage_column(page, "After the sale")) == [
        "Dealing with a problem",
        "Collecting a repair",
    ]
    stage_column(page, "After the sale").get_by_role(
        "button", name="Move Collecting a repair up"
    ).click()
    expect(stage_column(page, "After the sale").locator(".tp-name").first).to_have_text(
        "Collecting a repair"
    )
    tab.screenshot("journey-map-desktop")
    page.reload()
    assert card_names(stage_column(page, "After the sale")) == [
        "Collecting a repair",
        "Dealing with a problem",
    ], "the new order did not survive a reload"

    # A question of every kind on the new touchpoint.
    with page.expect_navigation():
        page.get_by_role("link", name="Collecting a repair").click()
    expect(page.get_by_text("No questions yet.")).to_be_visible()
    add_question(page, "Yes / no", "Was the repair ready at the agreed time?", {})
    add_question(
        page,
        "Scale 1–5",
        "How clearly was the repair explained?",
        {
            "1 (worst)": "Not at all",
            "2": "Vaguely",
            "3": "Mostly",
            "4": "Clearly",
            "5 (best)": "Clearly, with the old part shown",
        },
    )
    add_question(
        page,
        "Number with a pass rule",
        "Minutes you waited at the counter",
        {"Passes when the number is": "at most", "Number": "5", "Unit": "minutes"},
    )
    # A choice question without options is refused next to the options.
    tab.expect_status(400)
    htmx_settled(page)
    switch_kind(page, "Single choice with points")
    page.locator("#new-question").get_by_label("Question", exact=True).fill(
        "How were you paid back?"
    )
    page.locator("#new-question").get_by_role("button", name="Add question").click()
    expect(page.locator("#new-question .error")).to_have_text(
        "A choice question needs at least two options."
    )
    form = page.locator("#new-question")
    form.get_by_label("Question", exact=True).fill("How was the cost explained?")
    form.get_by_label("Option 1", exact=True).fill("Itemised, before the work")
    form.locator("input[name=option_points_0]").fill("2")
    form.get_by_label("Option 2", exact=True).fill("Only when asked")
    form.locator("input[name=option_points_1]").fill("1")
    form.get_by_label("Option 3", exact=True).fill("Not at all")
    form.locator("input[name=option_points_2]").fill("0")
    form.get_by_role("button", name="Add question").click()
    expect(page.locator("#checklist .flash-success")).to_have_text("Question added.")
    add_question(page, "Free text (not scored)", "What would have made collecting easier?", {})
    expect(page.locator("#checklist .q-text")).to_have_count(5)
    # The preview and the example scores follow the checklist.
    expect(page.locator(".pv-question")).to_have_count(5)
    expect(page.locator(".score-examples tbody tr").first).to_contain_text("100")
    tab.screenshot("touchpoint-checklist-desktop")

    # A shop answers the first question; editing its wording then keeps version 1.
    answer_in_a_shop(live_server, "Was the repair ready at the agreed time?")
    page.reload()
    first = page.locator("li.question").first
    expect(first).to_contain_text("answered in 1 shop")
    first.get_by_role("button", name="Edit question 1").click()
    editor = page.locator("li.question form").first
    expect(editor).to_contain_text("saves a new version")
    editor.get_by_label("Question", exact=True).fill(
        "Was the repair ready at the time you were promised?"
    )
    editor.get_by_role("button", name="Save question").click()
    expect(page.locator("#checklist .flash-success")).to_contain_text(
        "Saved as version 2. Shops that already answered keep version 1"
    )
    with page.expect_navigation():
        page.get_by_role("link", name="version 2").click()
    versions = page.locator("ol.versions > li")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("Was the repair ready at the time you were promised?")
    expect(versions.nth(1)).to_contain_text("Was the repair ready at the agreed time?")
    expect(versions.nth(1)).to_contain_text("answered in 1 shop")
    tab.screenshot("question-versions-desktop")


def test_journey_pages_on_a_phone(open_tab: TabFactory) -> None:
    """The demo journey reads well at 390 px: no sideways scroll, big targets, labels."""
    tab: Tab = open_tab(PHONE)
    page = tab.page
    tab.login(OWNER)
    tab.goto("/journey")
    expect(page.locator("li.stage")).not_to_have_count(0)
    tab.check_phone_layout()
    tab.check_labels()
    tab.screenshot("journey-map-phone")
    with page.expect_navigation():
        page.get_by_role("link", name="First phone call").click()
    expect(page.locator(".pv-question").first).to_be_visible()
    tab.check_phone_layout()
    tab.check_labels()
    tab.screenshot("touchpoint-checklist-phone")
    tab.goto("/journey/templates")
    expect(page.get_by_role("heading", name="Template library")).to_be_visible()
    tab.check_phone_layout()
    tab.screenshot("templates-phone")
