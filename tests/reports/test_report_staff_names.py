"""Staff names in the touchpoint report's comments: masked as "[staff]" for every reader
(page and API), since the report is the one staff read and share (docs/guide/shops.md)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.db import Database
from reports.pdf.services import data_stamp
from tests.conftest import Browser
from tests.reports.test_dashboard import (
    World,
    approved_shop,
    month_day,
    signed_in,
    two_months,
)

__all__ = ["two_months"]  # the fixture, shared with the dashboard's tests

pytestmark = pytest.mark.db

REMARK = "Anna at the desk was kind; the Annual plan was explained"
MASKED = "[staff] at the desk was kind; the Annual plan was explained"


def _name_staff(session: Session, world: World) -> None:
    world.north.staff_names = ["Anna Berg"]
    session.add(world.north)
    approved_shop(session, world, month_day(1, 22), world.north, (True, True), comment=REMARK)
    approved_shop(session, world, month_day(1, 23), world.south, (True, True), comment=REMARK)
    session.commit()


@pytest.mark.parametrize("who", ["viewer", "owner"])
def test_report_comments_mask_staff_names(
    who: str, session: Session, two_months: World, db: Database, browser_factory: object
) -> None:
    _name_staff(session, two_months)
    user = two_months.viewer if who == "viewer" else two_months.owner
    reader: Browser = signed_in(browser_factory, db, user, two_months.org)
    html = reader.get(f"/reports/touchpoints/{two_months.tp.id}").text
    assert MASKED in html
    # Names are per location: Hilltop lists none, its comment is as written.
    assert REMARK in html
    assert "the staff names listed on a location read" in html
    body = reader.get(f"/api/v1/reports/touchpoints/{two_months.tp.id}/trend").json()
    texts = {(c["location"], c["text"]) for c in body["comments"]}
    assert ("Harbour Street", MASKED) in texts and ("Hilltop", REMARK) in texts


def test_a_new_staff_name_makes_printed_reports_print_again(
    session: Session, two_months: World
) -> None:
    # The PDF cache keys on the data stamp: a name added must not leave a cached PDF unmasked.
    before = data_stamp(session, two_months.org.id or 0)
    two_months.north.staff_names = ["Anna"]
    session.add(two_months.north)
    session.commit()
    assert data_stamp(session, two_months.org.id or 0) != before
