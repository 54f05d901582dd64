"""Fair feedback in a real browser (issue 16, deliverable 7): the reviewer returns a shop with
a note on one question; the shopper, on a phone at 390×844, finds the note next to that
question, is told to write something when sending an empty answer, answers it, and the
reviewer reads the answer on the shop's page. Set TOUCHSTONE_SCREENSHOTS=<folder> to save
the screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from app.orgs.models import User
from audits.feedback.services import MSG_REPLY_EMPTY
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, TabFactory
from tests.browser.test_review_queue import arrange_queue
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DOOR = "Were you greeted at the door?"
NOTE = "Which door did you use? Say if anyone was near it."
REPLY = "The side door; nobody was at the counter by it."


def _email(server: LiveServer, name: str) -> str:
    db = Database(server.database_url)
    with db.session() as session:
        email = session.exec(select(User.email).where(User.name == name)).one()
    db.dispose()
    return email


def test_a_question_note_reaches_the_phone_and_is_answered(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    queue = arrange_queue(live_server, "feedback", [(True, False, 4)])
    (shop_id,) = queue.shop_ids
    owner = open_tab(DESKTOP)
    owner.login(queue.owner_email, PASSWORD)
    owner.page.on("dialog", lambda dialog: dialog.accept())
    owner.goto(f"/shops/{shop_id}")
    door_item = owner.page.locator(".answer-item", has_text=DOOR)
    door_item.get_by_label("Note on this question for a return").fill(NOTE)
    owner.screenshot("feedback-review-desktop")
    owner.page.get_by_role("button", name="Return to shopper").click()
    expect(owner.page.get_by_text("Returned to the shopper with your note.")).to_be_visible()

    phone = open_tab(PHONE)
    phone.expect_status(400)  # the empty answer, refused on purpose
    page = phone.page
    phone.login(_email(live_server, "Shopper feedback"), PASSWORD)
    phone.goto(f"/shops/{shop_id}/fill")
    expect(page.get_by_text("Sent back to you: See the notes on 1 question.")).to_be_visible()
    page.get_by_role("link", name=DOOR).click()
    card = page.locator("section.q", has_text=DOOR)
    expect(card.locator(".review-note")).to_contain_text(f"To fix: {NOTE}")
    card.get_by_text("Answer this note").click()
    card.get_by_role("button", name="Send answer").click()
    field = card.get_by_label("Your answer to the reviewer")
    expect(card.locator(".error")).to_have_text(MSG_REPLY_EMPTY)
    expect(field).to_have_attribute("aria-invalid", "true")
    card.get_by_label("Your answer to the reviewer").fill(REPLY)
    card.get_by_role("button", name="Send answer").click()
    expect(card.get_by_text("Sent to the reviewer.")).to_be_visible()
    expect(card.locator(".note-reply")).to_contain_text(REPLY)
    phone.check_phone_layout()
    phone.screenshot("feedback-note-answered-phone")

    owner.goto(f"/shops/{shop_id}")
    notes = owner.page.get_by_role("region", name="Notes to the shopper")
    expect(notes).to_contain_text(NOTE)
    expect(notes).to_contain_text("The shopper answered")
    expect(notes).to_contain_text(REPLY)
    owner.screenshot("feedback-notes-desktop")


def test_approval_with_the_rubric_reaches_the_shopper_and_the_record(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    queue = arrange_queue(live_server, "rubric", [(True, True, 5)])
    (shop_id,) = queue.shop_ids
    owner = open_tab(PHONE)
    owner.login(queue.owner_email, PASSWORD)
    page = owner.page
    page.on("dialog", lambda dialog: dialog.accept())
    owner.goto(f"/shops/{shop_id}")
    page.get_by_label("On time").select_option("3")
    page.get_by_label("Complete").select_option("2")
    page.get_by_label("Note to the shopper with the approval").fill("Clear, thorough answers.")
    owner.check_phone_layout()
    owner.screenshot("feedback-rubric-phone")
    bar = page.get_by_role("region", name="Approve or return this shop")
    bar.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("Approved: this shop now counts in reports.")).to_be_visible()
    notes = page.get_by_role("region", name="Notes to the shopper")
    expect(notes).to_contain_text("On time 3 · Complete 2 · Detailed comments —")
    expect(notes).to_contain_text("Clear, thorough answers.")

    owner.goto("/shoppers")
    row = page.locator("tr", has_text="Shopper rubric")
    expect(row.locator(".rubric-avg")).to_contain_text("3.0 · 2.0 · — (1 shop rated)")
    owner.screenshot("feedback-records-phone")

    shopper = open_tab(PHONE)
    shopper.login(_email(live_server, "Shopper rubric"), PASSWORD)
    shopper.goto(f"/shops/{shop_id}/fill")
    result = shopper.page.get_by_role("region", name="Your shop’s result")
    expect(result).to_contain_text("Score: 100")
    expect(result).to_contain_text("Reviewer’s note: Clear, thorough answers.")
    shopper.check_phone_layout()
    shopper.screenshot("feedback-approved-phone")
