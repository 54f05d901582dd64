"""The phone's outbox, honestly (issue 13), at 390×844: the sync receipt on the check screen,
the logout guard while answers wait, one outbox per user on a shared phone, and text kept at
every keystroke.

Sending is blocked with a route that aborts the answer requests (the phone has a network, the
answers do not get through), so that logging out and in still works; the database is checked
for what arrived, and that it arrived once.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error, Page, expect
from sqlmodel import select

from app.db import Database
from app.orgs.models import Organization, Role, User
from app.orgs.services import membership_set, user_create
from tests.browser.conftest import PHONE, WAIT_MS, LiveServer, TabFactory, signal
from tests.browser.test_photo_offline import add_photo, server_photos
from tests.browser.test_shopper import (
    SHOPPER,
    arrange_shop,
    forget_offline_noise,
    question,
    server_answers,
    state,
)

pytestmark = pytest.mark.browser

OTHER = "second.shopper.outbox@example.com"
OTHER_PASSWORD = "harbour pepper lichen 5120"
ANSWERS = re.compile(r"/shops/\d+/answers$")


def make_other_shopper(server: LiveServer) -> None:
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        if session.exec(select(User).where(User.email == OTHER)).first() is None:
            user = user_create(
                session=session, email=OTHER, name="Second Shopper", password=OTHER_PASSWORD
            )
            membership_set(session=session, org=org, user=user, role=Role.shopper)
            session.commit()
    db.dispose()


def queue_of(page: Page, user: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = page.evaluate(
        "(u) => JSON.parse(localStorage.getItem('touchstone:queue:v1:' + u) || '[]')", user
    )
    return items


def wait_until_sent(page: Page, user: str) -> None:
    """Polled inside the page (the CSP refuses Playwright's string polling): the user's
    outbox is empty."""
    page.evaluate(
        """async (u) => {
          for (let tries = 0; tries < 600; tries++) {
            const queue = JSON.parse(localStorage.getItem("touchstone:queue:v1:" + u) || "[]");
            if (queue.length === 0) return;
            await new Promise(resolve => setTimeout(resolve, 100));
          }
          throw new Error("the outbox was not sent within 60 s");
        }""",
        user,
    )


def wait_for_offline_copy(page: Page) -> None:
    """The service worker is active and every screen of the shop is saved on the phone."""
    page.evaluate(
        """async () => {
          await navigator.serviceWorker.ready;
          const urls = JSON.parse(document.getElementById("fill").dataset.precache);
          const cache = await caches.open("touchstone-pages-v1");
          for (let tries = 0; tries < 600; tries++) {
            const hits = await Promise.all(urls.map(url => cache.match(url)));
            if (hits.every(Boolean)) return;
            await new Promise(resolve => setTimeout(resolve, 100));
          }
          throw new Error("the shop's pages were not saved on the phone within 60 s");
        }"""
    )


def block_answers(page: Page) -> None:
    page.route(ANSWERS, lambda route: route.abort())


def unblock_answers(page: Page) -> None:
    page.unroute(ANSWERS)


def log_out(page: Page) -> None:
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Log out", exact=True).click()


def test_receipt_on_the_check_screen(open_tab: TabFactory, live_server: LiveServer) -> None:
    shop = arrange_shop(live_server, "Receipt Row")
    q = shop.questions
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(SHOPPER)
    fill = f"/shops/{shop.shop_id}/fill"
    tab.goto(f"{fill}?section=2")
    wait_for_offline_copy(page)
    page.get_by_label("Your number (rings)").fill("2")
    page.get_by_label("Your number (rings)").blur()
    question(page, q["choice"]).get_by_role("button", name="A plain goodbye").click()
    expect(state(page, q["number"])).to_have_text("Saved")
    expect(state(page, q["choice"])).to_have_text("Saved")

    tab.goto(f"{fill}?section=3")
    receipt = page.locator("#sync-receipt")
    expect(receipt).to_have_text(
        re.compile(r"^All 2 answers are on the server, last at \d\d:\d\d\.$")
    )

    # Without signal, one more answer waits on the phone; the check screen (the phone's own
    # copy of it) says so.
    signal(page.context, False)
    page.goto(f"{live_server.url}{fill}?section=2")
    page.get_by_label("Your answer").fill("Bright and tidy.")
    page.get_by_label("Your answer").blur()
    expect(state(page, q["text"])).to_have_text("Waiting to send…")
    page.goto(f"{live_server.url}{fill}?section=3")
    expect(receipt).to_have_text("1 of 3 answers is still on this phone.")
    assert len(server_answers(live_server, shop.shop_id)) == 2

    signal(page.context, True)
    expect(receipt).to_have_text(
        re.compile(r"^All 3 answers are on the server, last at \d\d:\d\d\.$")
    )
    rows = server_answers(live_server, shop.shop_id)
    assert sorted(r.question_id for r in rows) == sorted([q["number"], q["choice"], q["text"]])
    forget_offline_noise(tab)


def test_logout_with_answers_waiting_warns_and_keeps_them(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Logout Lane")
    q = shop.questions
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(SHOPPER)
    fill = f"/shops/{shop.shop_id}/fill?section=2"
    tab.goto(fill)
    user = str(page.evaluate("document.body.dataset.user"))
    block_answers(page)
    question(page, q["choice"]).get_by_role("button", name="A plain goodbye").click()
    expect(state(page, q["choice"])).to_have_text("Waiting to send…")
    # A photo of that answer waits behind it (photos go once the answers are through).
    add_photo(page, q["choice"], (90, 30, 160))
    expect(question(page, q["choice"]).locator(".photo-waiting")).to_have_count(1)

    log_out(page)
    warning = page.locator("#logout-warning")
    expect(warning).to_contain_text(
        "1 answer and 1 photo are not on the server yet. Send them first (needs signal) or "
        "log out anyway and they stay on this phone for your next login."
    )
    # Sending first cannot get through: the page says so and keeps both choices.
    warning.get_by_role("button", name="Send them first").click()
    expect(warning).to_contain_text("Not sent:")
    assert server_answers(live_server, shop.shop_id) == []

    with page.expect_navigation():
        warning.get_by_role("button", name="Log out anyway").click()
    expect(page).to_have_url(re.compile(r"/login"))
    unblock_answers(page)
    assert len(queue_of(page, user)) == 1
    assert server_answers(live_server, shop.shop_id) == []

    # The same shopper logs in again: the answer goes out, and is stored once.
    tab.login(SHOPPER)
    wait_until_sent(page, user)
    rows = server_answers(live_server, shop.shop_id)
    assert [(r.question_id, r.value) for r in rows] == [(q["choice"], 1)]
    # The photo follows its answer (from whichever page the shopper is on).
    page.goto(live_server.url + fill)
    expect(question(page, q["choice"]).locator(".photo-list li")).to_have_count(1)
    expect(question(page, q["choice"]).locator(".photo-waiting")).to_have_count(0)
    expect(page.locator("#queue-status")).to_be_hidden()
    assert [qid for _, qid, _ in server_photos(live_server, shop.shop_id)] == [q["choice"]]
    # Nothing waits now: logging out goes straight through.
    with page.expect_navigation():
        log_out(page)
    expect(page).to_have_url(re.compile(r"/login"))
    forget_offline_noise(tab)


def test_two_users_on_one_phone_keep_their_own_outbox(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    make_other_shopper(live_server)
    mine = arrange_shop(live_server, "Shared Phone A")
    theirs = arrange_shop(live_server, "Shared Phone B", shopper_email=OTHER)
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page

    # A answers two questions that cannot be sent, and logs out anyway.
    tab.login(SHOPPER)
    tab.goto(f"/shops/{mine.shop_id}/fill?section=2")
    user_a = str(page.evaluate("document.body.dataset.user"))
    block_answers(page)
    question(page, mine.questions["choice"]).get_by_role("button", name="A plain goodbye").click()
    page.get_by_label("Your answer").fill("Shopper A's words.")
    page.get_by_label("Your answer").blur()
    expect(state(page, mine.questions["text"])).to_have_text("Waiting to send…")
    expect(page.locator("#queue-status")).to_contain_text("2 answers are waiting to send.")
    log_out(page)
    with page.expect_navigation():
        page.locator("#logout-warning").get_by_role("button", name="Log out anyway").click()
    unblock_answers(page)

    # B logs in on the same phone: none of A's items show, and only B's answers go out.
    tab.login(OTHER, OTHER_PASSWORD)
    user_b = str(page.evaluate("document.body.dataset.user"))
    assert user_b != user_a
    expect(page.locator("#storage-line")).to_contain_text("Kept on this phone: nothing.")
    expect(page.locator("#queue-status")).to_be_hidden()
    tab.goto(f"/shops/{theirs.shop_id}/fill?section=2")
    expect(page.locator("#queue-status")).to_be_hidden()
    question(page, theirs.questions["choice"]).get_by_role("button", name="They hung up").click()
    expect(state(page, theirs.questions["choice"])).to_have_text("Saved")
    expect(page.get_by_label("Your answer")).to_have_value("")
    assert len(queue_of(page, user_a)) == 2
    assert queue_of(page, user_b) == []
    assert server_answers(live_server, mine.shop_id) == []
    rows_b = server_answers(live_server, theirs.shop_id)
    assert [r.question_id for r in rows_b] == [theirs.questions["choice"]]
    with page.expect_navigation():
        log_out(page)  # nothing of B's waits: no warning

    # A logs in again: A's two answers arrive, once, under A's shop.
    tab.login(SHOPPER)
    wait_until_sent(page, user_a)
    rows_a = server_answers(live_server, mine.shop_id)
    assert sorted((r.question_id, r.value) for r in rows_a) == sorted(
        [(mine.questions["choice"], 1), (mine.questions["text"], "Shopper A's words.")]
    )
    assert len(server_answers(live_server, theirs.shop_id)) == 1
    forget_offline_noise(tab)


def test_text_typed_right_before_the_tab_is_killed_is_kept(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Closing Time")
    q = shop.questions
    tab = open_tab(PHONE, cuttable=True)
    tab.login(SHOPPER)
    fill = f"/shops/{shop.shop_id}/fill?section=2"
    tab.goto(fill)
    block_answers(tab.page)  # nothing gets through before the tab dies
    # Typed key by key, and the tab is killed straight after the last one: no pause, no
    # leaving the box, no unload (the renderer crashes, as when the system kills a tab).
    tab.page.get_by_label("Your answer").press_sequentially("Typed in the last second.")
    # chrome://crash kills the tab's renderer at once: the page gets no unload and no blur.
    with pytest.raises(Error):
        tab.page.goto("chrome://crash", timeout=WAIT_MS)
    with pytest.raises(Error, match="crashed"):
        tab.page.evaluate("1")
    tab.problems.clear()  # the crash itself is the point here
    assert server_answers(live_server, shop.shop_id) == []

    page = tab.page.context.new_page()
    page.goto(live_server.url + fill)
    expect(page.get_by_label("Your answer")).to_have_value("Typed in the last second.")
    expect(state(page, q["text"])).to_have_text("Saved")
    rows = server_answers(live_server, shop.shop_id)
    assert [(r.question_id, r.value) for r in rows] == [(q["text"], "Typed in the last second.")]
    page.close()
