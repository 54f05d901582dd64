"""The languages the interface ships in, and choosing one from what a browser asks for."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError, negotiate_locale

DEFAULT_LANGUAGE = "en"

# Each language with its own name, written in itself: someone who reads only Spanish must
# still find "Español" in a list of languages.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
}
LANGUAGES: tuple[str, ...] = tuple(LANGUAGE_NAMES)

# An Accept-Language header longer than this is cut before it is read (it is a client's word).
MAX_HEADER = 500


def supported(lang: object) -> str | None:
    """`lang` when the interface ships in it ("es", "ES", "es-MX" and "es_MX" all say "es"),
    else None."""
    if not isinstance(lang, str) or not lang:
        return None
    base = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGE_NAMES else None


def _parse_accept_language(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first ("q=0" ones left out).

    "es-ES,es;q=0.9,en;q=0.8" gives ["es-ES", "es", "en"]; a malformed weight counts as 0.
    """
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        if weight > 0:
            weighted.append((-weight, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(header: str | None) -> str | None:
    """The shipped language a browser prefers by its Accept-Language header, or None when
    it asks for none of them (the caller falls back to English).

    Babel's `negotiate_locale` matches "es-MX" to "es" (its aliases and the language part).
    """
    if not header:
        return None
    preferred = [tag.replace("-", "_") for tag in _parse_accept_language(header)]
    found = negotiate_locale(preferred, list(LANGUAGES), sep="_")
    if found is not None:
        return supported(found)
    # negotiate_locale matches a region only by its own alias table ("es_MX" is not in it):
    # the language part of each tag, in the browser's order, decides then.
    for tag in preferred:
        lang = supported(tag)
        if lang is not None:
            return lang
    return None


def locale_of(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)
