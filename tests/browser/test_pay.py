"""Paying shoppers in a browser: a shopper sees on a phone (390×844) what they are owed; the
owner, on a laptop, makes a payment run for the period, downloads its CSV and marks it paid;
the shopper then sees it paid. Screenshots of each page when TOUCHSTONE_SCREENSHOTS is set."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from app.demo import DEMO_USERS
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, Role, User
from app.orgs.services import membership_set, user_create
from app.tenancy import scope_session
from audits.models import Shop, ShopStatus
from audits.pay import routes as pay_routes
from audits.pay.models import PaymentRun
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, Tab, TabFactory

pytestmark = pytest.mark.browser

EMAIL = "pia.pay@example.com"
PASSWORD = "walnut harbour violet 8812"
PLACE = "Quay Street"
SCREENSHOTS = os.environ.get("TOUCHSTONE_SCREENSHOTS", "")


@dataclass(frozen=True)
class Paid:
    shop_ids: tuple[int, int]
    returned_id: int
    period_from: str
    period_until: str


@pytest.fixture
def pia(live_server: LiveServer) -> Iterator[Paid]:
    """A shopper of her own with two shops approved yesterday (EUR 25.00 and EUR 12.50) and
    one sent back to fix (EUR 30.00): owed EUR 37.50, not the returned one."""
    db = Database(live_server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        assert org.id is not None
        user = session.exec(select(User).where(User.email == EMAIL)).first()
        if user is None:
            user = user_create(session=session, email=EMAIL, name="Pia Pay", password=PASSWORD)
            membership_set(session=session, org=org, user=user, role=Role.shopper)
            session.commit()
        scope_session(session, org.id)
        place = session.exec(select(Location).where(Location.name == PLACE)).first()
        if place is None:
            place = Location(org_id=org.id, name=PLACE, address="3 Quay Street, Millbrook")
            session.add(place)
            session.flush()
        yesterday = utcnow() - timedelta(days=1)
        shops = [
            Shop(
                org_id=org.id,
                location_id=place.id,  # type: ignore[arg-type]
                shopper_id=user.id,
                status=ShopStatus.approved,
                approved_at=yesterday,
                fee_minor=fee,
                fee_currency="EUR",
            )
            for fee in (2500, 1250)
        ]
        returned = Shop(
            org_id=org.id,
            location_id=place.id,  # type: ignore[arg-type]
            shopper_id=user.id,
            status=ShopStatus.returned,
            return_note="The receipt photo is missing.",
            fee_minor=3000,
            fee_currency="EUR",
        )
        session.add_all([*shops, returned])
        session.commit()
        ids = (shops[0].id, shops[1].id)
    # The period in the demo's zone: from two days ago (whatever the zone) to today.
    start = (utcnow() - timedelta(days=2)).date().isoformat()
    end = (utcnow() + timedelta(days=1)).date().isoformat()
    yield Paid(ids, returned.id, start, end)  # type: ignore[arg-type]
    db.dispose()


def _shot(tab: Tab, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        tab.loaded()
        tab.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_a_shopper_sees_owed_then_paid_after_the_owner_s_payment_run(
    open_tab: TabFactory, live_server: LiveServer, pia: Paid
) -> None:
    phone = open_tab(PHONE)
    phone.login(EMAIL, PASSWORD)
    page = phone.page
    page.get_by_role("link", name="My pay", exact=True).click()
    expect(page.get_by_role("heading", name="My pay", level=1)).to_be_visible()
    expect(page.locator("#pay-owed")).to_have_text("EUR 37.50")
    expect(page.locator("#pay-paid")).to_have_text("nothing yet")
    sent_back = page.locator(f"#fee-{pia.returned_id}")
    expect(sent_back).to_contain_text("Not owed")
    expect(sent_back).to_contain_text("The receipt photo is missing.")
    phone.check_phone_layout()
    _shot(phone, "pay-shopper-owed-phone")

    laptop = open_tab(DESKTOP)
    laptop.login(DEMO_USERS[0][0])
    lp = laptop.page
    lp.get_by_role("link", name="Payments", exact=True).click()
    lp.get_by_label("First day").fill(pia.period_from)
    lp.get_by_label("Last day").fill(pia.period_until)
    with lp.expect_navigation():
        lp.get_by_role("button", name="Show what is owed").click()
    row = lp.locator("#owed tr", has_text="Pia Pay")
    expect(row).to_contain_text("EUR 37.50")
    _shot(laptop, "payments-owner-desktop")
    with lp.expect_navigation():
        lp.get_by_role("button", name="Make a payment run of these").click()
    expect(lp.get_by_role("heading", name="Payment run #", level=1)).to_be_visible()
    expect(lp.get_by_role("heading", name="Pia Pay")).to_be_visible()
    with lp.expect_download() as download_info:
        lp.get_by_role("link", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    pia_rows = [r for r in csv.DictReader(io.StringIO(text)) if r["email"] == EMAIL]
    assert sorted(r["amount"] for r in pia_rows) == ["12.50", "25.00"]
    _shot(laptop, "payment-run-unpaid-desktop")
    with lp.expect_navigation():
        lp.get_by_role("button", name="Mark paid").click()
    run_id = int(lp.url.rstrip("/").rsplit("/", 1)[1])
    expect(lp.get_by_text(pay_routes.MSG_RUN_PAID % {"id": run_id})).to_be_visible()
    expect(lp.locator("#run-state")).to_contain_text("Paid")
    _shot(laptop, "payment-run-desktop")

    phone.goto("/pay")
    expect(page.locator("#pay-paid")).to_have_text("EUR 37.50")
    expect(page.locator("#pay-owed")).to_have_text("nothing")
    expect(page.locator(f"#fee-{pia.shop_ids[0]}")).to_contain_text(f"payment run #{run_id}")
    phone.check_phone_layout()
    _shot(phone, "pay-shopper-paid-phone")

    # The owner's pages read on a phone too.
    owner_phone = open_tab(PHONE)
    owner_phone.login(DEMO_USERS[0][0])
    owner_phone.goto(f"/payments/{run_id}")
    expect(owner_phone.page.locator("#run-state")).to_contain_text("Paid")
    owner_phone.check_phone_layout()
    _shot(owner_phone, "payment-run-phone")
    owner_phone.goto("/payments")
    expect(owner_phone.page.locator("#runs")).to_contain_text(f"#{run_id}")
    owner_phone.check_phone_layout()
    _shot(owner_phone, "payments-owner-phone")

    db = Database(live_server.database_url)
    with db.session() as session:
        run = session.get(PaymentRun, run_id)
        assert run is not None and run.paid_at is not None
    db.dispose()
