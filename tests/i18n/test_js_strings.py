"""Every sentence the page scripts say through t()/tn() can be translated: it is a key of
templates/_js_strings.html, which marks it for the catalogs."""

from __future__ import annotations

import json
import re

import pytest

from app.config import PROJECT_ROOT
from app.templating import templates

SCRIPTS = ("touchstone.js", "touchstone-queue.js")
# t("...") / tn("...", "...", ...): string literals, possibly joined with +.
_STRINGS = r'((?:"(?:[^"\\]|\\.)*"\s*\+?\s*)+)'
CALL = re.compile(r"\b(?:tn|t)\(\s*" + _STRINGS + r"(?:,\s*" + _STRINGS + r")?", re.S)
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
# Words the scripts pass to tn() through a helper of their own (keptWords' say()).
INDIRECT = tuple(
    form
    for one in ("answer", "comment", "visit detail", "photo", "photo removal")
    for form in ("{n} " + one, "{n} " + one + "s")
)


def script_strings(source: str) -> set[str]:
    found: set[str] = set()
    for match in CALL.finditer(source):
        for group in match.groups():
            if group:
                found.add("".join(json.loads(f'"{part}"') for part in LITERAL.findall(group)))
    return found


def page_strings(lang: str) -> dict[str, str]:
    html = templates.env.get_template("_js_strings.html").render(lang=lang)
    match = re.search(r'<script type="application/json" id="ts-strings">(.*?)</script>', html, re.S)
    assert match, "no strings block"
    data: dict[str, str] = json.loads(match.group(1))
    return data


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_sentence_is_in_the_strings_block(script: str) -> None:
    source = (PROJECT_ROOT / "app" / "static" / script).read_text(encoding="utf-8")
    said = script_strings(source)
    assert len(said) > 5
    missing = sorted(said - set(page_strings("es")))
    assert not missing, "add these to templates/_js_strings.html:\n" + "\n".join(missing)


def test_the_block_translates_and_english_pages_leave_it_out() -> None:
    spanish = page_strings("es")
    assert spanish["Saved"] == "Guardado"
    assert spanish["Waiting to send…"] == "Pendiente de envío…"
    for key in INDIRECT:
        assert spanish[key] != key
    english = templates.env.get_template("_js_strings.html").render(lang="en")
    assert "ts-strings" not in english


def test_the_finder_reads_joined_literals() -> None:
    source = 'x(t("a " +\n "b")); y(tn("{n} one", "{n} " + "many", n)); t(variable);'
    assert script_strings(source) == {"a b", "{n} one", "{n} many"}
