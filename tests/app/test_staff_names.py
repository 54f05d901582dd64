"""Staff names per location: the list's cleaning and the masking rule (app.orgs.staff_names),
the locations page and API that keep the list."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.orgs.models import Location, Role
from app.orgs.staff_names import (
    MAX_NAMES,
    MSG_NOT_TEXT,
    MSG_TOO_MANY,
    clean_staff_names,
    mask_staff,
)
from tests.conftest import Browser, login
from tests.factories import PASSWORD, make_location, make_member, make_org, make_token

# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Anna was rude", "[staff] was rude"),
        ("anna BERG was rude", "[staff] was rude"),  # any case; the full name masked once
        ("Served by Anna  Berg.", "Served by [staff]."),  # any run of spaces
        ("(Anna), then Ben!", "([staff]), then [staff]!"),  # punctuation around the name
        ("Annual sale at Annabel's; Berg Street", "Annual sale at Annabel's; Berg Street"),
        ("Ann's smile; Ann-Marie", "[staff]'s smile; [staff]-Marie"),
        ("Ben's colleague Benjamin", "[staff]'s colleague Benjamin"),
        ("Zoë helped", "[staff] helped"),  # non-ASCII names, whole words too
        ("", ""),
    ],
)
def test_mask_staff(text: str, masked: str) -> None:
    assert mask_staff(text, ["Anna Berg", "Ben", "Ann", "Zoë"]) == masked


def test_nothing_listed_leaves_the_text() -> None:
    assert mask_staff("Anna was kind", []) == "Anna was kind"
    assert mask_staff("Anna was kind", None) == "Anna was kind"


def test_an_initial_alone_is_not_masked() -> None:
    # "A. Berg" listed: the full form is masked, the single letter is not ("a" is a word).
    assert mask_staff("A. Berg gave a smile", ["A. Berg"]) == "[staff] gave a smile"


def test_names_that_look_like_patterns_are_plain_text() -> None:
    assert mask_staff("Jo (manager) and Jo", ["Jo (manager)"]) == "[staff] and [staff]"
    assert mask_staff("a.b.c", ["a*"]) == "a.b.c"


def test_the_list_is_stored_clean() -> None:
    assert clean_staff_names(" Anna Berg ,ben\n\nANNA  berg; Ben ,") == ["Anna Berg", "ben"]
    assert clean_staff_names(["  Zoë", "zoë", ""]) == ["Zoë"]
    assert clean_staff_names(None) == []


def test_the_list_has_limits() -> None:
    with pytest.raises(ValueError, match=MSG_TOO_MANY):
        clean_staff_names([f"Name {i}" for i in range(MAX_NAMES + 1)])
    with pytest.raises(ValueError, match="at most 60 characters"):
        clean_staff_names(["x" * 61])
    with pytest.raises(ValueError, match="needs at least one letter"):
        clean_staff_names("Anna, -, Ben")
    with pytest.raises(ValueError, match=re.escape(MSG_NOT_TEXT)):
        clean_staff_names([1, 2])


# --- the locations page --------------------------------------------------------------------


def test_owner_keeps_staff_names_inline(client: Browser, session: Session) -> None:
    org = make_org(session)
    login(client, make_member(session, org, Role.owner).email, PASSWORD)
    location = make_location(session, org, name="Dockside")
    form = client.get(f"/locations/{location.id}/edit", headers={"HX-Request": "true"})
    assert 'name="staff_names"' in form.text
    saved = client.htmx(
        "POST", f"/locations/{location.id}", {"name": "Dockside", "staff_names": "Anna, anna ,Ben"}
    )
    assert saved.status_code == 200, saved.text
    assert "Masked for staff: Anna, Ben" in saved.text
    session.expire_all()
    assert session.get(Location, location.id).staff_names == ["Anna", "Ben"]  # type: ignore[union-attr]
    again = client.get(f"/locations/{location.id}/edit", headers={"HX-Request": "true"})
    assert 'value="Anna, Ben"' in again.text


def test_too_many_names_are_refused_next_to_the_field(client: Browser, session: Session) -> None:
    org = make_org(session)
    login(client, make_member(session, org, Role.owner).email, PASSWORD)
    location = make_location(session, org, name="Dockside")
    names = ", ".join(f"Name {i}" for i in range(MAX_NAMES + 1))
    response = client.htmx(
        "POST", f"/locations/{location.id}", {"name": "Dockside", "staff_names": names}
    )
    assert response.status_code == 400
    assert f'id="e{location.id}-staff_names-error"' in response.text
    assert MSG_TOO_MANY in response.text
    session.expire_all()
    assert not session.get(Location, location.id).staff_names  # type: ignore[union-attr]


# --- the API -------------------------------------------------------------------------------


def test_api_keeps_the_list(client: TestClient, session: Session) -> None:
    org = make_org(session)
    auth = {
        "Authorization": f"Bearer {make_token(session, org, make_member(session, org, Role.owner))}"
    }
    created = client.post(
        "/api/v1/locations", json={"name": "Pier", "staff_names": ["Anna", " anna "]}, headers=auth
    )
    assert created.status_code == 201, created.text
    assert created.json()["staff_names"] == ["Anna"]
    loc_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/locations/{loc_id}", json={"staff_names": "Ben\nCara"}, headers=auth
    )
    assert patched.json()["staff_names"] == ["Ben", "Cara"]
    bad = client.patch(
        f"/api/v1/locations/{loc_id}",
        json={"staff_names": [f"N{i}" for i in range(MAX_NAMES + 1)]},
        headers=auth,
    )
    assert bad.status_code == 422
    assert MSG_TOO_MANY in bad.text and "staff_names" in bad.text
    assert client.get(f"/api/v1/locations/{loc_id}", headers=auth).json()["staff_names"] == [
        "Ben",
        "Cara",
    ]
    # A location without a list reads as an empty one.
    plain = client.post("/api/v1/locations", json={"name": "Quay"}, headers=auth)
    assert plain.json()["staff_names"] == []
