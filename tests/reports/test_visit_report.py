"""The report of one visit: every answer with its points and mark, the critical rule, the
sums behind the score (worked out here by hand), photos, and no shopper for staff."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlmodel import Session, select

from app.db import Database
from app.orgs.models import Organization, Role, User
from audits.models import Answer, Shop, ShopStatus, ShopTouchpoint
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_photo,
    make_question,
    make_shop,
    make_stage,
    make_touchpoint,
    store_score,
)
from tests.helpers import pdf_text, shown
from touchpoints.models import Question

pytestmark = pytest.mark.slow  # real WeasyPrint renders

SHOPPER_NAME = "Quentin Hidden"
SHOPPER_EMAIL = "quentin.hidden@example.com"


@dataclass
class Visit:
    org: Organization
    owner: User
    viewer: User
    shopper: User
    shop: Shop


@pytest.fixture
def visit(session: Session) -> Visit:
    org = make_org(session, name="Harbour Bistro")
    owner = make_member(session, org, role=Role.owner)
    viewer = make_member(session, org, role=Role.viewer)
    shopper = make_member(session, org, role=Role.shopper, name=SHOPPER_NAME, email=SHOPPER_EMAIL)
    stage = make_stage(session, org, name="Billing")
    bill = make_touchpoint(session, org, stage, name="Paying the bill", target=80, position=1)
    door = make_touchpoint(session, org, stage, name="Walking in", target=70, position=2)
    clear = make_question(session, bill, text="Was the bill clear?", kind="yes_no")
    friendly = make_question(
        session,
        bill,
        text="How friendly was the cashier?",
        kind="scale",
        weight=2,
        scale_labels=["Rude", "Cold", "Polite", "Warm", "Delightful"],
    )
    correct = make_question(
        session, bill, text="Was every charge correct?", kind="yes_no", critical=True
    )
    greeted = make_question(session, door, text="Were you greeted?", kind="yes_no")
    wait = make_question(
        session,
        door,
        text="Minutes before someone came?",
        kind="number",
        rule="at_most",
        threshold=3,
        weight=3,
    )
    note = make_question(session, door, text="Anything else?", kind="text")
    shop = make_shop(
        session,
        org,
        location=make_location(session, org, name="Harbour St", region="South"),
        touchpoints=[bill, door],
        status=ShopStatus.approved,
        shopper_id=shopper.id,
        visited_at=datetime(2026, 10, 15, 11, 5, tzinfo=UTC),  # 12:05 in London (BST)
        approved_at=datetime(2026, 10, 16, 9, tzinfo=UTC),
        duration_minutes=35,
        comment="A calm lunchtime visit overall.",
    )
    make_answer(session, shop, clear, True)
    make_answer(session, shop, friendly, 4, comment="Smiled at the end.")
    make_answer(session, shop, correct, False, comment="Charged for two coffees, had one.")
    answer = make_answer(session, shop, greeted, True)
    photo = make_photo(session, answer)
    # A real picture (the factory's bytes are only served, never decoded).
    Image.new("RGB", (64, 48), (120, 90, 60)).save(photo.path, format="PNG")
    make_answer(session, shop, wait, 5)
    make_answer(session, shop, note, "The door was heavy.")
    link = session.exec(
        select(ShopTouchpoint).where(
            ShopTouchpoint.shop_id == shop.id, ShopTouchpoint.touchpoint_id == door.id
        )
    ).one()
    link.comment = "Nobody at the door for a while."
    session.add(link)
    session.commit()
    store_score(session, shop)
    return Visit(org=org, owner=owner, viewer=viewer, shopper=shopper, shop=shop)


def by_hand() -> dict[str, float]:
    """The scoring rules of docs/definitions.md worked out apart from the code: yes earns all
    of its weight; a scale value v earns (v - 1) / 4 of it; a number earns all when its rule
    holds; a failed critical question zeroes its section; free text is not scored."""
    bill_raw = 1 + 2 * (4 - 1) / 4 + 0  # 2.5 of 4, zeroed by the failed critical question
    bill_possible = 1 + 2 + 1
    door_earned = 1 + 0  # greeted; 5 minutes is not "at most 3"
    door_possible = 1 + 3
    return {
        "bill_raw": bill_raw,
        "bill_possible": bill_possible,
        "door": 100 * door_earned / door_possible,
        "door_earned": door_earned,
        "door_possible": door_possible,
        "shop": 100 * (0 + door_earned) / (bill_possible + door_possible),
        "shop_earned": 0 + door_earned,
        "shop_possible": bill_possible + door_possible,
    }


def get_report(client: Browser, shop: Shop, **params: str) -> Any:
    return client.get(f"/shops/{shop.id}/pdf", params=params)


def test_visit_report_shows_every_answer_its_mark_and_the_sums_by_hand(
    client: Browser, db: Database, visit: Visit
) -> None:
    sign_in(client, db, visit.owner, visit.org)
    response = get_report(client, visit.shop)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"visit-{visit.shop.id}-2026-10-15" in response.headers["content-disposition"]
    text = pdf_text(response.content)
    e = by_hand()
    assert f"Shop #{visit.shop.id} · Harbour St" in text
    assert "15 Oct 2026, 12:05" in text  # the visit in the organization's time zone
    assert "35 minutes" in text
    assert "region South" in text
    # Each answer: its words, points and mark.
    for row in (
        r"Was the bill clear\? Yes 1 / 1 pass",
        r"How friendly was the cashier\? 4 — Warm “Smiled at the end\.” 1\.5 / 2 partial",
        r"Was every charge correct\? critical No “Charged for two coffees, had one\.” 0 / 1 fail",
        r"Were you greeted\? Yes 1 / 1 pass",
        r"Minutes before someone came\? 5 \(passes: at most 3\) 0 / 3 fail",
        r"Anything else\? The door was heavy\. – not scored",
    ):
        assert re.search(row, text), (row, text[:3000])
    # The critical rule, with what the section would have had.
    assert (
        "Critical rule applied. “Was every charge correct?” failed, so this section scores 0: "
        f"it would otherwise have earned {e['bill_raw']:g} of {e['bill_possible']:g} points."
    ) in text
    # How the score was calculated: the sections' sums and the shop's.
    assert f"critical fail: {e['bill_raw']:g} → 0 0 {e['bill_possible']:g} 0" in text
    assert f"Walking in {e['door_earned']:g} {e['door_possible']:g} {shown(e['door'])}" in text
    assert (
        f"Shop: earned ÷ possible × 100 {e['shop_earned']:g} {e['shop_possible']:g} "
        f"{shown(e['shop'])}"
    ) in text
    # The shop's score as every page prints it (no "/ 100"), and each section's status mark:
    # the bill scored 0 against 80 (below), the door 25 against 70 (below).
    assert re.search(rf"\b{re.escape(shown(e['shop']))} \d+(\.\d+)? of \d+ points", text)
    assert f"= {shown(e['door'])} · target 70 ✗ below" in text
    assert "A calm lunchtime visit overall." in text
    assert "About this part of the visit: “Nobody at the door for a while.”" in text
    # The owner's copy names the shopper; the photo is printed as a thumbnail.
    assert f"SHOPPER {SHOPPER_NAME}" in text
    reader = PdfReader(io.BytesIO(response.content))
    # WeasyPrint may list one picture in every page's resources: count distinct pictures.
    pictures = {image.data for page in reader.pages for image in page.images}
    assert len(pictures) == 1


def test_viewer_gets_the_visit_without_the_shopper_and_a_shopper_gets_none(
    browser_factory: Any, db: Database, visit: Visit
) -> None:
    viewer = sign_in(browser_factory(), db, visit.viewer, visit.org)
    for path in (f"/shops/{visit.shop.id}/pdf", f"/api/v1/shops/{visit.shop.id}/pdf"):
        response = viewer.get(path, params={"paper": "letter"})
        assert response.status_code == 200, response.text
        text = pdf_text(response.content)
        assert "Was every charge correct?" in text
        assert SHOPPER_NAME not in text and SHOPPER_EMAIL not in text
        assert "Quentin" not in text and "Hidden" not in text
        assert "The shopper is not named in this report." in text
        box = PdfReader(io.BytesIO(response.content)).pages[0].mediabox
        assert round(float(box.width)) == 612  # US Letter: 8.5 in
    shopper = sign_in(browser_factory(), db, visit.shopper, visit.org)
    assert get_report(shopper, visit.shop).status_code == 403
    assert shopper.get(f"/api/v1/shops/{visit.shop.id}/pdf").status_code == 403


def test_visit_report_is_reached_from_the_shop_page_review_queue_and_api_docs(
    client: Browser, db: Database, session: Session, visit: Visit
) -> None:
    sign_in(client, db, visit.owner, visit.org)
    page = client.get(f"/shops/{visit.shop.id}")
    assert f'href="/shops/{visit.shop.id}/pdf?paper=a4"' in page.text
    assert "Visit report PDF (A4)" in page.text
    visit.shop.status = ShopStatus.submitted
    session.add(visit.shop)
    session.commit()
    queue = client.get("/shops/review")
    assert f'href="/shops/{visit.shop.id}/pdf"' in queue.text
    schema = client.get("/api/openapi.json")
    if schema.status_code == 404:
        schema = client.get("/openapi.json")
    assert "/api/v1/shops/{shop_id}/pdf" in schema.json()["paths"]


def test_bad_paper_is_refused_next_to_the_field_and_others_shops_are_not_found(
    client: Browser, db: Database, session: Session, visit: Visit
) -> None:
    sign_in(client, db, visit.owner, visit.org)
    api = client.get(f"/api/v1/shops/{visit.shop.id}/pdf", params={"paper": "a3"})
    assert api.status_code == 400, api.text
    assert api.json()["field"] == "paper"
    assert "Choose A4 or US Letter paper." in api.json()["detail"]
    page = get_report(client, visit.shop, paper="a3")
    assert page.status_code == 400
    assert "Choose A4 or US Letter paper." in html.unescape(page.text)
    other = make_org(session, name="Rival Diner")
    theirs = make_shop(session, other, location=make_location(session, other, name="Far"))
    assert get_report(client, theirs).status_code == 404
    assert client.get(f"/api/v1/shops/{theirs.id}/pdf").status_code == 404


def test_a_corrected_answer_prints_a_fresh_report(
    client: Browser, db: Database, session: Session, visit: Visit
) -> None:
    sign_in(client, db, visit.owner, visit.org)
    first = get_report(client, visit.shop)
    assert first.headers["x-touchstone-cache"] == "miss"
    assert get_report(client, visit.shop).headers["x-touchstone-cache"] == "hit"
    question = session.exec(select(Question).where(Question.text == "Were you greeted?")).one()
    answer = session.exec(select(Answer).where(Answer.question_id == question.id)).one()
    answer.value = False
    session.add(answer)
    session.commit()
    fresh = get_report(client, visit.shop)
    assert fresh.headers["x-touchstone-cache"] == "miss"
    assert re.search(r"Were you greeted\? No 0 / 1 fail", pdf_text(fresh.content))
