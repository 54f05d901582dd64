"""A complaint poster is printed for customers in the organization's report language
(app.i18n.printing): the same poster, its words in Spanish."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from sqlmodel import Session

from tests.recovery.test_posters import _owner

pytestmark = pytest.mark.slow  # a real WeasyPrint render


def test_the_poster_prints_in_the_report_language(
    app: FastAPI, browser_factory: object, session: Session
) -> None:
    owner, org = _owner(app, browser_factory, session)
    org.languages = ["en", "es"]
    org.report_language = "es"  # as the owner sets it on the settings page
    session.add(org)
    session.commit()
    response = owner.get("/recovery/posters/org.pdf?paper=a4")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1  # Spanish is longer: still one page
    text = " ".join((reader.pages[0].extract_text() or "").split())
    assert "¿Algo no ha ido bien?" in text and "Cuéntenoslo." in text
    assert "Escanee el código con la cámara del móvil o escriba:" in text
    assert "en un plazo de 24 horas" in text
    assert "Something not right?" not in text
