"""Whether a committed catalog has every message the code marks, and (for the languages
that ship complete) a translation of each one.

`extract_messages()` does what `pybabel extract -F babel.cfg` does, in memory; the tests
compare its result with app/locale/<lang>/LC_MESSAGES/messages.po (docs/development.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from app.config import PROJECT_ROOT

MAPPING_FILE = PROJECT_ROOT / "babel.cfg"

# msgid (the singular for plurals, with its context if any) -> files that mark it
Extracted = dict[tuple[str, str | None], set[str]]


@dataclass(frozen=True)
class Problem:
    msgid: str
    reason: str  # "missing" (not in the catalog) or "untranslated" (empty or fuzzy)
    files: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.reason}: {self.msgid!r} (from {', '.join(self.files)})"


def extract_messages(root: Path = PROJECT_ROOT, mapping_file: Path = MAPPING_FILE) -> Extracted:
    """Every marked message under `root`, as babel.cfg maps the files."""
    with mapping_file.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(mapping_file))
    found: Extracted = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if not msgid:
            continue
        found.setdefault((msgid, context), set()).add(filename.replace("\\", "/"))
    return found


def _matches(files: Iterable[str], patterns: Iterable[str]) -> bool:
    pats = tuple(patterns)
    return any(fnmatch(f, p) for f in files for p in pats)


def _translated(string: object) -> bool:
    if isinstance(string, (tuple, list)):
        return all(bool(s) for s in string)
    return bool(string)


def catalog_problems(
    catalog: Catalog, extracted: Extracted, *, complete_for: Iterable[str] = ()
) -> list[Problem]:
    """What `catalog` lacks: any extracted message it does not hold, and, for messages marked
    in files matching a `complete_for` glob, any with no translation or a fuzzy one."""
    patterns = tuple(complete_for)
    problems: list[Problem] = []
    for (msgid, context), files in sorted(extracted.items(), key=lambda kv: kv[0][0]):
        entry = catalog.get(msgid, context)
        where = tuple(sorted(files))
        if entry is None:
            problems.append(Problem(msgid, "missing", where))
        elif patterns and _matches(files, patterns):
            if entry.fuzzy or not _translated(entry.string):
                problems.append(Problem(msgid, "untranslated", where))
    return problems
