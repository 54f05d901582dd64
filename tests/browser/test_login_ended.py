"""The login ends while the phone is offline; no answer is lost (issue 13), at 390×844.

Also: an item the server refuses for a reason the shopper can act on (the shop was approved
meanwhile) is shown next to its question with that reason, and not sent again.

The shopper answers three questions and writes a section comment without signal; meanwhile
the password is changed on another device, which ends the phone's login. When the signal
returns, the server refuses the queued items (401): the page says the login ended and what
is kept on the phone, and the server has none of them. The shopper logs in again from the
page, comes back to the same screen, and every item arrives exactly once.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Route, expect
from sqlmodel import select

from app.db import Database
from app.orgs.models import Membership, Organization, Role, User
from app.orgs.services import membership_set, user_create
from app.tenancy import scope_session
from audits.models import Shop, ShopStatus, ShopTouchpoint
from audits.services import MSG_SHOP_CLOSED
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, TabFactory, signal
from tests.browser.test_shopper import (
    QUEUED_JS,
    SHOPPER,
    arrange_shop,
    forget_offline_noise,
    question,
    server_answers,
    state,
)

pytestmark = pytest.mark.browser

EMAIL = "night.shift.shopper@example.com"
FIRST_PASSWORD = "lantern quarry violet 8812"
NEW_PASSWORD = "orchid tundra saddle 4471"


def make_shopper(server: LiveServer) -> None:
    """A shopper of its own: changing the demo shopper's password would log out other tests."""
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        user = session.exec(select(User).where(User.email == EMAIL)).first()
        if user is None:
            user = user_create(
                session=session, email=EMAIL, name="Night Shift", password=FIRST_PASSWORD
            )
            membership_set(session=session, org=org, user=user, role=Role.shopper)
            session.commit()
        assert session.exec(select(Membership).where(Membership.user_id == user.id)).first()
    db.dispose()


def section_comment(server: LiveServer, shop_id: int, touchpoint_id: int) -> str:
    db = Database(server.database_url)
    with db.session() as session:
        link = session.exec(
            select(ShopTouchpoint).where(
                ShopTouchpoint.shop_id == shop_id, ShopTouchpoint.touchpoint_id == touchpoint_id
            )
        ).one()
        comment = link.comment
    db.dispose()
    return comment


def test_answers_given_offline_survive_a_login_ended_elsewhere(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    make_shopper(live_server)
    shop = arrange_shop(live_server, "Night Market", shopper_email=EMAIL)
    q = shop.questions
    tab = open_tab(PHONE, cuttable=True)
    tab.expect_status(401)  # the browser's own console note about the refused sends
    page = tab.page
    tab.login(EMAIL, FIRST_PASSWORD)
    fill = f"/shops/{shop.shop_id}/fill?section=2"
    tab.goto(fill)
    expect(page.get_by_role("heading", name="On the phone", level=1)).to_be_visible()
    comment_box = page.get_by_label("Anything else about On the phone?")
    touchpoint_id = int(comment_box.get_attribute("data-section-comment") or 0)

    # No signal: three answers and a section comment wait on the phone.
    signal(page.context, False)
    rings = page.get_by_label("Your number (rings)")
    rings.fill("2")
    rings.blur()
    expect(state(page, q["number"])).to_have_text("Waiting to send…")
    question(page, q["choice"]).get_by_role("button", name="A plain goodbye").click()
    expect(state(page, q["choice"])).to_have_text("Waiting to send…")
    page.get_by_label("Your answer").fill("A calm, tidy shop floor.")
    page.get_by_label("Your answer").blur()
    expect(state(page, q["text"])).to_have_text("Waiting to send…")
    comment_box.fill("The line was busy twice.")
    comment_box.blur()
    status = page.locator("#queue-status")
    expect(status).to_have_text(
        "3 answers and 1 comment are waiting to send. "
        "They are kept on this phone and go out when the signal returns."
    )

    # Meanwhile, on another device, the password is changed: that ends the phone's login.
    desk = open_tab(DESKTOP)
    desk.login(EMAIL, FIRST_PASSWORD)
    desk.goto("/account")
    desk.page.locator("#f-current_password").fill(FIRST_PASSWORD)
    desk.page.locator("#f-new_password").fill(NEW_PASSWORD)
    desk.page.locator("#f-confirm_password").fill(NEW_PASSWORD)
    desk.page.get_by_role("button", name="Change password").click()
    expect(desk.page.get_by_text("Password changed.")).to_be_visible()

    # The signal returns: the server refuses, and the page says so; nothing is dropped.
    signal(page.context, True)
    expect(status).to_have_text(
        "Your login has ended: 3 answers and 1 comment are kept on this phone "
        "and go out once you are back. Log in again"
    )
    expect(status).to_have_class(re.compile(r"\bqueue-error\b"))
    for qid in (q["number"], q["choice"], q["text"]):
        expect(state(page, qid)).to_have_text("Waiting to send…")
    assert server_answers(live_server, shop.shop_id) == []
    assert section_comment(live_server, shop.shop_id, touchpoint_id) == ""
    kept = page.evaluate(QUEUED_JS)
    assert len(kept) == 4
    tab.check_phone_layout()
    tab.screenshot("shopper-login-ended")

    # Logging in again from the page comes back to the same screen, and the queue sends.
    status.get_by_role("link", name="Log in again").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + fill)
    for qid in (q["number"], q["choice"], q["text"]):
        expect(state(page, qid)).to_have_text("Saved")
    expect(page.locator(f"#sc-{touchpoint_id}-state")).to_have_text("Saved")
    expect(status).to_be_hidden()
    assert page.evaluate(QUEUED_JS) == []

    rows = server_answers(live_server, shop.shop_id)
    by_question = {r.question_id: r for r in rows}
    assert len(rows) == len(by_question) == 3
    assert by_question[q["number"]].value == 2
    assert by_question[q["choice"]].value == 1
    assert by_question[q["text"]].value == "A calm, tidy shop floor."
    assert section_comment(live_server, shop.shop_id, touchpoint_id) == "The line was busy twice."
    forget_offline_noise(tab)


