"""Journey files carry translations: an export with them imports into an organization that
uses the same languages with every wording intact; a language the target does not use is
refused where it sits in the file, and nothing is imported; files without translations read
as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from app.orgs.models import Role
from app.tenancy import scope_session
from tests.conftest import Browser
from tests.factories import make_member, make_org, make_question, make_token, make_touchpoint
from touchpoints.models import Question, Touchpoint
from touchpoints.transfer import document
from touchpoints.translations.models import QuestionTranslationUpdate, TouchpointTranslation
from touchpoints.translations.services import question_translate, touchpoint_translate

pytestmark = pytest.mark.db


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def exported(client: Browser, session: Session) -> dict[str, Any]:
    source = make_org(session, name="Hotel Sol Madrid", languages=["en", "es", "de"])
    tp = make_touchpoint(session, source, name="Check-in", description="At the front desk.")
    drink = make_question(
        session,
        tp,
        text="Which drink were you offered?",
        kind="choice",
        options=[{"label": "Water", "points": 1}, {"label": "Coffee", "points": 2}],
    )
    make_question(session, tp, text="Were you greeted by name?")
    touchpoint_translate(
        session=session,
        org=source,
        touchpoint=tp,
        language="es",
        data=TouchpointTranslation(name="Registro", description="En la recepción."),
    )
    question_translate(
        session=session,
        org=source,
        question=drink,
        language="es",
        data=QuestionTranslationUpdate(text="¿Qué bebida le ofrecieron?", options=["Agua", "Café"]),
    )
    question_translate(
        session=session,
        org=source,
        question=drink,
        language="de",
        data=QuestionTranslationUpdate(text="Welches Getränk?"),
    )
    token = make_token(session, source, make_member(session, source, Role.owner))
    response = client.get("/api/v1/journey/export", headers=_bearer(token))
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_the_file_carries_translations_only_where_there_are_some(
    exported: dict[str, Any],
) -> None:
    assert exported["format_version"] == 1
    tp = exported["stages"][0]["touchpoints"][0]
    assert tp["translations"] == {"es": {"name": "Registro", "description": "En la recepción."}}
    drink, greet = tp["questions"]
    assert drink["translations"] == {
        "de": {"text": "Welches Getränk?"},
        "es": {"text": "¿Qué bebida le ofrecieron?", "options": ["Agua", "Café"]},
    }
    assert "translations" not in greet


def test_import_into_an_organization_with_the_same_languages_keeps_every_wording(
    client: Browser, session: Session, exported: dict[str, Any]
) -> None:
    target = make_org(session, name="Hotel Sol Munich", languages=["en", "de", "es"])
    token = make_token(session, target, make_member(session, target, Role.owner))
    response = client.post(
        "/api/v1/journey/import", content=json.dumps(exported), headers=_bearer(token)
    )
    assert response.status_code == 201, response.text
    session.rollback()
    scope_session(session, target.id)  # type: ignore[arg-type]
    tp = session.exec(select(Touchpoint).where(Touchpoint.name == "Check-in")).one()
    assert tp.translations == {"es": {"name": "Registro", "description": "En la recepción."}}
    drink = session.exec(select(Question).where(Question.touchpoint_id == tp.id)).all()
    assert [q.translations for q in sorted(drink, key=lambda q: q.position)] == [
        {
            "de": {"text": "Welches Getränk?"},
            "es": {"text": "¿Qué bebida le ofrecieron?", "options": ["Agua", "Café"]},
        },
        None,
    ]
    # And it exports again as it came in: a round trip.
    again = client.get("/api/v1/journey/export", headers=_bearer(token)).json()
    assert again["stages"] == exported["stages"]


def test_a_language_the_target_does_not_use_is_refused_with_its_line(
    client: Browser, session: Session, exported: dict[str, Any]
) -> None:
    target = make_org(session, name="Hotel Sol Lisbon", languages=["en", "es"])
    token = make_token(session, target, make_member(session, target, Role.owner))
    text = document.dumps(exported)
    response = client.post("/api/v1/journey/import", content=text, headers=_bearer(token))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["path"] for e in errors] == [
        "$.stages[0].touchpoints[0].questions[0].translations.de"
    ]
    assert "does not write checklists in “de”" in errors[0]["message"]
    assert text.splitlines()[errors[0]["line"] - 1].strip().startswith('"de"')
    session.rollback()
    scope_session(session, target.id)  # type: ignore[arg-type]
    assert session.exec(select(Touchpoint)).all() == []


def test_option_labels_that_do_not_match_are_refused() -> None:
    doc = {
        "format": "touchstone-journey",
        "format_version": 1,
        "stages": [
            {
                "name": "Visit",
                "touchpoints": [
                    {
                        "name": "Door",
                        "translations": {"ES": {"name": "Puerta"}},
                        "questions": [
                            {
                                "text": "Greeted?",
                                "kind": "yes_no",
                                "translations": {"es": {"options": ["Sí", "No"]}},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    with pytest.raises(document.FileRefused) as refused:
        document.read(json.dumps(doc, indent=2).encode(), languages=["en", "es"])
    messages = [p.message for p in refused.value.problems]
    assert messages == [
        '"ES" is not a language code: use a short lowercase code, such as "es" or "de".'
    ]
    doc["stages"][0]["touchpoints"][0]["translations"] = {"es": {"name": "Puerta"}}  # type: ignore[index]
    with pytest.raises(document.FileRefused) as refused:
        document.read(json.dumps(doc, indent=2).encode(), languages=["en", "es"])
    assert [(p.path, p.message) for p in refused.value.problems] == [
        (
            "$.stages[0].touchpoints[0].questions[0].translations.es.options",
            'This question has no options to translate; remove "options".',
        )
    ]


def test_a_translation_into_the_primary_language_is_refused() -> None:
    doc = {
        "format": "touchstone-journey",
        "format_version": 1,
        "stages": [
            {
                "name": "Visit",
                "touchpoints": [
                    {"name": "Door", "translations": {"en": {"name": "Door"}}, "questions": []}
                ],
            }
        ],
    }
    with pytest.raises(document.FileRefused, match="English is your organization's primary"):
        document.read(json.dumps(doc).encode(), languages=["en", "es"])
    # The template library reads without languages: translations are taken as they are.
    journey = document.read(json.dumps(doc).encode())
    assert journey.stages[0].touchpoints[0].translations == {"en": {"name": "Door"}}
