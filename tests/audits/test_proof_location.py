"""Proof of visit, the parts around the location (issue 16, deliverable 5): locations' coordinates,
the organization's location check, the phone's "Start the visit" with the shopper's consent,
the first opening of the fill page, what the reviewer reads, what staff never read, and the
checks' deletion with the contact-retention rule."""

from __future__ import annotations

import html
import math
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, col, select

from app import clock
from app.config import Settings
from app.db import Database
from app.jobs.runtime import JobContext
from app.orgs.coordinates import (
    MSG_BOTH,
    MSG_COORDINATES,
    MSG_LATITUDE,
    coordinates_parse,
    coordinates_text,
    distance_m,
)
from app.orgs.models import Location, Organization, Role
from app.tenancy import scope_session, unscoped
from audits import services
from audits.board.queries import map_links
from audits.models import Shop, ShopStatus
from audits.proof.models import CheckOutcome, VisitLocationCheck, VisitProof
from audits.proof.queries import distance_words
from audits.proof.services import location_checks_purge
from recovery.retention import retention_job
from tests.audits.test_feedback import _tab
from tests.audits.test_owner_pages import text
from tests.audits.test_services import World, _shop, _survey_org
from tests.conftest import BASE_URL, Browser
from tests.factories import make_location, make_member, make_org, make_shop, make_touchpoint
from tests.helpers import pdf_text

# Brandenburger Tor, and a point 120 m north of it (1 degree of latitude: 111.195 km).
GATE = (52.516275, 13.377704)
NORTH_120 = (GATE[0] + 120 / 111_195.08, GATE[1])


# --- reading what an owner pastes, measuring ----------------------------------------------


@pytest.mark.parametrize(
    ("typed", "point"),
    [
        ("52.516275, 13.377704", (52.516275, 13.377704)),
        ("52.516275 13.377704", (52.516275, 13.377704)),
        ("(-33.8568, 151.2153)", (-33.8568, 151.2153)),
        ("geo:52.5163,13.3777?z=17", (52.5163, 13.3777)),
        ("https://www.google.com/maps/@52.5163,13.3777,17z", (52.5163, 13.3777)),
        ("https://maps.google.com/?q=52.5163,13.3777", (52.5163, 13.3777)),
        (
            "https://www.openstreetmap.org/?mlat=52.5163&mlon=13.3777#map=17/52.5/13.3",
            (52.5163, 13.3777),
        ),
        ("https://www.openstreetmap.org/#map=18/52.51630/13.37770", (52.5163, 13.3777)),
    ],
)
def test_coordinates_are_read_from_what_owners_paste(
    typed: str, point: tuple[float, float]
) -> None:
    assert coordinates_parse(typed) == point


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("High Street 1", MSG_COORDINATES),
        ("52.5", MSG_COORDINATES),
        ("91, 13", MSG_LATITUDE),
        ("52, 181", "The longitude must be a number from -180 to 180."),
    ],
)
def test_unreadable_coordinates_say_why(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        coordinates_parse(typed)


def test_empty_field_means_no_coordinates_and_text_round_trips() -> None:
    assert coordinates_parse("  ") is None
    assert coordinates_text(52.5163, 13.3777) == "52.5163, 13.3777"
    assert coordinates_parse(coordinates_text(*GATE)) == GATE
    assert coordinates_text(None, None) == ""


def test_haversine_distance_in_metres() -> None:
    assert distance_m(*GATE, *GATE) == 0
    assert math.isclose(distance_m(*GATE, *NORTH_120), 120, abs_tol=0.5)
    # Berlin to Paris, about 878 km.
    assert math.isclose(distance_m(52.5200, 13.4050, 48.8566, 2.3522) / 1000, 878, abs_tol=3)
    assert [distance_words(m) for m in (4, 118, 996, 1449)] == [
        "less than 10 m",
        "about 120 m",
        "about 1.0 km",
        "about 1.4 km",
    ]


def test_the_map_link_points_at_the_coordinates_when_there_are_some() -> None:
    assert map_links("1 High Street", 52.5163, 13.3777) == {
        "geo": "geo:52.5163,13.3777?q=52.5163,13.3777",
        "osm": "https://www.openstreetmap.org/?mlat=52.5163&mlon=13.3777#map=18/52.5163/13.3777",
    }
    assert map_links("1 High Street")["geo"] == "geo:0,0?q=1%20High%20Street"
    assert map_links("", 1.5, 2.5)["geo"] == "geo:1.5,2.5?q=1.5,2.5"


# --- the owner gives locations their coordinates ---------------------------------------------


@pytest.fixture
def world(session: Session) -> World:
    return _survey_org(session)


def _location(session: Session, location_id: int) -> Location:
    session.rollback()
    session.expire_all()
    found = session.get(Location, location_id)
    assert found is not None
    return found


@pytest.mark.db
def test_owner_adds_and_edits_coordinates_on_the_locations_page(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    owner = _tab(browser_factory, db, world, world.owner)
    added = owner.form(
        "/locations",
        {"name": "Gate shop", "address": "Pariser Platz", "coordinates": "geo:52.516275,13.377704"},
    )
    assert added.status_code == 200  # type: ignore[attr-defined]
    session.rollback()
    made = session.exec(select(Location).where(Location.name == "Gate shop")).one()
    assert (made.latitude, made.longitude) == GATE
    assert "At 52.51628, 13.37770" in text(added.text)  # type: ignore[attr-defined]

    # A bad value: the message next to the field, the typed text kept, nothing changed.
    bad = owner.form(f"/locations/{made.id}", {"name": "Gate shop", "coordinates": "91, 13"})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    page = html.unescape(bad.text)  # type: ignore[attr-defined]
    assert f'id="e{made.id}-coordinates-error">{MSG_LATITUDE}' in page
    assert 'value="91, 13"' in page
    assert (_location(session, made.id).latitude, _location(session, made.id).longitude) == GATE  # type: ignore[arg-type]

    # Emptied: no coordinates any more.
    cleared = owner.form(f"/locations/{made.id}", {"name": "Gate shop", "coordinates": ""})
    assert cleared.status_code == 200  # type: ignore[attr-defined]
    assert _location(session, made.id).latitude is None  # type: ignore[arg-type]


@pytest.mark.db
def test_a_new_location_with_bad_coordinates_is_not_added(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    owner = _tab(browser_factory, db, world, world.owner)
    bad = owner.form("/locations", {"name": "Nowhere", "coordinates": "somewhere nice"})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert MSG_COORDINATES in html.unescape(bad.text)  # type: ignore[attr-defined]
    session.rollback()
    assert session.exec(select(Location).where(Location.name == "Nowhere")).first() is None


@pytest.mark.db
@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"latitude": 90.5, "longitude": 1}, ["body", "latitude"], MSG_LATITUDE),
        ({"latitude": 1, "longitude": -180.5}, ["body", "longitude"], "The longitude must"),
        ({"latitude": 1}, ["body", "longitude"], MSG_BOTH),
        ({"latitude": None, "longitude": 2}, ["body", "longitude"], MSG_BOTH),
        ({"latitude": "north", "longitude": 2}, ["body", "latitude"], "valid number"),
    ],
)
def test_the_api_refuses_bad_coordinates_with_422_naming_the_field(
    browser_factory: Any,
    db: Database,
    session: Session,
    world: World,
    body: dict[str, Any],
    loc: list[str],
    message: str,
) -> None:
    owner = _tab(browser_factory, db, world, world.owner)
    place = world.locations[0]
    response = owner.patch(
        f"/api/v1/locations/{place.id}",
        json=body,
        headers={"X-CSRF-Token": owner.csrf, "Origin": BASE_URL},
    )
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"] == loc and message in problem["msg"]
    assert _location(session, place.id).latitude is None  # type: ignore[arg-type]


