"""Domain errors raised by services; pages show them next to a field, the API as 4xx JSON."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


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
