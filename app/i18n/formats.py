"""Dates, times and numbers as each language writes them (Babel, from the Unicode CLDR).

English keeps Touchstone's own house style ("Sun 29 Nov, 14:05", "3 Mar 2025, 14:10",
"58.5"): it is what the pages always said, and tests and people read it. Every other language
gets its CLDR names and separators ("dom 29 nov, 14:05", "58,5").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from app.clock import utcnow
from app.i18n.languages import DEFAULT_LANGUAGE, locale_of

DEFAULT_TIME_FORMAT = "%d %b %Y, %H:%M"

# strftime's directives as CLDR pattern letters, for the formats the templates use.
_STRFTIME_TO_CLDR = {
    "a": "EEE",
    "A": "EEEE",
    "b": "MMM",
    "B": "MMMM",
    "d": "dd",
    "-d": "d",
    "e": "d",
    "m": "MM",
    "-m": "M",
    "y": "yy",
    "Y": "y",
    "H": "HH",
    "-H": "H",
    "M": "mm",
    "S": "ss",
}


def cldr_pattern(fmt: str) -> str:
    """A strftime format as a CLDR pattern: "%d %b %Y, %H:%M" gives "dd MMM y, HH:mm".

    Text between the directives is quoted, so a letter in it is never read as a field.
    """
    out: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            text = "".join(literal).replace("'", "''")
            out.append(f"'{text}'" if any(ch.isalpha() for ch in text) else text)
            literal.clear()

    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            key = fmt[i + 1 : i + 3] if fmt[i + 1] == "-" else fmt[i + 1]
            if key in _STRFTIME_TO_CLDR:
                flush()
                out.append(_STRFTIME_TO_CLDR[key])
                i += 1 + len(key)
                continue
            if key == "%":
                literal.append("%")
                i += 2
                continue
        literal.append(fmt[i])
        i += 1
    flush()
    return "".join(out)


def _clean(text: str) -> str:
    # CLDR's Spanish abbreviations may end in a dot ("sept."): the house style has none.
    return text.replace(".", "")


def local_time(
    value: datetime | None,
    tz: str = "UTC",
    fmt: str = DEFAULT_TIME_FORMAT,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """A moment in the zone `tz` by the strftime format `fmt`, in `lang`'s words."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz))
    if lang == DEFAULT_LANGUAGE:
        return local.strftime(fmt)
    return _clean(format_datetime(local, cldr_pattern(fmt), locale=locale_of(lang)))


def local_when(
    value: datetime | None,
    tz: str = "UTC",
    now: datetime | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """A moment in the zone `tz`, short where the year goes without saying: "Sun 29 Nov,
    14:05" in the current year (of that zone), "3 Mar 2025, 14:10" in any other."""
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    this_year = local.year == (now or utcnow()).astimezone(zone).year
    if lang == DEFAULT_LANGUAGE:
        if this_year:
            return f"{local:%a} {local.day} {local:%b, %H:%M}"
        return f"{local.day} {local:%b %Y, %H:%M}"
    pattern = "EEE d MMM, HH:mm" if this_year else "d MMM y, HH:mm"
    return _clean(format_datetime(local, pattern, locale=locale_of(lang)))


def day_text(value: date | None, fmt: str = "%d %b %Y", lang: str = DEFAULT_LANGUAGE) -> str:
    """A calendar day by the strftime format `fmt`, in `lang`'s words."""
    if value is None:
        return ""
    if lang == DEFAULT_LANGUAGE:
        return value.strftime(fmt)
    return _clean(format_date(value, cldr_pattern(fmt), locale=locale_of(lang)))


# CLDR's minimumGroupingDigits, which Babel's formatting does not apply: Spanish groups the
# thousands only from five digits on ("2000", "20.000"), as the RAE writes them.
MIN_GROUPING_DIGITS = {"es": 2}


def number_text(value: float | int | Decimal | str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A number already rounded as Touchstone rounds it ("58.5", "80", "—"), with `lang`'s
    decimal mark; anything that is not a number is given back as it came."""
    text = str(value)
    if lang == DEFAULT_LANGUAGE:
        return text
    try:
        number = Decimal(text)
    except ArithmeticError:
        return text
    if not number.is_finite():
        return text
    places = max(0, -int(number.as_tuple().exponent))
    grouped = abs(number) >= 10 ** (2 + MIN_GROUPING_DIGITS.get(lang, 1))
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * places if places else "")
    return format_decimal(number, format=pattern, locale=locale_of(lang))


def money_text(amount: Decimal | float | int, currency: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """An amount of money as `lang` writes it ("€12.50" in English, "12,50 €" in Spanish)."""
    return format_currency(amount, currency, locale=locale_of(lang))
