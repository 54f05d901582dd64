"""The shipped catalogs: a fresh extraction finds nothing they lack, Spanish translates
everything the shipped-in-Spanish pages show, and the checker goes red when a string goes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from app.i18n import catalogs
from app.i18n.completeness import Extracted, catalog_problems, extract_messages
from app.i18n.languages import LANGUAGES
from app.i18n.scope import SPANISH_COMPLETE

# Languages whose catalogs must translate every message of SPANISH_COMPLETE's files.
COMPLETE_FOR = {"es": SPANISH_COMPLETE}


@pytest.fixture(scope="module")
def extracted() -> Extracted:
    return extract_messages()


def test_extraction_finds_the_marked_words(extracted: Extracted) -> None:
    # A sentinel from each kind of marking: a template's _(), and N_() in Python.
    assert ("Skip to content", None) in extracted
    assert ("Secret shopper", None) in extracted
    assert "app/orgs/models.py" in extracted[("Secret shopper", None)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_shipped_catalog_is_complete(lang: str, extracted: Extracted) -> None:
    catalog = catalogs.catalog_read(catalogs.catalog_path(lang), lang)
    problems = catalog_problems(catalog, extracted, complete_for=COMPLETE_FOR.get(lang, ()))
    assert not problems, (
        f"app/locale/{lang}/LC_MESSAGES/messages.po lacks {len(problems)} message(s); run "
        "`make messages` and translate them (docs/development.md, Languages):\n"
        + "\n".join(str(p) for p in problems[:50])
    )


def _copy_without(tmp_path: Path, msgid: str, *, blank: bool = False, fuzzy: bool = False) -> Path:
    source = catalogs.catalog_path("es")
    target = tmp_path / "es" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    catalog = catalogs.catalog_read(target, "es")
    assert catalog.get(msgid) is not None
    if blank:
        catalog.get(msgid).string = ""  # type: ignore[union-attr]
    elif fuzzy:
        catalog.get(msgid).flags.add("fuzzy")  # type: ignore[union-attr]
    else:
        catalog.delete(msgid)
    with target.open("wb") as fh:
        write_po(fh, catalog, width=0)
    return target


@pytest.mark.parametrize("change", ["removed", "blank", "fuzzy"])
def test_checker_goes_red_when_a_string_goes(
    change: str, tmp_path: Path, extracted: Extracted
) -> None:
    msgid = "Skip to content"  # base.html, shipped in Spanish
    path = _copy_without(tmp_path, msgid, blank=change == "blank", fuzzy=change == "fuzzy")
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="es")
    problems = catalog_problems(catalog, extracted, complete_for=SPANISH_COMPLETE)
    assert [(p.msgid, p.reason) for p in problems] == [
        (msgid, "missing" if change == "removed" else "untranslated")
    ]
    # The same copy is still complete for a language that need not translate it, unless the
    # entry is gone altogether.
    loose = catalog_problems(catalog, extracted)
    assert [p.msgid for p in loose] == ([msgid] if change == "removed" else [])


def test_a_fuzzy_translation_is_not_shown(tmp_path: Path) -> None:
    path = _copy_without(tmp_path, "Skip to content", fuzzy=True)
    translations = catalogs.translations_from_catalog(catalogs.catalog_read(path, "es"))
    assert translations.gettext("Skip to content") == "Skip to content"
    assert translations.gettext("Log out") == "Cerrar sesión"


def test_gettext_per_language() -> None:
    assert catalogs.gettext("Log out", "es") == "Cerrar sesión"
    assert catalogs.gettext("Log out", "en") == "Log out"
    assert catalogs.gettext("Log out", "fr") == "Log out"  # not shipped: English
    assert catalogs.gettext("A sentence no catalog has", "es") == "A sentence no catalog has"
    assert catalogs.ngettext("%(num)s minute", "%(num)s minutes", 3, "es") == "3 minutos"
    assert catalogs.N_("Log out") == "Log out"
