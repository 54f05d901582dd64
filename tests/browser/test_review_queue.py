"""Faster review in a real browser (issue 18): every answer marked pass / partial / fail with
its points and a failed critical question flagged at the answer; "Approve and open next"
through a queue of three shops; several clean shops approved at once, the flagged one left.

The organization is the test's own, so the queue holds only its shops whatever other tests
hand in on the same server. Set TOUCHSTONE_SCREENSHOTS=<folder> to save the screenshots.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.db import Database
from app.modelbase import ident
from app.orgs.models import Location, Role, User
from app.tenancy import scope_session
from audits import services as shops
from audits.models import Shop, ShopStatus
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, TabFactory
from tests.factories import PASSWORD, make_member, make_org
from touchpoints import services as journey
from touchpoints.models import Question, QuestionFields, Stage, Touchpoint

pytestmark = pytest.mark.browser

CRITICAL = "Was the prescription checked back with you?"


@dataclass
class Queue:
    owner_email: str
    shop_ids: list[int]
    server: LiveServer

    def statuses(self) -> dict[int, str]:
        db = Database(self.server.database_url)
        with db.session() as session:
            found = {s: str(session.get(Shop, s).status) for s in self.shop_ids}  # type: ignore[union-attr]
        db.dispose()
        return found


def _hand_in(
    session: Session,
    org_id: int,
    location: Location,
    touchpoint: Touchpoint,
    shopper: User,
    owner: User,
    answers: list[tuple[Question, object]],
) -> int:
    shop = shops.shop_plan(
        session=session,
        org_id=org_id,
        data=shops.ShopPlan(
            location_id=ident(location),
            touchpoint_ids=[ident(touchpoint)],
            shopper_id=ident(shopper),
        ),
        actor_id=ident(owner),
    )
    for question, value in answers:
        shops.answer_record(
            session=session,
            shop=shop,
            actor_id=ident(shopper),
            data=shops.AnswerInput(id=uuid.uuid4(), question_id=ident(question), value=value),
        )
    shops.shop_submit(session=session, shop=shop, actor_id=ident(shopper))
    return ident(shop)


def arrange_queue(server: LiveServer, tag: str, plans: list[tuple[bool, bool, int]]) -> Queue:
    """An organization of its own with shops handed in, oldest first; each plan is (critical
    question passed, door question passed, scale answer 1-5)."""
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = make_org(session, name=f"Lens & Co {tag}")
        org_id = ident(org)
        owner = make_member(session, org, Role.owner, email=f"owner-{tag}@lens.example")
        shopper = make_member(session, org, Role.shopper, name=f"Shopper {tag}")
        scope_session(session, org_id)
        stage = Stage(org_id=org_id, name="In the shop", position=1)
        session.add(stage)
        session.flush()
        touchpoint = Touchpoint(
            org_id=org_id, stage_id=ident(stage), name="The eye test", target=80
        )
        location = Location(org_id=org_id, name="Lens Street")
        session.add_all([touchpoint, location])
        session.commit()
        critical, door, scale = (
            journey.question_create(
                session=session, touchpoint=touchpoint, fields=QuestionFields.model_validate(f)
            )
            for f in [
                {"text": CRITICAL, "kind": "yes_no", "critical": True},
                {"text": "Were you greeted at the door?", "kind": "yes_no"},
                {
                    "text": "How clear was the explanation?",
                    "kind": "scale",
                    "scale_labels": ["Lost", "Muddled", "Fair", "Clear", "Crystal"],
                },
            ]
        )
        ids = [
            _hand_in(
                session,
                org_id,
                location,
                touchpoint,
                shopper,
                owner,
                [(critical, ok), (door, greeted), (scale, clear)],
            )  # fmt: skip
            for ok, greeted, clear in plans
        ]
    db.dispose()
    return Queue(f"owner-{tag}@lens.example", ids, server)


def test_approve_and_open_next_through_a_queue_of_three(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    # First all good; second: the door failed and the scale only partly; third: all good.
    queue = arrange_queue(live_server, "next", [(True, True, 5), (True, False, 4), (True, True, 5)])
    first, second, third = queue.shop_ids
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(queue.owner_email, PASSWORD)
    page.on("dialog", lambda dialog: dialog.accept())

    tab.goto("/shops/review")
    page.get_by_role("link", name=f"Shop #{first}", exact=True).click()
    answers = page.locator(".answer-item")
    expect(answers.nth(0).locator(".amark")).to_have_text("✓ Pass · 1 of 1 points")
    expect(answers.nth(2).locator(".amark")).to_have_text("✓ Pass · 1 of 1 points")
    bar = page.get_by_role("region", name="Approve or return this shop")
    expect(bar).to_contain_text(f"Shop #{first}")
    expect(bar).to_contain_text("2 more waiting")
    tab.check_phone_layout()
    # The bar stays on screen at the foot while the owner reads.
    page.mouse.wheel(0, 400)
    box = bar.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] + 1
    tab.screenshot("review-shop-bar-phone")

    bar.get_by_role("button", name="Approve and open next").click()
    expect(
        page.get_by_text(f"Shop #{first} approved. Next in the queue: shop #{second}.")
    ).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/shops/{second}")
    # The failed and the partial answers are marked where they are, not only in the table.
    expect(answers.nth(1).locator(".amark")).to_have_text("✗ Fail · 0 of 1 points")
    expect(answers.nth(2).locator(".amark")).to_have_text("◐ Partial · 0.75 of 1 points")
    expect(page.locator(".explain-table")).to_contain_text("partly passed")
    expect(page.get_by_text("1 answer failed")).to_be_visible()

    bar = page.get_by_role("region", name="Approve or return this shop")
    bar.get_by_role("button", name="Approve and open next").click()
    expect(page).to_have_url(f"{live_server.url}/shops/{third}")
    bar = page.get_by_role("region", name="Approve or return this shop")
    expect(bar.get_by_role("button", name="Approve and open next")).to_have_count(0)
    bar.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("Approved: this shop now counts in reports.")).to_be_visible()
    assert queue.statuses() == dict.fromkeys(queue.shop_ids, ShopStatus.approved)


def test_clean_shops_are_approved_together_and_the_flagged_one_stays(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    queue = arrange_queue(live_server, "bulk", [(True, True, 5), (False, True, 5), (True, True, 4)])
    clean, critical, partial = queue.shop_ids
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(queue.owner_email, PASSWORD)
    tab.goto("/shops/review")
    row = page.locator(f"#shop-{critical}")
    expect(row).to_contain_text("✗ 1 failed, 1 critical")
    expect(row.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_text("2 of 3 can.")).to_be_visible()

    # Nothing ticked: said next to the button, nothing approved.
    tab.expect_status(400)
    page.get_by_role("button", name="Approve the ticked shops").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Choose the shops to approve: tick them in the list."
    )
    tab.check_labels()
    tab.screenshot("review-queue-desktop")

    page.get_by_role("checkbox", name=f"Approve shop #{clean} with the others ticked").check()
    page.get_by_role("checkbox", name=f"Approve shop #{partial} with the others ticked").check()
    page.get_by_role("button", name="Approve the ticked shops").click()
    expect(page.get_by_text(f"Approved 2 shops: #{clean}, #{partial}.")).to_be_visible()
    expect(page.get_by_role("heading", name="1 shop waiting")).to_be_visible()
    assert queue.statuses() == {
        clean: ShopStatus.approved,
        critical: ShopStatus.submitted,
        partial: ShopStatus.approved,
    }

    # The flagged shop: the critical question is flagged at the answer.
    page.get_by_role("link", name=f"Shop #{critical}", exact=True).click()
    expect(page.locator("#shop-detail .answer-item").first.locator(".amark")).to_have_text(
        "✗ Critical fail · 0 of 1 points · the section scores 0"
    )
    page.set_viewport_size(PHONE)
    tab.goto("/shops/review")
    tab.check_phone_layout()
    tab.screenshot("review-queue-phone")
