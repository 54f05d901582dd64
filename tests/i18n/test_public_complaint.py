"""The public complaint page speaks the customer's language: the browser's Accept-Language,
or the switch on the page; the case remembers it, and the replies to the customer use it."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.orgs.models import Role
from recovery.replies import case_replies
from tests.conftest import Browser, sign_in
from tests.factories import make_member
from tests.recovery.test_public_form import cases, make_place, open_form, send

pytestmark = pytest.mark.db


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.complaint_min_seconds = 0
    return settings


def _get(client: Browser, path: str, accept: str | None) -> str:
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.text


def test_the_page_answers_accept_language_es_in_spanish(client: Browser, session: Session) -> None:
    place = make_place(session)
    spanish = _get(client, place.path, "es-ES,es;q=0.9,en;q=0.5")
    assert '<html lang="es">' in spanish
    assert "¿Algo no ha ido bien?" in spanish and "¿Qué ocurrió?" in spanish
    assert "borramos pasados 365 días" in spanish
    assert "Hasta 2000 caracteres." in spanish  # a number written the Spanish way
    assert "Something not right?" not in spanish
    # The script's counter gets its words from the page.
    assert 'data-count-text="{n} de {max} caracteres"' in spanish
    # What the customer types stays as typed: only the page's own words change.
    assert "Ferry Lane Bakery" in spanish and "Harbour Street" in spanish

    for accept in ("en-GB,en;q=0.9", "de-DE,fr;q=0.8", None):
        english = _get(client, place.path, accept)
        assert '<html lang="en">' in english and "Something not right?" in english


def test_the_switch_on_the_page_wins_over_the_browser(client: Browser, session: Session) -> None:
    place = make_place(session)
    html, _ = open_form(client, place.path)
    assert 'value="es"' in html and ">Español</button>" in html  # the switch, named in Spanish
    response = client.form("/language", {"language": "es", "next": place.path})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == place.path  # type: ignore[attr-defined]
    assert "¿Algo no ha ido bien?" in _get(client, place.path, "en")


def test_refusals_and_thanks_are_in_spanish_and_the_case_keeps_the_language(
    client: Browser, browser_factory: object, session: Session, db: Database
) -> None:
    place = make_place(session)
    client.headers["Accept-Language"] = "es"
    _, token = open_form(client, place.path)
    empty = send(client, place.path, token, summary="")
    assert empty.status_code == 400  # type: ignore[attr-defined]
    assert "Cuéntenos qué ocurrió, en una o dos frases." in empty.text  # type: ignore[attr-defined]
    long = send(client, place.path, token, summary="x" * 2001)
    assert "Use como máximo 2000 caracteres (este tiene 2001)." in long.text  # type: ignore[attr-defined]

    sent = send(
        client, place.path, token, customer_name="Lucía", customer_contact="lucia@example.test"
    )
    assert sent.status_code == 303  # type: ignore[attr-defined]
    thanks = client.get(sent.headers["location"])  # type: ignore[attr-defined]
    assert "Gracias por contárnoslo" in thanks.text and "Su referencia" in thanks.text

    (case,) = cases(session)
    assert case.language == "es"
    replies = {r.step: r for r in case_replies(case, place.org.name)}
    ack = replies["acknowledge"]
    assert ack.lang == "es"
    assert ack.subject == f"Sobre su experiencia con Ferry Lane Bakery (ref. {case.reference})"
    assert ack.body.startswith("Estimado/a Lucía:\n\nGracias por contarnos lo que ocurrió.")
    assert "subject=Sobre%20su%20experiencia" in ack.mailto
    assert "[diga qué se arregló o se sustituyó]" in replies["fix"].body
    assert replies["acknowledge"].title == "We heard you"  # the owner's page stays English

    # The owner, in English, sees the reply to send in Spanish, and is told why.
    owner = make_member(session, place.org, Role.owner)
    reader: Browser = browser_factory()  # type: ignore[operator]
    sign_in(reader, db, owner, place.org)
    page = reader.get(f"/recovery/{case.id}", headers={"Accept-Language": "en"}).text
    assert "Reply to the customer" in page
    assert "Written in Español, the language the customer used on the complaint page." in page
    assert "Gracias por contarnos lo que ocurrió." in page
