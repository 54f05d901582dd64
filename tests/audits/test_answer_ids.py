"""An answer id made on a phone that is already taken (by another organization's answer,
which this one cannot see, or by another shop's) is a 409 with a precise message, on the API
and on the fill page's save, never a 500."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session

from app.db import Database
from app.orgs.models import Organization, Role, User
from audits.models import Shop
from audits.services import MSG_ANSWER_ID_TAKEN
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import (
    make_member,
    make_org,
    make_question,
    make_shop,
    make_token,
    make_touchpoint,
)

pytestmark = pytest.mark.db


@dataclass
class Side:
    org: Organization
    shopper: User
    shop: Shop
    second_shop: Shop
    question_id: int
    token: str


def _side(session: Session, name: str) -> Side:
    org = make_org(session, name=name)
    shopper = make_member(session, org, Role.shopper)
    tp = make_touchpoint(session, org)
    question = make_question(session, tp)
    shop = make_shop(session, org, touchpoints=[tp], shopper_id=shopper.id)
    second = make_shop(session, org, touchpoints=[tp], shopper_id=shopper.id)
    return Side(org, shopper, shop, second, question.id, make_token(session, org, shopper))  # type: ignore[arg-type]


def put(client: Browser, side: Side, shop: Shop, answer_id: str) -> Any:
    return client.put(
        f"/api/v1/shops/{shop.id}/answers/{answer_id}",
        json={"question_id": side.question_id, "value": True},
        headers={"Authorization": f"Bearer {side.token}"},
    )


@pytest.fixture
def sides(session: Session) -> tuple[Side, Side]:
    return _side(session, "Alpha"), _side(session, "Beta")


def test_the_api_answers_409_for_an_id_of_another_organization(
    client: Browser, sides: tuple[Side, Side]
) -> None:
    a, b = sides
    taken = str(uuid.uuid4())
    assert put(client, a, a.shop, taken).status_code == 200

    response = put(client, b, b.shop, taken)

    assert response.status_code == 409
    assert response.json() == {"detail": MSG_ANSWER_ID_TAKEN, "field": "id"}
    assert put(client, b, b.shop, str(uuid.uuid4())).status_code == 200  # a new id saves
    assert put(client, a, a.shop, taken).status_code == 200  # the owner's replay still works


def test_the_api_answers_409_for_an_id_of_another_shop(
    client: Browser, sides: tuple[Side, Side]
) -> None:
    a, _ = sides
    taken = str(uuid.uuid4())
    assert put(client, a, a.shop, taken).status_code == 200

    response = put(client, a, a.second_shop, taken)

    assert response.status_code == 409
    assert response.json()["field"] == "id"


def test_the_fill_page_save_answers_409_with_the_message(
    client: Browser, db: Database, sides: tuple[Side, Side]
) -> None:
    a, b = sides
    taken = str(uuid.uuid4())
    assert put(client, a, a.shop, taken).status_code == 200
    sign_in(client, db, b.shopper, b.org)

    response = client.post(
        f"/shops/{b.shop.id}/answers",
        json={"id": taken, "question_id": b.question_id, "value": True},
        headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL},
    )

    assert response.status_code == 409
    assert response.json()["detail"] == MSG_ANSWER_ID_TAKEN
    assert response.json()["field"] == "id"
