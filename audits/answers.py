"""Checking a shopper's answer against the question version it answers."""

from __future__ import annotations

import math
from typing import Any

from app.errors import DomainError
from touchpoints.models import Question, QuestionKind

MSG_YES_NO = "Answer yes or no."
MSG_SCALE = "Choose a point from 1 to 5."
MSG_NUMBER = "Enter a number (digits only, such as 3 or 2.5)."
MSG_CHOICE = "Choose one of the options."
MSG_TEXT = "Write your answer as text (at most 4,000 characters)."
MSG_NA_NOT_ALLOWED = "This question cannot be answered N/A."
MSG_EMPTY = "Give an answer, or mark it N/A where that is allowed."


def clean_value(question: Question, value: Any) -> Any:
    """The value in its stored form, or a DomainError saying what this question accepts."""
    kind = QuestionKind(question.kind)
    if kind == QuestionKind.yes_no:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("yes", "no", "true", "false"):
            return value.lower() in ("yes", "true")
        raise DomainError(MSG_YES_NO, field="value")
    if kind == QuestionKind.scale:
        number = _as_number(value, MSG_SCALE)
        if number not in (1, 2, 3, 4, 5):
            raise DomainError(MSG_SCALE, field="value")
        return int(number)
    if kind == QuestionKind.number:
        number = _as_number(value, MSG_NUMBER)
        if number < 0 or number > 1_000_000:
            raise DomainError(MSG_NUMBER, field="value")
        return int(number) if float(number).is_integer() else float(number)
    if kind == QuestionKind.choice:
        count = len(question.config.get("options") or [])
        number = _as_number(value, MSG_CHOICE)
        if not float(number).is_integer() or not 0 <= int(number) < count:
            raise DomainError(MSG_CHOICE, field="value")
        return int(number)
    if not isinstance(value, str) or len(value) > 4000:
        raise DomainError(MSG_TEXT, field="value")
    return value.strip()


def _as_number(value: Any, message: str) -> float:
    if isinstance(value, bool):
        raise DomainError(message, field="value")
    number: float | None = None
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise DomainError(message, field="value")
    return number
