"""The page's language: the browser's Accept-Language, a choice made before signing in, and
a signed-in user's choice, which is remembered across logins."""

from __future__ import annotations

from sqlmodel import Session

from app.db import Database
from app.orgs.models import Role, User
from tests.conftest import Browser, login
from tests.factories import PASSWORD, make_member, make_org

SPANISH_MARK = "Ir al contenido"  # base.html's skip link, in Spanish
ENGLISH_MARK = "Skip to content"


def _page(client: Browser, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers, follow_redirects=True)
    assert response.status_code == 200
    return response.text


def test_accept_language_chooses_for_anyone(client: Browser) -> None:
    assert SPANISH_MARK in _page(client, "/login", **{"Accept-Language": "es-ES,es;q=0.9"})
    assert '<html lang="es">' in _page(client, "/login", **{"Accept-Language": "es"})
    english = _page(client, "/login", **{"Accept-Language": "en-GB"})
    assert ENGLISH_MARK in english and '<html lang="en">' in english
    assert ENGLISH_MARK in _page(client, "/login", **{"Accept-Language": "de-DE,fr;q=0.5"})
    assert ENGLISH_MARK in _page(client, "/login")


def test_a_choice_before_signing_in_wins_over_the_browser(client: Browser) -> None:
    client.refresh_csrf("/login")
    response = client.form("/language", {"language": "es", "next": "/login"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/login"  # type: ignore[attr-defined]
    assert SPANISH_MARK in _page(client, "/login", **{"Accept-Language": "en"})
    # "As my browser asks" forgets it again.
    client.form("/language", {"language": "", "next": "/login"})
    assert ENGLISH_MARK in _page(client, "/login", **{"Accept-Language": "en"})


def test_an_unknown_language_or_foreign_next_is_refused_gently(client: Browser) -> None:
    client.refresh_csrf("/login")
    response = client.form("/language", {"language": "xx", "next": "https://evil.test/"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/"  # type: ignore[attr-defined]
    page = _page(client, "/login")
    assert "Touchstone does not speak that language yet" in page
    assert ENGLISH_MARK in page


def _stored_language(db: Database, user: User) -> str | None:
    with db.session() as s:  # a session of its own sees what the app committed
        stored = s.get(User, user.id)
        assert stored is not None
        return stored.language


def test_a_signed_in_users_choice_is_remembered_across_logins(
    client: Browser, browser_factory: object, session: Session, db: Database
) -> None:
    org = make_org(session)
    user = make_member(session, org, Role.shopper)
    login(client, user.email, PASSWORD)
    assert ENGLISH_MARK in _page(client, "/", **{"Accept-Language": "en"})
    response = client.form("/language", {"language": "es", "next": "/"})
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = _page(client, "/", **{"Accept-Language": "en"})
    assert SPANISH_MARK in page and "Mis visitas" in page
    assert _stored_language(db, user) == "es"

    # Another browser, which asks for English, logs in: Spanish follows the person.
    other: Browser = browser_factory()  # type: ignore[operator]
    login(other, user.email, PASSWORD)
    assert "Mis visitas" in _page(other, "/", **{"Accept-Language": "en"})
    # The picker shows the choice; "as my browser asks" goes back to following the browser.
    account = _page(other, "/account")
    assert account.count('<option value="es" lang="es" selected>') == 2  # the menu, the card
    assert 'id="account-language"' in account and 'id="lang-pick"' in account
    other.form("/language", {"language": "", "next": "/"})
    assert "My shops" in _page(other, "/", **{"Accept-Language": "en"})
    assert "Mis visitas" in _page(other, "/", **{"Accept-Language": "es"})
    assert _stored_language(db, user) is None


def test_the_choice_made_before_logging_in_survives_the_login(
    client: Browser, session: Session
) -> None:
    org = make_org(session)
    user = make_member(session, org, Role.shopper)
    client.refresh_csrf("/login")
    client.form("/language", {"language": "es", "next": "/login"})
    login(client, user.email, PASSWORD)
    assert "Mis visitas" in _page(client, "/", **{"Accept-Language": "en"})
