"""The owners' e-mail page in a real browser, on a phone: an owner follows the alerts page's
link to a message that could not be sent, reads the server's answer and sends it again with
one tap. Checked for layout, tap targets and by axe-core.

Set TOUCHSTONE_SCREENSHOTS=<folder> to save the screenshots (docs/screenshots/settings-mail-*).
"""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import select

from app.db import Database
from app.demo import DEMO_ORG, DEMO_USERS
from app.modelbase import ident, utcnow
from app.orgs.models import Organization
from app.outbox.models import MailStatus, OutgoingMail
from tests.browser.conftest import PHONE, WAIT_MS, LiveServer, TabFactory
from tests.browser.test_alerts import look
from tests.browser.test_shopper import _axe

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]
REFUSED = "SMTPRecipientsRefused: {'gone@demo.example': (550, b'5.1.1 User unknown')}"


def arrange_failed_mail(server: LiveServer, subject: str) -> None:
    """A message every try of which failed: what the mail job leaves after its last try."""
    db = Database(server.database_url)
    try:
        with db.session(write=True, writes_throughout=True) as session:
            org = session.exec(select(Organization).where(Organization.name == DEMO_ORG)).one()
            session.add(
                OutgoingMail(
                    org_id=ident(org),
                    key=f"browser:{uuid.uuid4().hex}",
                    to_addr="gone@demo.example",
                    subject=subject,
                    body="A shop failed a critical question.\n",
                    status=MailStatus.failed,
                    attempts=6,
                    last_error=REFUSED,
                    failed_at=utcnow(),
                )
            )
            session.commit()
    finally:
        db.dispose()


def test_an_owner_sends_a_failed_mail_again_on_a_phone(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    subject = f"[Demo Co] Critical question failed in shop {uuid.uuid4().hex[:6]}"
    arrange_failed_mail(live_server, subject)
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(OWNER)

    tab.goto("/alerts")
    page.get_by_role("link", name="could not be sent").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail")
    row = page.locator("#mail-panel li", has_text=subject)
    expect(row).to_contain_text("User unknown")
    expect(row).to_contain_text("after 6 tries")
    look(tab, "settings-mail-phone", phone=True)

    row.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("Sending it again to gone@demo.example.")).to_be_visible()
    expect(
        page.locator("section", has_text="Not sent").locator("li", has_text=subject)
    ).to_have_count(0)
    look(tab, "settings-mail-sent-again-phone", phone=True)


def test_axe_finds_no_violations_on_the_mail_page(
    browser: Browser | None, live_server: LiveServer
) -> None:
    if browser is None:
        pytest.fail("Chromium is not installed; the browser tests need it.", pytrace=False)
    arrange_failed_mail(live_server, "[Demo Co] A message for axe")
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # for axe's inline script
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.get_by_label("E-mail address").fill(OWNER)
        page.get_by_label("Password").fill(live_server.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/settings/mail")
        violations = _axe(page)
        assert not violations, json.dumps(violations, indent=1)
    finally:
        context.close()
