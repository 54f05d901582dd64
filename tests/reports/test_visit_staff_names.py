"""Staff names in one shop's comments: masked as "[staff]" on the shop's page and visit PDF
staff read; the owner reads them as written, with a hint that staff do not."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import Database
from app.orgs.models import Location
from audits.models import Answer, ShopTouchpoint
from tests.conftest import sign_in
from tests.helpers import pdf_text
from tests.reports.test_visit_report import Visit, visit

__all__ = ["visit"]  # the fixture, shared with the visit report's tests

pytestmark = pytest.mark.slow  # a real WeasyPrint render

HINT = "Staff read this shop's comments with the location's staff names shown as"


def _name_staff(session: Session, visit: Visit) -> None:
    location = session.get(Location, visit.shop.location_id)
    assert location is not None
    location.staff_names = ["Sam Lee"]
    session.add(location)
    answer = session.exec(select(Answer).where(Answer.comment == "Smiled at the end.")).one()
    answer.comment = "Sam smiled at the end."
    session.add(answer)
    link = session.exec(select(ShopTouchpoint).where(ShopTouchpoint.comment != "")).one()
    link.comment = "Nobody at the door; then SAM LEE came."
    session.add(link)
    visit.shop.comment = "Sampled the soup; sam was calm."
    session.add(visit.shop)
    session.commit()


MASKED = (
    "[staff] smiled at the end.",
    "Nobody at the door; then [staff] came.",
    "[staff] was calm",
)
WRITTEN = ("Sam smiled at the end.", "Nobody at the door; then SAM LEE came.", "sam was calm")


def test_staff_read_masked_comments_on_the_shop_and_its_pdf(
    browser_factory: Any, db: Database, session: Session, visit: Visit
) -> None:
    _name_staff(session, visit)
    viewer = sign_in(browser_factory(), db, visit.viewer, visit.org)
    page = html.unescape(viewer.get(f"/shops/{visit.shop.id}").text)
    for text in MASKED:
        assert text in page
    assert "Sampled the soup" in page  # a longer word is not a name
    assert "Sam " not in page and "SAM LEE" not in page and HINT not in page
    pdf = " ".join(pdf_text(viewer.get(f"/shops/{visit.shop.id}/pdf").content).split())
    for text in MASKED:
        assert text in pdf


def test_the_owner_reads_them_as_written_with_a_hint(
    browser_factory: Any, db: Database, session: Session, visit: Visit
) -> None:
    _name_staff(session, visit)
    owner = sign_in(browser_factory(), db, visit.owner, visit.org)
    page = html.unescape(owner.get(f"/shops/{visit.shop.id}").text)
    for text in WRITTEN:
        assert text in page
    assert HINT in page and "[staff] smiled" not in page
    pdf = " ".join(pdf_text(owner.get(f"/shops/{visit.shop.id}/pdf").content).split())
    assert "Sam smiled at the end." in pdf


def test_the_shops_api_masks_for_staff_only(
    browser_factory: Any, db: Database, session: Session, visit: Visit
) -> None:
    _name_staff(session, visit)
    seen = {}
    for who, user in (("viewer", visit.viewer), ("owner", visit.owner)):
        client = sign_in(browser_factory(), db, user, visit.org)
        detail = client.get(f"/api/v1/shops/{visit.shop.id}").json()
        listed = client.get("/api/v1/shops").json()
        answers = [
            q["answer"]["comment"]
            for s in detail["sections"]
            for q in s["questions"]
            if q["answer"] and q["answer"]["comment"]
        ]
        seen[who] = (
            detail["comment"],
            listed[0]["comment"],
            [s["comment"] for s in detail["sections"] if s["comment"]],
            answers,
        )
    assert seen["viewer"][0] == seen["viewer"][1] == "Sampled the soup; [staff] was calm."
    assert seen["viewer"][2] == ["Nobody at the door; then [staff] came."]
    assert "[staff] smiled at the end." in seen["viewer"][3]
    assert seen["owner"][0] == seen["owner"][1] == "Sampled the soup; sam was calm."
    assert seen["owner"][2] == ["Nobody at the door; then SAM LEE came."]
    assert "Sam smiled at the end." in seen["owner"][3]
