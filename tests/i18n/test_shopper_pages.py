"""A shopper who chose Spanish gets the fill screens in Spanish, dates and numbers included;
what the owner wrote (question texts, touchpoint names) stays as written."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.audits.test_fill_check_screen import _recap
from tests.audits.test_fill_pages import Fill, fill  # noqa: F401  (fill: a fixture)
from tests.conftest import BASE_URL


def _spanish(fill: Fill) -> None:  # noqa: F811
    response = fill.client.form("/language", {"language": "es", "next": "/"})
    assert response.status_code == 303  # type: ignore[attr-defined]


def test_the_fill_screens_in_spanish(fill: Fill) -> None:  # noqa: F811
    _spanish(fill)
    home = fill.client.get("/").text
    assert '<html lang="es">' in home
    assert "Mis visitas" in home and "Primero las visitas abiertas" in home
    assert "respondidas" in home

    question = fill.client.get(f"/shops/{fill.shop.id}/fill?section=1").text
    assert "Were you greeted?" in question  # the owner's words, as written
    assert ">Sí</button>" in question and ">No</button>" in question
    assert "Cómo valorarlo" in question and "Comentario y fotos" in question
    # The scripts' words come with the page, translated.
    assert '<script type="application/json" id="ts-strings">' in question
    assert "Pendiente de env" in question


def test_the_check_screen_dates_and_counts_in_spanish(fill: Fill) -> None:  # noqa: F811
    _spanish(fill)
    headers = {"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL}
    visit = fill.client.post(
        f"/shops/{fill.shop.id}/visit",
        json={"visited_at": "2020-01-02T10:30", "duration_minutes": "25", "comment": "Bien."},
        headers=headers,
    )
    assert visit.status_code == 200, visit.text
    html = fill.client.get(f"/shops/{fill.shop.id}/fill?section=3").text
    assert "Revisar y entregar" in html
    recap = _recap(html)
    # Babel's CLDR names for the day and the month, and Spanish plural words.
    assert "Fecha jueves, 2 de enero de 2020" in recap
    assert "Hora 10:30" in recap
    assert "Duración 25 minutos" in recap
    assert "Observaciones generales Bien." in recap


def test_english_stays_the_default(fill: Fill) -> None:  # noqa: F811
    html = fill.client.get(f"/shops/{fill.shop.id}/fill?section=1").text
    assert '<html lang="en">' in html and ">Yes</button>" in html
    assert "ts-strings" not in html  # English pages carry no strings block


def test_the_visit_window_in_spanish() -> None:
    from audits.board.queries import window_of
    from audits.models import Shop

    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
    shop = Shop(
        org_id=1,
        location_id=1,
        due_from=datetime(2026, 12, 10, 8, 0, tzinfo=UTC),
        due_until=datetime(2027, 1, 3, 18, 0, tzinfo=UTC),
    )
    window = window_of(shop, "Europe/Madrid", now)
    assert window.words == "Opens on Thursday 09:00 · due by 3 January 2027 19:00"
    assert window.words_in("es") == "Se abre el jueves 09:00 · vence el 3 de enero 2027 19:00"