def approve(server: LiveServer, shop_id: int) -> None:
    """The owner approves the shop (handed in from another device, say) while the phone is
    offline."""
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        scope_session(session, shop.org_id)
        shop.status = ShopStatus.approved
        session.add(shop)
        session.commit()
    db.dispose()


def test_an_answer_the_server_refuses_is_shown_with_its_reason_not_retried(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Closed Corner")
    q = shop.questions
    tab = open_tab(PHONE, cuttable=True)
    tab.expect_status(409)
    page = tab.page
    tab.login(SHOPPER)
    tab.goto(f"/shops/{shop.shop_id}/fill?section=1")
    expect(page.get_by_role("heading", name="At the counter", level=1)).to_be_visible()
    signal(page.context, False)
    question(page, q["yes_no"]).get_by_role("button", name="Yes").click()
    expect(state(page, q["yes_no"])).to_have_text("Waiting to send…")
    approve(live_server, shop.shop_id)

    signal(page.context, True)
    expect(state(page, q["yes_no"])).to_have_text(MSG_SHOP_CLOSED)
    expect(question(page, q["yes_no"])).to_have_class(re.compile(r"\bq-error\b"))
    expect(page.locator("#queue-status")).to_be_hidden()
    assert page.evaluate(QUEUED_JS) == []
    notes = page.evaluate(
        "JSON.parse(localStorage.getItem('touchstone:refused:v1:' + document.body.dataset.user))"
    )
    assert [n["message"] for n in notes.values()] == [MSG_SHOP_CLOSED]
    assert server_answers(live_server, shop.shop_id) == []
    forget_offline_noise(tab)


def test_only_an_acknowledgement_naming_the_answer_drops_it(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    """A login page's 200, a redirect or a bare `{"ok": true}` is no acknowledgement."""
    shop = arrange_shop(live_server, "Proxy Parade")
    q = shop.questions
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(SHOPPER)
    tab.goto(f"/shops/{shop.shop_id}/fill?section=1")
    expect(page.get_by_role("heading", name="At the counter", level=1)).to_be_visible()
    impostors = [
        {"status": 200, "content_type": "text/html", "body": "<h1>Log in</h1>"},
        {"status": 303, "headers": {"Location": "/login"}, "body": ""},
        {"status": 200, "content_type": "application/json", "body": '{"ok": true}'},
    ]
    answered: list[str] = []

    def imposter(route: Route) -> None:
        if impostors:
            answered.append(route.request.url)
            route.fulfill(**impostors.pop(0))  # type: ignore[arg-type]
        else:
            route.continue_()

    page.route(re.compile(r"/shops/\d+/answers$"), imposter)
    question(page, q["yes_no"]).get_by_role("button", name="Yes").click()
    # The redirect stops the queue as an ended login would; coming back to the page (here:
    # a reload) tries again, and the real answer names the item.
    expect(page.locator("#queue-status")).to_contain_text("Your login has ended")
    assert server_answers(live_server, shop.shop_id) == []
    assert len(page.evaluate(QUEUED_JS)) == 1
    page.reload()
    expect(state(page, q["yes_no"])).to_have_text("Saved")
    assert not impostors and len(answered) == 3
    assert page.evaluate(QUEUED_JS) == []
    [row] = server_answers(live_server, shop.shop_id)
    assert (row.question_id, row.value) == (q["yes_no"], True)
