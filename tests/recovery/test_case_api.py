"""The recovery-case JSON API: list with filters, read, open, correct, the steps, triage,
champion, close/reopen and the action item, with precise 4xx errors naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from actions.cases import services as case_actions
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, Role
from recovery import services
from recovery.models import RecoveryCase
from tests.conftest import Browser
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_recovery_case,
    make_token,
    make_touchpoint,
)
from touchpoints.models import ActionItem, Touchpoint

pytestmark = pytest.mark.db

API = "/api/v1/recovery-cases"


@dataclass
class Api:
    client: Browser
    token: str
    org: Organization
    location: Location
    tp: Touchpoint

    def __call__(self, method: str, path: str = "", json: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.client.request(method, API + path, json=json, headers=headers)


@pytest.fixture
def api(session: Session, client: Browser) -> Api:
    org = make_org(session, timezone="America/New_York")
    owner = make_member(session, org, Role.owner)
    location = make_location(session, org, name="Main Street")
    tp = make_touchpoint(session, org, name="Billing", team="Accounts")
    return Api(client, make_token(session, org, owner), org, location, tp)


def iso(at: datetime) -> str:
    return at.isoformat()


def test_open_read_and_list(api: Api, session: Session) -> None:
    reported = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    r = api(
        "POST",
        json={
            "summary": "Charged twice for one visit",
            "source": "phone",
            "reported_at": iso(reported),
            "location_id": api.location.id,
            "customer_contact": "555-0100",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["reference"] and len(body["reference"]) == 8
    assert body["location_name"] == "Main Street"
    assert body["touchpoint_id"] is None and body["next_step"] == "acknowledge"
    assert datetime.fromisoformat(body["deadline"]) == reported + timedelta(hours=24)
    assert body["overdue"] is False and body["fixed_within_window"] is None
    assert body["window_words"] == "21 h left" or body["window_words"].startswith("20 h 59")
    # report_day is the New York calendar day of the report.
    ny = reported.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert body["report_day"] == ny.date().isoformat()
    assert api("GET", f"/{body['id']}").json()["summary"] == "Charged twice for one visit"
    listed = api("GET").json()
    assert [c["id"] for c in listed] == [body["id"]]


def test_list_filters(api: Api, session: Session) -> None:
    now = utcnow()
    overdue = make_recovery_case(session, api.org, reported_at=now - timedelta(hours=30))
    fresh = make_recovery_case(
        session,
        api.org,
        reported_at=now - timedelta(hours=1),
        touchpoint_id=api.tp.id,
        location_id=api.location.id,
    )
    assert [c["id"] for c in api("GET", "?overdue=true").json()] == [overdue.id]
    assert [c["id"] for c in api("GET", "?overdue=false").json()] == [fresh.id]
    assert [c["id"] for c in api("GET", f"?touchpoint_id={api.tp.id}").json()] == [fresh.id]
    assert [c["id"] for c in api("GET", f"?location_id={api.location.id}").json()] == [fresh.id]
    assert [c["id"] for c in api("GET", "?status=open").json()] == [overdue.id, fresh.id]
    assert api("GET", "?status=closed").json() == []
    assert api("GET", "?status=everything").status_code == 422
    assert api("GET", "?overdue=true").json()[0]["window_words"].startswith("overdue by 6 h")


def test_every_step_then_close(api: Api, session: Session) -> None:
    case = make_recovery_case(session, api.org, reported_at=utcnow() - timedelta(hours=6))
    path = f"/{case.id}"
    fixed_at = case.reported_at + timedelta(hours=2, minutes=30)
    assert api("POST", f"{path}/acknowledge", {}).status_code == 200
    r = api("POST", f"{path}/fix", {"note": "Refunded the second charge", "at": iso(fixed_at)})
    assert r.status_code == 200
    assert r.json()["fixed_within_window"] is True
    assert r.json()["window_words"] == "fixed in 2 h 30 min"
    assert api("POST", f"{path}/surprise", {"note": "Next visit free"}).status_code == 200
    r = api("POST", f"{path}/follow-up", {"verdict": "satisfied"})
    assert r.json()["verdict"] == "satisfied"
    r = api("POST", f"{path}/close")
    assert r.status_code == 400
    assert r.json()["field"] == "touchpoint_id"
    assert r.json()["detail"].startswith("Before closing, file it under a touchpoint")
    assert api("PATCH", path, {"touchpoint_id": api.tp.id}).json()["touchpoint_id"] == api.tp.id
    triage = {
        "triage_what": "Card machine double-charged",
        "cause_category": "equipment",
        "triage_why": "The till retried after a timeout",
        "triage_change": "Update the card terminal software",
    }
    assert api("PUT", f"{path}/triage", triage).json()["next_step"] == "close"
    assert api("PUT", f"{path}/champion", {"champion": True}).json()["champion"] is True
    r = api("POST", f"{path}/action-item")
    assert r.status_code == 201
    made = r.json()
    assert made["title"] == "Update the card terminal software"
    assert made["team"] == "Accounts" and made["created"] is True
    again = api("POST", f"{path}/action-item")
    assert again.status_code == 200 and again.json()["id"] == made["id"]
    assert session.exec(select(func.count()).select_from(ActionItem)).one() == 1
    r = api("POST", f"{path}/close")
    assert r.status_code == 200 and r.json()["closed_at"] and r.json()["next_step"] == "closed"
    assert r.json()["action_item_id"] == made["id"]
    r = api("POST", f"{path}/fix", {"note": "again"})
    assert r.status_code == 409
    assert r.json() == {"detail": services.MSG_CLOSED, "field": "closed_at"}
    assert api("POST", f"{path}/reopen").json()["closed_at"] is None
    r = api("DELETE", f"{path}/follow-up")
    assert r.json()["verdict"] is None and r.json()["champion"] is False


def test_repeated_step_keeps_its_first_time(api: Api, session: Session) -> None:
    case = make_recovery_case(session, api.org)
    first = api("POST", f"/{case.id}/acknowledge", {"note": "Said sorry"}).json()
    second = api("POST", f"/{case.id}/acknowledge", {"note": "Said sorry"}).json()
    assert first["acknowledged_at"] == second["acknowledged_at"]
    assert first["updated_at"] == second["updated_at"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field", "message"),
    [
        ("POST", "/fix", {"note": "   "}, 400, "note", services.MSG_FIX_NOTE),
        ("POST", "/surprise", {"note": ""}, 422, "note", None),
        ("POST", "/follow-up", {}, 422, "verdict", None),
        ("POST", "/follow-up", {"verdict": "thrilled"}, 422, "verdict", None),
        ("POST", "/acknowledge", {"at": "2026-01-01T10:00:00"}, 422, "at", None),
        (
            "POST",
            "/acknowledge",
            {"at": "2099-01-01T10:00:00Z"},
            400,
            "at",
            services.MSG_STEP_FUTURE,
        ),
        (
            "PATCH",
            "",
            {"location_id": 2147483647},
            400,
            "location_id",
            services.MSG_LOCATION_UNKNOWN,
        ),
        ("PATCH", "", {"location_id": 2147483648}, 422, "location_id", None),
        ("PATCH", "", {"summary": ""}, 422, "summary", None),
        (
            "PATCH",
            "",
            {"reported_at": "1850-01-01T00:00:00Z"},
            400,
            "reported_at",
            services.MSG_TOO_EARLY,
        ),
        ("PUT", "/triage", {"cause_category": "bad luck"}, 422, "cause_category", None),
        ("PUT", "/triage", {"triage_why": "a\u0000b"}, 422, "triage_why", None),
        ("PUT", "/champion", {}, 422, "champion", None),
        ("POST", "/action-item", None, 400, "touchpoint_id", case_actions.MSG_ACTION_NO_TOUCHPOINT),
    ],
)
def test_errors_name_the_field(
    api: Api,
    session: Session,
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str,
    message: str | None,
) -> None:
    case = make_recovery_case(session, api.org)
    r = api(method, f"/{case.id}{path}", body)
    assert r.status_code == status, r.text
    detail = r.json()
    if status == 422:
        assert any(e["loc"][-1] == field for e in detail["detail"]), detail
    else:
        assert detail == {"detail": message, "field": field}


def test_open_errors(api: Api) -> None:
    r = api("POST", json={"summary": "x", "reported_at": iso(utcnow() + timedelta(hours=2))})
    assert r.json() == {"detail": services.MSG_REPORTED_FUTURE, "field": "reported_at"}
    r = api("POST", json={"summary": "   "})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "summary"
    r = api("POST", json={"summary": "x", "touchpoint_id": 999999})
    assert r.json() == {"detail": services.MSG_TOUCHPOINT_UNKNOWN, "field": "touchpoint_id"}
    r = api("POST", json={"summary": "x", "reported_at": "2026-11-01T10:00:00"})
    assert r.status_code == 422  # a time without its offset


def test_other_orgs_and_other_roles(api: Api, session: Session) -> None:
    case = make_recovery_case(session, api.org)
    other = make_org(session)
    stranger = make_token(session, other, make_member(session, other, Role.owner))
    headers = {"Authorization": f"Bearer {stranger}"}
    assert api.client.get(f"{API}/{case.id}", headers=headers).status_code == 404
    assert api.client.get(API, headers=headers).json() == []
    viewer = make_token(session, api.org, make_member(session, api.org, Role.viewer))
    r = api.client.get(API, headers={"Authorization": f"Bearer {viewer}"})
    assert r.status_code == 403
    session.rollback()
    assert session.get(RecoveryCase, case.id) is not None


def test_datetime_extremes_are_refused_not_crashed(api: Api) -> None:
    for value in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        r = api("POST", json={"summary": "x", "reported_at": value})
        assert r.status_code == 400, r.text
        assert r.json()["field"] == "reported_at"
    assert datetime(2000, 1, 1, tzinfo=UTC) == services.EARLIEST
