"""The shopper reads the checklist in one of the organization's languages: wording in that
language with a mark where it is not yet translated, answers stored language-free, and the
owner reads the shop in the primary language with the comments as written."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlmodel import Session

from app.db import Database
from app.orgs.models import Role
from audits.models import Answer, Shop, ShopStatus
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import (
    make_answer,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_touchpoint,
)
from touchpoints.translations.models import QuestionTranslationUpdate, TouchpointTranslation
from touchpoints.translations.services import question_translate, touchpoint_translate


@pytest.fixture
def spanish(session: Session, db: Database, client: Browser) -> dict[str, Any]:
    org = make_org(session, name="Hotel Sol", languages=["en", "es"])
    shopper = make_member(session, org, Role.shopper)
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org, name="Check-in")
    drink = make_question(
        session,
        tp,
        text="Which drink were you offered?",
        kind="choice",
        options=[{"label": "Water", "points": 1}, {"label": "Coffee", "points": 2}],
    )
    greet = make_question(session, tp, text="Were you greeted by name?")
    touchpoint_translate(
        session=session,
        org=org,
        touchpoint=tp,
        language="es",
        data=TouchpointTranslation(name="Registro"),
    )
    question_translate(
        session=session,
        org=org,
        question=drink,
        language="es",
        data=QuestionTranslationUpdate(text="¿Qué bebida le ofrecieron?", options=["Agua", "Café"]),
    )
    shop = make_shop(
        session, org, touchpoints=[tp], shopper_id=shopper.id, status=ShopStatus.in_progress
    )
    sign_in(client, db, shopper, org)
    return {
        "org": org,
        "shopper": shopper,
        "owner": owner,
        "tp": tp,
        "drink": drink,
        "greet": greet,
        "shop": shop,
    }


def test_shopper_picks_spanish_and_sees_its_wording_with_fallback_marks(
    spanish: dict[str, Any], client: Browser, session: Session
) -> None:
    shop: Shop = spanish["shop"]
    english = client.get(f"/shops/{shop.id}/fill?section=1")
    assert (
        "Which drink were you offered?" in english.text and "not yet translated" not in english.text
    )
    assert '<option value="es" lang="es">Español</option>' in english.text
    picked = client.form(f"/shops/{shop.id}/language", {"language": "es", "section": "1"})
    assert picked.status_code == 303 and picked.headers["location"].endswith("/fill?section=1")  # type: ignore[attr-defined]
    page = client.get(f"/shops/{shop.id}/fill?section=1")
    assert 'lang="es"' in page.text and "<h1>Registro</h1>" in page.text
    assert "¿Qué bebida le ofrecieron?" in page.text and ">Agua</button>" in page.text
    # The untranslated question shows its English wording, marked.
    assert (
        '<span lang="en">Were you greeted by name?</span> <span class="untranslated"' in page.text
    )
    session.expire_all()
    assert session.get(Shop, shop.id).language == "es"  # type: ignore[union-attr]


def test_choice_answers_are_stored_by_position_whatever_the_language(
    spanish: dict[str, Any], client: Browser, session: Session
) -> None:
    shop: Shop = spanish["shop"]
    client.form(f"/shops/{shop.id}/language", {"language": "es"})
    answer_id = uuid.uuid4()
    saved = client.post(
        f"/shops/{shop.id}/answers",
        json={
            "id": str(answer_id),
            "question_id": spanish["drink"].id,
            "value": 1,
            "comment": "Me ofrecieron café con leche, muy amable.",
        },
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )
    assert saved.status_code == 200, saved.text
    session.expire_all()
    answer = session.get(Answer, answer_id)
    assert answer is not None and answer.value == 1
    assert answer.comment == "Me ofrecieron café con leche, muy amable."


def test_a_language_the_organization_does_not_use_is_refused(
    spanish: dict[str, Any], client: Browser, session: Session
) -> None:
    shop: Shop = spanish["shop"]
    refused = client.form(f"/shops/{shop.id}/language", {"language": "fr"}, follow_redirects=True)
    assert "does not write checklists in “fr”" in refused.text  # type: ignore[attr-defined]
    api = client.put(
        f"/api/v1/shops/{shop.id}/language",
        json={"language": "de"},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )
    assert api.status_code == 422 and api.json()["field"] == "language"
    ok = client.put(
        f"/api/v1/shops/{shop.id}/language",
        json={"language": "es"},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )
    assert ok.status_code == 200 and ok.json() == {"language": "es"}


def test_owner_reads_the_shop_in_english_with_the_comment_as_written(
    spanish: dict[str, Any], db: Database, session: Session, browser_factory: Any
) -> None:
    shop: Shop = spanish["shop"]
    shop.language = "es"
    session.add(shop)
    session.commit()
    make_answer(session, shop, spanish["drink"], value=1, comment="Café muy rico, gracias.")
    owner = sign_in(browser_factory(), db, spanish["owner"], spanish["org"])
    page = owner.get(f"/shops/{shop.id}")
    assert page.status_code == 200
    assert "Which drink were you offered?" in page.text
    assert "¿Qué bebida" not in page.text
    assert "Café muy rico, gracias." in page.text
    assert "Filled in Español" in page.text


def test_shops_in_the_primary_language_carry_no_language_note(
    spanish: dict[str, Any], db: Database, browser_factory: Any
) -> None:
    owner = sign_in(browser_factory(), db, spanish["owner"], spanish["org"])
    assert "Filled in" not in owner.get(f"/shops/{spanish['shop'].id}").text
