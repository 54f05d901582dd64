"""A journey map that grows (issue 18): an owner drags a touchpoint within its stage, into
another stage, and a stage to a new place, and the map is the same after a reload; saving a
touchpoint's settings updates the page's head and score examples without a reload.

The organization is the test's own (the other browser tests read the demo journey).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app.db import Database
from app.orgs.models import OrganizationCreate, User
from app.orgs.services import org_create, user_create
from app.tenancy import scope_session
from tests.browser.conftest import DESKTOP, LiveServer, TabFactory, htmx_settled
from tests.factories import make_question
from touchpoints.models import Stage, Touchpoint

pytestmark = pytest.mark.browser

OWNER = "drag.owner@example.com"
PASSWORD = "harbour lantern velvet 5521"
MAP = {"Arriving": ["Parking", "The door", "The welcome"], "Paying": ["The till"], "Leaving": []}


def make_map(server: LiveServer) -> None:
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        if session.exec(select(User).where(User.email == OWNER)).first() is None:
            owner = user_create(session=session, email=OWNER, name="Drag Owner", password=PASSWORD)
            org = org_create(
                session=session, data=OrganizationCreate(name="Drag Cafés"), owner=owner
            )
            assert org.id is not None
            scope_session(session, org.id)
            for position, (name, cards) in enumerate(MAP.items(), start=1):
                stage = Stage(org_id=org.id, name=name, position=position)
                session.add(stage)
                session.flush()
                for place, card in enumerate(cards, start=1):
                    tp = Touchpoint(
                        org_id=org.id,
                        stage_id=stage.id,
                        name=card,
                        position=place,
                        target=80,  # type: ignore[arg-type]
                    )
                    session.add(tp)
                    session.flush()
                    make_question(session, tp, text=f"Was {card.lower()} right?")
            session.commit()
    db.dispose()


def shown_map(page: Page) -> dict[str, list[str]]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('li.stage[id]')].map(s => [
            s.querySelector('h2').textContent.replace(/^\\s*\\d+\\s*/, '').trim(),
            [...s.querySelectorAll('.tp-card .tp-name')].map(a => a.textContent.trim())]))"""
    )


def drag(page: Page, source: str, target: str, where: str) -> None:
    """Drag `source` onto the `where` ("top" or "bottom") edge of `target`, then wait for the
    board the server drew."""
    page.locator(target).scroll_into_view_if_needed()
    box = page.locator(target).bounding_box()
    assert box is not None
    y = 4 if where == "top" else box["height"] - 4
    page.locator("#journey-board").evaluate("el => el.dataset.old = '1'")
    page.locator(source).drag_to(
        page.locator(target), target_position={"x": box["width"] / 2, "y": y}
    )
    expect(page.locator("#journey-board[data-old]")).to_have_count(0)
    htmx_settled(page)


def test_drag_and_drop_reorders_the_map_and_survives_a_reload(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    make_map(live_server)
    # Tall enough that a dragged card and the place it goes are both on screen: a drag
    # cannot scroll the page on its way.
    tab = open_tab({"width": 1280, "height": 1100})
    page = tab.page
    tab.login(OWNER, PASSWORD)
    tab.goto("/journey")
    tab.loaded()
    assert shown_map(page) == MAP

    card = lambda name: f"li.tp-card:has(a.tp-name:text-is('{name}'))"  # noqa: E731
    stage = lambda name: f"li.stage[id]:has(h2:text-is('{name}'))"  # noqa: E731
    # Within a stage: the welcome before the door.
    drag(page, card("The welcome"), card("The door"), "top")
    assert shown_map(page)["Arriving"] == ["Parking", "The welcome", "The door"]
    # Into another stage, and into an empty one.
    drag(page, card("Parking"), card("The till"), "bottom")
    drag(page, card("The door"), f"{stage('Leaving')} ol.cards", "top")
    moved = {
        "Arriving": ["The welcome"],
        "Paying": ["The till", "Parking"],
        "Leaving": ["The door"],
    }
    assert shown_map(page) == moved
    # A stage by its heading: Leaving before Paying.
    box = page.locator(stage("Paying")).bounding_box()
    assert box is not None
    page.locator("#journey-board").evaluate("el => el.dataset.old = '1'")
    page.locator(f"{stage('Leaving')} h2").drag_to(
        page.locator(stage("Paying")), target_position={"x": 8, "y": box["height"] / 2}
    )
    expect(page.locator("#journey-board[data-old]")).to_have_count(0)
    htmx_settled(page)
    assert list(shown_map(page)) == ["Arriving", "Leaving", "Paying"]

    page.reload()
    tab.loaded()
    assert shown_map(page) == {
        "Arriving": ["The welcome"],
        "Leaving": ["The door"],
        "Paying": ["The till", "Parking"],
    }
    tab.screenshot("journey-after-drag-1280")


def test_saving_settings_updates_the_head_and_the_examples_without_a_reload(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    make_map(live_server)
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(OWNER, PASSWORD)
    tab.goto("/journey")
    page.get_by_role("link", name="The till", exact=True).click()
    tab.loaded()
    expect(page.locator("#tp-head .tp-meta")).to_contain_text("Target 80")
    tab.mark_document()

    page.locator("#tp-settings summary").click()
    page.get_by_label("Target score (0–100)").fill("95")
    page.get_by_label("Name", exact=True).fill("Paying at the till")
    page.locator("#tp-settings").get_by_role("button", name="Save settings").click()

    expect(page.locator("#tp-settings .saved")).to_have_text("Saved")
    expect(page.locator("#tp-head h1")).to_have_text("Paying at the till")
    expect(page.locator("#tp-head .tp-meta")).to_contain_text("Target 95")
    expect(page.locator("#tp-examples")).to_contain_text("Against a target of 95")
    assert tab.same_document()  # no reload: the parts were swapped in
    expect(page.locator("#tp-head")).to_have_count(1)
