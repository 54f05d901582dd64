"""Small builders for template questions, so each question in the library reads as one block.

Shared by every content module of the library (library_content and library_business).
"""

from __future__ import annotations

from touchpoints.library import TemplateQuestion
from touchpoints.models import NumberRule, QuestionKind


def yes_no(
    text: str,
    guidance: str,
    *,
    weight: float = 1.0,
    critical: bool = False,
    allow_na: bool = False,
) -> TemplateQuestion:
    return TemplateQuestion(
        text=text,
        guidance=guidance,
        kind=QuestionKind.yes_no,
        weight=weight,
        critical=critical,
        allow_na=allow_na,
    )


def scale(
    text: str,
    guidance: str,
    labels: tuple[str, str, str, str, str],
    *,
    weight: float = 1.0,
    allow_na: bool = False,
) -> TemplateQuestion:
    """Labels run from 1 (worst) to 5 (best)."""
    return TemplateQuestion(
        text=text,
        guidance=guidance,
        kind=QuestionKind.scale,
        weight=weight,
        allow_na=allow_na,
        scale_labels=labels,
    )


def number(
    text: str,
    guidance: str,
    *,
    rule: NumberRule,
    threshold: float,
    unit: str,
    weight: float = 1.0,
    allow_na: bool = False,
) -> TemplateQuestion:
    return TemplateQuestion(
        text=text,
        guidance=guidance,
        kind=QuestionKind.number,
        weight=weight,
        allow_na=allow_na,
        rule=rule,
        threshold=threshold,
        unit=unit,
    )


def choice(
    text: str,
    guidance: str,
    options: tuple[tuple[str, float], ...],
    *,
    weight: float = 1.0,
    allow_na: bool = False,
) -> TemplateQuestion:
    return TemplateQuestion(
        text=text,
        guidance=guidance,
        kind=QuestionKind.choice,
        weight=weight,
        allow_na=allow_na,
        options=options,
    )


def text(text: str, guidance: str) -> TemplateQuestion:
    """Free text is never scored and never required."""
    return TemplateQuestion(
        text=text,
        guidance=guidance,
        kind=QuestionKind.text,
        weight=0.0,
        required=False,
    )
