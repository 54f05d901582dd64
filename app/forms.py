"""Turning submitted form fields into validated shapes, with one message per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.errors import DomainError

T = TypeVar("T", bound=BaseModel)

_FRIENDLY = {
    "string_too_short": "This field is required.",
    "missing": "This field is required.",
    "value_error": None,  # keep the validator's own words
}


def _message(error: Any) -> str:
    friendly = _FRIENDLY.get(error.get("type", ""))
    if friendly:
        return friendly
    msg = str(error.get("msg", "Invalid value."))
    msg = msg.removeprefix("Value error, ")
    return msg[:1].upper() + msg[1:] + ("" if msg.endswith(".") else ".")


def parse_form(model: type[T], data: dict[str, Any]) -> tuple[T | None, dict[str, str]]:
    """Validate `data` into `model`; on failure return the first message for each field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            ctx_field = (error.get("ctx") or {}).get("field")
            if ctx_field:
                field = str(ctx_field)
            else:
                field = str(error["loc"][0]) if error.get("loc") else "__all__"
            errors.setdefault(field, _message(error))
        return None, errors


def domain_errors(exc: DomainError) -> dict[str, str]:
    return {exc.field or "__all__": exc.message}
