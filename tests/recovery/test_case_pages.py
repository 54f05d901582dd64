"""The owner's recovery pages as a browser tab sees them: the board, the new-case form, the
case page with its one-tap steps, triage, action item, champion, closing and reopening."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import pytest
from sqlmodel import Session, func, select

from app.db import Database
from app.modelbase import ident, utcnow
from app.orgs.models import Location, Organization, Role, User
from recovery import services
from recovery.models import RecoveryCase, Verdict
from recovery.routes import MSG_DATETIME
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_recovery_case,
    make_shop,
    make_touchpoint,
)
from touchpoints.models import ActionItem, Touchpoint

pytestmark = pytest.mark.db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def error_for(html: str, element_id: str) -> str | None:
    found = re.search(rf'<p class="error" id="{element_id}-error">(.*?)</p>', html)
    return unescape(found.group(1)) if found else None


@dataclass
class World:
    org: Organization
    owner: User
    location: Location
    tp: Touchpoint
    client: Browser


def _signed_in_owner(
    session: Session, db: Database, client: Browser, tz: str = "Europe/London"
) -> World:
    org = make_org(session, timezone=tz, contact_retention_days=90)
    owner = make_member(session, org, Role.owner)
    location = make_location(session, org, name="Harbour Road")
    tp = make_touchpoint(session, org, name="Putting a problem right", team="Service desk")
    sign_in(client, db, owner, org)
    return World(org, owner, location, tp, client)


def _case(session: Session, case_id: int) -> RecoveryCase:
    session.rollback()
    session.expire_all()
    case = session.get(RecoveryCase, case_id)
    assert case is not None
    return case


def test_empty_board_explains_the_plan(session: Session, db: Database, client: Browser) -> None:
    _signed_in_owner(session, db, client)
    page = client.get("/recovery")
    assert page.status_code == 200
    words = text(page.text)
    assert "No open cases." in words
    assert "fix or replace within a day" in words
    assert 'href="/recovery/new"' in page.text
    # The way to the public complaint form and its posters starts here.
    assert 'href="/recovery/posters"' in page.text


def test_board_shows_overdue_first_with_time_in_words(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client)
    now = utcnow()
    fresh = make_recovery_case(
        session,
        w.org,
        summary="Waited twenty minutes at the counter",
        reported_at=now - timedelta(hours=2, minutes=1) + timedelta(seconds=30),
        location_id=w.location.id,
    )
    late = make_recovery_case(
        session,
        w.org,
        summary="Invoice charged twice",
        reported_at=now - timedelta(hours=27, minutes=5, seconds=30),
        touchpoint_id=w.tp.id,
    )
    page = client.get("/recovery")
    words = text(page.text)
    assert page.text.index(late.reference) < page.text.index(fresh.reference)
    assert "Overdue by 3 h 5 min" in words
    assert "21 h 59 min left" in words  # minutes are whole: 21 h 59 min 30 s
    assert "Harbour Road" in words
    assert "not filed yet" in words  # the fresh case has no touchpoint
    assert "Putting a problem right" in words
    assert "Phone call" in words
    assert "Next: Acknowledge" in words
    assert "2 overdue" not in words and "1 overdue" in words


def test_board_escapes_what_customers_wrote(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client)
    make_recovery_case(
        session,
        w.org,
        summary='<script>alert("x")</script> <img src=x onerror=alert(1)>',
        customer_name="<b>Bold</b>",
    )
    page = client.get("/recovery")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_new_case_form_opens_a_case(session: Session, db: Database, client: Browser) -> None:
    w = _signed_in_owner(session, db, client)
    form = client.get("/recovery/new")
    assert form.status_code == 200
    assert "Harbour Road" in form.text
    response = client.form(
        "/recovery/new",
        {
            "summary": "The <b>delivery</b> came a day late",
            "source": "in_person",
            "reported_at": "",
            "location_id": str(w.location.id),
            "touchpoint_id": str(w.tp.id),
            "customer_name": "Ravi",
            "customer_contact": "07700 900123",
        },
    )
    assert response.status_code == 303
    location = response.headers["location"]
    case_id = int(location.rsplit("/", 1)[1])
    case = _case(session, case_id)
    assert case.source == "in_person"
    assert case.location_id == w.location.id
    assert case.created_by == w.owner.id
    page = client.get(location)
    assert "The &lt;b&gt;delivery&lt;/b&gt; came a day late" in page.text  # escaped, never HTML
    words = text(page.text)
    assert f"Case {case.reference} opened" in words
    assert "23 h 59 min left" in words or "24 h left" in words
    assert "Ravi" in words and "07700 900123" in words


def test_new_case_form_errors_next_to_fields(
    session: Session, db: Database, client: Browser
) -> None:
    _signed_in_owner(session, db, client)
    response = client.form(
        "/recovery/new", {"summary": "  ", "source": "carrier pigeon", "reported_at": "yesterday"}
    )
    assert response.status_code == 400
    assert error_for(response.text, "f-summary") == services.MSG_SUMMARY
    assert error_for(response.text, "f-source") == "Choose one of the options."
    assert error_for(response.text, "f-reported_at") == MSG_DATETIME
    future = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.form("/recovery/new", {"summary": "Rude reply", "reported_at": future})
    assert response.status_code == 400
    assert error_for(response.text, "f-reported_at") == services.MSG_REPORTED_FUTURE
    assert session.exec(select(func.count()).select_from(RecoveryCase)).one() == 0


def test_new_case_from_a_shop_is_prefilled(session: Session, db: Database, client: Browser) -> None:
    w = _signed_in_owner(session, db, client)
    shop = make_shop(session, w.org, location=w.location, touchpoints=[w.tp])
    page = client.get(f"/recovery/new?source=shop&shop_id={shop.id}&location_id={w.location.id}")
    assert f'name="shop_id" value="{shop.id}"' in page.text
    assert re.search(r'<option value="shop"\s+selected', page.text)
    assert re.search(rf'<option value="{w.location.id}"\s+selected', page.text)
    response = client.form(
        "/recovery/new",
        {
            "summary": "The shopper was not greeted",
            "source": "shop",
            "shop_id": str(shop.id),
            "location_id": str(w.location.id),
        },
    )
    assert response.status_code == 303
    case = session.exec(select(RecoveryCase)).one()
    assert (case.shop_id, case.source) == (shop.id, "shop")


def test_walk_a_case_through_every_step_with_htmx(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client)
    case = make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=5))
    cid = ident(case)
    url = f"/recovery/{cid}"
    r = client.htmx("POST", f"{url}/step", {"step": "acknowledge", "note": ""})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="case"')  # only the fragment
    assert "Hear and acknowledge: saved." in text(r.text)
    # The fix needs a note: the message sits next to the field.
    r = client.htmx("POST", f"{url}/step", {"step": "fix", "note": ""})
    assert r.status_code == 400
    assert error_for(r.text, "note-fix") == services.MSG_FIX_NOTE
    r = client.htmx("POST", f"{url}/step", {"step": "fix", "note": "Sent a new kettle by courier"})
    assert r.status_code == 200
    assert "Fixed in 5 h" in text(r.text)
    r = client.htmx("POST", f"{url}/step", {"step": "surprise", "note": "Added a tin of tea"})
    assert r.status_code == 200
    r = client.htmx(
        "POST", f"{url}/step", {"step": "follow_up", "verdict": "satisfied", "note": "Happy"}
    )
    assert r.status_code == 200
    assert "Fully satisfied" in text(r.text)
    stored = _case(session, cid)
    assert stored.verdict == Verdict.satisfied
    assert stored.fix_note == "Sent a new kettle by courier"
    assert None not in (stored.acknowledged_at, stored.fixed_at, stored.surprised_at)
    # Closing says what is still missing.
    r = client.htmx("POST", f"{url}/close")
    assert r.status_code == 400
    assert "Before closing, file it under a touchpoint" in text(r.text)
    r = client.htmx(
        "POST",
        f"{url}/details",
        {
            "summary": stored.summary,
            "source": "phone",
            "reported_at": _local(stored, "Europe/London"),
            "touchpoint_id": str(w.tp.id),
            "location_id": str(w.location.id),
            "customer_name": "",
            "customer_contact": "",
        },
    )
    assert r.status_code == 200, r.text
    r = client.htmx(
        "POST",
        f"{url}/triage",
        {
            "triage_what": "The kettle was boxed damaged",
            "cause_category": "supplier",
            "triage_why": "The courier drops parcels",
            "triage_change": "Check every parcel at packing",
        },
    )
    assert r.status_code == 200
    r = client.htmx("POST", f"{url}/action-item")
    assert r.status_code == 200
    assert "Action item made: “Check every parcel at packing”." in text(r.text)
    r = client.htmx("POST", f"{url}/action-item")  # twice: still one item
    session.rollback()
    assert session.exec(select(func.count()).select_from(ActionItem)).one() == 1
    item = session.exec(select(ActionItem)).one()
    assert f'href="/actions/{item.id}#action-{item.id}"' in r.text
    listed = client.get(f"/actions/{item.id}")  # the touchpoint's items, this one among them
    assert listed.status_code == 200
    assert f'id="action-{item.id}"' in listed.text
    assert item.team == "Service desk"
    r = client.htmx("POST", f"{url}/champion", {"champion": "on"})
    assert "Marked as a champion." in text(r.text)
    r = client.htmx("POST", f"{url}/close")
    assert r.status_code == 200
    assert "Reopen the case" in text(r.text)
    board = text(client.get("/recovery").text)
    assert "Recently closed" in board
    assert "No open cases." in board
    r = client.htmx("POST", f"{url}/reopen")
    assert _case(session, cid).closed_at is None


def _local(case: RecoveryCase, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return case.reported_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def test_step_time_is_read_in_the_org_zone_and_can_be_corrected(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client, tz="Asia/Kolkata")
    reported = utcnow().replace(second=0, microsecond=0) - timedelta(hours=6)
    case = make_recovery_case(session, w.org, reported_at=reported)
    url = f"/recovery/{case.id}"
    from zoneinfo import ZoneInfo

    ist = ZoneInfo("Asia/Kolkata")
    at = (reported + timedelta(hours=1)).astimezone(ist)
    r = client.form(f"{url}/step", {"step": "acknowledge", "at": at.strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 303  # a plain form: back to the page
    stored = _case(session, ident(case))
    assert stored.acknowledged_at == reported + timedelta(hours=1)
    page = client.get(url)
    assert f"Done {at:%a} {at.day} {at:%b, %H:%M}" in text(page.text)
    # Correcting the time to before the report is refused next to the field.
    before = (reported - timedelta(hours=1)).astimezone(ist).strftime("%Y-%m-%dT%H:%M")
    r = client.htmx("POST", f"{url}/step", {"step": "acknowledge", "at": before})
    assert r.status_code == 400
    assert error_for(r.text, "at-acknowledge") == services.MSG_STEP_BEFORE_REPORT
    assert _case(session, ident(case)).acknowledged_at == reported + timedelta(hours=1)
    # Taking it back clears it.
    r = client.htmx("POST", f"{url}/undo", {"step": "acknowledge"})
    assert r.status_code == 200
    assert _case(session, ident(case)).acknowledged_at is None
    # A step that does not exist is a clear 400, not a crash.
    r = client.htmx("POST", f"{url}/step", {"step": "dance"})
    assert r.status_code == 400
    assert services.MSG_UNKNOWN_STEP in text(r.text)


def test_contact_removed_by_retention_is_said(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client)
    case = make_recovery_case(session, w.org)
    case.contact_removed_at = utcnow()
    session.add(case)
    session.commit()
    words = text(client.get(f"/recovery/{case.id}").text)
    assert "Removed after 90 days" in words


def test_pages_are_for_owners_only(session: Session, db: Database, client: Browser) -> None:
    w = _signed_in_owner(session, db, client)
    case = make_recovery_case(session, w.org)
    viewer = make_member(session, w.org, Role.viewer)
    sign_in(client, db, viewer, w.org)
    assert client.get("/recovery").status_code == 403
    assert client.get(f"/recovery/{case.id}").status_code == 403
    other = make_org(session)
    stranger = make_member(session, other, Role.owner)
    sign_in(client, db, stranger, other)
    assert client.get(f"/recovery/{case.id}").status_code == 404
    assert client.form(f"/recovery/{case.id}/close").status_code == 404


def test_shop_page_links_to_a_prefilled_case(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client)
    shop = make_shop(session, w.org, location=w.location, touchpoints=[w.tp])
    page = client.get(f"/shops/{shop.id}")
    link = (
        f"/recovery/new?source=shop&amp;shop_id={shop.id}&amp;location_id={w.location.id}"
        f"&amp;touchpoint_id={w.tp.id}"
    )
    assert f'href="{link}">Open a recovery case</a>' in page.text
    form = client.get(unescape(link))
    assert re.search(rf'<option value="{w.tp.id}"\s+selected', form.text)
    assert f"From shop #{shop.id}" in text(form.text)


def test_board_redraws_itself_as_a_fragment(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client)
    case = make_recovery_case(session, w.org)
    page = client.get("/recovery")
    assert 'hx-get="/recovery" hx-trigger="every 60s"' in page.text
    fragment = client.get("/recovery", headers={"HX-Request": "true"})
    assert '<div id="recovery-board">' in fragment.text
    assert "<html" not in fragment.text
    assert case.reference in fragment.text


def test_triage_errors_sit_next_to_their_fields(
    session: Session, db: Database, client: Browser
) -> None:
    w = _signed_in_owner(session, db, client)
    case = make_recovery_case(session, w.org)
    r = client.htmx(
        "POST",
        f"/recovery/{case.id}/triage",
        {"triage_what": "Late", "cause_category": "bad luck", "triage_why": "x" * 4001},
    )
    assert r.status_code == 400
    assert error_for(r.text, "cause_category") == "Choose one of the options."
    assert "4000 characters" in (error_for(r.text, "triage_why") or "")
    assert "Late" in r.text  # what was typed is shown again
    assert _case(session, ident(case)).triage_what == ""
