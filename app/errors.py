"""Domain errors raised by services; pages show them next to a field, the API as 4xx JSON.

A message with values is raised with `DomainError.of(MSG_X, field=..., name=...)`: its
`message` is the English text (the API answers in English), and `text(lang)` writes it in a
page's language with the values in place (`app.i18n.message`).
"""

from __future__ import annotations

from typing import Any, Self

from app.i18n.message import message as _message
from app.i18n.message import text_in


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @classmethod
    def of(cls, template: str, *, field: str | None = None, **values: Any) -> Self:
        """The error saying `template % values`, translatable on a page (the template is a
        constant marked with `N_()`, `%(name)s` placeholders)."""
        return cls(_message(template, **values), field=field)

    def text(self, lang: str) -> str:
        """The message in `lang`, values in place; English words where no catalog has it."""
        return text_in(self.message, lang)


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class GoneError(DomainError):
    status_code = 410


class ThrottledError(DomainError):
    status_code = 429


class ForbiddenError(DomainError):
    status_code = 403


class InvalidError(DomainError):
    """Input that is well-formed but refused by a rule that needs the stored data to judge
    (a translation in a language the organization does not use): a 422 naming its field."""

    status_code = 422
