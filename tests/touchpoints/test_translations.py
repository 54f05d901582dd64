"""Checklists in several languages: translations keep the version unless the meaning changed,
the wording falls back to the primary language with a mark, and a language the organization
does not use is refused next to the field (pages) and with a 422 naming it (API)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import Database
from app.errors import InvalidError
from app.orgs.models import Organization, Role
from app.tenancy import scope_session
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_answer,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_token,
    make_touchpoint,
)
from touchpoints import services as journey
from touchpoints.models import Question, QuestionFields, QuestionStatus, Touchpoint
from touchpoints.translations import queries
from touchpoints.translations.models import QuestionTranslationUpdate, TouchpointTranslation
from touchpoints.translations.services import (
    MSG_OPTIONS_COUNT,
    question_translate,
    touchpoint_translate,
)

API = "/api/v1"
CHOICE = {
    "text": "Which drink were you offered?",
    "kind": "choice",
    "guidance": "Count only what was offered unasked.",
    "options": [{"label": "Water", "points": 1}, {"label": "Coffee", "points": 2}],
}


@pytest.fixture
def org(session: Session) -> Organization:
    org = make_org(session, name="Hotel Sol", languages=["en", "es", "de"], report_language="es")
    scope_session(session, org.id)  # type: ignore[arg-type]
    return org


def _translate(session: Session, org: Organization, q: Question, lang: str, **parts: Any) -> Any:
    return question_translate(
        session=session,
        org=org,
        question=q,
        language=lang,
        data=QuestionTranslationUpdate(**parts),
    )


def test_a_translation_fix_keeps_the_version_and_its_answers(
    session: Session, org: Organization
) -> None:
    tp = make_touchpoint(session, org)
    q = make_question(session, tp, **CHOICE)
    make_answer(session, make_shop(session, org, touchpoints=[tp]), q, value=1)
    first = _translate(session, org, q, "es", text="¿Qué bebida le ofrecieron?")
    fixed = _translate(
        session, org, q, "es", text="¿Qué bebida le ofrecieron?", options=["Agua", "Café"]
    )
    assert first.id == fixed.id == q.id and fixed.version == 1
    assert fixed.translations == {
        "es": {"text": "¿Qué bebida le ofrecieron?", "options": ["Agua", "Café"]}
    }
    # Still one version: the answer keeps counting for it.
    assert len(session.exec(select(Question).where(Question.lineage == q.lineage)).all()) == 1


def test_meaning_changed_makes_a_new_version_once_answered(
    session: Session, org: Organization
) -> None:
    tp = make_touchpoint(session, org)
    q = make_question(session, tp, **CHOICE)
    _translate(session, org, q, "de", text="Welches Getränk?")
    make_answer(session, make_shop(session, org, touchpoints=[tp]), q, value=1)
    new = _translate(
        session, org, q, "es", text="¿Qué le sirvieron sin pedirlo?", meaning_changed=True
    )
    assert new.id != q.id and new.version == 2 and new.lineage == q.lineage
    session.refresh(q)
    assert q.status == QuestionStatus.superseded and "es" not in (q.translations or {})
    # The new version keeps everything else, the other languages included.
    assert (new.text, new.config, new.position) == (q.text, q.config, q.position)
    assert new.translations == {
        "de": {"text": "Welches Getränk?"},
        "es": {"text": "¿Qué le sirvieron sin pedirlo?"},
    }


def test_meaning_changed_on_an_unanswered_question_keeps_its_version(
    session: Session, org: Organization
) -> None:
    q = make_question(session, make_touchpoint(session, org))
    assert _translate(session, org, q, "es", text="¿Bien?", meaning_changed=True).id == q.id


def test_wording_falls_back_to_the_primary_language_with_a_mark(
    session: Session, org: Organization
) -> None:
    q = make_question(session, make_touchpoint(session, org), **CHOICE)
    _translate(session, org, q, "es", text="¿Qué bebida?", options=["Agua", ""])
    es = queries.question_wording(q, "es", "en")
    assert (es.text, es.guidance, es.options) == (
        "¿Qué bebida?",
        "Count only what was offered unasked.",
        ["Agua", "Coffee"],
    )
    assert es.missing == {"guidance", "options"}
    de = queries.question_wording(q, "de", "en")
    assert de.text == CHOICE["text"] and de.untranslated
    assert not queries.question_wording(q, "en", "en").untranslated
    assert queries.question_untranslated(q, "es") == ["guidance", "options"]


def test_a_language_the_organization_does_not_use_is_refused(
    session: Session, org: Organization
) -> None:
    q = make_question(session, make_touchpoint(session, org))
    for code in ("fr", "en", "zz"):
        with pytest.raises(InvalidError) as refused:
            _translate(session, org, q, code, text="Bonjour")
        assert refused.value.field == "language"
    with pytest.raises(InvalidError, match="does not write checklists in “fr”"):
        _translate(session, org, q, "fr", text="Bonjour")
    session.refresh(q)
    assert q.translations is None


def test_option_labels_must_match_the_options(session: Session, org: Organization) -> None:
    q = make_question(session, make_touchpoint(session, org), **CHOICE)
    with pytest.raises(InvalidError, match=(MSG_OPTIONS_COUNT % {"n": 2})[:20]) as refused:
        _translate(session, org, q, "es", options=["Agua", "Café", "Té"])
    assert refused.value.field == "options"
    yes_no = make_question(session, make_touchpoint(session, org))
    with pytest.raises(InvalidError) as refused:
        _translate(session, org, yes_no, "es", scale_labels=["a"] * 5)
    assert refused.value.field == "scale_labels"


def test_editing_the_primary_wording_drops_only_that_part_s_translations(
    session: Session, org: Organization
) -> None:
    q = make_question(session, make_touchpoint(session, org), **CHOICE)
    _translate(session, org, q, "es", text="¿Qué bebida?", options=["Agua", "Café"])
    fields = QuestionFields.model_validate({**CHOICE, "text": "Which drinks were offered?"})
    edited = journey.question_update(session=session, question=q, fields=fields)
    assert edited.translations == {"es": {"options": ["Agua", "Café"]}}


def test_touchpoint_name_translation(session: Session, org: Organization) -> None:
    tp = make_touchpoint(session, org, name="Check-in")
    assert queries.touchpoint_untranslated(tp, "es")
    touchpoint_translate(
        session=session,
        org=org,
        touchpoint=tp,
        language="es",
        data=TouchpointTranslation(name="Registro"),
    )
    assert queries.touchpoint_name(tp, "es") == "Registro"
    assert queries.touchpoint_name(tp, "de") == "Check-in"
    status = queries.translation_status(tp, [], ["en", "es", "de"])
    assert [(s.language, s.touchpoint_untranslated) for s in status] == [
        ("en", False),
        ("es", False),
        ("de", True),
    ]


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def api(client: Browser, session: Session) -> tuple[Browser, Organization, dict[str, str], Any]:
    org = make_org(session, name="Hotel Sol", languages=["en", "es"])
    user = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org)
    return client, org, {"Authorization": f"Bearer {make_token(session, org, user)}"}, tp


def test_api_translates_a_question_and_reports_what_is_missing(api: Any, session: Session) -> None:
    client, org, headers, tp = api
    q = make_question(session, tp, **CHOICE)
    response = client.put(
        f"{API}/questions/{q.id}/translations/es",
        json={"text": "¿Qué bebida?", "options": ["Agua", "Café"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["question_id"], body["new_version"], body["untranslated"]) == (
        q.id,
        False,
        ["guidance"],
    )
    listing = client.get(f"{API}/touchpoints/{tp.id}/translations", headers=headers).json()
    assert listing["languages"][1] | {"questions": 1} == {
        "language": "es",
        "name": "Español",
        "primary": False,
        "questions": 1,
        "untranslated": 1,
        "touchpoint_untranslated": True,
    }
    read = client.get(f"{API}/questions/{q.id}", headers=headers).json()
    assert read["translations"]["es"]["options"] == ["Agua", "Café"]


@pytest.mark.parametrize(
    ("language", "body", "field"),
    [
        ("fr", {"text": "Quelle boisson ?"}, "language"),
        ("en", {"text": "Which drink?"}, "language"),
        ("es", {"options": ["Agua"]}, "options"),
    ],
)
def test_api_refuses_a_bad_translation_with_a_422_naming_the_field(
    api: Any, session: Session, language: str, body: dict[str, Any], field: str
) -> None:
    client, org, headers, tp = api
    q = make_question(session, tp, **CHOICE)
    response = client.put(
        f"{API}/questions/{q.id}/translations/{language}", json=body, headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    session.expire_all()
    assert session.get(Question, q.id).translations is None  # type: ignore[union-attr]


def test_api_touchpoint_name_refuses_an_unused_language(api: Any, session: Session) -> None:
    client, org, headers, tp = api
    ok = client.put(
        f"{API}/touchpoints/{tp.id}/translations/es", json={"name": "Registro"}, headers=headers
    )
    assert ok.status_code == 200 and ok.json() == {"name": "Registro", "description": ""}
    bad = client.put(
        f"{API}/touchpoints/{tp.id}/translations/de", json={"name": "X"}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["field"] == "language"
    assert "does not write checklists in “de”" in bad.json()["detail"]


# --- the touchpoint page's card ------------------------------------------------------------


def test_owner_translates_on_the_touchpoint_page(
    db: Database, session: Session, client: Browser
) -> None:
    org = make_org(session, name="Hotel Sol", languages=["en", "es"])
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org)
    q1 = make_question(session, tp, text="Were you greeted?")
    make_question(session, tp, text="Was the room ready?")
    sign_in(client, db, owner, org)
    page = client.get(f"/touchpoints/{tp.id}")
    assert f'hx-get="/touchpoints/{tp.id}/translations"' in page.text
    card = client.get(f"/touchpoints/{tp.id}/translations")
    assert "Español" in card.text and "2 of 2 questions untranslated" in card.text
    form = client.htmx("GET", f"/questions/{q1.id}/translations/es/edit")
    assert 'name="meaning_changed"' in form.text  # type: ignore[attr-defined]
    saved = client.htmx("POST", f"/questions/{q1.id}/translations/es", {"text": "¿Le saludaron?"})
    assert saved.status_code == 200  # type: ignore[attr-defined]
    assert "Translation saved." in saved.text and "1 of 2 questions untranslated" in saved.text  # type: ignore[attr-defined]
    refused = client.htmx("POST", f"/questions/{q1.id}/translations/fr", {"text": "Bonjour"})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "does not write checklists in “fr”" in refused.text  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get(Question, q1.id).translations == {"es": {"text": "¿Le saludaron?"}}  # type: ignore[union-attr]


def test_one_language_organizations_see_no_translation_card(
    db: Database, session: Session, client: Browser
) -> None:
    org = make_org(session, name="Bike Co")
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org)
    sign_in(client, db, owner, org)
    assert "/translations" not in client.get(f"/touchpoints/{tp.id}").text
    assert session.get(Touchpoint, tp.id) is not None
