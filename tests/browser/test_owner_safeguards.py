"""The owner's safeguards in a real browser (issue 18): a plan for a touchpoint whose
questions went meanwhile is refused next to the field; the posters page warns under a
loopback BASE_URL; the owner adds a logo; and a customer on a phone types the poster's short
address, sees the logo and files a complaint that reaches the owner's board.

The live server's BASE_URL is its own http://127.0.0.1 address: loopback, plain http.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from app.orgs.models import Organization
from app.tenancy import scope_session
from audits.services import MSG_TOUCHPOINT_EMPTY
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    LiveServer,
    TabFactory,
    htmx_settled,
    serving,
)
from tests.factories import make_question
from touchpoints import services as journey
from touchpoints.models import Question, Stage, Touchpoint

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A demo server of this module's own: it adds a touchpoint to Demo Co's journey, a logo
    and a complaint, which the other browser tests' demo must not see."""
    with serving(tmp_path_factory.mktemp("safeguards")) as server:
        yield server


OWNER = "owner@demo.example"
EMPTYING = "Collecting a repair"
STORY = "I waited forty minutes at the counter and nobody came to ask what I needed."


def _with_one_question(server: LiveServer) -> int:
    """A touchpoint of the demo journey with one question; returns the question's id."""
    db = Database(server.database_url)
    try:
        with db.session(write=True, writes_throughout=True) as session:
            org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
            scope_session(session, org.id)  # type: ignore[arg-type]
            tp = session.exec(select(Touchpoint).where(Touchpoint.name == EMPTYING)).first()
            if tp is None:
                stage = session.exec(select(Stage).order_by(Stage.position)).first()
                assert stage is not None
                tp = Touchpoint(org_id=org.id, stage_id=stage.id, name=EMPTYING, position=99)  # type: ignore[arg-type]
                session.add(tp)
                session.flush()
            question = make_question(session, tp, text="Was the repair ready when promised?")
            session.commit()
            return question.id  # type: ignore[return-value]
    finally:
        db.dispose()


def _remove_question(server: LiveServer, question_id: int) -> None:
    db = Database(server.database_url)
    try:
        with db.session(write=True, writes_throughout=True) as session:
            question = session.get(Question, question_id)
            assert question is not None
            scope_session(session, question.org_id)
            journey.question_remove(session=session, question=question)
    finally:
        db.dispose()


def test_a_plan_for_a_touchpoint_that_lost_its_questions_is_refused_next_to_the_field(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    question_id = _with_one_question(live_server)
    owner = open_tab(DESKTOP)
    owner.login(OWNER)
    owner.goto("/shops")
    page = owner.page
    page.locator("#plan-shop summary").click()
    form = page.locator("#plan-shop form")
    form.get_by_label("Location").select_option(index=1)
    form.get_by_label(f"{EMPTYING} (1 question)").check()
    # Another owner retires the question while this page is open.
    _remove_question(live_server, question_id)
    owner.expect_status(400)
    form.get_by_role("button", name="Plan shop").click()
    htmx_settled(page)
    message = MSG_TOUCHPOINT_EMPTY % {"name": EMPTYING}
    expect(page.locator("#plan-shop .error")).to_contain_text(message)
    # The redrawn picker now says so, and cannot be ticked.
    box = page.locator("#plan-shop").get_by_role("checkbox", name=f"{EMPTYING} (no questions yet")
    expect(box).to_be_disabled()
    owner.screenshot("plan-refused-empty-touchpoint-1280")


def test_a_customer_types_the_short_address_and_the_owner_sees_the_case(
    open_tab: TabFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    owner = open_tab(DESKTOP)
    owner.login(OWNER)
    owner.goto("/recovery/posters")
    warning = owner.page.locator(".base-url-warning")
    expect(warning).to_contain_text("These posters will not work where they are hung yet.")
    expect(warning).to_contain_text("an address of this computer only")

    # A logo first, so the customer sees whom they write to.
    logo = tmp_path / "logo.png"
    Image.new("RGB", (600, 200), (14, 90, 110)).save(logo)
    owner.goto("/settings/logo")
    owner.page.get_by_label("Logo picture").set_input_files(logo)
    owner.page.get_by_role("button", name="Upload logo").click()
    expect(owner.page.locator("#logo-panel .flash-success")).to_contain_text("Logo saved.")
    expect(owner.page.get_by_role("img", name="Your logo")).to_be_visible()

    owner.goto("/recovery/posters")
    card = owner.page.locator(".poster-card").nth(1)
    location = card.get_by_role("heading").inner_text()
    typed = card.locator(".poster-short strong").inner_text()  # what the poster prints
    assert "/c/" in typed and not typed.startswith("http")

    phone = open_tab(PHONE)
    phone.page.goto(f"http://{typed}")
    opened = time.monotonic()
    expect(phone.page.get_by_role("heading", name="Something not right?")).to_be_visible()
    expect(phone.page.get_by_text(location, exact=True)).to_be_visible()
    logo_shown = phone.page.locator("img.public-logo")
    expect(logo_shown).to_be_visible()
    assert logo_shown.evaluate("img => img.naturalWidth") == 600
    phone.check_phone_layout()
    phone.screenshot("complaint-by-short-address-phone")
    phone.page.get_by_label("What happened?").fill(STORY)
    remaining = 3.5 - (time.monotonic() - opened)  # the form refuses a post quicker than a person
    if remaining > 0:
        phone.page.wait_for_timeout(remaining * 1000)
    with phone.page.expect_navigation():
        phone.page.get_by_role("button", name="Send").click()
    expect(phone.page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()

    owner.goto("/recovery")
    expect(owner.page.get_by_text(STORY[:40])).to_be_visible()
