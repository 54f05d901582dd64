"""The job board as each role meets it, in pages and the API: what a shopper sees before
going, claiming and being refused, what other shoppers and staff never see, the owner's
posting, assigning and taking back, the visit rules page, and bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import pytest
from sqlmodel import Session, func, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs import services as org_services
from app.orgs.models import Location, Membership, Organization, Role, User
from app.tenancy import scope_session
from audits import services
from audits.board import queries as board_queries
from audits.board import routes as board_routes
from audits.board import services as board
from audits.models import Shop, ShopEvent, ShopStatus
from audits.services import ShopPlan
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_question,
    make_token,
    make_touchpoint,
)
from touchpoints.models import Touchpoint

pytestmark = pytest.mark.db

ADDRESS = "12 Kingsway, Leeds LS1 4AB"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def error_for(html: str, element_id: str) -> str | None:
    found = re.search(rf'<p class="error" id="{element_id}-error">(.*?)</p>', html)
    return unescape(found.group(1)) if found else None


@dataclass
class Programme:
    org: Organization
    owner: User
    ann: User
    bob: User
    staff: User
    place: Location
    other: Location
    tp: Touchpoint
    tokens: dict[str, str]


def _programme(session: Session) -> Programme:
    org = make_org(session, name="Northgate Group", timezone="Europe/London")
    owner = make_member(session, org, Role.owner, name="Olive Owner")
    ann = make_member(session, org, Role.shopper, name="Ann Shopper", email="ann@k.example")
    bob = make_member(session, org, Role.shopper, name="Bob Shopper", email="bob@k.example")
    staff = make_member(session, org, Role.viewer, name="Sam Staff")
    place = make_location(session, org, name="Kingsway", address=ADDRESS)
    other = make_location(session, org, name="Briggate", address="3 Briggate, Leeds")
    tp = make_touchpoint(session, org, name="Welcome")
    make_question(session, tp)
    tokens = {
        name: make_token(session, org, user)
        for name, user in (("owner", owner), ("ann", ann), ("bob", bob), ("staff", staff))
    }
    scope_session(session, org.id)  # type: ignore[arg-type]
    return Programme(org, owner, ann, bob, staff, place, other, tp, tokens)


def _job(
    session: Session, p: Programme, place: Location | None = None, days: int = 2, **kw: object
) -> Shop:
    start = (utcnow() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    shop = services.shop_plan(
        session=session,
        org_id=p.org.id,  # type: ignore[arg-type]
        data=ShopPlan(
            location_id=(place or p.place).id,  # type: ignore[arg-type]
            touchpoint_ids=[p.tp.id],  # type: ignore[list-item]
            scenario="Ask for a quote for a family of four",
            due_from=start,
            due_until=start + timedelta(hours=9),
            fee_minor=2500,
            fee_currency="GBP",
            post=True,
        ),
        actor_id=p.owner.id,  # type: ignore[arg-type]
    )
    for name, value in kw.items():
        setattr(shop, name, value)
    session.add(shop)
    session.commit()
    return shop


def _count(session: Session, model: object) -> int:
    session.rollback()
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()  # type: ignore[call-overload,no-any-return]


Make = Callable[[], Browser]


def _as(browser_factory: Make, db: Database, p: Programme, user: User) -> Browser:
    return sign_in(browser_factory(), db, user, p.org)


def _api(client: Browser, p: Programme, who: str, method: str, url: str, **kw: object) -> object:
    headers = {"Authorization": f"Bearer {p.tokens[who]}"}
    return client.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]


# --- the shopper ---------------------------------------------------------------------------


def test_a_shopper_sees_the_job_claims_it_and_is_refused_the_lockout(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    board.visit_rules_update(
        session=session,
        org_id=p.org.id,  # type: ignore[arg-type]
        data=board.VisitRulesUpdate(
            lockout_days=30, daily_limit=0, window_rule="flag", no_show="board"
        ),
    )
    first = _job(session, p)
    second = _job(session, p, days=5)
    ann = _as(browser_factory, db, p, p.ann)

    page = ann.get("/jobs")
    assert page.status_code == 200
    words = text(page.text)
    assert "Kingsway" in words and ADDRESS in words and "GBP 25.00" in words
    assert "Ask for a quote for a family of four" in words
    assert 'href="geo:0,0?q=12%20Kingsway%2C%20Leeds%20LS1%204AB"' in page.text
    assert "https://www.openstreetmap.org/search?query=12+Kingsway%2C+Leeds+LS1+4AB" in page.text
    assert "Opens on" in words and "due by" in words

    claimed = ann.form(f"/jobs/{first.id}/claim")
    assert claimed.status_code == 303 and claimed.headers["location"] == "/"  # type: ignore[attr-defined]
    home = text(ann.get("/").text)
    assert board_routes.MSG_CLAIMED % {"location": "Kingsway"} in home
    assert ADDRESS in home and "GBP 25.00" in home and "Opens on" in home

    refused = ann.form(f"/jobs/{second.id}/claim")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    message = re.search(
        rf'id="claim-error-{second.id}">(.*?)</p>',
        refused.text,  # type: ignore[attr-defined]
    )
    assert message is not None
    assert "no second visit to a location within 30 days" in unescape(message.group(1))
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    assert session.get(Shop, second.id).status == ShopStatus.open  # type: ignore[union-attr]

    # The fill page says where, when and for what fee too.
    fill = text(ann.get(f"/shops/{first.id}/fill").text)
    assert ADDRESS in fill and "GBP 25.00" in fill and "Open in maps" in fill


def test_a_job_for_other_qualifications_is_hidden_and_its_claim_refused(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    job = _job(session, p, job_tags=["speaks German"])
    ann = _as(browser_factory, db, p, p.ann)
    assert "Kingsway" not in text(ann.get("/jobs").text)
    refused = ann.form(f"/jobs/{job.id}/claim")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert board_queries.MSG_NOT_QUALIFIED % {"what": "“speaks German”"} in text(refused.text)  # type: ignore[attr-defined]
    api = _api(ann, p, "ann", "POST", f"/api/v1/jobs/{job.id}/claim")
    assert api.status_code == 403  # type: ignore[attr-defined]
    assert api.json()["detail"] == board_queries.MSG_NOT_QUALIFIED % {"what": "“speaks German”"}  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    stored = session.get(Shop, job.id)
    assert stored is not None and (stored.status, stored.shopper_id) == (ShopStatus.open, None)


def test_other_shoppers_never_see_a_claimed_job_its_fee_or_records(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    job = _job(session, p)
    board.job_claim(session=session, shop_id=job.id, user_id=p.ann.id, tz="UTC")  # type: ignore[arg-type]
    bob = _as(browser_factory, db, p, p.bob)
    assert "Kingsway" not in text(bob.get("/jobs").text)
    assert "Kingsway" not in text(bob.get("/").text)
    assert bob.get(f"/shops/{job.id}/fill").status_code == 404
    assert bob.get("/shoppers").status_code == 403
    assert _api(bob, p, "bob", "GET", "/api/v1/jobs").json() == []  # type: ignore[attr-defined]
    assert _api(bob, p, "bob", "GET", f"/api/v1/shops/{job.id}").status_code == 404  # type: ignore[attr-defined]
    assert _api(bob, p, "bob", "GET", "/api/v1/shoppers/records").status_code == 403  # type: ignore[attr-defined]
    # Claiming it says it was taken, and nothing more about it.
    taken = _api(bob, p, "bob", "POST", f"/api/v1/jobs/{job.id}/claim")
    assert taken.status_code == 409  # type: ignore[attr-defined]
    assert taken.json() == {"detail": board.MSG_TAKEN}  # type: ignore[attr-defined]
    # Ann's own API view of it carries the fee.
    mine = _api(bob, p, "ann", "GET", f"/api/v1/shops/{job.id}").json()  # type: ignore[attr-defined]
    assert (mine["fee_minor"], mine["fee_currency"]) == (2500, "GBP")


def test_staff_never_see_fees_shoppers_or_the_board(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    job = _job(session, p)
    board.job_claim(session=session, shop_id=job.id, user_id=p.ann.id, tz="UTC")  # type: ignore[arg-type]
    job.status = ShopStatus.approved
    session.add(job)
    session.commit()
    staff = _as(browser_factory, db, p, p.staff)
    page = staff.get(f"/shops/{job.id}")
    assert page.status_code == 200
    words = text(page.text)
    assert "GBP" not in words and "Ann" not in words and "Fee" not in words
    api = _api(staff, p, "staff", "GET", f"/api/v1/shops/{job.id}").json()  # type: ignore[attr-defined]
    assert not {"fee_minor", "fee_currency", "shopper_id", "shopper_name"} & set(api)
    listed = _api(staff, p, "staff", "GET", "/api/v1/shops").json()  # type: ignore[attr-defined]
    assert listed and not {"fee_minor", "fee_currency"} & set(listed[0])
    for url in ("/jobs", "/shoppers", f"/shops/{job.id}/job", "/settings/visit-rules"):
        assert staff.get(url).status_code == 403, url
    for url in ("/api/v1/jobs", "/api/v1/shoppers/records", "/api/v1/visit-rules"):
        assert _api(staff, p, "staff", "GET", url).status_code == 403, url  # type: ignore[attr-defined]
    owner = _as(browser_factory, db, p, p.owner)
    assert "GBP 25.00" in text(owner.get(f"/shops/{job.id}").text)


# --- the owner -----------------------------------------------------------------------------


def test_the_owner_posts_assigns_and_takes_back_on_the_job_page(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    shop = services.shop_plan(
        session=session,
        org_id=p.org.id,  # type: ignore[arg-type]
        data=ShopPlan(location_id=p.place.id, touchpoint_ids=[p.tp.id], shopper_id=p.ann.id),  # type: ignore[arg-type,list-item]
        actor_id=p.owner.id,  # type: ignore[arg-type]
    )
    owner = _as(browser_factory, db, p, p.owner)
    assert "Post on the job board" in text(owner.get(f"/shops/{shop.id}/job").text)

    bad = owner.form(
        f"/shops/{shop.id}/job/post",
        {"tags": "", "region": "", "fee": "-3", "fee_currency": "GBP"},
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert error_for(bad.text, "f-fee") == board.MSG_FEE  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    assert session.get(Shop, shop.id).status == ShopStatus.assigned  # type: ignore[union-attr]

    posted = owner.form(
        f"/shops/{shop.id}/job/post",
        {"tags": "certified, has a car", "region": "North", "fee": "30.5", "fee_currency": "gbp"},
    )
    assert posted.status_code == 303  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    stored = session.get(Shop, shop.id)
    assert stored is not None
    assert (stored.status, stored.shopper_id, stored.fee_minor, stored.fee_currency) == (
        ShopStatus.open,
        None,
        3050,
        "GBP",
    )
    assert stored.job_tags == ["certified", "has a car"] and stored.job_region == "North"
    board_page = text(owner.get("/jobs").text)
    assert "GBP 30.50" in board_page and "certified, has a car · region North" in board_page

    assigned = owner.form(f"/shops/{shop.id}/job/assign", {"shopper_id": str(p.bob.id)})
    assert assigned.status_code == 303  # type: ignore[attr-defined]
    back = owner.form(f"/shops/{shop.id}/job/take-back")
    assert back.status_code == 303  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    stored = session.get(Shop, shop.id)
    assert stored is not None and (stored.status, stored.shopper_id) == (ShopStatus.assigned, None)
    page = text(owner.get(f"/shops/{shop.id}/job").text)
    assert "Bob Shopper · taken back" in page and "Ann Shopper · taken back" in page
    again = owner.form(f"/shops/{shop.id}/job/take-back")
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_an_assignment_that_breaks_a_rule_is_refused_next_to_the_shopper(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    owner = _as(browser_factory, db, p, p.owner)
    saved = owner.form(
        "/settings/visit-rules",
        {"lockout_days": "0", "daily_limit": "1", "window_rule": "refuse", "no_show": "owner"},
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    first = _job(session, p)
    second = _job(session, p, place=p.other)
    board.job_claim(session=session, shop_id=first.id, user_id=p.ann.id, tz="UTC")  # type: ignore[arg-type]
    refused = owner.form(f"/shops/{second.id}/job/assign", {"shopper_id": str(p.ann.id)})
    assert refused.status_code == 409  # type: ignore[attr-defined]
    message = error_for(refused.text, "f-shopper_id")  # type: ignore[attr-defined]
    assert message is not None and "at most 1 shop a day" in message
    api = _api(
        owner, p, "owner", "POST", f"/api/v1/jobs/{second.id}/assign", json={"shopper_id": p.ann.id}
    )
    assert api.status_code == 409 and "at most 1 shop a day" in api.json()["detail"]  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    assert session.get(Shop, second.id).shopper_id is None  # type: ignore[union-attr]


def test_the_visit_rules_page_refuses_bad_numbers_next_to_the_field(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    owner = _as(browser_factory, db, p, p.owner)
    page = owner.get("/settings/visit-rules")
    assert "No second visit to the same location" in text(page.text)
    bad = owner.form(
        "/settings/visit-rules",
        {"lockout_days": "-1", "daily_limit": "lots", "window_rule": "flag", "no_show": "board"},
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert error_for(bad.text, "f-lockout_days") == board.MSG_LOCKOUT_DAYS  # type: ignore[attr-defined]
    assert error_for(bad.text, "f-daily_limit") == board.MSG_DAILY_LIMIT  # type: ignore[attr-defined]
    assert board_queries.visit_rules(session).id is None  # nothing stored
    api = _api(
        owner,
        p,
        "owner",
        "PUT",
        "/api/v1/visit-rules",
        json={"lockout_days": 400, "daily_limit": 2, "window_rule": "flag", "no_show": "board"},
    )
    assert api.status_code == 422  # type: ignore[attr-defined]
    assert "lockout_days" in str(api.json())  # type: ignore[attr-defined]


def test_planning_with_a_negative_fee_or_a_window_backwards_changes_nothing(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    owner = _as(browser_factory, db, p, p.owner)
    before = _count(session, Shop)
    page = owner.form(
        "/shops",
        {
            "location_id": str(p.place.id),
            "touchpoint_ids": str(p.tp.id),
            "due_from": "2027-03-10",
            "due_until": "2027-03-01",
            "fee": "-5",
            "fee_currency": "EUR",
        },
    )
    assert page.status_code == 400  # type: ignore[attr-defined]
    assert error_for(page.text, "ps-fee") == board.MSG_FEE  # type: ignore[attr-defined]
    assert error_for(page.text, "ps-due_until") == services.MSG_WINDOW  # type: ignore[attr-defined]
    body = {"location_id": p.place.id, "touchpoint_ids": [p.tp.id], "fee_minor": -1}
    api = _api(owner, p, "owner", "POST", "/api/v1/shops", json=body)
    assert api.status_code == 422 and "fee_minor" in str(api.json())  # type: ignore[attr-defined]
    api = _api(
        owner,
        p,
        "owner",
        "POST",
        "/api/v1/shops",
        json={**body, "fee_minor": 100, "fee_currency": "EURO"},
    )
    assert api.status_code == 400 and api.json()["field"] == "fee_currency"  # type: ignore[attr-defined]
    backwards = {
        **body,
        "fee_minor": 100,
        "fee_currency": "EUR",
        "due_from": "2027-03-10T09:00:00Z",
        "due_until": "2027-03-01T09:00:00Z",
    }
    api = _api(owner, p, "owner", "POST", "/api/v1/shops", json=backwards)
    assert api.status_code == 422 and services.MSG_WINDOW in str(api.json())  # type: ignore[attr-defined]
    api = _api(owner, p, "owner", "POST", "/api/v1/jobs", json={"shop_ids": [], "fee_minor": -1})
    assert api.status_code == 422  # type: ignore[attr-defined]
    assert _count(session, Shop) == before


def test_the_api_lists_posts_claims_and_takes_back(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    shop = services.shop_plan(
        session=session,
        org_id=p.org.id,  # type: ignore[arg-type]
        data=ShopPlan(location_id=p.place.id, touchpoint_ids=[p.tp.id]),  # type: ignore[arg-type,list-item]
        actor_id=p.owner.id,  # type: ignore[arg-type]
    )
    c = browser_factory()
    posted = _api(
        c,
        p,
        "owner",
        "POST",
        "/api/v1/jobs",
        json={
            "shop_ids": [shop.id],
            "fee_minor": 1999,
            "fee_currency": "EUR",
            "tags": ["certified"],
        },
    )
    assert posted.status_code == 201  # type: ignore[attr-defined]
    job = posted.json()[0]  # type: ignore[attr-defined]
    assert (job["fee"], job["address"], job["tags"]) == ("EUR 19.99", ADDRESS, ["certified"])
    assert job["map_geo"].startswith("geo:0,0?q=")
    assert _api(c, p, "ann", "GET", "/api/v1/jobs").json() == []  # type: ignore[attr-defined]
    ann = session.exec(select(Membership).where(Membership.user_id == p.ann.id)).one()
    org_services.membership_qualify(session=session, membership=ann, tags="Certified", region="")
    assert [j["id"] for j in _api(c, p, "ann", "GET", "/api/v1/jobs").json()] == [shop.id]  # type: ignore[attr-defined]
    claimed = _api(c, p, "ann", "POST", f"/api/v1/jobs/{shop.id}/claim")
    assert claimed.status_code == 200 and claimed.json()["status"] == "assigned"  # type: ignore[attr-defined]
    again = _api(c, p, "ann", "POST", f"/api/v1/jobs/{shop.id}/claim")
    assert again.status_code == 200  # pressing twice is harmless  # type: ignore[attr-defined]
    back = _api(c, p, "owner", "POST", f"/api/v1/jobs/{shop.id}/take-back")
    assert back.status_code == 200 and back.json()["status"] == "assigned"  # type: ignore[attr-defined]
    records = _api(c, p, "owner", "GET", "/api/v1/shoppers/records").json()  # type: ignore[attr-defined]
    assert {r["name"] for r in records} == {"Ann Shopper", "Bob Shopper"}
    notes = session.exec(select(ShopEvent.note).where(ShopEvent.shop_id == shop.id)).all()
    assert notes[-2:] == ["claimed from the job board", "taken back from its shopper"]
    missing = _api(c, p, "ann", "POST", "/api/v1/jobs/999999/claim")
    assert missing.status_code == 404  # type: ignore[attr-defined]


def test_qualifications_are_set_on_the_people_page(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    owner = _as(browser_factory, db, p, p.owner)
    ann = session.exec(select(Membership).where(Membership.user_id == p.ann.id)).one()
    saved = owner.form(
        f"/people/{ann.id}/qualifications",
        {"tags": "certified, has a car, certified", "region": "North"},
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    ann = session.exec(select(Membership).where(Membership.user_id == p.ann.id)).one()
    assert (ann.tags, ann.region) == (["certified", "has a car"], "North")
    assert 'value="certified, has a car"' in owner.get("/people").text
    too_many = ", ".join(f"skill {i}" for i in range(13))
    bad = owner.form(f"/people/{ann.id}/qualifications", {"tags": too_many, "region": ""})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert error_for(bad.text, f"tags-{ann.id}") == org_services.MSG_TAGS  # type: ignore[attr-defined]
    session.rollback()  # a fresh read, not this session's snapshot
    session.expire_all()
    assert session.exec(select(Membership).where(Membership.id == ann.id)).one().tags == [
        "certified",
        "has a car",
    ]
    records = text(owner.get("/shoppers").text)
    assert "Ann Shopper" in records and "certified, has a car · North" in records


def test_a_wave_is_planned_onto_the_board_and_posted_again_from_its_page(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    owner = _as(browser_factory, db, p, p.owner)
    planned = owner.form(
        "/waves",
        {
            "name": "Spring",
            "location_ids": [str(p.place.id), str(p.other.id)],
            "touchpoint_ids": str(p.tp.id),
            "starts": "2027-04-01",
            "ends": "2027-04-10",
            "fee": "12",
            "fee_currency": "EUR",
            "post": "1",
            "step": "plan",
        },
    )
    assert planned.status_code == 303, planned.text  # type: ignore[attr-defined]
    session.rollback()
    session.expire_all()
    shops = session.exec(select(Shop).order_by(Shop.id)).all()  # type: ignore[arg-type]
    assert [(s.status, s.shopper_id, s.fee_minor) for s in shops] == [
        (ShopStatus.open, None, 1200)
    ] * 2
    wave_id = shops[0].wave_id
    no_shoppers = owner.form(
        "/waves",
        {
            "name": "Summer",
            "location_ids": str(p.place.id),
            "touchpoint_ids": str(p.tp.id),
            "starts": "2027-06-01",
            "ends": "2027-06-10",
            "step": "plan",
        },
    )
    assert no_shoppers.status_code == 400  # type: ignore[attr-defined]
    assert error_for(no_shoppers.text, "pw-shopper_ids")  # type: ignore[attr-defined]
    page = owner.get(f"/waves/{wave_id}/post")
    assert "Post the wave “Spring”" in text(page.text)
    bad = owner.form(f"/waves/{wave_id}/post", {"fee": "1.234", "fee_currency": "EUR"})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert error_for(bad.text, "f-fee") == board.MSG_FEE  # type: ignore[attr-defined]
    posted = owner.form(
        f"/waves/{wave_id}/post", {"tags": "certified", "fee": "15", "fee_currency": "EUR"}
    )
    assert posted.status_code == 303  # type: ignore[attr-defined]
    session.rollback()
    session.expire_all()
    assert {(s.fee_minor, tuple(s.job_tags or ())) for s in session.exec(select(Shop))} == {
        (1500, ("certified",))
    }
