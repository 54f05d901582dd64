"""Owner and staff shop pages, as a browser tab sees them: planning, review, reading a shop."""

from __future__ import annotations

import re
import uuid
from html import unescape
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.db import Database
from app.orgs.models import Role, User
from audits import services
from audits.models import Photo, Shop, ShopStatus, ShopTouchpoint
from audits.routes import MSG_DATE, MSG_LOCATIONS_NEEDED, MSG_SHOPPERS_NEEDED
from audits.services import MSG_RETURN_NOTE, MSG_TOUCHPOINTS_NEEDED, MSG_WINDOW, AnswerInput
from tests.audits.test_services import SHOPPER_EMAIL, SHOPPER_NAME, World, _shop, _survey_org
from tests.conftest import Browser, sign_in
from tests.factories import make_member, make_touchpoint
from touchpoints.models import Question

pytestmark = pytest.mark.db


def _as(client: Browser, db: Database, w: World, user: User) -> Browser:
    return sign_in(client, db, user, w.org)


def error_for(html: str, element_id: str) -> str | None:
    """The message shown right after the field with this id (its `…-error` paragraph)."""
    found = re.search(rf'<p class="error" id="{element_id}-error">(.*?)</p>', html)
    return unescape(found.group(1)) if found else None


def text(html: str) -> str:
    """The page's words, tags removed, for asserting on what a reader sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _count(session: Session, model: Any) -> int:
    session.rollback()
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()  # type: ignore[no-any-return]


def _submitted(session: Session, w: World, comment: str = "") -> Shop:
    shop = _shop(session, w)
    for q, v, note in (
        (w.yes_no, True, "Greeted at the door"),
        (w.scale, 4, ""),
        (w.number, 3, ""),
        (w.choice, 1, ""),
        (w.text, "Queue of five", ""),
    ):
        services.answer_record(
            session=session,
            shop=shop,
            actor_id=w.shopper.id,  # type: ignore[arg-type]
            data=AnswerInput(id=uuid.uuid4(), question_id=q.id, value=v, comment=note),  # type: ignore[arg-type]
        )
    services.section_comment_record(
        session=session,
        shop=shop,
        actor_id=w.shopper.id,  # type: ignore[arg-type]
        touchpoint_id=w.tp.id,  # type: ignore[arg-type]
        comment="The entrance was bright",
    )
    services.shop_visit_record(
        session=session,
        shop=shop,
        actor_id=w.shopper.id,  # type: ignore[arg-type]
        visited_at=None,
        duration_minutes=20,
        comment=comment or "A calm visit overall",
    )
    return services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]


# --- planning ------------------------------------------------------------------------------


def test_plan_a_shop_with_errors_next_to_fields(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    owner = _as(client, db, w, w.owner)
    page = owner.get("/shops")
    assert page.status_code == 200
    assert "Plan a shop" in page.text and "Plan a wave" in page.text
    assert SHOPPER_NAME in page.text  # offered as a shopper

    bad = owner.form(
        "/shops",
        {"location_id": "", "due_from": "2026-03-10", "due_until": "2026-03-01", "scenario": "x"},
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    html = bad.text  # type: ignore[attr-defined]
    assert error_for(html, "ps-location_id") == services.MSG_LOCATION_UNKNOWN
    assert error_for(html, "ps-touchpoint_ids") == MSG_TOUCHPOINTS_NEEDED
    assert error_for(html, "ps-due_until") == MSG_WINDOW
    assert 'value="2026-03-10"' in html  # what was typed stays
    assert _count(session, Shop) == 0

    garbled = owner.htmx(
        "POST", "/shops", {"location_id": str(w.locations[0].id), "due_from": "soon"}
    )
    assert error_for(garbled.text, "ps-due_from") == MSG_DATE  # type: ignore[attr-defined]
    far = owner.htmx("POST", "/shops", {"due_until": "9999-12-31"})
    assert error_for(far.text, "ps-due_until") == MSG_DATE  # type: ignore[attr-defined]

    ok = owner.htmx(
        "POST",
        "/shops",
        {
            "location_id": str(w.locations[1].id),
            "touchpoint_ids": [str(w.tp.id), str(w.tp2.id)],
            "shopper_id": str(w.shopper.id),
            "scenario": "Ask about a wrong charge",
            "due_from": "2026-03-02",
            "due_until": "2026-03-09",
        },
    )
    assert ok.status_code == 200  # type: ignore[attr-defined]
    assert ok.text.lstrip().startswith('<div id="shops-panel">')  # type: ignore[attr-defined]
    words = text(ok.text)  # type: ignore[attr-defined]
    assert "planned" in words
    assert "Branch B" in words and "Walking in, The bill" in words
    assert "02 Mar 2026 – 09 Mar 2026" in words
    assert _count(session, Shop) == 1


def test_a_touchpoint_without_questions_cannot_be_planned(
    client: Browser, db: Database, session: Session
) -> None:
    """A shopper sent there would find an empty section and could hand in "0 of 0"."""
    w = _survey_org(session)
    empty = make_touchpoint(session, w.org, name="Collecting a repair")
    session.commit()
    owner = _as(client, db, w, w.owner)
    # The pickers say so before anyone tries: the count beside each touchpoint, and the empty
    # one cannot be ticked (in the plan form and the wave form alike).
    page = owner.get("/shops").text  # type: ignore[attr-defined]
    asked = len(session.exec(select(Question).where(Question.touchpoint_id == w.tp.id)).all())
    assert page.count(f'{w.tp.name} <span class="muted small">({asked} questions)') == 2
    boxes = re.findall(
        rf'<input type="checkbox" name="touchpoint_ids" value="{empty.id}"[^>]*>', page
    )
    assert len(boxes) == 2 and all("disabled" in box for box in boxes), boxes
    assert page.count('Collecting a repair <span class="muted small">(no questions yet') == 2
    shop = owner.htmx(
        "POST",
        "/shops",
        {
            "location_id": str(w.locations[0].id),
            "touchpoint_ids": [str(w.tp.id), str(empty.id)],
            "due_from": "2026-03-02",
            "due_until": "2026-03-09",
        },
    )
    assert shop.status_code == 400  # type: ignore[attr-defined]
    expected = services.MSG_TOUCHPOINT_EMPTY % {"name": "Collecting a repair"}
    assert error_for(shop.text, "ps-touchpoint_ids") == expected  # type: ignore[attr-defined]
    wave = owner.form(
        "/waves",
        {
            "name": "Spring",
            "location_ids": [str(w.locations[0].id)],
            "touchpoint_ids": [str(empty.id)],
            "shopper_ids": [str(w.shopper.id)],
            "starts": "2026-03-01",
            "ends": "2026-03-30",
        },
    )
    assert wave.status_code == 400  # type: ignore[attr-defined]
    assert error_for(wave.text, "pw-touchpoint_ids") == expected  # type: ignore[attr-defined]
    api = owner.post(
        "/api/v1/shops",
        json={
            "location_id": w.locations[0].id,
            "touchpoint_ids": [empty.id],
            "due_from": "2026-03-02T09:00:00+00:00",
            "due_until": "2026-03-09T18:00:00+00:00",
        },
        headers={"X-CSRF-Token": owner.csrf, "Origin": "http://testserver"},
    )
    assert api.status_code == 400, api.text
    assert api.json() == {"detail": expected, "field": "touchpoint_ids"}
    assert _count(session, Shop) == 0


def test_plan_a_wave_with_errors_then_success(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    owner = _as(client, db, w, w.owner)
    bad = owner.form("/waves", {"name": " ", "starts": "2026-03-01", "ends": ""})
    html = bad.text  # type: ignore[attr-defined]
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert error_for(html, "pw-name")
    assert error_for(html, "pw-ends") == "This field is required."
    assert error_for(html, "pw-location_ids") == MSG_LOCATIONS_NEEDED
    assert error_for(html, "pw-shopper_ids") == MSG_SHOPPERS_NEEDED
    assert error_for(html, "pw-touchpoint_ids") == MSG_TOUCHPOINTS_NEEDED

    owner_as_shopper = owner.form(
        "/waves",
        {
            "name": "Spring",
            "location_ids": [str(loc.id) for loc in w.locations],
            "touchpoint_ids": [str(w.tp.id)],
            "shopper_ids": [str(w.owner.id)],
            "starts": "2026-03-01",
            "ends": "2026-03-30",
        },
    )
    assert owner_as_shopper.status_code == 400  # type: ignore[attr-defined]
    assert error_for(owner_as_shopper.text, "pw-shopper_ids") == services.MSG_SHOPPER_UNKNOWN  # type: ignore[attr-defined]
    assert _count(session, Shop) == 0

    ok = owner.form(
        "/waves",
        {
            "name": "Spring",
            "location_ids": [str(loc.id) for loc in w.locations],
            "touchpoint_ids": [str(w.tp.id)],
            "shopper_ids": [str(w.shopper.id), str(w.other_shopper.id)],
            "starts": "2026-03-01",
            "ends": "2026-03-30",
            "scenario": "Ask for a brochure",
        },
    )
    assert ok.status_code == 303  # type: ignore[attr-defined]
    listing = owner.get("/shops")
    assert "Wave “Spring” planned: 3 shops." in unescape(listing.text)
    assert _count(session, Shop) == 3
    filtered = owner.get("/shops?status=approved")
    assert "0 approved shops" in text(filtered.text)


# --- review --------------------------------------------------------------------------------


def test_review_queue_oldest_first(client: Browser, db: Database, session: Session) -> None:
    w = _survey_org(session)
    first = _submitted(session, w)
    second = _submitted(session, w)
    _shop(session, w)  # still open: not in the queue
    owner = _as(client, db, w, w.owner)
    html = owner.get("/shops/review").text
    found = re.findall(r'<a href="/shops/(\d+)">', html)
    assert found == [str(first.id), str(second.id)]
    assert "2 shops waiting" in html


def test_owner_reads_the_shop_as_filled_and_approves(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    owner = _as(client, db, w, w.owner)
    words = text(owner.get(f"/shops/{shop.id}").text)
    for expected in (
        SHOPPER_NAME,
        "20 minutes",
        "Were you greeted? Critical Answer: Yes",
        "“Greeted at the door”",
        "4 — Clearly",
        "3 rings (passes: at most 3)",
        "In full",
        "Queue of five",
        "“The entrance was bright”",
        "“A calm visit overall”",
        "How this score was calculated",
        "Walking in: 3.75 of 4 points = 93.8",
        "Shop 4.75 of 5 points = 95",
        "Assigned → In progress",
        "In progress → Submitted",
    ):
        assert expected in words, expected

    approved = owner.htmx("POST", f"/shops/{shop.id}/approve")
    assert approved.status_code == 200  # type: ignore[attr-defined]
    assert "now counts in reports" in approved.text  # type: ignore[attr-defined]
    assert "Submitted → Approved" in text(approved.text)  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get(Shop, shop.id).status == ShopStatus.approved  # type: ignore[union-attr]
    # No review buttons once approved; approving again is harmless.
    assert "Return to shopper" not in approved.text  # type: ignore[attr-defined]


def test_return_needs_a_note_next_to_the_field(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    owner = _as(client, db, w, w.owner)
    empty = owner.htmx("POST", f"/shops/{shop.id}/return", {"note": "  "})
    assert empty.status_code == 400  # type: ignore[attr-defined]
    assert error_for(empty.text, "return-note") == MSG_RETURN_NOTE  # type: ignore[attr-defined]
    ok = owner.form(f"/shops/{shop.id}/return", {"note": "Which till was it?"})
    assert ok.status_code == 303  # type: ignore[attr-defined]
    words = text(owner.get(f"/shops/{shop.id}").text)
    assert "Returned: Which till was it?" in words
    assert "Submitted → Returned" in words


def test_correct_then_approve_rescores(client: Browser, db: Database, session: Session) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    owner = _as(client, db, w, w.owner)
    bad = owner.htmx(
        "POST", f"/shops/{shop.id}/correct", {"question_id": str(w.scale.id), "value": "7"}
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert error_for(bad.text, f"fix-{w.scale.id}") == "Choose a point from 1 to 5."  # type: ignore[attr-defined]

    fixed = owner.htmx(
        "POST", f"/shops/{shop.id}/correct", {"question_id": str(w.yes_no.id), "value": "no"}
    )
    assert fixed.status_code == 200  # type: ignore[attr-defined]
    assert "answer to «Were you greeted?» changed from Yes to No" in unescape(fixed.text)  # type: ignore[attr-defined]
    # One score format everywhere (no "%"), and the shop's weakest section marked: the
    # critical fail zeroed "Walking in".
    assert (
        "20 (1 of 5 points) · 95 as handed in, before corrections Weakest section ✗ below"
        in text(fixed.text)  # type: ignore[attr-defined]
    )
    approved = owner.htmx("POST", f"/shops/{shop.id}/approve")
    words = text(approved.text)  # type: ignore[attr-defined]
    assert "critical fail: section scores 0" in words
    assert "Shop 1 of 5 points = 20" in words
    session.expire_all()
    assert session.get(Shop, shop.id).score == 20.0  # type: ignore[union-attr]


def test_photos_are_linked(client: Browser, db: Database, session: Session) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    answer = next(iter(services.shop_sections(session, shop)[0].answers.values()))
    photo = Photo(
        org_id=w.org.id,  # type: ignore[arg-type]
        answer_id=answer.id,
        path="photos/x.jpg",
        content_type="image/jpeg",
        width=800,
        height=600,
        bytes=1000,
    )
    session.add(photo)
    session.commit()
    owner = _as(client, db, w, w.owner)
    assert f'src="/shops/{shop.id}/photos/{photo.id}"' in owner.get(f"/shops/{shop.id}").text


# --- who sees what -------------------------------------------------------------------------


def test_viewer_sees_approved_shops_without_the_shopper(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    viewer_user = make_member(session, w.org, Role.viewer)
    approved = _submitted(session, w)
    services.shop_approve(session=session, shop=approved, actor_id=w.owner.id)  # type: ignore[arg-type]
    pending = _submitted(session, w)
    viewer = _as(client, db, w, viewer_user)

    listing = viewer.get("/shops")
    assert listing.status_code == 200
    assert "1 approved shop" in text(listing.text)
    assert f'href="/shops/{pending.id}"' not in listing.text
    assert 'href="/shops"' in listing.text  # the nav link
    detail = viewer.get(f"/shops/{approved.id}")
    assert detail.status_code == 200
    assert "The shopper" in detail.text and "/approve" not in detail.text
    htmx_list = viewer.htmx("GET", "/shops?status=assigned")
    for response in (listing, detail, htmx_list, viewer.get("/")):
        assert SHOPPER_NAME not in response.text  # type: ignore[attr-defined]
        assert SHOPPER_EMAIL not in response.text  # type: ignore[attr-defined]
    assert viewer.get(f"/shops/{pending.id}").status_code == 404
    assert viewer.get("/shops/review").status_code == 403
    assert viewer.form(f"/shops/{pending.id}/approve").status_code == 403  # type: ignore[attr-defined]


def test_shoppers_do_not_get_the_owner_pages(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    shopper = _as(client, db, w, w.shopper)
    assert shopper.get("/shops").status_code == 403
    assert shopper.get(f"/shops/{shop.id}").status_code == 403
    links = session.exec(select(ShopTouchpoint).where(col(ShopTouchpoint.shop_id) == shop.id))
    assert len(list(links)) == 2


def test_long_lists_come_in_pages_and_filter_by_status(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    for _ in range(52):
        _shop(session, w)
    _submitted(session, w)
    owner = _as(client, db, w, w.owner)
    first = owner.get("/shops")
    assert "53 shops" in text(first.text)
    assert "Showing 1–50 of 53" in text(first.text)
    assert len(re.findall(r'<tr id="shop-', first.text)) == 50
    second = owner.htmx("GET", "/shops?page=2")
    assert len(re.findall(r'<tr id="shop-', second.text)) == 3  # type: ignore[attr-defined]
    assert "Showing 51–53 of 53" in text(second.text)  # type: ignore[attr-defined]
    submitted = owner.htmx("GET", "/shops?status=submitted")
    assert "1 submitted shop" in text(submitted.text)  # type: ignore[attr-defined]
    assert 'aria-current="page">Submitted' in submitted.text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("target", "mark", "short"),
    [
        # "Walking in" scores 93.75, printed 93.8; targets are whole numbers. The exact
        # boundaries are tested on the rule itself (tests/app/test_status.py).
        (93, "✓ met", "all on target"),
        (98, "◐ near", "1 of 2 short of target"),  # 4.2 below, within the band of 5
        (99, "✗ below", "1 of 2 short of target"),  # 5.2 below
    ],
)
def test_review_queue_and_shops_list_mark_the_weakest_section(
    client: Browser, db: Database, session: Session, target: int, mark: str, short: str
) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    w.tp.target = target
    session.add(w.tp)
    session.commit()
    owner = _as(client, db, w, w.owner)
    for path in ("/shops/review", "/shops"):
        row = text(owner.get(path).text)  # type: ignore[attr-defined]
        # The shop's own score, then its weakest section's mark (a shop has no target).
        assert f"95 Sections {mark} {short}" in row, path
    page = text(owner.get(f"/shops/{shop.id}").text)  # type: ignore[attr-defined]
    assert f"Weakest section {mark}" in page
    assert f"93.8 {mark} target {target}" in page  # the section itself


def test_a_wave_is_previewed_before_it_is_planned_and_the_list_filters_by_wave(
    client: Browser, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    owner = _as(client, db, w, w.owner)
    single = owner.form(
        "/shops",
        {"location_id": str(w.locations[0].id), "touchpoint_ids": [str(w.tp.id)]},
    )
    assert single.status_code == 303  # type: ignore[attr-defined]
    fields = {
        "name": "Autumn",
        "location_ids": [str(loc.id) for loc in w.locations],
        "touchpoint_ids": [str(w.tp.id)],
        "shopper_ids": [str(w.shopper.id), str(w.other_shopper.id)],
        # Three days in the organization's zone (Europe/London): a day per shop.
        "starts": "2026-10-05",
        "ends": "2026-10-07",
    }
    preview = owner.form("/waves", {**fields, "step": "preview"})
    assert preview.status_code == 200  # type: ignore[attr-defined]
    words = text(preview.text)  # type: ignore[attr-defined]
    assert "This wave will plan 3 shops" in words
    assert "Nothing is planned yet." in words
    # Shoppers in turn, a day each, every shop with the chosen touchpoint.
    day = "{} Oct, 00:00 – {} Oct 2026, {} Walking in"
    assert f"Branch A {SHOPPER_NAME} {day.format('Mon 05', 'Tue 06', '00:00')}" in words
    assert f"Branch B {w.other_shopper.name} {day.format('Tue 06', 'Wed 07', '00:00')}" in words
    assert f"Branch C {SHOPPER_NAME} {day.format('Wed 07', 'Wed 07', '23:59')}" in words
    assert 'name="step" value="plan"' in preview.text  # type: ignore[attr-defined]
    assert _count(session, Shop) == 1  # the single shop only: a preview writes nothing

    planned = owner.form("/waves", {**fields, "step": "plan"})
    assert planned.status_code == 303  # type: ignore[attr-defined]
    assert _count(session, Shop) == 4
    wave_id = session.exec(select(Shop.wave_id).where(col(Shop.wave_id).is_not(None))).first()

    listing = owner.get("/shops").text
    assert '<th scope="col">Wave</th>' in listing
    assert listing.count(f'<a href="/shops?wave={wave_id}">Autumn</a>') == 3
    only = owner.get(f"/shops?wave={wave_id}").text
    assert "3 shops in the wave “Autumn”" in text(only)
    # The single shop at Branch A is left out.
    assert only.count('<td data-label="Location">Branch A</td>') == 1
    # An unknown wave (or another organization's) filters nothing out.
    assert "4 shops" in text(owner.get("/shops?wave=999999").text)
