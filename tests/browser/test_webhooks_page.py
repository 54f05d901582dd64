"""The owners' webhooks pages in a real browser against the live server, whose own job
worker (JOBS=web) sends the deliveries to a real HTTP receiver started by this test: an
owner registers an endpoint, copies its secret (shown once), opens a recovery case, sees
the delivery and its attempt in the log, and sends it again. Laptop and phone.

Set TOUCHSTONE_SCREENSHOTS=<folder> to save the screenshots (docs/screenshots/webhooks-*).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import select

from app.db import Database
from app.demo import DEMO_USERS
from app.modelbase import utcnow
from app.webhooks.models import WebhookEndpoint
from tests.browser.conftest import DESKTOP, PHONE, WAIT_MS, LiveServer, TabFactory
from tests.browser.test_alerts import look
from tests.browser.test_shopper import _axe
from tests.helpers import hook_receiver

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]


def wait_for(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_an_owner_registers_an_endpoint_and_follows_its_deliveries(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    with hook_receiver() as receiver:
        tab = open_tab(DESKTOP)
        page = tab.page
        tab.login(OWNER)
        tab.goto("/settings")
        page.get_by_role("link", name="Webhooks: send events to your other tools").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

        # A wrong address and no event: both said next to their fields (a 400).
        tab.expect_status(400)
        page.get_by_label("Address (URL)").fill("ftp://files.example.test/in")
        page.get_by_role("button", name="Register endpoint").click()
        expect(page.locator("#f-url-error")).to_contain_text("starting with https://")
        expect(page.locator("#f-events-error")).to_have_text("Choose at least one event.")

        page.get_by_label("Address (URL)").fill(receiver.url)
        page.get_by_label("Description").fill("Our ticketing tool")
        page.get_by_label("A recovery case was opened").check()
        page.get_by_label("An alert was raised").check()
        page.get_by_role("button", name="Register endpoint").click()
        secret = page.get_by_label("Signing secret")
        expect(secret).to_be_visible()
        value = secret.input_value()
        assert value.startswith("whsec_")
        expect(page.get_by_text("it is shown only once")).to_be_visible()
        look(tab, "webhooks-registered-desktop")

        # Shown once: the page again has no secret on it.
        tab.goto("/settings/webhooks")
        assert value not in page.content()

        # An event: a recovery case opened on its page; the server's job sends it.
        tab.goto("/recovery/new")
        page.get_by_label("What happened").fill("Waited twenty minutes for the bill")
        page.get_by_label("How you heard").select_option(label="Online review")
        page.get_by_label("Location").select_option(index=1)
        page.get_by_role("button", name="Open the case").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Case "))
        wait_for(lambda: receiver.received, "the delivery to arrive")
        first = receiver.received[0]
        assert first.headers["Touchstone-Event"] == "recovery_case.opened"
        delivery = first.headers["Touchstone-Delivery"]

        tab.goto("/settings/webhooks")
        page.get_by_role("link", name="Deliveries").click()
        row = page.locator("li[id^=delivery-]", has_text=delivery)
        expect(row).to_contain_text("recovery_case.opened")
        expect(row).to_contain_text("HTTP 200")
        expect(row).to_contain_text("delivered")
        look(tab, "webhooks-deliveries-desktop")

        phone = open_tab(PHONE)
        phone.login(OWNER)
        phone.goto(page.url.removeprefix(page.url.split("/settings")[0]))
        row = phone.page.locator("li[id^=delivery-]", has_text=delivery)
        row.get_by_role("button", name="Send again").click()
        expect(phone.page.get_by_text("Sending it again.")).to_be_visible()
        wait_for(lambda: len(receiver.received) >= 2, "the delivery sent again")
        assert receiver.received[1].headers["Touchstone-Delivery"] == delivery
        assert receiver.received[1].body == first.body

        def two_attempts() -> bool:
            phone.page.reload()
            return (
                phone.page.locator("li[id^=delivery-]", has_text=delivery)
                .locator("ol.attempts li")
                .count()
                == 2
            )

        wait_for(two_attempts, "the second attempt in the log")
        look(phone, "webhooks-deliveries-phone", phone=True)
        phone.goto("/settings/webhooks")
        look(phone, "webhooks-phone", phone=True)

        # Paused (as the job leaves an endpoint failing for a day): said on the page, and
        # the owner resumes it.
        pause(live_server, receiver.url)
        page.reload()
        expect(page.locator("#paused")).to_contain_text("every request for 24 hours failed")
        look(tab, "webhooks-paused-desktop")
        page.get_by_role("button", name="Resume").click()
        expect(page.get_by_text("Resumed: new events are sent")).to_be_visible()
        expect(page.locator("#paused")).to_have_count(0)


def pause(server: LiveServer, url: str) -> None:
    db = Database(server.database_url)
    try:
        with db.session(write=True, writes_throughout=True) as session:
            endpoint = session.exec(select(WebhookEndpoint).where(WebhookEndpoint.url == url)).one()
            endpoint.paused_at = utcnow()
            endpoint.failures = 31
            endpoint.paused_reason = (
                "Since 2026-12-07 09:00 UTC: every request for 24 hours failed (31 in a row). "
                "The last answer: HTTP 503: Service Unavailable"
            )
            session.add(endpoint)
            session.commit()
    finally:
        db.dispose()


def test_axe_finds_no_violations_on_the_webhooks_page(
    browser: Browser | None, live_server: LiveServer
) -> None:
    if browser is None:
        pytest.fail("Chromium is not installed; the browser tests need it.", pytrace=False)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # for axe's inline script
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.get_by_label("E-mail address").fill(OWNER)
        page.get_by_label("Password").fill(live_server.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/settings/webhooks")
        # With the messages next to the fields, as after a wrong address and no event.
        page.get_by_label("Address (URL)").fill("ftp://files.example.test/in")
        with page.expect_navigation():
            page.get_by_role("button", name="Register endpoint").click()
        violations = _axe(page)
        assert not violations, json.dumps(violations, indent=1)
    finally:
        context.close()
