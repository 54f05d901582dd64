"""E-mails to shoppers are written in the shopper's own language (user.language)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app import clock
from app.outbox.models import OutgoingMail
from audits.board import services as board
from tests.audits.test_board import _claim, _post, _world

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("language", "subject", "opening"),
    [
        (
            "es",
            "Su visita a High Street ha vuelto al tablón de trabajos",
            "Hola, Ann:\n\nSu visita a High Street vencía hoy 18:00",
        ),
        (
            None,
            "Your shop at High Street went back to the job board",
            "Hello Ann,\n\nYour shop at High Street was due by today 18:00",
        ),
    ],
)
def test_the_no_show_notice_is_in_the_shoppers_language(
    session: Session, language: str | None, subject: str, opening: str
) -> None:
    w = _world(session)
    w.ann.language = language
    session.add(w.ann)
    session.commit()
    shop = _post(session, w)
    _claim(session, w, shop, w.ann)
    assert shop.due_until is not None
    with clock.moved_to(shop.due_until + timedelta(minutes=1)):
        board.no_shows_release(session=session, now=clock.utcnow())
        session.commit()
    mail = session.exec(select(OutgoingMail)).one()
    assert mail.subject == subject
    assert mail.body.startswith(opening), mail.body
