"""Service messages with values (app.i18n.message): English exactly as before, and in the
reader's language with the values in place, on a page too."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from sqlmodel import Session

from app.db import Database
from app.errors import ConflictError, DomainError
from app.i18n.message import Localized, message, text_in
from audits.board import queries as board_queries
from audits.board import services as board
from audits.shopper_refusals import MSG_MISSING, MSG_MISSING_ONE, questions_missing
from tests.audits.test_board_pages import Make, _as, _job, _programme


def test_an_error_with_values_is_english_as_before_and_spanish_with_its_values() -> None:
    exc = ConflictError.of(
        board_queries.MSG_LOCKOUT, field="shop", days=30, location="Kingsway", day="Monday"
    )
    english = (
        "Refused by the visit rule “no second visit to a location within 30 days”: this "
        "shopper has a shop at Kingsway on Monday."
    )
    assert exc.message == english and str(exc) == english and exc.field == "shop"
    assert exc.text("en") == english
    spanish = exc.text("es")
    assert spanish.startswith("Rechazado por la regla de visitas")
    assert "30 días" in spanish and "Kingsway" in spanish and "Monday" in spanish
    # A language the interface does not ship, or a message no catalog has: English.
    assert exc.text("de") == english
    assert DomainError.of("No catalog has %(n)s.", n=3).text("es") == "No catalog has 3."


def test_counts_choose_their_sentence_and_values_follow_the_language() -> None:
    assert questions_missing(1) == MSG_MISSING_ONE % {"num": 1}
    assert questions_missing(3) == "3 required questions still need an answer."
    assert questions_missing(3) == MSG_MISSING % {"num": 3}
    assert questions_missing(1).text("es") == "Falta responder 1 pregunta obligatoria."
    assert questions_missing(3).text("es") == "Falta responder 3 preguntas obligatorias."
    day = Localized(lambda lang: {"en": "Monday", "es": "lunes"}[lang])
    refusal = message(board_queries.MSG_WINDOW_EARLY, when=day)
    assert refusal.endswith("this shop opens on Monday.")
    assert refusal.text("es").endswith("esta visita se abre lunes.")
    # A plain marked constant goes through the catalog; other things as they are.
    assert text_in("this location", "es") == "este establecimiento"
    assert text_in(None, "es") == "" and text_in(3, "es") == "3"
    assert board_queries._long_day(date(2026, 12, 7)).in_("es") == "lunes, 7 de diciembre de 2026"
    assert str(board_queries._long_day(date(2026, 12, 7))) == "Monday 7 December 2026"


def test_a_spanish_shopper_reads_the_lockout_refusal_in_spanish(
    session: Session, db: Database, browser_factory: Make
) -> None:
    p = _programme(session)
    board.visit_rules_update(
        session=session,
        org_id=p.org.id,  # type: ignore[arg-type]
        data=board.VisitRulesUpdate(
            lockout_days=30, daily_limit=0, window_rule="flag", no_show="board"
        ),
    )
    first, second = _job(session, p), _job(session, p, days=5)
    p.ann.language = "es"
    session.add(p.ann)
    session.commit()
    ann = _as(browser_factory, db, p, p.ann)
    assert ann.form(f"/jobs/{first.id}/claim").status_code == 303  # type: ignore[attr-defined]
    refused = ann.form(f"/jobs/{second.id}/claim")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    found = re.search(rf'id="claim-error-{second.id}">(.*?)</p>', refused.text)  # type: ignore[attr-defined]
    assert found is not None
    words = unescape(found.group(1))
    assert words.startswith("Rechazado por la regla de visitas «ninguna segunda visita")
    assert "30 días" in words and "Kingsway" in words
    assert re.search(r"el \w+, \d+ de \w+ de \d{4}\.$", words), words  # the day in Spanish
    assert "Refused" not in words
