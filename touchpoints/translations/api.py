"""JSON API for translations: a question version's wording and a touchpoint's name in one of
the organization's other languages, and how far each language is translated.

A language the organization does not use, or its primary language, is a 422 naming the
field `language`; labels that do not match the question's options, a 422 naming `options`.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.modelbase import ident
from app.tenancy import OwnerDep, ReaderDep
from touchpoints import services as journey
from touchpoints.deps import QuestionDep, TouchpointDep
from touchpoints.translations import queries, services
from touchpoints.translations.models import (
    LanguageStatus,
    QuestionTranslation,
    QuestionTranslationSaved,
    QuestionTranslationUpdate,
    TouchpointTranslation,
)

router = APIRouter(tags=["translations"])


class QuestionTranslations(BaseModel):
    question_id: int
    text: str  # in the primary language
    translations: dict[str, QuestionTranslation]
    untranslated: dict[str, list[str]]  # per other language: the parts still missing


class TouchpointTranslations(BaseModel):
    languages: list[LanguageStatus]
    touchpoint: dict[str, TouchpointTranslation]
    questions: list[QuestionTranslations]


@router.get("/touchpoints/{touchpoint_id}/translations", response_model=TouchpointTranslations)
def translations_read(tenant: ReaderDep, touchpoint: TouchpointDep) -> TouchpointTranslations:
    """Every translation of the touchpoint and its current checklist, and what is missing."""
    languages = list(tenant.org.languages)
    questions = journey.questions_current(tenant.session, ident(touchpoint))
    return TouchpointTranslations(
        languages=queries.translation_status(touchpoint, questions, languages),
        touchpoint={
            code: TouchpointTranslation(**parts)
            for code, parts in (touchpoint.translations or {}).items()
        },
        questions=[
            QuestionTranslations(
                question_id=ident(q),
                text=q.text,
                translations={
                    code: QuestionTranslation(**parts)
                    for code, parts in (q.translations or {}).items()
                },
                untranslated={
                    code: queries.question_untranslated(q, code) for code in languages[1:]
                },
            )
            for q in questions
        ],
    )


@router.put(
    "/questions/{question_id}/translations/{language}", response_model=QuestionTranslationSaved
)
def question_translate(
    tenant: OwnerDep, question: QuestionDep, language: str, data: QuestionTranslationUpdate
) -> QuestionTranslationSaved:
    """Give the question's wording in `language` (empty parts stay untranslated). A fix keeps
    the version; `meaning_changed: true` on an answered question makes a new one."""
    current = services.question_translate(
        session=tenant.session, org=tenant.org, question=question, language=language, data=data
    )
    code = language.strip().lower()
    return QuestionTranslationSaved(
        question_id=ident(current),
        new_version=current.id != question.id,
        language=code,
        translation=QuestionTranslation(**(current.translations or {}).get(code, {})),
        untranslated=queries.question_untranslated(current, code),
    )


@router.put(
    "/touchpoints/{touchpoint_id}/translations/{language}", response_model=TouchpointTranslation
)
def touchpoint_translate(
    tenant: OwnerDep, touchpoint: TouchpointDep, language: str, data: TouchpointTranslation
) -> TouchpointTranslation:
    """Give the touchpoint's name (and description) in `language`."""
    tp = services.touchpoint_translate(
        session=tenant.session, org=tenant.org, touchpoint=touchpoint, language=language, data=data
    )
    return TouchpointTranslation(**(tp.translations or {}).get(language.strip().lower(), {}))
