"""Locations: the owner's inline pages and the JSON API, with their rules."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.orgs import services
from app.orgs.models import Location, Organization, Role
from tests.conftest import Browser, login
from tests.factories import PASSWORD, make_location, make_member, make_org, make_token


def _owner(session: Session, client: Browser) -> Organization:
    org = make_org(session, name="Harbour Cafés")
    owner = make_member(session, org, Role.owner)
    login(client, owner.email, PASSWORD)
    return org


def _names(session: Session, org: Organization) -> list[str]:
    session.expire_all()
    rows = session.exec(select(Location).where(Location.org_id == org.id).order_by(Location.name))
    return [loc.name for loc in rows]


def test_owner_adds_a_location_inline(client: Browser, session: Session) -> None:
    org = _owner(session, client)
    response = client.htmx(
        "POST", "/locations", {"name": "  Quay Street ", "address": "1 Quay St", "region": "West"}
    )
    assert response.status_code == 200
    # htmx gets only the panel, not a whole page.
    assert "<html" not in response.text
    assert 'id="locations-panel"' in response.text
    assert "Added Quay Street." in response.text
    assert "1 location" in response.text
    assert _names(session, org) == ["Quay Street"]


def test_empty_name_is_refused_next_to_the_field(client: Browser, session: Session) -> None:
    org = _owner(session, client)
    response = client.htmx("POST", "/locations", {"name": "   ", "address": "Somewhere"})
    assert response.status_code == 400
    assert 'id="f-name-error"' in response.text
    assert "Enter a name for the location." in response.text
    # What was typed stays in the form.
    assert 'value="Somewhere"' in response.text
    assert _names(session, org) == []


def test_duplicate_name_is_refused_next_to_the_field(client: Browser, session: Session) -> None:
    org = _owner(session, client)
    make_location(session, org, name="Old Town")
    response = client.htmx("POST", "/locations", {"name": "Old Town"})
    assert response.status_code == 400
    assert services.MSG_LOCATION_NAME_TAKEN % {"name": "Old Town"} in response.text.replace(
        "&#39;", "'"
    )
    assert _names(session, org) == ["Old Town"]


def test_edit_inline_then_save(client: Browser, session: Session) -> None:
    org = _owner(session, client)
    location = make_location(session, org, name="Dockside", region="East")
    form = client.get(f"/locations/{location.id}/edit", headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert 'value="Dockside"' in form.text
    saved = client.htmx(
        "POST", f"/locations/{location.id}", {"name": "Dockside Market", "region": "East"}
    )
    assert saved.status_code == 200
    assert "Dockside Market" in saved.text
    assert "Saved" in saved.text
    assert _names(session, org) == ["Dockside Market"]


def test_edit_with_empty_name_keeps_the_old_row(client: Browser, session: Session) -> None:
    org = _owner(session, client)
    location = make_location(session, org, name="Dockside")
    response = client.htmx("POST", f"/locations/{location.id}", {"name": "", "region": "East"})
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert _names(session, org) == ["Dockside"]


def test_delete_removes_only_that_location(client: Browser, session: Session) -> None:
    org = _owner(session, client)
    keep = make_location(session, org, name="Keep")
    gone = make_location(session, org, name="Gone")
    response = client.htmx("POST", f"/locations/{gone.id}/delete")
    assert response.status_code == 200
    assert "Gone" not in response.text
    assert keep.name in response.text
    assert _names(session, org) == ["Keep"]


def test_locations_page_lists_only_this_org(client: Browser, session: Session) -> None:
    org = _owner(session, client)
    make_location(session, org, name="Ours")
    other = make_org(session, name="Someone Else")
    make_location(session, other, name="Theirs")
    page = client.get("/locations")
    assert page.status_code == 200
    assert "Ours" in page.text
    assert "Theirs" not in page.text


# --- API ---------------------------------------------------------------------------------


def _api(client: TestClient, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_crud(client: Browser, session: Session) -> None:
    org = make_org(session)
    owner = make_member(session, org, Role.owner)
    auth = _api(client, make_token(session, org, owner))

    created = client.post(
        "/api/v1/locations", json={"name": "North Pier", "region": "Coast"}, headers=auth
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "North Pier" and body["region"] == "Coast" and body["address"] == ""
    loc_id = body["id"]

    listed = client.get("/api/v1/locations", headers=auth).json()
    assert [loc["name"] for loc in listed] == ["North Pier"]

    patched = client.patch(f"/api/v1/locations/{loc_id}", json={"address": "Pier Rd"}, headers=auth)
    assert patched.status_code == 200
    assert patched.json()["address"] == "Pier Rd" and patched.json()["name"] == "North Pier"

    assert client.delete(f"/api/v1/locations/{loc_id}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/locations/{loc_id}", headers=auth).status_code == 404
    assert _names(session, org) == []


def test_api_duplicate_name_is_409_with_field(client: Browser, session: Session) -> None:
    org = make_org(session)
    owner = make_member(session, org, Role.owner)
    make_location(session, org, name="Twin")
    response = client.post(
        "/api/v1/locations",
        json={"name": "Twin"},
        headers=_api(client, make_token(session, org, owner)),
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": services.MSG_LOCATION_NAME_TAKEN % {"name": "Twin"},
        "field": "name",
    }


def test_api_rejects_bad_input_precisely(client: Browser, session: Session) -> None:
    org = make_org(session)
    owner = make_member(session, org, Role.owner)
    auth = _api(client, make_token(session, org, owner))
    blank = client.post("/api/v1/locations", json={"name": "   "}, headers=auth)
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["loc"] == ["body", "name"]
    too_long = client.post("/api/v1/locations", json={"name": "x" * 121}, headers=auth)
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "name"]
    not_int = client.get("/api/v1/locations/abc", headers=auth)
    assert not_int.status_code == 422
    assert _names(session, org) == []


def test_viewer_reads_but_cannot_write_shopper_cannot_read(
    client: Browser, session: Session
) -> None:
    org = make_org(session)
    make_location(session, org, name="Visible")
    viewer = _api(client, make_token(session, org, make_member(session, org, Role.viewer)))
    shopper = _api(client, make_token(session, org, make_member(session, org, Role.shopper)))
    assert [x["name"] for x in client.get("/api/v1/locations", headers=viewer).json()] == [
        "Visible"
    ]
    denied = client.post("/api/v1/locations", json={"name": "Nope"}, headers=viewer)
    assert denied.status_code == 403
    assert denied.json()["detail"] == "Your role in this organization does not allow this."
    assert client.get("/api/v1/locations", headers=shopper).status_code == 403
    assert _names(session, org) == ["Visible"]


def test_a_region_typed_in_other_capitals_joins_the_one_there_is(
    client: Browser, session: Session
) -> None:
    """Reports group by region: "north" next to "North" would split one region in two."""
    org = _owner(session, client)
    make_location(session, org, name="Harbour", region="North Coast")
    other_org = make_org(session, name="Elsewhere")
    make_location(session, other_org, name="Far", region="NORTH SHORE")

    page = client.get("/locations")
    assert '<option value="North Coast">' in page.text  # offered as the list to pick from
    assert "NORTH SHORE" not in page.text  # another organization's regions are not
    client.htmx("POST", "/locations", {"name": "Quay", "region": "  north   coast "})
    client.htmx("POST", "/locations", {"name": "Pier", "region": "north shore"})
    edited = make_location(session, org, name="Market", region="")
    client.htmx("POST", f"/locations/{edited.id}", {"name": "Market", "region": "NORTH coast"})

    session.expire_all()
    regions = {
        loc.name: loc.region
        for loc in session.exec(select(Location).where(Location.org_id == org.id))
    }
    assert regions == {
        "Harbour": "North Coast",
        "Quay": "North Coast",
        "Market": "North Coast",
        "Pier": "north shore",  # new here: as typed, not the other organization's spelling
    }
