"""The pages in a real browser: what owners, shoppers and staff see at laptop and phone width.

Set TOUCHSTONE_SCREENSHOTS=<folder> to save a screenshot of every page the tour visits.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Request, Route, ViewportSize, expect

from app.demo import DEMO_ORG, DEMO_USERS
from app.orgs.services import MSG_LOGIN_FAILED
from tests.browser.conftest import DESKTOP, PHONE, WAIT_MS, LiveServer, Tab, TabFactory
from tests.browser.test_shopper import _axe

pytestmark = pytest.mark.browser

OWNER, SHOPPER, STAFF = (email for email, _, _ in DEMO_USERS)
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def size_name(viewport: ViewportSize) -> str:
    return "phone" if viewport == PHONE else "desktop"


def assert_message_under(field: Locator, message: Locator) -> None:
    """The message sits right below its field, where the eye already is."""
    field_box, message_box = field.bounding_box(), message.bounding_box()
    assert field_box and message_box
    gap = message_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= gap <= 16, f"message is {gap:.0f}px away from its field"
    assert abs(message_box["x"] - field_box["x"]) <= 4, "message is not aligned with its field"


def heading(tab: Tab) -> Locator:
    return tab.page.get_by_role("heading", level=1)


@VIEWPORTS
def test_tour_of_every_page(open_tab: TabFactory, viewport: ViewportSize) -> None:
    """Each page renders cleanly (and on a phone fits and has big targets); screenshots."""
    size = size_name(viewport)
    phone = viewport == PHONE
    tab = open_tab(viewport)
    page = tab.page

    def look(name: str) -> None:
        tab.check_labels()
        if phone:
            tab.check_phone_layout()
        tab.screenshot(f"{name}-{size}")

    tab.goto("/login")
    expect(heading(tab)).to_have_text("Log in")
    look("login")
    tab.check_focus_ring()

    tab.login(OWNER)
    expect(heading(tab)).to_have_text(DEMO_ORG)
    look("owner-overview")

    tab.goto("/locations")
    row = page.locator("tbody tr", has_text="Riverside Mall")
    row.get_by_role("button", name="Edit").click()
    editing = page.locator("tr.editing")
    expect(editing.get_by_label("Name", exact=True)).to_have_value("Riverside Mall")
    look("owner-locations")
    editing.get_by_role("button", name="Cancel").click()
    expect(page.locator("tr.editing")).to_have_count(0)
    expect(row.get_by_role("button", name="Edit")).to_be_visible()

    response = tab.goto("/journey")
    assert response is not None and response.status == 200
    look("owner-journey")

    tab.goto("/people")
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    look("people")
    tab.check_focus_ring(presses=10)

    page.locator(".usermenu summary").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    look("owner-menu")
    page.get_by_role("link", name="Account").click()
    expect(heading(tab)).to_have_text("Your account")
    look("account")

    tab.expect_status(404)
    response = tab.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(heading(tab)).to_have_text("Page not found")
    look("error")

    tab.goto("/")
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")

    shopper = open_tab(viewport)
    shopper.login(SHOPPER)
    expect(heading(shopper)).to_have_text("My shops")
    shopper.check_labels()
    if phone:
        shopper.check_phone_layout()
    shopper.screenshot(f"shopper-home-{size}")


@VIEWPORTS
def test_owner_adds_edits_and_deletes_a_location_inline(
    open_tab: TabFactory, viewport: ViewportSize
) -> None:
    phone = viewport == PHONE
    tab = open_tab(viewport)
    page = tab.page

    tab.login(OWNER)
    expect(heading(tab)).to_have_text(DEMO_ORG)
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Overview", "Locations", "People"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    expect(page.locator(".usermenu summary")).to_contain_text(DEMO_ORG)
    if phone:
        tab.check_phone_layout()

    nav.get_by_role("link", name="Locations").click()
    expect(heading(tab)).to_have_text("Locations")
    expect(page.locator("tbody tr", has_text="High Street")).to_be_visible()
    tab.mark_document()

    # Add: the panel is swapped in place, the new row is in the table.
    name = f"Harbour Kiosk {size_name(viewport)}"
    add_form = page.locator("form", has=page.get_by_role("button", name="Add location"))
    add_form.get_by_label("Name").fill(name)
    add_form.get_by_label("Address").fill("1 Quay Side, Millbrook")
    add_form.get_by_label("Region").fill("North")
    add_form.get_by_role("button", name="Add location").click()
    row = page.locator("tbody tr", has_text=name)
    expect(row).to_contain_text("1 Quay Side, Millbrook")
    expect(page.get_by_role("status").filter(has_text=f"Added {name}.")).to_be_visible()
    expect(add_form.get_by_label("Name")).to_have_value("")
    assert tab.same_document(), "adding a location reloaded the whole page"
    if phone:
        tab.check_phone_layout()

    # An empty name: the message appears under the Name field and is tied to it.
    tab.expect_status(400)
    add_form.get_by_role("button", name="Add location").click()
    name_input = add_form.get_by_label("Name")
    expect(name_input).to_have_attribute("aria-invalid", "true")
    message = add_form.locator("#f-name-error")
    expect(message).to_be_visible()
    expect(message).to_contain_text(re.compile(r"required|name", re.IGNORECASE))
    expect(name_input).to_have_accessible_description(re.compile(re.escape(message.inner_text())))
    assert_message_under(name_input, message)
    assert tab.same_document()
    tab.screenshot(f"locations-error-{size_name(viewport)}")
    if phone:
        tab.check_phone_layout()

    # Edit inline: the row turns into a form and back into a row marked "Saved".
    row.get_by_role("button", name="Edit").click()
    editing = page.locator("tr.editing")
    expect(editing.get_by_label("Name", exact=True)).to_have_value(name)
    if phone:
        tab.check_phone_layout()
    renamed = f"{name} (quay)"
    editing.get_by_label("Name", exact=True).fill(renamed)
    editing.get_by_role("button", name="Save").click()
    row = page.locator("tbody tr", has_text=renamed)
    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(page.locator("tr.editing")).to_have_count(0)
    tab.screenshot(f"locations-saved-{size_name(viewport)}")
    assert tab.same_document()

    # Delete asks once, then the row is gone (also after a reload).
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    row.get_by_role("button", name="Delete").click()
    expect(page.locator("tbody tr", has_text=renamed)).to_have_count(0)
    assert dialogs == [f"Delete {renamed}? This cannot be undone."]
    assert tab.same_document()
    page.reload()
    expect(page.locator("tbody tr", has_text="High Street")).to_be_visible()
    expect(page.locator("tbody tr", has_text=renamed)).to_have_count(0)


def test_shopper_on_a_phone_sees_my_shops_and_a_friendly_403(open_tab: TabFactory) -> None:
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(SHOPPER)
    expect(heading(tab)).to_have_text("My shops")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My shops")).to_be_visible()
    expect(nav.get_by_role("link", name="Locations")).to_have_count(0)
    tab.check_phone_layout()

    tab.expect_status(403)
    response = tab.goto("/locations")
    assert response is not None and response.status == 403
    expect(heading(tab)).to_have_text("You can't do that here")
    expect(page.get_by_role("link", name="Go to the start page")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Traceback")
    tab.check_phone_layout()
    page.get_by_role("link", name="Go to the start page").click()
    expect(heading(tab)).to_have_text("My shops")


def test_viewer_on_a_phone_sees_reports(open_tab: TabFactory) -> None:
    tab = open_tab(PHONE)
    tab.login(STAFF)
    expect(heading(tab)).to_have_text("Reports")
    nav = tab.page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Reports")).to_be_visible()
    expect(nav.get_by_role("link", name="Locations")).to_have_count(0)
    expect(nav.get_by_role("link", name="People")).to_have_count(0)
    tab.check_phone_layout()
    tab.screenshot("viewer-home-phone")


def test_invite_link_makes_a_new_member(open_tab: TabFactory) -> None:
    owner = open_tab(DESKTOP)
    owner.login(OWNER)
    owner.goto("/people")
    owner.mark_document()
    invites = owner.page.locator("#invites")
    email = "nina.newcomer@demo.example"
    invites.get_by_label("E-mail address").fill(email)
    invites.get_by_label("Role").select_option(label="Secret shopper")
    invites.get_by_role("button", name="Create invite").click()
    expect(invites).to_contain_text(f"Invite ready for {email}")
    link_box = invites.get_by_label("One-time link")
    link = link_box.input_value()
    assert link.startswith(f"{owner.base_url}/invite/"), link
    expect(invites.get_by_role("listitem").filter(has_text=email)).to_be_visible()
    assert owner.same_document(), "creating an invite reloaded the whole page"
    owner.screenshot("people-invite-desktop")

    newcomer = open_tab(PHONE)
    page = newcomer.page
    page.goto(link)
    expect(heading(newcomer)).to_have_text(f"Join {DEMO_ORG}")
    expect(page.get_by_text(email)).to_be_visible()
    newcomer.check_phone_layout()
    newcomer.screenshot("invite-accept-phone")
    for name in ("Show choose a password", "Show password again"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_attribute(
            "aria-pressed", "false"
        )
    page.get_by_label("Your name").fill("Nina Newcomer")
    page.get_by_label("Choose a password").fill("a-long-new-password")
    page.get_by_label("Password again").fill("a-long-new-password")
    # Join within the meter's 300 ms delay, as a password manager does, and hold the answer
    # a while on its way back: the meter must not ask after the form has gone (its request
    # would carry a CSRF token the new session has replaced, and be refused with a 403).
    asked_after_join: list[str] = []
    joined: list[bool] = []

    def note_request(request: Request) -> None:
        if joined and "/password/strength" in request.url:
            asked_after_join.append(request.url)

    # "After the form was sent" is counted from the page's own submit event (the page tells
    # us through a binding, in order with its requests), not from the moment the test asks
    # for the click: on a busy machine the meter's delay can end between the two, and a
    # request before the submit is what a person gets too.
    page.expose_function("touchstoneTestSubmitted", lambda: joined.append(True))
    page.evaluate(
        "() => document.addEventListener('submit', () => window.touchstoneTestSubmitted(), true)"
    )

    def hold_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        time.sleep(0.8)
        route.fulfill(response=answer)

    page.on("request", note_request)
    page.route(link, hold_answer)
    page.get_by_role("button", name=f"Join {DEMO_ORG}").click()
    expect(page).to_have_url(f"{newcomer.base_url}/")
    page.unroute(link)
    assert asked_after_join == [], "the strength meter asked after the form was sent"
    expect(heading(newcomer)).to_have_text("My shops")
    expect(page.get_by_role("status")).to_contain_text("Welcome")
    expect(page.locator(".usermenu summary")).to_contain_text(DEMO_ORG)
    newcomer.check_phone_layout()

    owner.page.reload()
    members = owner.page.locator("tbody tr", has_text="Nina Newcomer")
    expect(members).to_contain_text(email)

    # The link worked once.
    newcomer.expect_status(410)
    response = page.goto(link)
    assert response is not None and response.status == 410
    expect(heading(newcomer)).to_have_text("That link is no longer valid")


def test_wrong_password_is_explained_next_to_the_field(open_tab: TabFactory) -> None:
    tab = open_tab(PHONE)
    page = tab.page
    tab.expect_status(400)
    tab.login(OWNER, password="not-the-password")
    expect(heading(tab)).to_have_text("Log in")
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile(re.escape(MSG_LOGIN_FAILED)))
    message = page.locator("#f-password-error")
    expect(message).to_contain_text(MSG_LOGIN_FAILED)
    assert_message_under(password, message)
    tab.screenshot("login-error-phone")
    expect(page.get_by_label("E-mail address")).to_have_value(OWNER)
    tab.check_phone_layout()

    tab.login(OWNER)
    expect(heading(tab)).to_have_text(DEMO_ORG)


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_show_buttons_reveal_each_password_field(
    open_tab: TabFactory, viewport: ViewportSize
) -> None:
    """ASVS 2.1.12: a "Show" button beside every password field (login, account) switches it
    to plain text and back; it says which field it shows, whether it is pressed, and is a big
    enough target on a phone."""
    tab = open_tab(viewport)
    page = tab.page
    tab.goto("/login")
    password = page.get_by_label("Password")
    show = page.get_by_role("button", name="Show password")
    expect(show).to_have_attribute("aria-pressed", "false")
    password.fill("walking the harbour wall")
    show.click()
    expect(password).to_have_attribute("type", "text")
    expect(show).to_have_attribute("aria-pressed", "true")
    tab.screenshot("login-password-shown-phone")
    show.click()
    expect(password).to_have_attribute("type", "password")
    expect(show).to_have_attribute("aria-pressed", "false")
    box = show.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44, box
    tab.check_phone_layout()

    tab.login(OWNER)
    tab.goto("/account")
    for name, label in (
        ("current_password", "Current password"),
        ("new_password", "New password"),
        ("confirm_password", "New password again"),
    ):
        field = page.locator(f"#f-{name}")
        button = page.get_by_role("button", name=f"Show {label.lower()}", exact=True)
        expect(field).to_have_attribute("type", "password")
        button.click()
        expect(field).to_have_attribute("type", "text")
        expect(button).to_have_attribute("aria-pressed", "true")
    tab.check_phone_layout()


def test_axe_finds_no_violations_on_the_password_pages(
    browser: Browser | None, live_server: LiveServer
) -> None:
    """The "Show" buttons keep the login and account pages clean for axe-core (WCAG 2.2 AA,
    target size included), in both states."""
    if browser is None:
        pytest.fail("Chromium is not installed; the browser tests need it.", pytrace=False)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # for axe's inline script
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        found = {}
        page.goto(f"{live_server.url}/login")
        page.get_by_role("button", name="Show password").click()
        if violations := _axe(page):
            found["/login"] = violations
        page.get_by_label("E-mail address").fill(OWNER)
        page.get_by_label("Password").fill(live_server.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/account")
        page.get_by_role("button", name="Show new password", exact=True).click()
        if violations := _axe(page):
            found["/account"] = violations
        assert not found, json.dumps(found, indent=1)
    finally:
        context.close()
