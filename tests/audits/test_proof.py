"""Proof of visit (audits/proof): the phone's first and last answer times are kept at each
hand-in and shown to the reviewer (owner), never to staff."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Role
from audits import services
from audits.models import Shop
from audits.proof.models import VisitProof
from tests.audits.test_feedback import _tab
from tests.audits.test_owner_pages import text
from tests.audits.test_services import World, _shop, _survey_org
from tests.factories import make_member

pytestmark = pytest.mark.db

# One moment for the whole test, so the times between answers are exact.
NOW = utcnow()


def _answer(
    session: Session, w: World, shop: Shop, question_id: int, value: object, ago: int
) -> None:
    services.answer_record(
        session=session,
        shop=shop,
        actor_id=w.shopper.id,  # type: ignore[arg-type]
        data=services.AnswerInput(
            id=uuid.uuid4(),
            question_id=question_id,
            value=value,
            given_at=NOW - timedelta(minutes=ago),
        ),
    )


def _proof(session: Session, shop: Shop) -> VisitProof:
    session.rollback()
    session.expire_all()
    proof = session.exec(select(VisitProof).where(col(VisitProof.shop_id) == shop.id)).one()
    session.expunge(proof)
    session.rollback()
    return proof


def test_hand_in_keeps_the_phones_visit_times_for_the_reviewer_only(
    browser_factory: object, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    viewer = make_member(session, w.org, Role.viewer)
    shop = _shop(session, w)
    shop.created_at = NOW - timedelta(hours=3)  # planned before the visit
    session.add(shop)
    session.commit()
    _answer(session, w, shop, w.yes_no.id, True, ago=95)  # type: ignore[arg-type]
    _answer(session, w, shop, w.scale.id, 4, ago=80)  # type: ignore[arg-type]
    _answer(session, w, shop, w.number.id, 3, ago=75)  # type: ignore[arg-type]
    _answer(session, w, shop, w.choice.id, 1, ago=70)  # type: ignore[arg-type]
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]

    proof = _proof(session, shop)
    assert proof.started_at is not None and proof.ended_at is not None
    assert (proof.ended_at - proof.started_at) == timedelta(minutes=25)
    assert proof.answers == 4
    assert proof.handed_in_at is not None and proof.handed_in_at > proof.ended_at

    owner = _tab(browser_factory, db, w, w.owner)
    words = text(owner.get(f"/shops/{shop.id}").text)
    assert "Proof of visit" in words and "25 min (4 answers)" in words
    assert "(the first answer, by the phone’s clock)" in words

    # Returned and handed in again: the last answer moves, the start stays the first answer.
    returned = owner.form(f"/shops/{shop.id}/return", {"note": "Fix one"})
    assert returned.status_code == 303  # type: ignore[attr-defined]
    session.rollback()
    session.expire_all()
    _answer(session, w, shop, w.text.id, "Queue of five", ago=5)  # type: ignore[arg-type]
    services.shop_submit(session=session, shop=shop, actor_id=w.shopper.id)  # type: ignore[arg-type]
    again = _proof(session, shop)
    assert again.id == proof.id and again.started_at == proof.started_at
    assert (again.ended_at - again.started_at) == timedelta(minutes=90)  # type: ignore[operator]
    assert again.answers == 5

    approved = owner.form(f"/shops/{shop.id}/approve", {})
    assert approved.status_code == 303  # type: ignore[attr-defined]
    staff = _tab(browser_factory, db, w, viewer)
    seen = staff.get(f"/shops/{shop.id}")
    assert seen.status_code == 200 and "Proof of visit" not in seen.text
