"""The language a printed report is drawn in, and the words, dates and numbers that Python
writes into a report (chart labels, headlines, period names) in that language.

Every printed report (a touchpoint's PDF, the meeting pack, a visit, a poster, a scheduled
report's attachment) is drawn inside `app.i18n.current.using(report_language(org))`: the
templates read the language from there, and so do the helpers below, so a figure or a month
written in Python follows the same language as the words around it. Outside such a block
(the dashboards today) they write English, as before.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from app.figures import points_text, score_text
from app.i18n import catalogs
from app.i18n.current import current_language
from app.i18n.formats import cldr_pattern, day_text, number_text
from app.i18n.languages import DEFAULT_LANGUAGE, locale_of
from app.i18n.printing import report_language

__all__ = ["report_language"]  # decided in app.i18n.printing, one place for every print


def lang() -> str:
    """The language of the report being drawn right now (English outside any report)."""
    return current_language.get()


def _(message: str, **variables: Any) -> str:
    """`message` in the report's language, `%(name)s` placeholders filled from `variables`."""
    return catalogs.gettext(message, lang(), **variables)


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for `n` in the report's language (`%(num)s` is `n`)."""
    return catalogs.ngettext(singular, plural, n, lang(), **variables)


def score(value: float | None) -> str:
    """A score by the one rounding rule ("46.7", "80", "—"), with the language's decimal mark
    ("46,7" in Spanish)."""
    return number_text(score_text(value), lang())


def points(value: float) -> str:
    """Points as people read them (8.67), with the language's decimal mark."""
    return number_text(points_text(value), lang())


def number(value: float | int | str) -> str:
    """A figure already rounded as it is shown, with the language's marks."""
    return number_text(value, lang())


def whole(value: int) -> str:
    """A whole number with the language's thousands separator: "1,240", "1240" / "12.400"
    (CLDR leaves a four-digit Spanish number ungrouped)."""
    code = lang()
    if code == DEFAULT_LANGUAGE:
        return f"{value:,}"
    return format_decimal(value, format="#,##0", locale=locale_of(code))


def day(value: date | datetime | None, fmt: str = "%-d %b %Y") -> str:
    """A day (or a moment, in its own zone) by a strftime format, with the language's month
    and day names."""
    code = lang()
    if isinstance(value, datetime):
        if code == DEFAULT_LANGUAGE:
            return value.strftime(fmt)  # the house style, as the prints always said
        # As the moment reads where it is (never shifted to another zone).
        pattern = cldr_pattern(fmt)
        return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=locale_of(code)).replace(
            ".", ""
        )
    return day_text(value, fmt, code)


def period_word(period: str) -> str:
    """The kind of period as a noun ("month", "mes"), for "per %(period)s" and the like."""
    words = {"week": _("week"), "month": _("month"), "quarter": _("quarter")}
    return words.get(period, period)


def periods_word(period: str, n: int) -> str:
    """The kind of period for `n` of them ("6 months", "6 meses")."""
    if period == "week":
        return ngettext("%(num)s week", "%(num)s weeks", n)
    if period == "quarter":
        return ngettext("%(num)s quarter", "%(num)s quarters", n)
    return ngettext("%(num)s month", "%(num)s months", n)


def long_day(value: date) -> str:
    """A day written out: "5 October 2026", "5 de octubre de 2026" (CLDR's long date)."""
    code = lang()
    if code == DEFAULT_LANGUAGE:
        return f"{value.day} {value:%B %Y}"
    return format_date(value, "long", locale=locale_of(code))
