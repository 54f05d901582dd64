"""Message catalogs: app/locale/<lang>/LC_MESSAGES/messages.po, read with Babel and compiled
in memory the first time a language is asked for (no .mo files are committed or built).

`gettext(msgid, lang)` gives the translation, or the English msgid itself when the catalog
has none (or marks it fuzzy): an untranslated word is shown in English, never blank.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES, supported

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Mark a message constant for extraction; it is translated where it is shown.

    `MSG_X = N_("...")` keeps the English text as the constant's value (logs, the API and
    tests read it as before); a page shows it with `translate(message)` in its language.
    """
    return message


def catalog_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_read(path: Path, lang: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def translations_from_catalog(catalog: Catalog) -> Translations:
    """A catalog compiled to gettext's binary form in memory; fuzzy entries are left out."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of `lang` (once per process); English words as written when the
    language does not ship or its catalog file is missing."""
    code = supported(lang) or DEFAULT_LANGUAGE
    path = catalog_path(code)
    if not path.exists():
        return NullTranslations()
    return translations_from_catalog(catalog_read(path, code))


def gettext(message: str, lang: str, **variables: Any) -> str:
    """`message` in `lang`; `%(name)s` placeholders filled from `variables` when given.

    The message comes first, as gettext's own does: Babel's extractor takes the first
    argument of `gettext(...)` for the msgid."""
    text = translations(lang).gettext(message)
    return text % variables if variables else text


def pgettext(context: str, message: str, lang: str, **variables: Any) -> str:
    """`message` in `lang` as meant in `context` (the same English can need different words)."""
    text = str(translations(lang).pgettext(context, message))
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, lang: str, **variables: Any) -> str:
    """The singular or plural form for `n` in `lang` (Spanish and English both have two);
    `%(num)s` is `n` unless given."""
    text = translations(lang).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables
