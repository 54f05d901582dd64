"""The organization's settings: the owner page (messages next to the field) and the API
(422 naming the field), who may use them, and a time-zone change moving the report days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

from app.orgs.models import Organization, Role, User
from app.orgs.settings.routes import MSG_MARGIN, MSG_NAME, MSG_NEAR, MSG_RETENTION
from audits.models import Shop, ShopStatus
from recovery.models import RecoveryCase
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_recovery_case,
    make_token,
)

pytestmark = pytest.mark.db

GOOD = {
    "name": "Lantern Books",
    "timezone": "Europe/London",
    "alert_margin": "10",
    "near_target": "5",
    "retention": "days",
    "contact_retention_days": "365",
}


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Lantern Books", timezone="Europe/London")


@pytest.fixture
def owner(session: Session, org: Organization) -> User:
    return make_member(session, org, Role.owner)


@pytest.fixture
def page(browser_factory: Any, db: Any, owner: User, org: Organization) -> Browser:
    return sign_in(browser_factory(), db, owner, org)


def _reload(session: Session, org: Organization) -> None:
    """Read the organization as stored now (ending this session's read snapshot first)."""
    session.commit()
    session.refresh(org)


def _error_of(html: str, name: str) -> str | None:
    """The message shown right under field `name` (the macro's error paragraph)."""
    found = re.search(rf'<p class="error" id="f-{name}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


def test_the_page_shows_the_current_settings_and_why_contacts_go(
    page: Browser, session: Session, org: Organization
) -> None:
    org.alert_margin = 15
    org.contact_retention_days = None
    session.add(org)
    session.commit()

    html = page.get("/settings").text

    assert 'name="name" type="text" value="Lantern Books"' in html
    assert 'value="Europe/London"' in html and '<option value="America/Chicago">' in html
    assert 'id="f-alert_margin" name="alert_margin" type="text" value="15"' in html
    assert 'value="keep" checked' in html
    assert "data-protection law" in html  # the sentence on why details are removed


def test_saving_changes_every_setting(page: Browser, session: Session, org: Organization) -> None:
    response = page.form(
        "/settings",
        {
            **GOOD,
            "name": "  Lantern & Co  ",
            "alert_margin": "0",
            "near_target": "3",
            "contact_retention_days": "30",
        },
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    _reload(session, org)
    assert (org.name, org.alert_margin, org.near_target, org.contact_retention_days) == (
        "Lantern & Co",
        0,
        3,
        30,
    )
    assert "Settings saved." in page.get("/settings").text

    page.form("/settings", {**GOOD, "retention": "keep", "contact_retention_days": "nonsense"})
    _reload(session, org)
    assert org.contact_retention_days is None  # "keep" ignores the number box
    again = page.get("/settings").text  # and the page reads the choice back
    assert 'value="keep" checked' in again and 'value="days" checked' not in again
    assert 'name="contact_retention_days" type="text" value="365"' in again


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", MSG_NAME),
        ("name", "x" * 121, MSG_NAME),
        ("timezone", "Mars/Olympus", None),
        ("alert_margin", "-1", MSG_MARGIN),
        ("alert_margin", "101", MSG_MARGIN),
        ("alert_margin", "ten", MSG_MARGIN),
        ("alert_margin", "", MSG_MARGIN),
        ("near_target", "-1", MSG_NEAR),
        ("near_target", "101", MSG_NEAR),
        ("near_target", "2.5", MSG_NEAR),
        ("near_target", "", MSG_NEAR),
        ("contact_retention_days", "0", MSG_RETENTION),
        ("contact_retention_days", "3651", MSG_RETENTION),
        ("contact_retention_days", "1.5", MSG_RETENTION),
        ("contact_retention_days", "", MSG_RETENTION),
    ],
)
def test_a_bad_value_is_refused_with_its_message_next_to_the_field(
    page: Browser, session: Session, org: Organization, field: str, value: str, message: str | None
) -> None:
    response = page.form("/settings", {**GOOD, field: value})

    assert response.status_code == 400  # type: ignore[attr-defined]
    shown = _error_of(response.text, field)  # type: ignore[attr-defined]
    if message is None:
        assert shown and "Unknown time zone &#39;Mars/Olympus&#39;" in shown
    else:
        assert shown == message.replace("'", "&#39;")
    # What was typed stays in the form, nothing is stored.
    assert 'aria-invalid="true"' in response.text  # type: ignore[attr-defined]
    _reload(session, org)
    assert (org.name, org.timezone, org.alert_margin) == ("Lantern Books", "Europe/London", 10)


def test_the_boundaries_are_accepted(page: Browser, session: Session, org: Organization) -> None:
    for margin, days in [("0", "1"), ("100", "3650")]:
        response = page.form(
            "/settings", {**GOOD, "alert_margin": margin, "contact_retention_days": days}
        )
        assert response.status_code == 303  # type: ignore[attr-defined]
        _reload(session, org)
        assert (org.alert_margin, org.contact_retention_days) == (int(margin), int(days))


def test_a_new_time_zone_moves_shops_and_cases_to_their_days_there(
    page: Browser, session: Session, org: Organization
) -> None:
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # London (GMT+1 in BST): 1 April 00:30
    location = make_location(session, org)
    shop = Shop(
        org_id=org.id,  # type: ignore[arg-type]
        location_id=location.id,  # type: ignore[arg-type]
        status=ShopStatus.approved,
        visited_at=late,
        approved_at=late,
    )
    session.add(shop)
    session.commit()
    case = make_recovery_case(session, org, reported_at=late)
    assert shop.report_day == date(2026, 4, 1) and case.report_day == date(2026, 4, 1)

    response = page.form("/settings", {**GOOD, "timezone": "America/New_York"})
    assert response.status_code == 303  # type: ignore[attr-defined]

    session.expire_all()
    stored_shop = session.get(Shop, shop.id)
    stored_case = session.get(RecoveryCase, case.id)
    assert stored_shop is not None and stored_shop.report_day == date(2026, 3, 31)
    assert stored_case is not None and stored_case.report_day == date(2026, 3, 31)
    assert "now count on their days in America/New_York" in page.get("/settings").text


def test_only_owners_reach_the_page(
    browser_factory: Any, db: Any, session: Session, org: Organization
) -> None:
    for role in (Role.viewer, Role.shopper):
        member = make_member(session, org, role)
        client = sign_in(browser_factory(), db, member, org)
        assert client.get("/settings").status_code == 403
        assert client.form("/settings", GOOD).status_code == 403  # type: ignore[attr-defined]


# --- API -----------------------------------------------------------------------------------


def _bearer(session: Session, org: Organization, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(session, org, user)}"}


def test_api_reads_and_patches_the_settings(
    client: Browser, session: Session, org: Organization, owner: User
) -> None:
    auth = _bearer(session, org, owner)
    assert client.get("/api/v1/organization/settings", headers=auth).json() == {
        "name": "Lantern Books",
        "timezone": "Europe/London",
        "alert_margin": 10,
        "near_target": 5,
        "contact_retention_days": 365,
        "owners_two_step": False,
        "languages": ["en"],
        "report_language": "en",
        "location_check": False,
    }

    changed = client.patch(
        "/api/v1/organization/settings",
        json={
            "alert_margin": 25,
            "near_target": 0,
            "contact_retention_days": None,
            "location_check": True,
        },
        headers=auth,
    )
    assert changed.status_code == 200
    assert changed.json() == {
        "name": "Lantern Books",
        "timezone": "Europe/London",
        "alert_margin": 25,
        "near_target": 0,
        "contact_retention_days": None,
        "owners_two_step": False,
        "languages": ["en"],
        "report_language": "en",
        "location_check": True,
    }
    _reload(session, org)
    assert (org.alert_margin, org.near_target, org.contact_retention_days) == (25, 0, None)
    assert org.location_check is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alert_margin": 101}, "alert_margin"),
        ({"alert_margin": -1}, "alert_margin"),
        ({"alert_margin": True}, "alert_margin"),
        ({"alert_margin": "lots"}, "alert_margin"),
        ({"alert_margin": None}, "alert_margin"),
        ({"near_target": 101}, "near_target"),
        ({"near_target": 2.5}, "near_target"),
        ({"near_target": None}, "near_target"),
        ({"contact_retention_days": 0}, "contact_retention_days"),
        ({"contact_retention_days": 3651}, "contact_retention_days"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"colour": "blue"}, "colour"),
        ({"location_check": "yes"}, "location_check"),
        ({"location_check": 1}, "location_check"),
        ({"location_check": None}, "location_check"),
    ],
)
def test_api_refuses_a_bad_value_with_422_naming_the_field(
    client: Browser,
    session: Session,
    org: Organization,
    owner: User,
    body: dict[str, object],
    field: str,
) -> None:
    response = client.patch(
        "/api/v1/organization/settings", json=body, headers=_bearer(session, org, owner)
    )

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
    _reload(session, org)
    assert (org.alert_margin, org.timezone, org.name) == (10, "Europe/London", "Lantern Books")


def test_api_is_for_owners_only(client: Browser, session: Session, org: Organization) -> None:
    viewer = _bearer(session, org, make_member(session, org, Role.viewer))
    assert client.get("/api/v1/organization/settings", headers=viewer).status_code == 403
    response = client.patch(
        "/api/v1/organization/settings", json={"alert_margin": 5}, headers=viewer
    )
    assert response.status_code == 403
