"""Printed reports name touchpoints and questions in the organization's report language (the
primary wording where no translation was given); a change of language is a new PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from app.db import Database
from app.orgs.models import Organization, Role
from app.tenancy import scope_session
from audits.models import ShopStatus
from reports.filters import parse_filters
from reports.pdf.pack import pack_document
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_answer,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_touchpoint,
    store_score,
)
from tests.helpers import pdf_text
from touchpoints.translations.models import QuestionTranslationUpdate, TouchpointTranslation
from touchpoints.translations.services import question_translate, touchpoint_translate

pytestmark = pytest.mark.slow  # a real WeasyPrint render

RANGE = {"period": "month", "from": "2026-09-01", "to": "2026-09-30"}


@pytest.fixture
def bistro(session: Session) -> dict[str, object]:
    org = make_org(session, name="Bistro Sol", languages=["en", "es"], report_language="es")
    owner = make_member(session, org, Role.owner)
    tp = make_touchpoint(session, org, name="Paying the bill")
    clear = make_question(session, tp, text="Was the bill clear?")
    fast = make_question(session, tp, text="Did the bill come quickly?")
    touchpoint_translate(
        session=session,
        org=org,
        touchpoint=tp,
        language="es",
        data=TouchpointTranslation(name="Pagar la cuenta"),
    )
    question_translate(
        session=session,
        org=org,
        question=clear,
        language="es",
        data=QuestionTranslationUpdate(text="¿Estaba clara la cuenta?"),
    )
    when = datetime(2026, 9, 10, 11, tzinfo=UTC)
    shop = make_shop(
        session,
        org,
        touchpoints=[tp],
        status=ShopStatus.approved,
        visited_at=when,
        approved_at=when + timedelta(days=1),
    )
    make_answer(session, shop, clear, False, comment="La cuenta tenía errores.")
    make_answer(session, shop, fast, True)
    store_score(session, shop)
    return {"org": org, "owner": owner, "tp": tp}


def _pdf(client: Browser, tp_id: int) -> str:
    response = client.get(f"/reports/touchpoints/{tp_id}/pdf", params=RANGE)
    assert response.status_code == 200, response.text[:300]
    return pdf_text(response.content)


def test_touchpoint_pdf_uses_the_report_language(
    client: Browser, db: Database, session: Session, bistro: dict[str, object]
) -> None:
    org = bistro["org"]
    assert isinstance(org, Organization)
    sign_in(client, db, bistro["owner"], org)  # type: ignore[arg-type]
    tp_id = bistro["tp"].id  # type: ignore[attr-defined]
    text = _pdf(client, tp_id)
    assert "Pagar la cuenta" in text and "Paying the bill" not in text
    assert "¿Estaba clara la cuenta?" in text and "Was the bill clear?" not in text
    # No translation given: the primary wording.
    assert "Did the bill come quickly?" in text
    assert "La cuenta tenía errores." in text  # comments as written
    # Back to English reports: a new PDF, not the cached Spanish one.
    org.report_language = "en"
    session.add(org)
    session.commit()
    english = _pdf(client, tp_id)
    assert "Paying the bill" in english and "Was the bill clear?" in english


def test_the_meeting_pack_names_touchpoints_in_the_report_language(
    session: Session, bistro: dict[str, object]
) -> None:
    org = bistro["org"]
    assert isinstance(org, Organization)
    scope_session(session, org.id)  # type: ignore[arg-type]
    filters = parse_filters(session, org, period="month", start="2026-09-01", end="2026-09-30")
    doc = pack_document(
        session, org, filters, now=datetime(2026, 10, 1, tzinfo=UTC), today=date(2026, 10, 1)
    )
    assert [line.touchpoint.name for line in doc.lines] == ["Pagar la cuenta"]
    assert [r.touchpoint.name for r in doc.reports] == ["Pagar la cuenta"]
    # The stored row keeps its own name: the report's copy is for drawing only.
    session.expire_all()
    assert bistro["tp"].name == "Paying the bill"  # type: ignore[attr-defined]