@pytest.mark.db
def test_the_api_sets_reads_and_clears_coordinates(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    owner = _tab(browser_factory, db, world, world.owner)
    headers = {"X-CSRF-Token": owner.csrf, "Origin": BASE_URL}
    place = world.locations[0]
    made = owner.post(
        "/api/v1/locations",
        json={"name": "Api shop", "latitude": GATE[0], "longitude": GATE[1]},
        headers=headers,
    )
    assert made.status_code == 201
    assert (made.json()["latitude"], made.json()["longitude"]) == GATE
    url = f"/api/v1/locations/{place.id}"
    assert (
        owner.patch(url, json={"latitude": 1.5, "longitude": 2.5}, headers=headers).json()[
            "latitude"
        ]
        == 1.5
    )
    assert owner.patch(url, json={"name": "Renamed"}, headers=headers).json()["longitude"] == 2.5
    cleared = owner.patch(url, json={"latitude": None, "longitude": None}, headers=headers)
    assert (cleared.json()["latitude"], cleared.json()["longitude"]) == (None, None)


@pytest.mark.db
def test_owner_turns_the_location_check_on_in_the_settings(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    owner = _tab(browser_factory, db, world, world.owner)
    page = owner.get("/settings").text
    assert "Location check at the start of a visit" in page
    assert 'name="location_check" >' in page or 'name="location_check">' in page  # off
    form = {
        "name": world.org.name,
        "timezone": world.org.timezone,
        "alert_margin": "10",
        "near_target": "5",
        "retention": "days",
        "contact_retention_days": "30",
        "location_check": "on",
    }
    assert owner.form("/settings", form).status_code == 303  # type: ignore[attr-defined]
    session.rollback()
    session.expire_all()
    org = session.get(Organization, world.org.id)
    assert org is not None and org.location_check is True
    assert "checked" in owner.get("/settings").text.split('name="location_check"')[1][:12]


# --- the phone starts the visit -------------------------------------------------------------


def _start(client: Browser, shop: Shop, check: dict[str, Any] | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"started_at": extra.pop("started_at", None), **extra}
    if check is not None:
        body["location_check"] = check
    return client.post(
        f"/shops/{shop.id}/visit-start",
        json=body,
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )


def _checked(session: Session, world: World, *, on: bool = True, point: bool = True) -> None:
    org = session.get(Organization, world.org.id)
    assert org is not None
    org.location_check = on
    org.contact_retention_days = 30
    session.add(org)
    place = world.locations[0]
    place.latitude, place.longitude = GATE if point else (None, None)
    session.add(place)
    session.commit()


def _check_row(session: Session, shop: Shop) -> VisitLocationCheck | None:
    session.rollback()
    session.expire_all()
    row = session.exec(
        select(VisitLocationCheck).where(col(VisitLocationCheck.shop_id) == shop.id)
    ).first()
    if row is not None:
        session.expunge(row)
    session.rollback()
    return row


def _proof(session: Session, shop: Shop) -> VisitProof:
    session.rollback()
    session.expire_all()
    proof = session.exec(select(VisitProof).where(col(VisitProof.shop_id) == shop.id)).one()
    session.expunge(proof)
    session.rollback()
    return proof


def _phone_time(minutes_ago: int) -> str:
    return (clock.utcnow() - timedelta(minutes=minutes_ago)).isoformat()


@pytest.mark.db
def test_a_consented_check_keeps_only_the_distance(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    _checked(session, world)
    shop = _shop(session, world)
    shop.created_at = clock.utcnow() - timedelta(hours=2)
    session.add(shop)
    session.commit()
    phone = _tab(browser_factory, db, world, world.shopper)
    page = phone.get(f"/shops/{shop.id}/fill").text
    assert "May this phone check where you are, once?" in page
    assert "It is deleted after 30 days." in page

    sent = {"consent": True, "latitude": NORTH_120[0], "longitude": NORTH_120[1], "accuracy": 14.6}
    response = _start(phone, shop, sent, started_at=_phone_time(3))
    assert response.status_code == 200
    ack = response.json()
    assert ack["ack"] == "visit-start" and ack["shop_id"] == shop.id
    assert ack["location_check"] == "measured"
    assert "distance_m" not in ack  # the shopper is not shown it: it is the reviewer's

    row = _check_row(session, shop)
    assert row is not None and row.outcome == CheckOutcome.measured
    assert row.distance_m == 120 and row.accuracy_m == 15
    # Nothing of the position is kept: the table has no column that could hold it.
    columns = {c["name"] for c in inspect(db.engine).get_columns("visit_location_check")}
    assert not columns & {"latitude", "longitude", "lat", "lon", "position"}
    proof = _proof(session, shop)
    assert proof.start_at is not None
    assert abs((clock.utcnow() - proof.start_at) - timedelta(minutes=3)) < timedelta(seconds=30)
    assert proof.opened_at is not None  # the GET above
    session.expire_all()
    started = session.get(Shop, shop.id)
    assert started is not None and started.status == ShopStatus.in_progress
    assert started.visited_at == proof.start_at.replace(second=0, microsecond=0)

    # A resend (or a second press) keeps the first start and the first check.
    again = _start(phone, shop, {"consent": False}, started_at=_phone_time(1))
    assert again.status_code == 200 and again.json()["location_check"] == "measured"
    assert _proof(session, shop).start_at == proof.start_at
    assert _check_row(session, shop).outcome == CheckOutcome.measured  # type: ignore[union-attr]

    # The reviewer reads it on the shop page, the review queue and the API.
    owner = _tab(browser_factory, db, world, world.owner)
    words = text(owner.get(f"/shops/{shop.id}").text)
    assert "Proof of visit" in words
    assert "about 120 m from the location (the phone was sure to within 15 m)" in words
    assert "(“Start the visit”, by the phone’s clock)" in words
    read = owner.get(f"/api/v1/shops/{shop.id}/proof").json()
    assert read["location_check"]["distance_m"] == 120
    assert read["started_by"] == "button" and read["opened_at"] is not None


@pytest.mark.db
@pytest.mark.parametrize(
    ("check", "outcome", "words"),
    [
        ({"consent": False}, CheckOutcome.declined, "shopper declined"),
        ({"consent": True}, CheckOutcome.unavailable, "position unavailable"),
    ],
)
def test_a_refusal_or_no_position_is_recorded_and_the_visit_goes_on(
    browser_factory: Any,
    db: Database,
    session: Session,
    world: World,
    check: dict[str, Any],
    outcome: CheckOutcome,
    words: str,
) -> None:
    _checked(session, world)
    shop = _shop(session, world)
    phone = _tab(browser_factory, db, world, world.shopper)
    response = _start(phone, shop, check)
    assert response.status_code == 200 and response.json()["location_check"] == outcome.value
    row = _check_row(session, shop)
    assert row is not None and row.outcome == outcome and row.distance_m is None
    owner = _tab(browser_factory, db, world, world.owner)
    assert words in text(owner.get(f"/shops/{shop.id}").text)


@pytest.mark.db
@pytest.mark.parametrize(("on", "point"), [(False, True), (True, False)])
def test_without_the_setting_or_coordinates_nothing_of_a_position_is_kept(
    browser_factory: Any, db: Database, session: Session, world: World, on: bool, point: bool
) -> None:
    """Off (the default) or a location without coordinates: the page asks nothing, and a
    position sent all the same is thrown away unread."""
    _checked(session, world, on=on, point=point)
    shop = _shop(session, world)
    phone = _tab(browser_factory, db, world, world.shopper)
    assert "May this phone check where you are" not in phone.get(f"/shops/{shop.id}/fill").text
    sent = {"consent": True, "latitude": NORTH_120[0], "longitude": NORTH_120[1]}
    response = _start(phone, shop, sent)
    assert response.status_code == 200 and response.json()["location_check"] is None
    assert _check_row(session, shop) is None
    assert _proof(session, shop).start_at is not None


@pytest.mark.db
@pytest.mark.parametrize(
    ("check", "field"),
    [
        ({"consent": "yes"}, "location_check.consent"),
        ({"consent": True, "latitude": 95, "longitude": 1}, "location_check.latitude"),
        ({"consent": True, "latitude": 1, "longitude": "east"}, "location_check.longitude"),
        ({"consent": True, "latitude": 1}, "location_check.longitude"),
        (
            {"consent": True, "latitude": 1, "longitude": 1, "accuracy": -2},
            "location_check.accuracy",
        ),
        ("here", "location_check"),
    ],
)
def test_a_malformed_start_is_refused_naming_the_field_and_changes_nothing(
    browser_factory: Any, db: Database, session: Session, world: World, check: Any, field: str
) -> None:
    _checked(session, world)
    shop = _shop(session, world)
    phone = _tab(browser_factory, db, world, world.shopper)
    response = _start(phone, shop, check)
    assert response.status_code == 400 and response.json()["field"] == field
    assert _check_row(session, shop) is None
    session.expire_all()
    assert session.get(Shop, shop.id).status == ShopStatus.assigned  # type: ignore[union-attr]


@pytest.mark.db
def test_a_handed_in_shop_cannot_be_started_and_the_api_starts_too(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    _checked(session, world)
    shop = _shop(session, world)
    phone = _tab(browser_factory, db, world, world.shopper)
    api = phone.post(
        f"/api/v1/shops/{shop.id}/visit-start",
        json={"location_check": {"consent": False}},
        headers={"X-CSRF-Token": phone.csrf, "Origin": BASE_URL},
    )
    assert api.status_code == 200 and api.json()["location_check"] == "declined"
    session.expire_all()
    closed = session.get(Shop, shop.id)
    assert closed is not None
    closed.status = ShopStatus.submitted
    session.add(closed)
    session.commit()
    refused = _start(phone, closed)
    assert refused.status_code == 409
    assert refused.json()["detail"] == services.MSG_SHOP_CLOSED


@pytest.mark.db
def test_the_first_opening_is_kept_and_later_ones_change_nothing(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    shop = _shop(session, world)
    phone = _tab(browser_factory, db, world, world.shopper)
    assert phone.get(f"/shops/{shop.id}/fill").status_code == 200
    first = _proof(session, shop).opened_at
    assert first is not None
    with clock.moved_to(clock.utcnow() + timedelta(minutes=20)):
        assert phone.get(f"/shops/{shop.id}/fill?section=1").status_code == 200
    assert _proof(session, shop).opened_at == first
    # The owner looking at the shop is no opening.
    other = _shop(session, world)
    owner = _tab(browser_factory, db, world, world.owner)
    owner.get(f"/shops/{other.id}")
    session.rollback()
    assert session.exec(select(VisitProof).where(VisitProof.shop_id == other.id)).first() is None


# --- staff never see it ----------------------------------------------------------------------


def _approved_with_check(
    browser_factory: Any, db: Database, session: Session, world: World
) -> Shop:
    _checked(session, world)
    shop = _shop(session, world)
    shop.created_at = clock.utcnow() - timedelta(hours=2)
    session.add(shop)
    session.commit()
    phone = _tab(browser_factory, db, world, world.shopper)
    sent = {"consent": True, "latitude": NORTH_120[0], "longitude": NORTH_120[1], "accuracy": 9}
    assert _start(phone, shop, sent, started_at=_phone_time(30)).status_code == 200
    for q, value in (
        (world.yes_no, True),
        (world.scale, 4),
        (world.number, 2),
        (world.choice, 1),
    ):
        services.answer_record(
            session=session,
            shop=shop,
            actor_id=world.shopper.id,  # type: ignore[arg-type]
            data=services.AnswerInput(id=uuid.uuid4(), question_id=q.id, value=value),  # type: ignore[arg-type]
        )
    services.shop_submit(session=session, shop=shop, actor_id=world.shopper.id)  # type: ignore[arg-type]
    owner = _tab(browser_factory, db, world, world.owner)
    queue = text(owner.get("/shops/review").text)
    assert "about 120 m from the location" in queue  # the owner's review queue shows it
    assert owner.form(f"/shops/{shop.id}/approve", {}).status_code == 303  # type: ignore[attr-defined]
    return shop


LEAKS = (
    "120 m",
    "from the location",
    "Location check",
    "Proof of visit",
    "declined",
    "Start the visit",
)


@pytest.mark.db
def test_staff_never_see_the_location_check_or_the_proof(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    shop = _approved_with_check(browser_factory, db, session, world)
    viewer = make_member(session, world.org, Role.viewer)
    staff = _tab(browser_factory, db, world, viewer)
    page = staff.get(f"/shops/{shop.id}")
    assert page.status_code == 200
    seen = [
        text(page.text),
        staff.get("/api/v1/shops").text,
        staff.get(f"/api/v1/shops/{shop.id}").text,
        staff.get("/reports/export/answers.csv").text,
        staff.get("/reports/export/shops.csv").text,
        staff.get("/api/v1/exports/answers.csv").text,
        staff.get("/api/v1/exports/shops.csv").text,
    ]
    for body in seen:
        for leak in LEAKS:
            assert leak not in body, leak
    assert staff.get(f"/api/v1/shops/{shop.id}/proof").status_code == 403


@pytest.mark.db
@pytest.mark.slow  # a real WeasyPrint render
def test_staff_visit_pdf_has_no_location_check(
    browser_factory: Any, db: Database, session: Session, world: World
) -> None:
    shop = _approved_with_check(browser_factory, db, session, world)
    viewer = make_member(session, world.org, Role.viewer)
    staff = _tab(browser_factory, db, world, viewer)
    pdf = " ".join(pdf_text(staff.get(f"/shops/{shop.id}/pdf").content).split())
    assert "Walking in" in pdf  # the report is there
    for leak in LEAKS:
        assert leak not in pdf, leak


# --- deleted with the contact-retention rule -------------------------------------------------


@pytest.mark.db
def test_checks_go_after_the_contact_retention_days(
    browser_factory: Any, db: Database, session: Session, world: World, settings: Settings
) -> None:
    """The settable clock moves past the organization's 30 days: the daily retention job
    (the one that removes customers' contact details) deletes the check, and only it."""
    _checked(session, world)  # 30 days
    keeper = _kept_elsewhere(session)
    shop = _shop(session, world)
    phone = _tab(browser_factory, db, world, world.shopper)
    assert _start(phone, shop, {"consent": False}).status_code == 200
    recorded = _check_row(session, shop).recorded_at  # type: ignore[union-attr]
    ctx = JobContext(settings=settings, db=db)

    with clock.moved_to(recorded + timedelta(days=30) - timedelta(minutes=1)):
        retention_job(ctx)
    assert _check_row(session, shop) is not None
    with clock.moved_to(recorded + timedelta(days=30, minutes=1)):
        assert retention_job(ctx) >= 1
    assert _check_row(session, shop) is None
    # The visit's times stay: only the location check goes.
    assert _proof(session, shop).start_at is not None
    # An organization that keeps contact details keeps its checks too.
    with clock.moved_to(recorded + timedelta(days=4000)), db.write() as s:
        assert location_checks_purge(session=s, now=clock.utcnow()) == 0
    session.rollback()
    with unscoped(session):
        assert session.get(VisitLocationCheck, keeper) is not None


def _kept_elsewhere(session: Session) -> int:
    """Another organization, keeping contact details for ever, with one old check."""
    with unscoped(session):
        org = make_org(session, contact_retention_days=None)
        place = make_location(session, org, latitude=GATE[0], longitude=GATE[1])
        tp = make_touchpoint(session, org)
        shop = make_shop(session, org, location=place, touchpoints=[tp])
        row = VisitLocationCheck(
            org_id=org.id,  # type: ignore[arg-type]
            shop_id=shop.id,  # type: ignore[arg-type]
            outcome=CheckOutcome.declined,
            recorded_at=clock.utcnow() - timedelta(days=3000),
        )
        session.add(row)
        session.commit()
        return row.id  # type: ignore[return-value]


@pytest.mark.db
def test_two_first_openings_at_once_never_fail_the_page(
    db: Database, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page and its saved copies are fetched at the same moment: when another request
    stores the opening between this one's read and its write, this one gives way."""
    from audits.proof import services as proof_services

    shop = _shop(session, world)
    earlier = clock.utcnow() - timedelta(seconds=1)
    original = proof_services._proof

    def raced(s: Session, the_shop: Shop) -> VisitProof:
        mine = original(s, the_shop)
        with db.write() as other:
            other.add(VisitProof(org_id=the_shop.org_id, shop_id=the_shop.id, opened_at=earlier))  # type: ignore[arg-type]
        return mine

    monkeypatch.setattr(proof_services, "_proof", raced)
    with db.session() as page:
        scope_session(page, world.org.id)  # type: ignore[arg-type]
        loaded = page.get(Shop, shop.id)
        assert loaded is not None
        proof_services.proof_opened(session=page, shop=loaded, now=clock.utcnow())
        assert page.get(Shop, shop.id) is not None  # the session goes on
    assert _proof(session, shop).opened_at == earlier
