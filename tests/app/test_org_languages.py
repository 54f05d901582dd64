"""An organization's checklist languages and report language: the settings page (message next
to the field) and the API (422 naming the field); nothing changes on a refusal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session

from app.orgs.languages import MSG_LANGUAGES_EMPTY, clean_languages, language_name
from app.orgs.models import Organization, Role, User
from tests.conftest import Browser, sign_in
from tests.factories import make_member, make_org, make_token

pytestmark = pytest.mark.db

FORM = {
    "name": "Hotel Sol",
    "timezone": "Europe/Madrid",
    "alert_margin": "10",
    "near_target": "5",
    "retention": "days",
    "contact_retention_days": "365",
}


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Hotel Sol", timezone="Europe/Madrid")


@pytest.fixture
def owner(session: Session, org: Organization) -> User:
    return make_member(session, org, Role.owner)


@pytest.fixture
def page(browser_factory: Any, db: Any, owner: User, org: Organization) -> Browser:
    return sign_in(browser_factory(), db, owner, org)


def _stored(session: Session, org: Organization) -> tuple[list[str], str]:
    session.commit()
    session.refresh(org)
    return list(org.languages), org.report_language


def test_a_new_organization_writes_and_prints_in_english(org: Organization) -> None:
    assert (org.languages, org.report_language, org.primary_language) == (["en"], "en", "en")


def test_language_names_come_from_babel() -> None:
    assert [language_name(c) for c in ("en", "es", "de", "fr")] == [
        "English",
        "Español",
        "Deutsch",
        "Français",
    ]
    assert clean_languages("es, EN de") == ["es", "en", "de"]
    with pytest.raises(ValueError, match=MSG_LANGUAGES_EMPTY):
        clean_languages([])


def test_owner_chooses_languages_on_the_settings_page(
    page: Browser, session: Session, org: Organization
) -> None:
    html = page.get("/settings").text
    assert '<option value="es">Español (es)</option>' in html
    saved = page.form(
        "/settings",
        {
            **FORM,
            "primary_language": "en",
            "other_languages": ["es", "de", "en"],
            "report_language": "es",
        },
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert _stored(session, org) == (["en", "es", "de"], "es")
    html = page.get("/settings").text
    assert 'name="other_languages" value="es" checked' in html
    assert '<option value="es" selected>Español (es)</option>' in html


def test_a_report_language_outside_the_checklist_languages_is_refused_next_to_it(
    page: Browser, session: Session, org: Organization
) -> None:
    refused = page.form("/settings", {**FORM, "primary_language": "en", "report_language": "fr"})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    message = re.search(
        r'<p class="error" id="f-report_language-error">([^<]*)</p>',
        refused.text,  # type: ignore[attr-defined]
    )
    assert message and "add “fr” to them first" in message.group(1)
    assert _stored(session, org) == (["en"], "en")


def test_an_older_form_without_the_languages_leaves_them_alone(
    page: Browser, session: Session, org: Organization
) -> None:
    org.languages = ["es", "en"]
    org.report_language = "en"
    session.add(org)
    session.commit()
    assert page.form("/settings", FORM).status_code == 303  # type: ignore[attr-defined]
    assert _stored(session, org) == (["es", "en"], "en")


@pytest.fixture
def api(client: Browser, session: Session, org: Organization, owner: User) -> Any:
    headers = {"Authorization": f"Bearer {make_token(session, org, owner)}"}

    def patch(body: dict[str, Any]) -> Any:
        return client.patch("/api/v1/organization/settings", json=body, headers=headers)

    return patch


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"languages": []}, "languages", "at least one language"),
        ({"languages": ["en", "xx"]}, "languages", "“xx” is not a language code"),
        ({"languages": ["en", "es", "en"]}, "languages", "twice"),
        ({"languages": "en"}, "languages", None),
        ({"report_language": "de"}, "report_language", "add “de” to them first"),
    ],
)
def test_api_refuses_bad_languages_with_a_422_naming_the_field(
    api: Any, session: Session, org: Organization, body: dict[str, Any], field: str, words: Any
) -> None:
    response = api(body)
    if body == {"languages": "en"}:  # a string is read as a list of codes, as on the form
        assert response.status_code == 200 and response.json()["languages"] == ["en"]
        return
    assert response.status_code == 422, response.text
    detail = response.json()
    if "field" in detail:
        assert detail["field"] == field and words in detail["detail"]
    else:
        assert detail["detail"][0]["loc"][-1] == field and words in detail["detail"][0]["msg"]
    assert _stored(session, org) == (["en"], "en")


def test_api_sets_languages_and_a_shorter_list_moves_the_report_language(
    api: Any, session: Session, org: Organization
) -> None:
    both = api({"languages": ["en", "es"], "report_language": "es"})
    assert both.status_code == 200
    assert (both.json()["languages"], both.json()["report_language"]) == (["en", "es"], "es")
    # Dropping Spanish leaves the reports in the (new) primary language, never stranded.
    fewer = api({"languages": ["en"]})
    assert (fewer.json()["languages"], fewer.json()["report_language"]) == (["en"], "en")
