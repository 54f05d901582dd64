"""The languages an organization writes its checklists in: the codes it may choose, their
names, and the one rule for a valid choice (settings page, API and journey files share it).

The first language of an organization's list is its primary language: every wording is
written in it, and any other language falls back to it where a translation is missing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import babel

from app.i18n.catalogs import N_
from app.i18n.message import message

# The codes offered on the settings page: the languages secret shoppers in Europe and the
# Americas most often work in, all in scripts the printed reports' font (DejaVu) covers.
# Any other code Babel knows is accepted through the API.
OFFERED = (
    "en", "es", "de", "fr", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "cs", "ro",
    "hu", "el", "tr", "ru", "uk",
)  # fmt: skip
DEFAULT_LANGUAGES = ["en"]
MAX_LANGUAGES = 10

MSG_LANGUAGES_EMPTY = "Choose at least one language for your checklists."
MSG_LANGUAGE_UNKNOWN = N_(
    "“%(code)s” is not a language code we know; use one such as en, es or de."
)
MSG_LANGUAGES_TWICE = N_("“%(code)s” is in the list twice; give each language once.")
MSG_LANGUAGES_MANY = f"Choose at most {MAX_LANGUAGES} languages."
MSG_REPORT_LANGUAGE = N_(
    "Reports can only use one of your checklist languages: add “%(code)s” to them first."
)
MSG_LANGUAGE_NOT_USED = N_(
    "Your organization does not write checklists in “%(code)s”. Add it on the settings page "
    "first, or choose one of: %(used)s."
)


@lru_cache(maxsize=256)
def known(code: str) -> bool:
    """A plain language code (no region) that Babel has a locale for."""
    if not code or not code.isascii() or not code.isalpha() or len(code) > 3:
        return False
    try:
        babel.Locale.parse(code)
    except (ValueError, babel.UnknownLocaleError):
        return False
    return True


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    """The language's name in itself, capitalised: "Español", "Deutsch", "English"."""
    try:
        name = babel.Locale.parse(code).get_display_name(code) or code
    except (ValueError, babel.UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def offered() -> list[tuple[str, str]]:
    """(code, name) for the settings page's choices."""
    return [(code, language_name(code)) for code in OFFERED]


def clean_languages(value: Any) -> list[str]:
    """An ordered list of language codes, checked: at least one, known, each once.

    Accepts a list or a comma- or space-separated string (the settings form)."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list):
        raise ValueError(MSG_LANGUAGES_EMPTY)
    codes: list[str] = []
    for raw in value:
        code = str(raw).strip().lower() if isinstance(raw, str) else ""
        if not known(code):
            raise ValueError(message(MSG_LANGUAGE_UNKNOWN, code=str(raw)[:20]))
        if code in codes:
            raise ValueError(message(MSG_LANGUAGES_TWICE, code=code))
        codes.append(code)
    if not codes:
        raise ValueError(MSG_LANGUAGES_EMPTY)
    if len(codes) > MAX_LANGUAGES:
        raise ValueError(MSG_LANGUAGES_MANY)
    return codes


def not_used_message(code: str, used: list[str]) -> str:
    return message(
        MSG_LANGUAGE_NOT_USED,
        code=str(code)[:20],
        used=", ".join(f"{c} ({language_name(c)})" for c in used),
    )
