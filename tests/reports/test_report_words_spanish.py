"""The words Python writes into printed reports follow the report's language (reports.language):
period names, partial-period words, headlines, chart labels, page counters; English is what it
always was; and one function decides the language of every print."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest

from app.i18n.current import using
from app.i18n.printing import report_language
from reports.charts import hbar_chart, sparkline
from reports.pdf.documents import page_counter, page_counter_css
from reports.periods import coverage_words, slot_of
from reports.stats import Change, Interval
from reports.summary import change_sentence, signed_points


def test_report_language_is_the_organizations_when_it_ships_else_english() -> None:
    assert report_language(SimpleNamespace()) == "en"  # no report language: English
    assert report_language(SimpleNamespace(report_language=None)) == "en"
    assert report_language(SimpleNamespace(report_language="es")) == "es"
    assert report_language(SimpleNamespace(report_language="es-MX")) == "es"
    assert report_language(SimpleNamespace(report_language="fr")) == "en"  # does not ship


@pytest.mark.parametrize(
    ("period", "en", "es"),
    [
        ("month", ("October 2026", "Oct 26"), ("octubre de 2026", "oct 26")),
        ("quarter", ("Q4 2026", "Q4 26"), ("T4 2026", "T4 26")),
        ("week", ("week 42 of 2026 (12 Oct)", "12 Oct"), ("semana 42 de 2026 (12 oct)", "12 oct")),
    ],
)
def test_period_names_follow_the_language(
    period: str, en: tuple[str, str], es: tuple[str, str]
) -> None:
    slot = slot_of(period, date(2026, 10, 14))
    assert (slot.label, slot.short) == en  # outside any print: English, as before
    with using("es"):
        assert (slot.label, slot.short) == es
    with using("en"):
        assert (slot.label, slot.short) == en


def test_partial_period_words_in_spanish() -> None:
    november = slot_of("month", date(2026, 11, 3))
    start, end = date(2026, 8, 1), date(2026, 11, 7)
    assert coverage_words(november, start, end, today=end) == "to date, 7 of 30 days"
    with using("es"):
        assert coverage_words(november, start, end, today=end) == "hasta hoy, 7 de 30 días"
        assert (
            coverage_words(november, start, end, today=date(2026, 12, 1))
            == "hasta el 7 nov, 7 de 30 días"
        )


def test_change_words_and_figures_in_spanish() -> None:
    since = "septiembre de 2026"
    with using("es"):
        assert change_sentence(Change(6.25, 1.0, 11.5, "up"), since) == (
            "sube 6,3 puntos desde septiembre de 2026"
        )
        assert change_sentence(Change(-1.0, -3.0, 1.0, "about the same"), since) == (
            "casi igual que septiembre de 2026 (−1 punto, dentro del ruido)"
        )
        assert signed_points(-0.45) == "−0,5"
        assert Interval(6.25, 70.0, 82.5).margin_text == "± 6,3"
        assert Interval(80.0, 0.0, 100.0, cut=True).margin_text == "0 a 100"
    assert change_sentence(Change(6.25, 1.0, 11.5, "up"), "September 2026") == (
        "up 6.3 points since September 2026"
    )


def test_chart_labels_in_spanish() -> None:
    with using("es"):
        rows = [("1. Harbour St", 82.5, 4), ("– Quay", None, 0)]
        chart = hbar_chart(rows, target=80, title="Puntuación por establecimiento")
        spark = sparkline([70.0, None, 82.5], target=80)
    words = re.sub(r"<[^>]+>", " ", chart)  # the drawn text and the description
    assert "82,5" in words and "objetivo 80" in words and "sin datos" in words
    assert "82.5" not in words and "target" not in words.lower()
    assert "Tendencia: 70, sin datos, 82,5 (objetivo 80)" in spark


def test_page_counter_in_css_keeps_each_languages_order() -> None:
    assert page_counter_css(page_counter()) == '"page " counter(page) " of " counter(pages)'
    with using("es"):
        assert page_counter_css(page_counter()) == ('"página " counter(page) " de " counter(pages)')
    # Text around the counters is a CSS string: a quote cannot end it early.
    assert page_counter_css('a"\x01') == '"a\\22 " counter(page)'


def test_measure_figures_in_spanish() -> None:
    from reports.loop.summary import measure_value

    assert measure_value(1240.4, "") == "1,240"  # English as it was
    assert measure_value(7.5, "%") == "7.5\u00a0%"
    with using("es"):
        assert measure_value(1240.4, "") == "1.240"
        assert measure_value(7.5, "%") == "7,5\u00a0%"
