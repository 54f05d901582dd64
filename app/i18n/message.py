"""A message with values that can still be translated after it is written.

A service writes `message(MSG_X, name=...)`: the result *is* the English text, exactly as
`MSG_X % values` (so logs, the API's JSON and tests read it as before), and it remembers its
template and values, so a page can show it in its reader's language with `text_in(msg, lang)`
(the `translate` template global and `DomainError.text` do). `plural_message` does the same
for a sentence whose words follow a count.

A value may depend on the language too (a day's name): give a `Localized` whose `in_(lang)`
writes it; its English words are used for the English text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.i18n.catalogs import translations
from app.i18n.languages import DEFAULT_LANGUAGE


class Localized:
    """A value written differently in each language (`words(lang)`), inside a message."""

    __slots__ = ("words",)

    def __init__(self, words: Callable[[str], str]) -> None:
        self.words = words

    def in_(self, lang: str) -> str:
        return self.words(lang)

    def __str__(self) -> str:
        return self.words(DEFAULT_LANGUAGE)


def _values_in(values: Mapping[str, Any], lang: str) -> dict[str, Any]:
    return {k: v.in_(lang) if isinstance(v, Localized) else v for k, v in values.items()}


class Message(str):
    """English text that knows how it was made: `template` (a marked msgid, `%(name)s`
    placeholders), `plural` and `number` for a sentence that follows a number, and `values`."""

    template: str
    plural: str | None
    number: int | None
    values: dict[str, Any]

    def __new__(
        cls,
        template: str,
        values: Mapping[str, Any],
        *,
        plural: str | None = None,
        count: int | None = None,
    ) -> Message:
        english = _render(template, plural, count, values, DEFAULT_LANGUAGE, translate=False)
        self = super().__new__(cls, english)
        self.template, self.plural, self.number, self.values = template, plural, count, dict(values)
        return self

    def text(self, lang: str) -> str:
        """The message in `lang` (English words where the catalog has none)."""
        return _render(self.template, self.plural, self.number, self.values, lang, translate=True)


def _render(
    template: str,
    plural: str | None,
    count: int | None,
    values: Mapping[str, Any],
    lang: str,
    *,
    translate: bool,
) -> str:
    filled = _values_in(values, lang)
    if plural is not None and count is not None:
        # Two whole sentences, each marked with N_(): English and Spanish both say the one
        # for exactly 1 and the other for any other count.
        filled.setdefault("num", count)
        template = template if count == 1 else plural
    text = translations(lang).gettext(template) if translate else template
    return text % filled


def message(template: str, **values: Any) -> Message:
    """`template % values` in English, translatable later (`template` is marked with `N_()`)."""
    return Message(template, values)


def plural_message(singular: str, plural: str, count: int, **values: Any) -> Message:
    """The sentence for one or for `count` others (`%(num)s` is the count), translatable
    later; both are whole sentences marked with `N_()` where they are defined."""
    return Message(singular, values, plural=plural, count=count)


def text_in(text: object, lang: str) -> str:
    """Any message in `lang`: a `Message` with its values in place, a plain marked constant
    through the catalog, anything else as it is."""
    if isinstance(text, Message):
        return text.text(lang)
    if isinstance(text, str):
        return translations(lang).gettext(text) if text else ""
    return str(text) if text is not None else ""
