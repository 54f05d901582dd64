"""Choosing the language from Accept-Language, and dates and numbers per language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.i18n import formats
from app.i18n.languages import negotiate, supported


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es", "es"),
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("es-MX", "es"),
        ("es_AR", "es"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,es;q=0.5", "es"),  # French first, but only Spanish ships
        ("fr-FR,de;q=0.9", None),
        ("en;q=0.4,es;q=0.8", "es"),  # the weights decide, not the order
        ("es;q=0,en", "en"),  # q=0 means "not this one"
        ("*", None),
        ("", None),
        (None, None),
        ("es;q=banana,en", "en"),
        ("x" * 2000, None),
    ],
)
def test_negotiate(header: str | None, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_supported() -> None:
    assert supported("ES") == "es"
    assert supported("es-MX") == "es"
    assert supported("de") is None
    assert supported(None) is None
    assert supported(5) is None


NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MOMENT = datetime(2026, 11, 29, 14, 5, tzinfo=UTC)


def test_english_dates_read_as_they_always_did() -> None:
    assert formats.local_when(MOMENT, "UTC", NOW) == "Sun 29 Nov, 14:05"
    assert formats.local_when(datetime(2025, 3, 3, 14, 10, tzinfo=UTC), "UTC", NOW) == (
        "3 Mar 2025, 14:10"
    )
    assert formats.local_time(MOMENT, "UTC") == "29 Nov 2026, 14:05"
    assert formats.local_time(MOMENT, "UTC", "%d %b %Y") == "29 Nov 2026"
    assert formats.day_text(date(2026, 3, 3)) == "03 Mar 2026"


def test_spanish_dates_use_cldr_names() -> None:
    assert formats.local_when(MOMENT, "UTC", NOW, lang="es") == "dom 29 nov, 14:05"
    assert formats.local_when(datetime(2025, 9, 3, 14, 10, tzinfo=UTC), "UTC", NOW, lang="es") == (
        "3 sept 2025, 14:10"
    )
    assert formats.local_time(MOMENT, "Europe/Madrid", lang="es") == "29 nov 2026, 15:05"
    assert formats.local_time(MOMENT, "UTC", "%a %d %b, %H:%M", lang="es") == "dom 29 nov, 14:05"
    assert formats.day_text(date(2026, 3, 3), "%-d %B %Y", lang="es") == "3 marzo 2026"


def test_cldr_pattern_quotes_words() -> None:
    assert formats.cldr_pattern("%d %b %Y, %H:%M") == "dd MMM y, HH:mm"
    assert formats.cldr_pattern("%H:%M on %d %b") == "HH:mm' on 'dd MMM"
    assert formats.cldr_pattern("100%%") == "100%"


def test_numbers_follow_the_language() -> None:
    assert formats.number_text("58.5") == "58.5"
    assert formats.number_text("58.5", lang="es") == "58,5"
    assert formats.number_text("12345.25", lang="es") == "12.345,25"
    assert formats.number_text("80", lang="es") == "80"
    assert formats.number_text(2000, lang="es") == "2000"  # four digits: no separator
    assert formats.number_text(-20000, lang="es") == "-20.000"
    assert formats.number_text("—", lang="es") == "—"
    assert formats.money_text(12.5, "EUR", lang="es") == "12,50\xa0€"
    assert formats.money_text(12.5, "EUR") == "€12.50"
