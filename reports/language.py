"""The language a printed report is drawn in, and the words, dates and numbers that Python
writes into a report (chart labels, headlines, period names) in that language.

Every printed report (a touchpoint's PDF, the meeting pack, a visit, a poster, a scheduled
report's attachment) is drawn inside `app.i18n.current.using(report_language(org))`: the
templates read the language from there, and so do the helpers below, so a figure or a month
written in Python follows the same language as the words around it. Outside such a block
(the dashboards today) they write English, as before.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.figures import points_text, score_text
from app.i18n import catalogs
from app.i18n.current import current_language
from app.i18n.formats import day_text, number_text
from app.i18n.printing import report_language

__all__ = ["report_language"]  # decided in app.i18n.printing, one place for every print


def lang() -> str:
    """The language of the report being drawn right now (English outside any report)."""
    return current_language.get()


def _(message: str, **variables: Any) -> str:
    """`message` in the report's language, `%(name)s` placeholders filled from `variables`."""
    return catalogs.gettext(lang(), message, **variables)


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for `n` in the report's language (`%(num)s` is `n`)."""
    return catalogs.ngettext(lang(), singular, plural, n, **variables)


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


def day(value: date | None, fmt: str = "%-d %b %Y") -> str:
    """A calendar day by a strftime format, with the language's month and day names."""
    return day_text(value, fmt, lang())


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
