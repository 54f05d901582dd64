"""Staff names per location, and masking them in shoppers' comments.

Shoppers often name the person who served them ("Anna at the till was rude"). Staff who read
reports and exports see such remarks with the names replaced by "[staff]", so a report does
not become a verdict on one colleague; owners still read the original to act on it.

The rule, kept predictable: each listed name is masked as a whole word, any case; a listed
full name ("Anna Berg") also masks its first word alone ("Anna"), as shoppers mostly write
first names. Surnames alone are not masked (they are often ordinary words or street names).
A name inside a longer word is never masked: "Ann" leaves "Annual" alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from app.i18n.catalogs import N_
from app.i18n.message import message

MASK = "[staff]"
MAX_NAMES = 50
MAX_NAME_LENGTH = 60
MSG_TOO_MANY = f"List at most {MAX_NAMES} staff names per location."
MSG_TOO_LONG = f"A staff name can be at most {MAX_NAME_LENGTH} characters: {{name!r}} is longer."
MSG_NO_LETTER = N_("A staff name needs at least one letter: %(name)r has none.")
MSG_NOT_TEXT = N_("Give the staff names as text (comma- or line-separated) or a list of names.")

_SPLIT = re.compile(r"[,;\n\r]+")
_SPACES = re.compile(r"\s+")


def clean_staff_names(value: object) -> list[str]:
    """The names as stored: from text split on commas, semicolons or lines, or from a list;
    trimmed, inner spaces made single, empty ones dropped, repeats (any case) kept once in
    the order first given. ValueError (with the message shown next to the field) if the list
    is too long or a name is."""
    if value is None:
        return []
    if isinstance(value, str):
        parts: Iterable[object] = _SPLIT.split(value)
    elif isinstance(value, list | tuple):
        parts = value
    else:
        raise ValueError(MSG_NOT_TEXT)
    names: list[str] = []
    seen: set[str] = set()
    for part in parts:
        if not isinstance(part, str):
            raise ValueError(MSG_NOT_TEXT)
        name = _SPACES.sub(" ", part).strip()
        if not name or name.casefold() in seen:
            continue
        if not any(c.isalpha() for c in name):  # "-" alone would mask every dash
            raise ValueError(message(MSG_NO_LETTER, name=name))
        if len(name) > MAX_NAME_LENGTH:
            raise ValueError(message(MSG_TOO_LONG, name=name[:20] + "…"))
        seen.add(name.casefold())
        names.append(name)
    if len(names) > MAX_NAMES:
        raise ValueError(MSG_TOO_MANY)
    return names


@lru_cache(maxsize=256)  # an export masks row after row with the same few lists
def _pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    words: set[str] = set()
    for name in names:
        words.add(name)
        first = name.split(" ", 1)[0]
        if len(first) > 1:  # an initial ("A. Berg") alone would mask every "a"
            words.add(first)
    if not words:
        return None
    # Longest first, so "Anna Berg" is masked as one "[staff]", not "[staff] Berg".
    spelled = sorted(words, key=len, reverse=True)
    # Any run of spaces in the comment matches the name's one space.
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in n.split(" ")) for n in spelled)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def mask_staff(text: str, names: Iterable[str] | None) -> str:
    """`text` with every listed staff name (see the module's rule) replaced by "[staff]"."""
    if not text or not names:
        return text
    pattern = _pattern(tuple(names))
    return pattern.sub(MASK, text) if pattern else text
