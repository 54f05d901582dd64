"""A journey map that grows (issue 18): eight stages at 1280 px and at a phone's width, and
the page never scrolls sideways; at 1280 px the board scrolls inside itself.

The organization is the test's own (eight stages would change the demo journey the other
browser tests read).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from app.orgs.models import OrganizationCreate, User
from app.orgs.services import org_create, user_create
from app.tenancy import scope_session
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, TabFactory
from touchpoints.models import Stage, Touchpoint

pytestmark = pytest.mark.browser

OWNER = "eight.stages@example.com"
PASSWORD = "lantern quarry mosaic 8812"
STAGES = [
    "Hearing about us",
    "First contact",
    "Arriving",
    "Being served",
    "Paying",
    "Leaving",
    "After the visit",
    "Coming back again and telling friends",
]


def make_wide_journey(server: LiveServer) -> None:
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        if session.exec(select(User).where(User.email == OWNER)).first() is None:
            owner = user_create(session=session, email=OWNER, name="Wide Owner", password=PASSWORD)
            org = org_create(
                session=session, data=OrganizationCreate(name="Eight Stages Ltd"), owner=owner
            )
            assert org.id is not None
            scope_session(session, org.id)
            for position, name in enumerate(STAGES, start=1):
                stage = Stage(org_id=org.id, name=name, position=position)
                session.add(stage)
                session.flush()
                session.add(
                    Touchpoint(
                        org_id=org.id,
                        stage_id=stage.id,  # type: ignore[arg-type]
                        name=f"The moment customers judge us while {name.lower()}",
                        position=1,
                        target=80,
                    )
                )
            session.commit()
    db.dispose()


def test_eight_stages_never_scroll_the_page_sideways(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    make_wide_journey(live_server)
    for viewport in (DESKTOP, PHONE):
        tab = open_tab(viewport)
        page = tab.page
        tab.login(OWNER, PASSWORD)
        tab.goto("/journey")
        expect(page.locator(".journey > .stage:not(.stage-new)")).to_have_count(8)
        tab.loaded()
        page_width, window_width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert page_width <= window_width, (viewport, page_width, window_width)
        board_scroll, board_width = page.evaluate(
            "(() => { const b = document.querySelector('.journey');"
            " return [b.scrollWidth, b.clientWidth]; })()"
        )
        if viewport == DESKTOP:
            # Columns stay readable: the board scrolls inside itself to the last stage.
            assert board_scroll > board_width
            last = page.locator(".journey > .stage:not(.stage-new)").last
            last.scroll_into_view_if_needed()
            expect(last.get_by_role("heading", level=2)).to_contain_text(STAGES[-1])
            expect(last).to_be_in_viewport()
        else:
            assert board_scroll <= board_width  # on a phone the stages stack
        tab.screenshot(f"journey-eight-stages-{viewport['width']}")
