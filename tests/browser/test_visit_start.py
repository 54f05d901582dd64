"""Proof of visit on a phone at 390×844 (issue 16, deliverable 5): the shopper starts the
visit, is asked whether the phone may check where they are, and the reviewer reads only the
distance ("about 120 m from the location") or "shopper declined". The start given without
signal waits in the phone's queue with its position; the server measures when it arrives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.db import Database
from app.demo import DEMO_USERS
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, Role, User
from app.orgs.services import membership_set, user_create
from app.tenancy import scope_session
from audits import services
from audits.proof.models import CheckOutcome, VisitLocationCheck
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    LiveServer,
    Tab,
    TabFactory,
    htmx_settled,
    signal,
)
from tests.browser.test_photo_offline import wait_for_offline_copy
from touchpoints.models import Question, QuestionStatus

pytestmark = pytest.mark.browser

EMAIL = "gate.shopper@example.com"
PASSWORD = "lantern quarry violet 8830"
PLACE = "Gate Kiosk"
# The location, and where the phone says it is: 120 m north (1° of latitude: 111.195 km).
GATE = (52.516275, 13.377704)
PHONE_AT = {"latitude": GATE[0] + 120 / 111_195.08, "longitude": GATE[1], "accuracy": 12}
SCREENSHOTS = os.environ.get("TOUCHSTONE_SCREENSHOTS", "")


@dataclass(frozen=True)
class Visits:
    consent: int
    declined: int


def _org(session: object) -> Organization:
    return session.exec(select(Organization).where(Organization.name == "Demo Co")).one()  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def visits(live_server: LiveServer) -> Iterator[Visits]:
    """Demo Co with the location check on, a location with coordinates and two shops
    assigned to a shopper of this test's own; the check is turned off again afterwards
    (the server is shared with other tests)."""
    db = Database(live_server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = _org(session)
        assert org.id is not None
        if session.exec(select(User).where(User.email == EMAIL)).first() is None:
            user = user_create(session=session, email=EMAIL, name="Greta Gate", password=PASSWORD)
            membership_set(session=session, org=org, user=user, role=Role.shopper)
            session.commit()
        org.location_check = True
        session.add(org)
        session.commit()
        scope_session(session, org.id)
        shopper = session.exec(select(User).where(User.email == EMAIL)).one()
        owner = session.exec(select(User).where(User.email == DEMO_USERS[0][0])).one()
        place = session.exec(select(Location).where(Location.name == PLACE)).first()
        if place is None:
            place = Location(org_id=org.id, name=PLACE, address="Pariser Platz 1", region="East")
        place.latitude, place.longitude = GATE
        session.add(place)
        session.commit()
        question = session.exec(
            select(Question)
            .where(Question.status == QuestionStatus.active)
            .order_by(col(Question.id))
        ).first()
        assert question is not None
        ids = []
        for _ in range(2):
            shop = services.shop_plan(
                session=session,
                org_id=org.id,
                data=services.ShopPlan(
                    location_id=place.id,  # type: ignore[arg-type]
                    touchpoint_ids=[question.touchpoint_id],
                    shopper_id=shopper.id,
                    scenario="Buy a postcard and ask for the way to the river.",
                    due_from=utcnow() - timedelta(hours=1),
                    due_until=utcnow() + timedelta(days=1),
                ),
                actor_id=owner.id,  # type: ignore[arg-type]
            )
            ids.append(shop.id)
    try:
        yield Visits(consent=ids[0], declined=ids[1])  # type: ignore[arg-type]
    finally:
        with db.session(write=True, writes_throughout=True) as session:
            org = _org(session)
            org.location_check = False
            session.add(org)
            session.commit()
        db.dispose()


def _shot(tab: Tab, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        tab.loaded()
        tab.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _check(live_server: LiveServer, shop_id: int) -> VisitLocationCheck | None:
    db = Database(live_server.database_url)
    try:
        with db.session() as session:
            scope_session(session, _org(session).id)  # type: ignore[arg-type]
            row = session.exec(
                select(VisitLocationCheck).where(col(VisitLocationCheck.shop_id) == shop_id)
            ).first()
            if row is not None:
                session.expunge(row)
            return row
    finally:
        db.dispose()


def _reviewer_reads(open_tab: TabFactory, shop_id: int) -> str:
    owner = open_tab(DESKTOP)
    owner.login(DEMO_USERS[0][0])
    owner.goto(f"/shops/{shop_id}")
    block = owner.page.locator(".visit-proof")
    expect(block.get_by_role("heading", name="Proof of visit")).to_be_visible()
    _shot(owner, f"proof-of-visit-owner-{shop_id}")
    return block.locator(".location-check dd").inner_text()


def test_the_shopper_agrees_offline_and_the_reviewer_reads_the_distance(
    open_tab: TabFactory, live_server: LiveServer, visits: Visits
) -> None:
    tab = open_tab(PHONE, cuttable=True, geolocation=PHONE_AT, permissions=["geolocation"])
    page = tab.page
    tab.login(EMAIL, PASSWORD)
    tab.goto(f"/shops/{visits.consent}/fill")
    # The worker installs on this first visit; the next page load is the one it controls,
    # and its saved copies are made before the signal goes.
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    tab.goto(f"/shops/{visits.consent}/fill")
    wait_for_offline_copy(page)
    card = page.locator("[data-visit-start]")
    expect(card.get_by_role("heading", name="Proof of your visit")).to_be_visible()
    tab.check_phone_layout()

    # Nothing in flight when the signal goes (the worker's own update check, a saved copy
    # fetched again): a request cut halfway is a console error the harness counts.
    page.wait_for_load_state("networkidle")
    signal(page.context, False)  # in the doorway, no signal
    card.get_by_role("button", name="Start the visit").click()
    consent = card.get_by_role("group", name="May this phone check where you are, once?")
    expect(consent).to_be_visible()
    expect(consent).to_contain_text("keeps only how far you were from the location")
    expect(consent).to_contain_text("never where you were")
    expect(consent).to_contain_text("Only the reviewer sees it, never the staff you visit.")
    tab.check_phone_layout()
    _shot(tab, "visit-start-consent-phone")
    consent.get_by_role("button", name="Yes, check my location").click()
    expect(card.get_by_text("Visit started at")).to_be_visible()
    expect(page.locator('[data-state="start"]')).to_have_text("Waiting to send…")
    assert _check(live_server, visits.consent) is None  # nothing reached the server yet
    # The time of the visit is filled in from the start.
    assert page.locator("#visited-at").input_value() != ""
    _shot(tab, "visit-started-offline-phone")

    signal(page.context, True)
    expect(page.locator('[data-state="start"]')).to_have_text("Saved")
    row = _check(live_server, visits.consent)
    assert row is not None and row.outcome == CheckOutcome.measured
    assert row.distance_m == 120 and row.accuracy_m == 12

    # A reload shows the start as done, not the button again.
    tab.goto(f"/shops/{visits.consent}/fill")
    expect(card.get_by_text("Visit started at")).to_be_visible()
    expect(card.get_by_role("button", name="Start the visit")).to_be_hidden()

    words = _reviewer_reads(open_tab, visits.consent)
    assert words.startswith("about 120 m from the location (the phone was sure to within 12 m)")


def test_the_shopper_declines_and_the_visit_goes_on(
    open_tab: TabFactory, live_server: LiveServer, visits: Visits
) -> None:
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(EMAIL, PASSWORD)
    tab.goto(f"/shops/{visits.declined}/fill")
    card = page.locator("[data-visit-start]")
    card.get_by_role("button", name="Start the visit").click()
    card.get_by_role("button", name="No, start without it").click()
    expect(page.locator('[data-state="start"]')).to_have_text("Saved")
    expect(card.get_by_text("Visit started at")).to_be_visible()
    row = _check(live_server, visits.declined)
    assert row is not None and row.outcome == CheckOutcome.declined and row.distance_m is None
    # The next section opens as ever: nothing waits on the check.
    page.get_by_role("link", name="Next →").click()
    expect(page.locator(".q").first).to_be_visible()

    assert _reviewer_reads(open_tab, visits.declined).startswith("shopper declined")


def test_owner_gives_a_location_its_coordinates(open_tab: TabFactory) -> None:
    """Inline on Locations, at 1280 and 390 px: a value that is not a point is refused next
    to the field; a pasted map link is read; emptied, they are gone."""
    for viewport, size in ((DESKTOP, "1280"), (PHONE, "390")):
        owner = open_tab(viewport)
        owner.login(DEMO_USERS[0][0])
        owner.goto("/locations")
        page = owner.page
        row = page.locator("#locations-panel tbody tr").first
        row.get_by_role("button", name="Edit").click()
        field = page.locator("tr.editing").get_by_label("Coordinates")
        expect(field).to_be_visible()
        field.fill("near the station")
        owner.expect_status(400)
        page.get_by_role("button", name="Save").click()
        htmx_settled(page)
        expect(page.locator("tr.editing .error")).to_contain_text("Give the latitude and longitude")
        owner.screenshot(f"location-coordinates-refused-{size}")
        page.locator("tr.editing").get_by_label("Coordinates").fill(
            "https://www.openstreetmap.org/?mlat=52.51628&mlon=13.37770#map=18/52.51628/13.37770"
        )
        page.get_by_role("button", name="Save").click()
        htmx_settled(page)
        first = page.locator("#locations-panel tbody tr").first
        expect(first).to_contain_text("At 52.51628, 13.37770")
        if size == "390":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"the locations page scrolls sideways ({width}px)"
        owner.screenshot(f"location-coordinates-saved-{size}")
        # Leave the shared demo server as it was for the other browser tests.
        first.get_by_role("button", name="Edit").click()
        page.locator("tr.editing").get_by_label("Coordinates").fill("")
        page.get_by_role("button", name="Save").click()
        htmx_settled(page)
        expect(page.locator("#locations-panel tbody tr").first).not_to_contain_text("At 52.5")
