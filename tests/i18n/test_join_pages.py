"""The pages a shopper meets on the way in, before any choice of language: joining from an
invite link and the two-step code page, in the browser's Spanish."""

from __future__ import annotations

from sqlmodel import Session

from app.db import Database
from app.orgs.models import Role
from tests.app.test_auth import submit_login
from tests.app.test_two_step import turn_on
from tests.conftest import Browser
from tests.factories import PASSWORD, make_invite, make_member, make_org


def test_the_invite_page_in_spanish(client: Browser, session: Session) -> None:
    org = make_org(session, name="Meadow Vets")
    _, raw = make_invite(session, org, email="sam@example.com", role=Role.shopper)
    page = client.get(f"/invite/{raw}", headers={"Accept-Language": "es-ES"})
    assert page.status_code == 200
    assert "<h1>Unirse a Meadow Vets</h1>" in page.text
    assert (
        "Le han invitado como <strong>cliente misterioso</strong> con "
        "<strong>sam@example.com</strong>." in page.text
    )
    assert "Repita la contraseña" in page.text
    assert "Este enlace sirve una sola vez y caduca el" in page.text
    assert "You were invited" not in page.text


def test_the_code_page_in_spanish(client: Browser, db: Database, session: Session) -> None:
    org = make_org(session)
    user = make_member(session, org, Role.shopper)
    turn_on(db, user)
    client.headers["Accept-Language"] = "es"
    assert submit_login(client, user.email, PASSWORD).headers["location"] == "/login/code"
    page = client.get("/login/code")
    assert page.status_code == 200
    assert "<h1>Introduzca su código</h1>" in page.text
    assert "Volver a empezar con su correo electrónico" in page.text
    assert "Enter your code" not in page.text
