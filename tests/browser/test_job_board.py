"""A shopper takes a job from the board on a phone (issue 16's walk), at 390×844.

The shopper sees an open job with its address, map links and fee, claims it, finds it on
their list, and is refused a second job at the same place by the lockout rule, which the
refusal names next to the button.
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
from app.orgs.models import Location, Membership, Organization, Role, User
from app.orgs.services import membership_set, user_create
from app.tenancy import scope_session
from audits import services
from audits.board import queries as board_queries
from audits.board import routes as board_routes
from audits.board import services as board
from audits.board.models import VisitRules
from audits.models import Shop, ShopStatus
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, Tab, TabFactory
from touchpoints.models import Question, QuestionStatus

pytestmark = pytest.mark.browser

EMAIL = "canal.shopper@example.com"
PASSWORD = "heron ladder copper 5521"
PLACE = "Canal Wharf"
ADDRESS = "7 Canal Wharf, Millbrook MB2 9QT"
SCREENSHOTS = os.environ.get("TOUCHSTONE_SCREENSHOTS", "")


@dataclass(frozen=True)
class Jobs:
    first: int
    second: int


def _org(session: object) -> Organization:
    return session.exec(select(Organization).where(Organization.name == "Demo Co")).one()  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def jobs(live_server: LiveServer) -> Iterator[Jobs]:
    """Two jobs at one new place, a week apart, with a fee; a shopper of their own; the
    30-day lockout on. Demo Co's visit rules go back to none afterwards (the server is
    shared with other tests)."""
    db = Database(live_server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = _org(session)
        assert org.id is not None
        if session.exec(select(User).where(User.email == EMAIL)).first() is None:
            user = user_create(session=session, email=EMAIL, name="Cora Canal", password=PASSWORD)
            membership_set(session=session, org=org, user=user, role=Role.shopper)
            session.commit()
        scope_session(session, org.id)
        owner = session.exec(select(User).where(User.email == DEMO_USERS[0][0])).one()
        place = session.exec(select(Location).where(Location.name == PLACE)).first()
        if place is None:
            place = Location(org_id=org.id, name=PLACE, address=ADDRESS, region="North")
            session.add(place)
            session.commit()
        question = session.exec(
            select(Question)
            .where(Question.status == QuestionStatus.active)
            .order_by(col(Question.id))
        ).first()
        assert question is not None
        board.visit_rules_update(
            session=session,
            org_id=org.id,
            data=board.VisitRulesUpdate(
                lockout_days=30, daily_limit=0, window_rule="flag", no_show="board"
            ),
        )
        start = (utcnow() + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
        ids = []
        for offset in (0, 7):
            shop = services.shop_plan(
                session=session,
                org_id=org.id,
                data=services.ShopPlan(
                    location_id=place.id,  # type: ignore[arg-type]
                    touchpoint_ids=[question.touchpoint_id],
                    scenario="Ask about moving a booking to next week.",
                    due_from=start + timedelta(days=offset),
                    due_until=start + timedelta(days=offset, hours=10),
                    fee_minor=1850,
                    fee_currency="EUR",
                    post=True,
                ),
                actor_id=owner.id,  # type: ignore[arg-type]
            )
            ids.append(shop.id)
    try:
        yield Jobs(first=ids[0], second=ids[1])  # type: ignore[arg-type]
    finally:
        with db.session(write=True, writes_throughout=True) as session:
            org = _org(session)
            scope_session(session, org.id)  # type: ignore[arg-type]
            for rules in session.exec(select(VisitRules)).all():
                session.delete(rules)
            session.commit()
        db.dispose()


def _shot(tab: Tab, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        tab.loaded()
        tab.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_a_shopper_claims_a_job_and_is_refused_a_second_by_the_lockout(
    open_tab: TabFactory, live_server: LiveServer, jobs: Jobs
) -> None:
    tab = open_tab(PHONE)
    tab.expect_status(409)  # the refused claim, on purpose
    page = tab.page
    tab.login(EMAIL, PASSWORD)

    page.get_by_role("link", name="Open jobs", exact=True).click()
    expect(page.get_by_role("heading", name="Open jobs", level=1)).to_be_visible()
    first = page.locator(f"#job-{jobs.first}")
    expect(first.get_by_role("heading", name=PLACE)).to_be_visible()
    expect(first.get_by_text(ADDRESS, exact=True)).to_be_visible()
    expect(first.locator(".job-fee")).to_have_text("EUR 18.50")
    expect(first.get_by_role("link", name=f"Open in maps app: {ADDRESS}")).to_have_attribute(
        "href", "geo:0,0?q=7%20Canal%20Wharf%2C%20Millbrook%20MB2%209QT"
    )
    expect(first.get_by_text("Opens on")).to_be_visible()
    assert tab.small_tap_targets() == []
    _shot(tab, "jobs-shopper-phone")

    with page.expect_navigation():
        first.get_by_role("button", name=f"Claim this job at {PLACE}").click()
    expect(page.get_by_text(board_routes.MSG_CLAIMED % {"location": PLACE})).to_be_visible()
    mine = page.locator(".shop-card", has=page.get_by_role("heading", name=PLACE))
    expect(mine.get_by_text(ADDRESS, exact=True)).to_be_visible()
    expect(mine.get_by_text("EUR 18.50")).to_be_visible()
    assert tab.small_tap_targets() == []
    _shot(tab, "my-shops-phone")

    tab.goto("/jobs")
    second = page.locator(f"#job-{jobs.second}")
    second.get_by_role("button", name=f"Claim this job at {PLACE}").click()
    refusal = page.locator(f"#claim-error-{jobs.second}")
    expect(refusal).to_contain_text("no second visit to a location within 30 days")
    expect(refusal).to_contain_text(f"this shopper has a shop at {PLACE}")
    # Next to the button it refuses.
    expect(second.get_by_role("button", name=f"Claim this job at {PLACE}")).to_have_attribute(
        "aria-describedby", f"claim-error-{jobs.second}"
    )
    _shot(tab, "jobs-refused-phone")

    db = Database(live_server.database_url)
    with db.session() as session:
        org = _org(session)
        scope_session(session, org.id)  # type: ignore[arg-type]
        cora = session.exec(select(User).where(User.email == EMAIL)).one()
        one, two = session.get(Shop, jobs.first), session.get(Shop, jobs.second)
        assert one is not None and (one.status, one.shopper_id) == (ShopStatus.assigned, cora.id)
        assert two is not None and (two.status, two.shopper_id) == (ShopStatus.open, None)
        member = session.exec(select(Membership).where(Membership.user_id == cora.id)).one()
        assert member.role == Role.shopper
        assert board_queries.jobs_for_shopper(session, cora.id) != []  # type: ignore[arg-type]
    db.dispose()

    # The fill page says where to go and what it pays.
    tab.goto(f"/shops/{jobs.first}/fill")
    expect(page.get_by_text(ADDRESS, exact=True)).to_be_visible()
    expect(page.get_by_text("EUR 18.50")).to_be_visible()
    _shot(tab, "fill-visit-phone")


def test_the_owners_board_pages_read_on_a_laptop(
    open_tab: TabFactory, live_server: LiveServer, jobs: Jobs
) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.login(DEMO_USERS[0][0])
    tab.goto("/jobs")
    expect(page.get_by_role("heading", name="Job board", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=f"#{jobs.first} · {PLACE}")).to_be_visible()
    _shot(tab, "jobs-owner-desktop")
    tab.goto(f"/shops/{jobs.first}/job")
    expect(page.get_by_role("heading", name="Post on the job board")).to_be_hidden()
    expect(page.get_by_role("heading", name="Change the posting")).to_be_visible()
    _shot(tab, "job-owner-desktop")
    tab.goto("/settings/visit-rules")
    expect(
        page.get_by_label("No second visit to the same location within this many days")
    ).to_have_value("30")
    _shot(tab, "visit-rules-desktop")
    tab.goto("/shoppers")
    expect(page.get_by_role("heading", name="Shoppers’ records", level=1)).to_be_visible()
    _shot(tab, "records-desktop")
    tab.goto("/shops")
    page.get_by_text("Plan a shop", exact=True).click()
    expect(page.get_by_label("Fee for the shopper").first).to_be_visible()
    _shot(tab, "shops-plan-desktop")
    if SCREENSHOTS:
        for path in (
            "/jobs",
            f"/shops/{jobs.first}/job",
            "/settings/visit-rules",
            "/shoppers",
            "/people",
        ):
            phone = open_tab(PHONE)
            phone.login(DEMO_USERS[0][0])
            phone.goto(path)
            _shot(phone, "owner" + path.replace("/", "-") + "-phone")
